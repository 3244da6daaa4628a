"""Template globals and filters used across blueprints."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.numbers import get_group_symbol
from flask import Flask, request, url_for
from flask_babel import force_locale, format_decimal, get_locale, ngettext
from flask_babel import gettext as _
from jinja2 import pass_context

from app.i18n import current_language
from app.labels import describe_reasons, label, labels_in
from app.links import external_url
from evangelists import fiscal
from evangelists.calendar import day_in_japan, japanese_era_year, now_in_japan, today_in_japan
from evangelists.contact import display_phone


def url_with(**changes) -> str:
    """The current URL with some query arguments replaced (``None`` removes one).

    Pagination and filter links use it, so a filtered view can be shared as a link.
    """
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    query = urlencode(args, doseq=True)
    return request.path + (f"?{query}" if query else "")


def return_path() -> str:
    """This page's path and query: the language switch posts it as where to come back to
    (in the body, never in a URL: a path may hold a secret token)."""
    return request.full_path.rstrip("?")


@functools.lru_cache(maxsize=8)
def _thousands_separator(locale: str) -> str | None:
    """The group separator when ``locale`` writes whole numbers as Python's ``{:,}``
    does (plain digits in groups of three), else None."""
    loc = Locale.parse(locale)
    pattern = loc.decimal_formats.get(None)
    if pattern is None or pattern.grouping != (3, 3) or pattern.prefix[0] or pattern.suffix[0]:
        return None
    return get_group_symbol(loc)


_LOCALE = "_render_locale"  # the language a render is bound to (see _bound_helpers)


@pass_context
def format_number(context, value, format=None) -> str:
    """The ``number`` filter: Flask-Babel's ``format_decimal``, with a shortcut for the
    common case, a whole number >= 0 in a locale that groups by three (ja, en): the same
    text in a fraction of the time (babel parses its pattern on every call, and the
    dashboard formats hundreds of numbers)."""
    if format is None and type(value) is int and value >= 0:
        locale = context.get(_LOCALE) or get_locale()
        separator = _thousands_separator(str(locale)) if locale is not None else None
        if separator is not None:
            return f"{value:,}".replace(",", separator)
    return format_decimal(value, format)


def _bound_helpers() -> dict:
    """``label`` and the number filter's language, bound once per render: each would
    otherwise look the request's language up again (a list page calls them hundreds of
    times). Macros imported without context use the unbound ones, with the same result."""
    locale = current_language()
    labels = labels_in(locale)

    def bound_label(vocabulary: str, value: str | None) -> str:
        return "" if value is None else labels[vocabulary].get(value, value)

    return {"label": bound_label, _LOCALE: locale}


_ID_MARK = 2_147_483_647  # an id no row has: it only marks where the id goes


def id_url(endpoint: str, argument: str) -> Callable[[int], str]:
    """``url_for(endpoint, **{argument: n})`` as a function of the integer ``n``, with
    the routing done once. For pages that link hundreds of rows: url_for costs about 20
    µs a call, most of a list page's time (the recruitment board made 600 per render)."""
    prefix, _mark, suffix = url_for(endpoint, **{argument: _ID_MARK}).partition(str(_ID_MARK))

    def url(n: int) -> str:
        return f"{prefix}{int(n)}{suffix}"

    return url


def days_since(moment: datetime | date) -> int:
    """Calendar days in Japan from ``moment`` to today: 0 today, 1 yesterday. By the
    calendar, not by 24-hour spans, so a page shows the same all day (the page cache
    keys pages on the date, app/page_cache.py)."""
    return (today_in_japan() - _day(moment)).days


# --- Dates: one formatter per kind ------------------------------------------------------------
# Every date a person reads goes through these (filters ``date``, ``datetime`` and
# ``relative_date``; tests/web/test_dates.py checks no template formats one otherwise).
# Datetimes are shown in Japan's time (evangelists/calendar.py), never with seconds.
# Exports keep ISO dates: they are machine data.

# Patterns per language (CLDR symbols); a language not listed gets babel's medium date.
_DATE_PATTERNS = {"ja": "y年M月d日", "en": "d MMM y"}
_ERA_DATE_PATTERNS = {"en": "d MMMM y"}  # ja builds its own: 2026年（令和8年）12月3日
_TIME_PATTERNS = {"ja": "H:mm", "en": "HH:mm"}


def _day(value: datetime | date) -> date:
    """The Japanese calendar day of a date, or of a datetime (naive ones are UTC)."""
    if isinstance(value, datetime):
        return day_in_japan(value if value.tzinfo else value.replace(tzinfo=UTC))
    return value


def _language(locale) -> str:
    if locale is None:
        locale = get_locale()
    return str(locale) if locale is not None else "ja"


def format_day(value: datetime | date | None, *, era: bool = False, locale=None) -> str:
    """The ``date`` filter: "2026年12月3日" / "3 Dec 2026"; with ``era`` the official form
    "2026年（令和8年）12月3日" / "3 December 2026". "" for None."""
    if value is None:
        return ""
    day = _day(value)
    language = _language(locale)
    if language == "ja":
        if era and (era_year := japanese_era_year(day)):
            return f"{day.year}年（{era_year}）{day.month}月{day.day}日"
        return f"{day.year}年{day.month}月{day.day}日"
    pattern = (_ERA_DATE_PATTERNS if era else _DATE_PATTERNS).get(language, "medium")
    return babel_format_date(day, pattern, locale=language)


def format_fiscal_year(year: int | None, *, locale=None) -> str:
    """The ``fiscal_year`` filter: a fiscal year (年度, April to March) with its era year,
    "2026年度（令和8年度）" / "FY2026 (Reiwa 8)". "" for None."""
    if year is None:
        return ""
    era = fiscal.era(year)
    if _language(locale) == "ja":
        return f"{year}年度（{fiscal.era_year(year)}度）" if era else f"{year}年度"
    return f"FY{year} ({era[1]} {era[2]})" if era else f"FY{year}"


def format_moment(value: datetime | None, *, era: bool = False, locale=None) -> str:
    """The ``datetime`` filter: the date as ``format_day`` and the time in Japan, no
    seconds: "2026年12月3日 9:05" / "3 Dec 2026, 09:05". "" for None."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return format_day(value, era=era, locale=locale)
    moment = now_in_japan(value if value.tzinfo else value.replace(tzinfo=UTC))
    language = _language(locale)
    time_text = babel_format_time(moment, _TIME_PATTERNS.get(language, "short"), locale=language)
    separator = " " if language == "ja" else ", "
    return f"{format_day(moment.date(), era=era, locale=language)}{separator}{time_text}"


def format_relative_day(value: datetime | date | None, *, locale=None) -> str:
    """The ``relative_date`` filter, by Japan's calendar days: "本日", "昨日", "3日前",
    "明日", "3日後" / "today", "yesterday", "3 days ago", "tomorrow", "in 3 days"."""
    if value is None:
        return ""
    days = days_since(value)
    language = _language(locale)
    current = get_locale()
    # force_locale reloads the translations: only when the language is not the page's
    with nullcontext() if current is not None and str(current) == language else force_locale(language):
        if days == 0:
            return _("today")
        if days == 1:
            return _("yesterday")
        if days == -1:
            return _("tomorrow")
        if days > 0:
            return ngettext("%(num)s day ago", "%(num)s days ago", days)
        return ngettext("in %(num)s day", "in %(num)s days", -days)


@pass_context
def _date_filter(context, value, era: bool = False) -> str:
    return format_day(value, era=era, locale=context.get(_LOCALE))


@pass_context
def _datetime_filter(context, value, era: bool = False) -> str:
    return format_moment(value, era=era, locale=context.get(_LOCALE))


@pass_context
def _fiscal_year_filter(context, value) -> str:
    return format_fiscal_year(value, locale=context.get(_LOCALE))


@pass_context
def _relative_date_filter(context, value) -> str:
    return format_relative_day(value, locale=context.get(_LOCALE))


def init_templating(app: Flask) -> None:
    from app.events import describe_events  # it formats its dates with this module's filters

    app.jinja_env.globals.update(
        describe_events=describe_events,
        url_with=url_with,
        id_url=id_url,
        label=label,
        describe_reasons=describe_reasons,
        current_language=current_language,
        return_path=return_path,
        external_url=external_url,
    )
    app.jinja_env.filters["number"] = format_number
    app.context_processor(_bound_helpers)
    app.jinja_env.filters["phone"] = display_phone
    app.jinja_env.filters["days_since"] = days_since
    app.jinja_env.filters["date"] = _date_filter
    app.jinja_env.filters["datetime"] = _datetime_filter
    app.jinja_env.filters["relative_date"] = _relative_date_filter
    app.jinja_env.filters["fiscal_year"] = _fiscal_year_filter
    app.jinja_env.add_extension("jinja2.ext.do")
