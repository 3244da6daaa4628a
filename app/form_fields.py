"""Form fields shared by several blueprints' forms."""

from __future__ import annotations

from datetime import datetime

from wtforms import DateField, FloatField, IntegerField
from wtforms.widgets import NumberInput


class WholeNumberField(IntegerField):
    """An integer field whose unreadable input becomes None, so the field's validators
    (NumberRange, InputRequired) give the message, not WTForms' generic one."""

    def process_formdata(self, valuelist):
        if valuelist:
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None


class NumberField(FloatField):
    """A decimal field that accepts any step; empty is None, and unreadable input is None
    with ``unreadable`` set, for a form that wants to say so."""

    widget = NumberInput(step="any")

    def process_formdata(self, valuelist):
        self.unreadable = False
        if valuelist:
            text = valuelist[0].strip()
            try:
                self.data = float(text) if text else None
            except ValueError:
                self.data = None
                self.unreadable = True


class LenientDateField(DateField):
    """An ISO date field: empty is None; unreadable input is None with ``unreadable`` set,
    so the form can name the problem in its own words."""

    def process_formdata(self, valuelist):
        self.unreadable = False
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = datetime.strptime(valuelist[0].strip(), "%Y-%m-%d").date()
        except ValueError:
            self.data = None
            self.unreadable = True
