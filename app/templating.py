"""Template globals and filters used across blueprints."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, request, url_for
from flask_babel import format_decimal

from app.i18n import current_language
from app.labels import describe_reasons, label
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


def language_switch_url(locale: str) -> str:
    return url_for("public.set_language", locale=locale, next=request.full_path.rstrip("?"))


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(
        url_with=url_with,
        label=label,
        describe_reasons=describe_reasons,
        current_language=current_language,
        language_switch_url=language_switch_url,
    )
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.filters["phone"] = display_phone
    app.jinja_env.add_extension("jinja2.ext.do")
