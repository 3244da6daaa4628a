"""Ranges that every reader of outside input shares: a database id, a filter's date.

A filter in a query string (``?community=``, ``?until=``) is read with these and with
nothing else, so a number or a date that no row can hold never reaches a query: a
20-digit id fails in the driver (PostgreSQL past bigint, SQLite past 2**63), and
9999-12-31 cannot be given the day after that a date filter adds.
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
