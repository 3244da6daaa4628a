"""The programme's clock: Japan's. Every "today" of the app comes from here, never from
the server's own zone (a server in UTC is a day behind Japan from 00:00 to 09:00 JST)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PROGRAMME_ZONE = ZoneInfo("Asia/Tokyo")


def today_in_japan(now: datetime | None = None) -> date:
    """The date in Japan at ``now`` (an aware datetime; default: this moment)."""
    return (now or datetime.now(UTC)).astimezone(PROGRAMME_ZONE).date()
