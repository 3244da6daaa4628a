"""Web-layer helpers shared by the blueprints: Flask-Login wiring, the client's address, and the
half-signed-in state between password and second factor."""

from __future__ import annotations

import time

from flask import Flask, abort, current_app, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

from app.extensions import login_manager
from app.labels import label
from app.models import User
from app.safe_redirect import safe_next_url
from app.services.accounts import load_user_from_session, record_sign_in
from app.services.geography import municipality_at
from app.services.regions import can_see

PENDING = "pending_sign_in"

HOME_ENDPOINTS = {
    "admin": "admin.users",
    "coordinator": "coordinator.home",
    "evangelist": "evangelist.home",
    "participant": "ideas.index",
}


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    # "strong" drops the session when its client fingerprint changes; it is honest only
    # because our sessions are not permanent (Flask-Login treats permanent ones as "basic").
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user_from_session)


def home_url(user: User) -> str:
    return url_for(HOME_ENDPOINTS[user.role])


def client_address() -> str | None:
    return request.remote_addr


def begin_pending(user: User, *, remember: bool, next_url: str | None) -> None:
    """Remember who passed the password step, for the second-factor step only."""
    session[PENDING] = {
        "uid": user.id,
        "ver": user.session_version,
        "remember": remember,
        "next": next_url or "",
        "at": int(time.time()),
    }


def pending_user() -> User | None:
    """The user half-way through signing in, if the step has not expired or gone stale."""
    state = session.get(PENDING)
    if not state:
        return None
    if time.time() - state["at"] > current_app.config["MFA_PENDING_SECONDS"]:
        session.pop(PENDING, None)
        return None
    return load_user_from_session(f"{state['uid']}.{state['ver']}")


def complete_sign_in(user: User, *, method: str) -> str:
    """Sign ``user`` in for real and return where to go next."""
    state = session.get(PENDING, {})
    remember = bool(state.get("remember"))
    target = safe_next_url(state.get("next"), default=home_url(user))
    # Nothing from before the sign-in is carried into the signed-in session.
    session.clear()
    login_user(user, remember=remember)
    record_sign_in(user, method=method, address=client_address())
    return target


def outside_regions(town) -> str:
    """The message for a municipality chosen outside the signed-in coordinator's regions."""
    return _("%(town)s is in %(region)s, outside your regions. A national coordinator or the "
             "coordinator of that region can do this.", town=town.name,
             region=label("region", town.prefecture.region))


def chosen_town_outside_regions(form_field) -> bool:
    """True (and the field shows why) when the municipality chosen in ``form_field`` (a
    6-digit code) lies outside the signed-in coordinator's regions."""
    town = municipality_at(form_field.data or "")
    if town is None or can_see(current_user, town):
        return False
    form_field.errors = [*form_field.errors, outside_regions(town)]
    return True


def visible_or_404(obj, description: str | None = None):
    """``obj`` if the signed-in staff member's regions cover it, else 404: a coordinator of
    another region does not learn that it exists (``app/services/regions.py``)."""
    if not can_see(current_user, obj):
        abort(404, description=description)
    return obj
