"""The programme's open data: its tables and their columns, defined once.

Each table's columns are a tuple of :class:`Column` in the order of the files. The files
(``app/api/routes.py``: CSV and JSON) take their header and the keys of their rows from
here, the data dictionary on /open-data shows every field of every column from here, and
``tests/web/test_open_data.py`` holds the exact list of names, so a column added later
(a personal field, say) fails it until the list there is changed on purpose. A column
may be added at the end; none is ever renamed or removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

# A column's type in the files, and the word the dictionary shows for it.
TYPES = {
    "text": _l("Text"),
    "code": _l("Code (one of the values listed)"),
    "integer": _l("Integer"),
    "decimal": _l("Decimal number"),
    "date": _l("Date (YYYY-MM-DD)"),
    "boolean": _l("Boolean (true / false)"),
}

_GAZETTEER = _l("The national list of local government codes (総務省 全国地方公共団体コード).")
_PROGRAMME_RECORDS = _l("The outcomes that the programme's evangelists record for their visits.")


@dataclass(frozen=True)
class Column:
    """One column of an open data table: its machine ``name`` (the CSV header and the
    JSON key), ``type`` (a key of ``TYPES``), what it means, its unit (None where a unit
    makes no sense), where its values come from, and for a code column the ``vocabulary``
    of app.labels whose codes it holds. ``empty``: when the value is empty (None when it
    never is)."""

    name: str
    type: str
    meaning: object
    source: object
    unit: object | None = None
    vocabulary: str | None = None
    empty: object | None = None


PREFECTURE_COLUMNS: tuple[Column, ...] = (
    Column("prefecture_code", "text", _l("The prefecture's code (JIS X 0401, two digits: 01 Hokkaido to 47 Okinawa)."),
           _GAZETTEER),
    Column("prefecture_ja", "text", _l("The prefecture's name in Japanese."), _GAZETTEER),
    Column("prefecture_en", "text", _l("The prefecture's name in English."), _GAZETTEER),
    Column("municipalities", "integer", _l("How many municipalities the prefecture has."), _GAZETTEER,
           unit=_l("municipalities")),
    Column("municipalities_open_data_active", "integer",
           _l("How many of them publish open data, on their own or through the programme."),
           _l("The national survey of open data in local government (デジタル庁), and the programme's "
              "visit outcomes that record a first publication."), unit=_l("municipalities")),
    Column("open_data_share", "decimal",
           _l("municipalities_open_data_active divided by municipalities, rounded to 4 decimal places."),
           _l("Computed from the two columns before it."), unit=_l("ratio from 0 to 1")),
    Column("communities_active", "integer",
           _l("Active civic-tech communities registered with the programme in the prefecture."),
           _l("The programme's register of communities, kept by its coordinators."), unit=_l("communities")),
    Column("visits", "integer", _l("Advisory visits (on site or online) made in the prefecture's municipalities."),
           _l("The visits that the programme's evangelists log."), unit=_l("visits")),
)

MUNICIPALITY_COLUMNS: tuple[Column, ...] = (
    Column("municipality_code", "text", _l("The municipality's local government code (six digits, with the check "
                                           "digit)."), _GAZETTEER),
    Column("name_ja", "text", _l("The municipality's name in Japanese."), _GAZETTEER),
    Column("name_romaji", "text", _l("The municipality's name in romaji."), _GAZETTEER,
           empty=_l("Where the list gives no romaji.")),
    Column("prefecture_code", "text", _l("The code of its prefecture (JIS X 0401, two digits)."), _GAZETTEER),
    Column("kind", "code", _l("What kind of municipality it is."), _GAZETTEER, vocabulary="municipality_kind"),
    Column("engagement_stage", "code", _l("How far the municipality has come with the programme."),
           _l("The programme's workflow: outreach, requests, assignments, visits and their outcomes."),
           vocabulary="engagement_stage"),
    Column("open_data_active_since", "date", _l("The day the municipality became open-data active."),
           _l("The as-of date of the national survey that first recorded it, or the day of the visit "
              "outcome that recorded its first publication."),
           empty=_l("Not open-data active, or the day is not known.")),
    Column("open_data_through_programme", "boolean",
           _l("true: it became open-data active through the programme (a visit there recorded a first "
              "publication or a catalogue launched, and it was not active before); false: it was active on "
              "its own, as the national survey records."), _PROGRAMME_RECORDS,
           empty=_l("Not open-data active.")),
    Column("datasets_published", "integer",
           _l("Datasets published through the programme: the sum of the counts recorded in its visits' "
              "\"datasets published\" outcomes."), _PROGRAMME_RECORDS, unit=_l("datasets")),
    Column("use_cases_published", "integer",
           _l("Use cases about the municipality published on this site (each with the municipality's "
              "agreement)."), _l("The programme's library of use cases."), unit=_l("use cases")),
)

# The tables, in the order of the page: (key, title, columns). The key names the files
# (/api/v1/open-data/<key>.csv|.json) and the dictionary's anchor (dictionary-<key>).
TABLES = (
    ("prefectures", _l("Per prefecture"), PREFECTURE_COLUMNS),
    ("municipalities", _l("Per municipality"), MUNICIPALITY_COLUMNS),
)


def names(columns: tuple[Column, ...]) -> tuple[str, ...]:
    """The machine names of ``columns``, in order: the CSV header and the JSON keys."""
    return tuple(c.name for c in columns)


def in_order(rows: list[dict], columns: tuple[Column, ...]) -> list[dict]:
    """Each row with exactly ``columns``' keys, in order (a key missing from a row is a
    programming error and raises KeyError; a key not among the columns is left out)."""
    keys = names(columns)
    return [{k: row[k] for k in keys} for row in rows]
