"""Limits written once: the database's CHECK constraints (app/models), the forms'
validators, the services' checks and the texts that name them are all built from here.

Ranges that every reader of outside input shares: a database id, a filter's date.
A filter in a query string (``?community=``, ``?until=``) is read with these and with
nothing else, so a number or a date that no row can hold never reaches a query: a
20-digit id fails in the driver (PostgreSQL past bigint, SQLite past 2**63), and
9999-12-31 cannot be given the day after that a date filter adds.

Then the ranges of the data itself: where a place in Japan lies, what an evangelist's
profile and a visit may hold, how long a text column is. Changing one here changes the
CHECK's SQL text too: that needs a migration (tests/test_migrations.py compares them).
"""

from __future__ import annotations

import re
from datetime import date

# An INTEGER column's range on every database; ids start at 1. URL ids (``<id:...>``)
# and the forms' whole numbers end here too.
MAX_ID = 2**31 - 1

# The dates a filter may name. Far wider than any data here, narrow enough that a day
# can be added or taken away on every database.
FIRST_FILTER_DATE = date(1900, 1, 1)
LAST_FILTER_DATE = date(2100, 12, 31)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# A box around Japan (Okinotorishima to Etorofu, Yonaguni to Minamitorishima), in degrees,
# bounds included: the lat_in_japan/lon_in_japan CHECKs, the location forms and services.
# Swapped or zero coordinates fall outside it.
LAT_RANGE = (20, 46)
LON_RANGE = (122, 154)

# How many assignments an evangelist takes on at once (the capacity_range CHECK).
CAPACITY_RANGE = (0, 20)
# How far an evangelist travels, in km: the travel_radius_range CHECK allows more than 0
# and at most MAX_TRAVEL_RADIUS_KM; the profile asks for at least 1 km.
MAX_TRAVEL_RADIUS_KM = 2000
TRAVEL_RADIUS_RANGE = (1, MAX_TRAVEL_RADIUS_KM)
# A visit lasts at most a day, in minutes (the duration_range CHECK and the visit form).
MAX_VISIT_MINUTES = 24 * 60
# Lengths of text columns that forms and services check before the database does.
EMAIL_MAX = 254  # RFC 5321's longest address
DISPLAY_NAME_MAX = 120  # a user's name as the app shows it
COMMUNITY_NAME_MAX = 120
WEBSITE_MAX = 300
ADDRESS_MAX = 200
# A community's public "how to join" and description as the registration form takes
# them, and a coordinator's reason for declining a registration (mailed to the registrant).
HOW_TO_JOIN_MAX = 2000
COMMUNITY_DESCRIPTION_MAX = 4000
DECLINE_REASON_MAX = 1000
PERSON_NAME_MAX = 60  # an evangelist's family or given name
# A municipality's contact in a support request (and an addition to it).
CONTACT_NAME_MAX = 100
DEPARTMENT_MAX = 100
PREFERRED_PERIOD_MAX = 100
# What the municipality list's search box (and its CSV export's ``q``) accepts.
MUNICIPALITY_QUERY_MAX = 40
# What the request page's "propose anyone" search accepts, and how many people it lists.
PERSON_QUERY_MAX = 40
PERSON_SEARCH_LIMIT = 20
# A coordinator's reason for sending a request back (the evangelist and the history see it).
SEND_BACK_REASON_MAX = 1000
BULK_ROWS_MAX = 1000  # requests one bulk action may change in its one transaction
FEEDBACK_RATING = (1, 5)  # "was the help useful?", asked of a town when its request is closed
FEEDBACK_COMMENT_MAX = 2000
# How long an evangelist's page keeps saying that a coordinator withdrew a proposal.
WITHDRAWN_NOTICE_DAYS = 14
# How far back a coordinator may date a request the town made by phone, mail or in person.
RECEIVED_DAYS_BACK = 366


def received_on_refusal(received_on: date, today: date) -> str | None:
    """Why ``received_on`` cannot be the day a town asked, recorded on ``today`` (Japan):
    ``future_date`` or ``too_old`` (more than RECEIVED_DAYS_BACK days ago); None if it can."""
    if received_on > today:
        return "future_date"
    if (today - received_on).days > RECEIVED_DAYS_BACK:
        return "too_old"
    return None


def read_id(text: str | None) -> int | None:
    """``text`` as an id (ASCII digits, 1 to MAX_ID), else None. Surrounding spaces are
    allowed; a sign, full-width digits or other digit characters ("²") are not."""
    text = (text or "").strip()
    if not text or not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


class OutOfRange(ValueError):
    """A well-formed value outside the range this module allows."""


def parse_date(text: str | None) -> date:
    """``text`` (YYYY-MM-DD, spaces around allowed) as a date between FIRST_FILTER_DATE
    and LAST_FILTER_DATE. Raises OutOfRange for a real date outside them, ValueError for
    anything else."""
    text = (text or "").strip()
    if not _ISO_DATE.fullmatch(text):  # fromisoformat alone also takes 20240401, 2024-W14-1
        raise ValueError(text)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        if text[:4] == "0000" or int(text[:4]) > LAST_FILTER_DATE.year:
            raise OutOfRange(text) from None  # a year no date can have (0000) is out of range too
        raise
    if not FIRST_FILTER_DATE <= day <= LAST_FILTER_DATE:
        raise OutOfRange(text)
    return day


def read_date(text: str | None) -> date | None:
    """``text`` as a date (see parse_date), else None."""
    try:
        return parse_date(text)
    except ValueError:
        return None


def between_check(column: str, limits: tuple[int, int]) -> str:
    """The SQL text of a CHECK that ``column`` lies in ``limits`` (bounds included)."""
    low, high = limits
    return f"{column} BETWEEN {low} AND {high}"

# Outreach cases (app/services/outreach.py).
OUTREACH_TEXT_MAX = 2000  # an answer, a next step, what a helper is asked to do, a note
PHONE_MAX = 30
