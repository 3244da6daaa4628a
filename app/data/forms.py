"""Forms of the data pages. What an import or export reports is worded in app/messages.py,
so the web pages and ``flask import`` (in English) say the same."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, RadioField, SubmitField
from wtforms.validators import DataRequired

from app.forms import BaseForm
from app.labels import KIND_LABELS
from evangelists.imports import KINDS, MAX_BYTES

MAX_MEGABYTES = MAX_BYTES // (1024 * 1024)

EXPORT_LABELS = {
    "municipalities": _l("Municipalities"),
    "communities": _l("Communities"),
    "evangelists": _l("Evangelists"),
    "requests": _l("Requests"),
    "visits": _l("Visits"),
    "outcomes": _l("Outcomes"),
}

# What each column of an import holds, shown under the form.
COLUMN_HELP = {
    ("municipality_status", "code"): _l("6-digit local government code, or its first 5 digits (without the check digit)."),
    ("municipality_status", "status"): _l("active (取組済) or non_active (未着手). A municipality we have as active is never set back."),
    ("municipality_status", "as_of"): _l("The date the survey speaks for, e.g. 2024-03-31 or 令和6年3月31日. Becomes the date open data started."),
    ("communities", "name"): _l("A community with the same name is updated; any other name is created."),
    ("communities", "municipality_code"): _l("The community’s home municipality (local government code)."),
    ("communities", "website"): _l("Starting with http:// or https://."),
    ("communities", "status"): _l("active (活動中) or dormant (休眠中)."),
    ("communities", "member_count"): _l("A whole number."),
    ("communities", "contact_email"): _l("The community’s contact address."),
    ("communities", "description"): _l("Free text."),
    ("candidates", "family_name"): _l("With the given name and municipality, identifies the person."),
    ("candidates", "given_name"): _l("With the family name and municipality, identifies the person."),
    ("candidates", "family_name_kana"): _l("The reading (フリガナ) of the family name in katakana or hiragana. Required for a new person."),
    ("candidates", "given_name_kana"): _l("The reading (フリガナ) of the given name in katakana or hiragana. Required for a new person."),
    ("candidates", "municipality_code"): _l("The home municipality (local government code)."),
    ("candidates", "community"): _l("The name of an existing community."),
    ("candidates", "skills"): _l("Topic tags, separated by ; (see the list below)."),
    ("candidates", "email"): _l("Checked, but not stored yet."),
}


class ImportForm(BaseForm):
    kind = RadioField(
        _l("What the file contains"),
        choices=[(kind, KIND_LABELS[kind]) for kind in KINDS],
        validators=[DataRequired(message=_l("Choose what the file contains."))],
    )
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose a CSV file."))],
        description=_l("UTF-8 (with or without BOM) or Shift_JIS, at most %(mb)s MB. Nothing changes until you apply the checked file.", mb=MAX_MEGABYTES),
        render_kw={"accept": ".csv,text/csv"},
    )
    submit = SubmitField(_l("Check the file"))


class ApplyForm(BaseForm):
    """The checked file travels back signed (see ``app.data.routes``): no need to choose
    it again, and it cannot be swapped for another one on the way."""

    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Apply the changes"))
