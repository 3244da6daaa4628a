"""The programme's clock: Japan's. Every "today" and "now" of the app comes from here,
never from the server's own zone (a server in UTC is a day behind Japan from 00:00 to
09:00 JST). The zone is defined here and nowhere else (tests/test_one_clock.py holds it).

Every function takes ``now`` (an aware datetime) so that a caller, or a test, can pass
a clock; without it they read :func:`utc_now`, the one place the system clock is read.
Services do not read the clock for dates: the web layer and the CLI pass them
``today_in_japan()``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

# The IANA key (config's BABEL_DEFAULT_TIMEZONE reads it) and the zone itself.
PROGRAMME_ZONE_KEY = "Asia/Tokyo"
PROGRAMME_ZONE = ZoneInfo(PROGRAMME_ZONE_KEY)


def utc_now() -> datetime:
    """This moment, aware, in UTC. The only reading of the system clock."""
    return datetime.now(UTC)


def now_in_japan(now: datetime | None = None) -> datetime:
    """``now`` (an aware datetime; default: this moment) as Japan's local time, aware."""
    return (now or utc_now()).astimezone(PROGRAMME_ZONE)


def today_in_japan(now: datetime | None = None) -> date:
    """The date in Japan at ``now`` (an aware datetime; default: this moment)."""
    return now_in_japan(now).date()


def day_in_japan(moment: datetime) -> date:
    """The Japanese calendar day an aware ``moment`` falls on."""
    return moment.astimezone(PROGRAMME_ZONE).date()


def start_of_day_in_japan(day: date) -> datetime:
    """The moment (aware, in UTC) the Japanese day ``day`` begins."""
    return datetime.combine(day, time.min, tzinfo=PROGRAMME_ZONE).astimezone(UTC)
