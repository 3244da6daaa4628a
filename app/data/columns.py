"""How an export reads for people: column headers and values in the user's language.

An export has two formats (``FORMATS``). ``labels``, the default, is for people working in
Excel: headers such as 団体コード and 状態, and words instead of codes (活動中, 現地) in
the language of the page they came from. ``codes`` is for other systems: the stable
snake_case headers and stored codes that ``app.services.exports`` documents.

Both are UTF-8 with a BOM. Where the import (``evangelists.imports``) reads the same
column, the Japanese header is one of the names it accepts (団体コード, 市区町村コード,
姓, 名, 得意分野, 状態, ...) and the values are words it reads (活動中, topic names), so
a communities or evangelists export, in either format, can be imported again as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.labels import labels_in
from app.services.exports import EXPORTS
from app.services.topics import list_topics
from evangelists.calendar import PROGRAMME_ZONE

FORMATS = ("labels", "codes")
FORMAT_PARAMETER = "format"

# A column's header, the same in every export that has it ...
HEADERS = {
    "code": _l("Local government code"),
    "name_kana": _l("Name in kana"),
    "name_romaji": _l("Name in romaji"),
    "prefecture_code": _l("Prefecture code"),
    "prefecture_name_ja": _l("Prefecture"),
    "prefecture_name_en": _l("Prefecture in English"),
    "kind": _l("Kind"),
    "lat": _l("Latitude"),
    "lon": _l("Longitude"),
    "open_data_status": _l("Open-data status"),
    "open_data_since": _l("Open data since"),
    "engagement_stage": _l("Engagement stage"),
    "municipality_code": _l("Municipality code"),
    "municipality_name": _l("Municipality"),
    "status": _l("Status"),
    "status_since": _l("Status since"),
    "member_count": _l("Members"),
    "website": _l("Website"),
    "contact_email": _l("Contact e-mail"),
    "description": _l("Description"),
    "address": _l("Address"),
    "location_source": _l("Position from"),
    "family_name": _l("Family name"),
    "given_name": _l("Given name"),
    "family_name_kana": _l("Family name reading"),
    "given_name_kana": _l("Given name reading"),
    "email": _l("E-mail address"),
    "community_id": _l("Home community number"),
    "community_name": _l("Home community"),
    "skills": _l("Skills"),
    "languages": _l("Languages"),
    "capacity": _l("Capacity"),
    "travel_radius_km": _l("Travel radius (km)"),
    "online_ok": _l("Online advice"),
    "appointed_on": _l("Appointed on"),
    "paused_until": _l("Paused until"),
    "created_at": _l("Received at"),
    "contact_name": _l("Contact person"),
    "department": _l("Department"),
    "phone": _l("Phone number"),
    "preferred_mode": _l("Preferred mode"),
    "preferred_period": _l("Preferred period"),
    "topics": _l("Topics"),
    "message": _l("Message"),
    "decline_reason": _l("Reason not taken on"),
    "closed_at": _l("Closed at"),
    "source": _l("Received by"),
    "received_on": _l("Received on"),
    "visited_on": _l("Visit date"),
    "mode": _l("Mode"),
    "duration_minutes": _l("Duration (minutes)"),
    "attendee_count": _l("Attendees"),
    "attendee_departments": _l("Attending departments"),
    "summary": _l("Summary"),
    "next_steps": _l("Next steps"),
    "assignment_id": _l("Assignment number"),
    "request_id": _l("Request number"),
    "evangelist_id": _l("Evangelist number"),
    "evangelist_name": _l("Evangelist"),
    "type": _l("Outcome type"),
    "count": _l("Count"),
    "achieved_on": _l("Achieved on"),
    "evidence_url": _l("Evidence URL"),
    "note": _l("Note"),
    "visit_id": _l("Visit number"),
}
# ... unless the export means something of its own by it.
KIND_HEADERS = {
    ("municipalities", "name"): _l("Municipality"),
    ("communities", "id"): _l("Community number"),
    ("communities", "name"): _l("Community name"),
    ("evangelists", "id"): _l("Evangelist number"),
    ("requests", "id"): _l("Request number"),
    ("visits", "id"): _l("Visit number"),
    ("visits", "topics"): _l("Topics covered"),
    ("outcomes", "id"): _l("Outcome number"),
}

# Columns that hold a code of a closed vocabulary (app.labels), a list of them, or topic slugs.
TOPICS = "topics"
CODED = {
    "municipalities": {"kind": "municipality_kind", "open_data_status": "open_data_status",
                       "engagement_stage": "engagement_stage"},
    "communities": {"status": "community_status", "location_source": "location_source"},
    "evangelists": {"status": "evangelist_status", "skills": TOPICS, "languages": "language"},
    "requests": {"status": "request_status", "preferred_mode": "request_mode", "topics": TOPICS,
                 "source": "request_source"},
    "visits": {"mode": "visit_mode", "topics": TOPICS},
    "outcomes": {"type": "outcome_type"},
}


def headers(kind: str, columns, locale: str) -> dict[str, str]:
    """``column -> header`` of the ``kind`` export in ``locale`` (needs an app context)."""
    with force_locale(locale):
        return {c: str(KIND_HEADERS.get((kind, c)) or HEADERS[c]) for c in columns}


def presenter(kind: str, locale: str, topics) -> Callable[[str, str], Callable[[object], object] | None]:
    """``present(column, shape)`` for ``app.services.exports.export_csv``: the function
    that turns the column's values into what people read in ``locale`` (None: as stored).
    ``topics`` are the topic rows (slug, name_ja, name_en). Built before the response
    streams: the words are looked up once, not per row."""
    labels = labels_in(locale)
    ja = locale == "ja"
    topic_names = {t.slug: (t.name_ja if ja else t.name_en) for t in topics}
    with force_locale(locale):
        yes, no = str(_l("Yes")), str(_l("No"))
    words: Mapping[str, Mapping[str, str]] = {
        column: (topic_names if vocabulary == TOPICS else labels[vocabulary])
        for column, vocabulary in CODED[kind].items()
    }

    def present(column: str, shape: str) -> Callable[[object], object] | None:
        known = words.get(column)
        if known is not None:
            if shape == "list":
                return lambda values: [known.get(v, v) for v in values]
            return lambda value: known.get(value, value)
        if shape == "bool":
            return lambda value: yes if value else no
        if shape == "datetime":
            # Excel reads this as a date and time; the codes format keeps ISO 8601.
            return lambda value: value.astimezone(PROGRAMME_ZONE).strftime("%Y-%m-%d %H:%M")
        return None

    return present


def readable(kind: str, style: str, locale: str) -> dict:
    """The ``header`` and ``present`` arguments of ``export_csv`` for the ``style`` format
    in ``locale`` (none for ``codes``). The web request and the worker that prepares a
    large export in the background make the same file with them. Needs an app context."""
    if style != "labels":
        return {}
    return {"header": headers(kind, EXPORTS[kind].columns, locale),
            "present": presenter(kind, locale, list_topics())}
