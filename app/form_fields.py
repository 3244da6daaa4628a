"""Form fields shared by several blueprints' forms."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput

from evangelists.limits import (
    CAPACITY_RANGE,
    FIRST_FILTER_DATE,
    LAST_FILTER_DATE,
    MAX_ID,
    TRAVEL_RADIUS_RANGE,
    OutOfRange,
    parse_date,
)
from evangelists.names import ReadingRefused, normalize_reading

# The largest whole number a form reads: an INTEGER column's range on every database,
# far beyond any count or id here. WTForms' NumberRange compares numbers as floats, so a
# number of 400 digits would otherwise fail there with an OverflowError.
MAX_WHOLE_NUMBER = MAX_ID


class BoundedIntegerField(IntegerField):
    """WTForms' integer field, for which a number beyond ±MAX_WHOLE_NUMBER is not a valid
    integer value either."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > MAX_WHOLE_NUMBER:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))


class WholeNumberField(IntegerField):
    """An integer field whose unreadable input (or a number beyond ±MAX_WHOLE_NUMBER)
    becomes None, so the field's validators (NumberRange, InputRequired) give the
    message, not WTForms' generic one."""

    def process_formdata(self, valuelist):
        if valuelist:
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None
            if self.data is not None and abs(self.data) > MAX_WHOLE_NUMBER:
                self.data = None


class RowList(FieldList):
    """WTForms' FieldList, reading a row's index from ASCII digits only. WTForms takes any
    key part for which ``str.isdigit()`` is true, which "²" or "٣" also are, and then
    fails in ``int()`` on some of them."""

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split("-", 1)[0]
                if index.isascii() and index.isdigit():
                    yield int(index)


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


class FilterDateField(DateField):
    """A list filter's date (YYYY-MM-DD) between FIRST_FILTER_DATE and LAST_FILTER_DATE
    (evangelists/limits.py), the one range every list and export takes: a date outside
    it is an error on the field, and the list shows unfiltered by it."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_date(valuelist[0])
        except OutOfRange:
            self.data = None
            raise ValueError(_("Enter a date between %(first)s and %(last)s.",
                               first=FIRST_FILTER_DATE.isoformat(), last=LAST_FILTER_DATE.isoformat())) from None
        except ValueError:
            self.data = None
            raise ValueError(_("Enter a date like 2030-04-01.")) from None


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FilterSelectField(SelectField):
    """A select whose unknown value (from a hand-edited or outdated link) is named in
    the error, and then ignored by the list."""

    def pre_validate(self, form):
        if self.data not in {value for value, _label in self.choices}:
            raise ValidationError(
                _("“%(value)s” is not one of the choices, so this filter was ignored.", value=self.data)
            )


def kana_reading(form, field) -> None:
    """A reading (フリガナ) in hiragana, katakana or half-width katakana, spaces allowed
    (``evangelists.names.normalize_reading``); what was typed stays in the box."""
    try:
        normalize_reading(field.data)
    except ReadingRefused as refused:
        if refused.reason == "too_long":
            raise ValidationError(_("This is too long.")) from None
        raise ValidationError(_("Enter the reading (フリガナ) in katakana or hiragana.")) from None


def reading_field(label, required_message) -> StringField:
    """A required reading field for a family or given name."""
    return StringField(label, validators=[DataRequired(message=required_message), kana_reading],
                        render_kw={"autocomplete": "off", "lang": "ja"})


FAMILY_READING_LABEL = _l("Family name reading (フリガナ)")
GIVEN_READING_LABEL = _l("Given name reading (フリガナ)")
FAMILY_READING_REQUIRED = _l("Enter the reading of the family name, e.g. ヤマダ or やまだ.")
GIVEN_READING_REQUIRED = _l("Enter the reading of the given name, e.g. ハナコ or はなこ.")
# An evangelist's capacity and travel radius, as the profile and the application ask them.
CAPACITY_MESSAGE = _l("Enter a whole number from %(low)s to %(high)s.", low=CAPACITY_RANGE[0], high=CAPACITY_RANGE[1])
RADIUS_MESSAGE = _l("Enter a distance in km from %(low)s to %(high)s.", low=TRAVEL_RADIUS_RANGE[0],
                    high=TRAVEL_RADIUS_RANGE[1])
