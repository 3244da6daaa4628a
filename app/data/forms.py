"""Forms of the data pages, and the words for what an import or export reports.

The import core (``evangelists.imports``) and the export service report machine codes;
the sentences live here so the web pages and ``flask import`` (in English) say the same.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, RadioField, SubmitField
from wtforms.validators import DataRequired

from app.forms import BaseForm
from evangelists.imports import KINDS, MAX_BYTES, Notice, Problem
from evangelists.limits import FIRST_FILTER_DATE, LAST_FILTER_DATE

MAX_MEGABYTES = MAX_BYTES // (1024 * 1024)

KIND_LABELS = {
    "municipality_status": _l("Municipalities’ open-data status (the national survey)"),
    "communities": _l("Communities"),
    "candidates": _l("Evangelist candidates"),
}

ENCODING_LABELS = {
    "utf-8-sig": _l("UTF-8 (with BOM)"),
    "utf-8": _l("UTF-8"),
    "cp932": _l("Shift_JIS"),
}

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
    ("communities", "status"): _l("active (活動中) or dormant (休止中)."),
    ("communities", "member_count"): _l("A whole number."),
    ("communities", "contact_email"): _l("The community’s contact address."),
    ("communities", "description"): _l("Free text."),
    ("candidates", "family_name"): _l("With the given name and municipality, identifies the person."),
    ("candidates", "given_name"): _l("With the family name and municipality, identifies the person."),
    ("candidates", "municipality_code"): _l("The home municipality (local government code)."),
    ("candidates", "community"): _l("The name of an existing community."),
    ("candidates", "skills"): _l("Topic tags, separated by ; (see the list below)."),
    ("candidates", "email"): _l("Checked, but not stored yet."),
}

PROBLEM_MESSAGES = {
    "too_large": _l("The file is larger than %(limit_mb)s MB. Split it into smaller files."),
    "utf16": _l("The file is %(encoding)s text, which is not read here. Save it as “CSV UTF-8” (or CSV in Shift_JIS) and upload it again."),
    "spreadsheet": _l("This is an Excel workbook, not a CSV file. In Excel, use Save As and choose “CSV UTF-8 (comma delimited)”."),
    "encoding": _l("The file is neither UTF-8 nor Shift_JIS text. Save it as “CSV UTF-8” and upload it again."),
    "malformed": _l("The CSV cannot be read from here on (a quote that is never closed?)."),
    "empty": _l("The file is empty."),
    "no_rows": _l("The file has a header but no rows."),
    "missing_column": _l("This column is missing. Headers accepted for it: %(accepted)s."),
    "duplicate_column": _l("This column means the same as “%(other)s”. Keep one of them."),
    "too_many_values": _l("The row has %(got)s values but the header has %(expected)s columns."),
    "required": _l("A value is required."),
    "bad_code": _l("“%(value)s” is not a local government code: give 6 digits, or 5 without the check digit, keeping leading zeros (e.g. 011002)."),
    "wrong_check_digit": _l("The check digit of %(value)s is wrong: with these first five digits the code is %(expected)s."),
    "unknown_municipality": _l("No municipality has the code %(code)s."),
    "bad_choice": _l("“%(value)s” is not one of the accepted values (%(allowed)s)."),
    "bad_date": _l("“%(value)s” is not a date. Write it as 2024-03-31, 2024/3/31 or 2024年3月31日."),
    "bad_number": _l("“%(value)s” is not a whole number of 0 or more."),
    "bad_email": _l("“%(value)s” is not an e-mail address."),
    "bad_url": _l("“%(value)s” is not a web address starting with http:// or https://."),
    "too_long": _l("Too long: at most %(max)s characters."),
    "unknown_topic": _l("“%(value)s” is not a topic tag. Use the tags listed on the import page, separated by ;."),
    "unknown_community": _l("No community is called “%(value)s”. Import or create the community first."),
    "duplicate_row": _l("The same row is already on line %(line)s."),
    "duplicate_key": _l("Line %(line)s already has this, with different values."),
    "conflict": _l("Someone changed the same data while the import was being written. Nothing was imported; check the file again."),
}

NOTICE_MESSAGES = {
    "prefecture_skipped": _l("A prefecture, not a municipality: skipped."),
    "kept_active": _l("The survey says not started, but we have it as open-data active since %(since)s: kept active, not downgraded."),
    "kept_active_undated": _l("The survey says not started, but we have it as open-data active: kept active, not downgraded."),
    "not_candidate": _l("Already in the network (%(status)s): left as it is."),
    "emails_not_stored": _l("%(count)s e-mail addresses were checked but not stored: the network has no place for a candidate’s address yet."),
}

FILTER_MESSAGES = {
    "unknown_parameter": _l("The export has no filter called “%(parameter)s”."),
    "bad_choice": _l("The filter “%(parameter)s” cannot be “%(value)s”."),
    "bad_date": _l("The filter “%(parameter)s” needs a date written as YYYY-MM-DD, not “%(value)s”."),
    "date_range": _l("The filter “%(parameter)s” needs a date between %(first)s and %(last)s, not “%(value)s”."),
    "date_order": _l("The filter “%(parameter)s” (%(value)s) is before “from”."),
    "too_long": _l("The filter “%(parameter)s” is too long."),
}


def _fill(template, params: dict) -> str:
    return str(template) % {k: ("" if v is None else v) for k, v in params.items()}


def problem_message(problem: Problem) -> str:
    return _fill(PROBLEM_MESSAGES[problem.code], problem.args)


def notice_message(notice: Notice) -> str:
    code = notice.code
    if code == "kept_active" and notice.args.get("since") is None:
        code = "kept_active_undated"
    return _fill(NOTICE_MESSAGES[code], notice.args)


def filter_message(error) -> str:
    """The sentence for an ``app.services.exports.BadFilter``."""
    return _fill(FILTER_MESSAGES[error.code], {"parameter": error.parameter, "value": error.value,
                                               "first": FIRST_FILTER_DATE.isoformat(),
                                               "last": LAST_FILTER_DATE.isoformat()})


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
