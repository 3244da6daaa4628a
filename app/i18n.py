"""Language choice: Japanese by default, English on request, remembered in a cookie."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup

from app.extensions import babel


def select_locale() -> str:
    """The user's saved choice if it is one we offer, else the default (Japanese).

    Accept-Language is deliberately ignored: every user's primary language is Japanese
    (PRODUCT.md §2), and a shared office PC with an English browser should not surprise
    the next person.
    """
    if not has_request_context():  # the queue worker: mails choose their language themselves
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get(current_app.config["LANGUAGE_COOKIE"])
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    return str(get_locale())


def bound_to_language(locale: str, translations) -> dict:
    """Template ``gettext``, ``ngettext`` and ``current_language`` bound to one language,
    the first two behaving as Jinja's newstyle ones do (autoescaped, always %-formatted,
    ``num`` given to ngettext).

    Flask-Babel's own callables look the request's language and translations up again for
    every string, through several context-local proxies: about 10 µs a string, several
    milliseconds on a page with a few hundred (bench/load.py). Binding once per render
    gives the same strings; a render under ``force_locale`` binds that locale's."""

    @pass_context
    def gettext(context, string, /, **variables):
        rv = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    @pass_context
    def ngettext(context, singular, plural, n, /, **variables):
        variables.setdefault("num", n)
        rv = translations.ungettext(singular, plural, n)
        if context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    return {"gettext": gettext, "ngettext": ngettext, "current_language": lambda: locale}


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _language() -> dict:
        # Context variables win over the environment's globals, so ``_()``, ``gettext``,
        # ``{% trans %}`` and ``current_language()`` in this render use these. (Macros
        # imported without context still reach the globals: same answers, the slower way.)
        return bound_to_language(current_language(), get_translations())


# A page that shows a secret once (the status link after a request) puts it in its
# language form (``language_carry`` in the template); switching language hands it back
# through the session for one more showing, never through a URL.
LANGUAGE_CARRY = "language_carry"
CARRY_LENGTH = 128


def carried_value() -> str | None:
    """What the language switch just handed back to this page, once (see above)."""
    return session.pop(LANGUAGE_CARRY, None)
