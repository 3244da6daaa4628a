"""Language choice: Japanese by default, English on request, remembered in a cookie."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import get_locale

from app.extensions import babel


def select_locale() -> str:
    """The user's saved choice if it is one we offer, else the default (Japanese).

    Accept-Language is deliberately ignored: every user's primary language is Japanese
    (PRODUCT.md §2), and a shared office PC with an English browser should not surprise
    the next person.
    """
    chosen = request.cookies.get(current_app.config["LANGUAGE_COOKIE"])
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    return str(get_locale())


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
