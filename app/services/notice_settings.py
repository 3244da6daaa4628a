"""Saving a person's mail settings for notices: one choice per kind, audited."""

from __future__ import annotations

from app.extensions import db
from app.models import User
from app.notice_kinds import kind_of
from app.services.audit import record_event
from app.services.notices import preferences_of, set_preference


def save_preferences(user: User, chosen: dict[str, str], *, address: str | None = None) -> dict[str, str]:
    """Set ``user``'s mode for each kind in ``chosen`` (kind -> mode) and commit, with one
    audit event listing what changed (before and after, by kind). Security kinds are
    skipped: they are always mailed at once, whatever is posted. Returns the changes."""
    current = preferences_of(user)
    before, after = {}, {}
    for name, mode in chosen.items():
        kind = kind_of(name)
        if kind.security:
            continue
        was = current.get(name, kind.default)
        if mode != was:
            set_preference(user, name, mode)
            before[name], after[name] = was, mode
    if after:
        record_event(user, "notice.preferences_changed", "user", user.id, before=before, after=after,
                     client_address=address)
        db.session.commit()
    return after
