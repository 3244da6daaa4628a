"""A booked visit's time in words, in Japan's time: the ``visit_span`` template filter
(pages and mails) and the flash after a town books."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_time as babel_format_time
from flask_babel import get_locale

from app.templating import format_moment
from evangelists.calendar import now_in_japan


def _moment(value) -> datetime | None:
    if value is None or value == "":
        return None
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def format_span(starts, ends) -> str:
    """"2026年12月10日 10:00〜11:30" / "10 Dec 2026, 10:00–11:30"; takes aware datetimes or
    ISO strings (a notice's params)."""
    start, end = _moment(starts), _moment(ends)
    if start is None:
        return ""
    locale = get_locale()
    language = str(locale) if locale is not None else "ja"
    text = format_moment(start, locale=language)
    if end is None:
        return text
    end_text = babel_format_time(now_in_japan(end), "H:mm" if language == "ja" else "HH:mm", locale=language)
    return f"{text}〜{end_text}" if language == "ja" else f"{text}–{end_text}"
