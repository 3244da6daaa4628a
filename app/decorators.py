"""Access rules, declared on each view where the route is.

Every endpoint says who may reach it: ``@public`` (anyone, signed in or not) or
``@role_required(...)`` (signed-in users with one of the roles). ``create_app`` refuses
to start if a view declares neither (``check_access_declared``), and
``tests/web/test_access.py`` checks every endpoint's answer for every role against its
own table, so a rule can neither be forgotten nor drift.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, redirect, request, session, url_for
from flask_login import current_user

from app.extensions import login_manager
from app.services.accounts import second_factor_required
from evangelists.vocabulary import ROLES

PUBLIC = "public"
# Session flag: a development demo account signed in without a second factor.
DEMO_WAIVER = "second_factor_waived"


def public(view: Callable) -> Callable:
    """Anyone may reach this view."""
    view.access = PUBLIC
    return view


def role_required(*roles: str, second_factor: bool = True) -> Callable[[Callable], Callable]:
    """Only signed-in users with one of ``roles``: anonymous visitors are sent to the
    sign-in page, other roles get 403. Staff whose role requires a second factor and who
    have none (they removed it to replace a phone) are sent to set one up first, unless
    ``second_factor=False`` (signing out) or a development demo waiver applies."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"role_required needs roles from {ROLES}, got {roles}")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                if request.path.startswith("/api/"):
                    abort(401)  # a script gets a status it can act on, not a sign-in page
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            if second_factor and _missing_second_factor():
                return redirect(url_for("auth.set_up_second_factor"))
            return view(*args, **kwargs)

        guarded.access = frozenset(roles)
        return guarded

    return decorate


signed_in = role_required(*ROLES)


def _missing_second_factor() -> bool:
    return (
        second_factor_required(current_user)
        and not current_user.has_second_factor
        and not session.get(DEMO_WAIVER)
    )


def check_access_declared(app: Flask) -> None:
    """Raise at start-up if any endpoint (but static files) declares no access rule."""
    missing = sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not hasattr(view, "access")
    )
    if missing:
        raise RuntimeError(
            "These endpoints declare no access rule (use @public or @role_required): "
            + ", ".join(missing)
        )
