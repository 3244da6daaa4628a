"""The notice services refuse with evangelists.errors.Refused (the web layer's catalogue
turns its reason into words), not with a TypeError from building the refusal."""

from __future__ import annotations

import pytest

from app import notice_kinds
from app.services import notices
from evangelists.errors import Refused
from tests.factories import make_user


def test_a_security_kind_cannot_be_turned_off(db, monkeypatch):
    monkeypatch.setitem(notice_kinds.KINDS, "password_test", notice_kinds.Kind(
        "password_test", "Password changed", ("admin",), security=True))
    with pytest.raises(Refused) as refused:
        notices.set_preference(make_user(), "password_test", "off")
    assert (refused.value.field, refused.value.reason) == ("mode", "security_kind")


def test_retrying_a_notice_that_has_not_failed_is_refused(db):
    with pytest.raises(Refused) as refused:
        notices.retry(make_user(role="admin"), [12345])
    assert (refused.value.field, refused.value.reason) == (None, "not_failed")
