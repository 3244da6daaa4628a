"""Template globals and filters used across blueprints."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode

from babel import Locale
from babel.numbers import get_group_symbol
from flask import Flask, request, url_for
from flask_babel import format_decimal, get_locale
from jinja2 import pass_context

from app.i18n import current_language
from app.labels import describe_reasons, label, labels_in
from app.links import external_url
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


def days_since(moment: datetime) -> int:
    """Calendar days in Japan from ``moment`` to today: 0 today, 1 yesterday. By the
    calendar, not by 24-hour spans, so a page shows the same all day (the page cache
    keys pages on the date, app/page_cache.py)."""
    from evangelists.calendar import day_in_japan, today_in_japan

    return (today_in_japan() - day_in_japan(moment)).days


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(
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
    app.jinja_env.add_extension("jinja2.ext.do")
