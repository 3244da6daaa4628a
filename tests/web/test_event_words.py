"""Issue 17, point 3: history in words. Every audit event type has a label and a sentence
in both languages (app/events.py), actors are named by their display name, and before/after
is a small table with field labels and coded values translated."""

from __future__ import annotations

import ast
import re
from html import unescape
from pathlib import Path

from flask_babel import force_locale

from app.events import EVENTS, describe_event
from app.services.audit import record_event
from app.services.recruitment import MOVE_VERBS
from evangelists.lifecycle import (
    ADDITION_TRANSITIONS,
    APPLICATION_TRANSITIONS,
    ASSIGNMENT_TRANSITIONS,
    REQUEST_TRANSITIONS,
)
from tests.factories import make_request, make_user

ROOT = Path(__file__).resolve().parents[2]


def _targets(transitions) -> set[str]:
    return set().union(*transitions.values())


# Event types built at run time: the f-string as written -> every value it can take.
BUILT = {
    "f'user.password_set_by_{purpose}'": {f"user.password_set_by_{p}" for p in ("invitation", "reset")},
    "f'request.addition_{target}'": {f"request.addition_{t}" for t in _targets(ADDITION_TRANSITIONS)},
    "f'request.{target}'": {f"request.{t}" for t in _targets(REQUEST_TRANSITIONS)},
    "f'assignment.{target}'": {f"assignment.{t}" for t in _targets(ASSIGNMENT_TRANSITIONS)},
    "f'evangelist.{MOVE_VERBS[previous, target]}'": {f"evangelist.{v}" for v in MOVE_VERBS.values()},
    "f'application.{target}'": {f"application.{t}" for t in _targets(APPLICATION_TRANSITIONS)},
}


def _values(node: ast.expr, where: str) -> set[str]:
    if isinstance(node, ast.Constant):
        return set() if node.value is None else {node.value}
    if isinstance(node, ast.IfExp):
        return _values(node.body, where) | _values(node.orelse, where)
    source = ast.unparse(node)
    assert source in BUILT, f"{where}: an event type this test cannot read: {source} (add it to BUILT)"
    return BUILT[source]


EVENT_TYPE = re.compile(r"[a-z_]+\.[a-z_]+")


def emitted_event_types() -> set[str]:
    """Every event type passed to record_event or set_status anywhere in app/."""
    found = set()
    for path in (ROOT / "app").rglob("*.py"):
        if path.name == "audit.py" or path.name == "status.py":
            continue  # they pass the caller's type on
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            action = next((k.value for k in node.keywords if k.arg == "action"), None)
            if name == "record_event" and action is None and len(node.args) >= 2:
                action = node.args[1]
            if isinstance(action, ast.Name) and name != "record_event":
                continue  # a helper passing its caller's type on; its callers are scanned
            if name in ("record_event", "set_status") and action is not None:
                found |= _values(action, where)
            elif isinstance(action, ast.Constant) and EVENT_TYPE.fullmatch(str(action.value)):
                found.add(action.value)  # a helper's caller, e.g. _cancel(..., action="assignment.withdrawn")
    return found


def test_every_event_type_emitted_has_a_label_and_a_sentence():
    emitted = emitted_event_types()
    assert len(emitted) > 40  # the scan finds them
    assert {"request.triaged", "assignment.accepted", "evangelist.appointed", "user.password_set_by_reset"} <= emitted
    assert sorted(emitted - set(EVENTS)) == []


def test_every_event_is_said_in_japanese(app):
    with app.test_request_context(), force_locale("ja"):
        untranslated = [action for action, (label, sentence) in EVENTS.items()
                        if str(label) == label._args[0] or str(sentence) == sentence._args[0]]
    assert untranslated == []


def _page(client, url, lang="ja"):
    client.set_cookie("lang", lang)
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def test_request_history_in_sentences_with_names(db, signed_in_client):
    client, coordinator = signed_in_client("coordinator", display_name="山田 花子", email="hanako@example.jp")
    req = make_request(status="triaged")
    record_event("municipality", "request.submitted", "support_request", req.id,
                 after={"municipality": req.municipality.code})
    record_event(coordinator, "request.triaged", "support_request", req.id,
                 before={"status": "new"}, after={"status": "triaged"})
    db.session.commit()
    page = _page(client, f"/coordinator/requests/{req.id}")
    history = page[page.index('class="list-unstyled small history"'):]
    assert "山田 花子 が一次確認しました" in history
    assert "自治体 が依頼を送信しました" in history
    assert "request.triaged" not in history and "hanako@example.jp" not in history
    # before/after: the status's own words, the town by its name, not its code
    assert "新規" in history and "確認済み" in history
    assert req.municipality.name in history and req.municipality.code not in history
    english = _page(client, f"/coordinator/requests/{req.id}", "en")
    assert "山田 花子 triaged the request" in english
    assert "The municipality sent the request" in english


def test_a_request_sent_back_is_not_called_triaged(app, db):
    evangelist = make_user(role="evangelist", display_name="田中 一郎")
    req = make_request(status="triaged")
    event = record_event(evangelist, "request.triaged", "support_request", req.id,
                         before={"status": "assigned"}, after={"status": "triaged"})
    db.session.commit()
    with app.test_request_context(), force_locale("en"):
        assert describe_event(event).sentence == "田中 一郎 put the request back to be matched again"


def test_admin_audit_log_shows_words_and_a_table_not_json(db, signed_in_client):
    client, admin = signed_in_client("admin", display_name="管理 一子")
    target = make_user(role="evangelist")
    record_event(admin, "user.role_changed", "user", target.id,
                 before={"role": "evangelist"}, after={"role": "coordinator"})
    record_event(admin, "community.updated", "community", 7,
                 before={"note": "old"}, after={"note": "<script>alert(1)</script>{{7*7}} {{"})
    record_event(None, "auth.sign_in_failed", "user", None)
    db.session.commit()
    client.set_cookie("lang", "ja")
    raw = client.get("/admin/audit").get_data(as_text=True)
    page = unescape(raw)
    assert '{"role"' not in page and "&#34;role&#34;" not in raw
    assert "管理 一子 が役割を変更しました" in page
    assert "event-changes" in raw
    assert "伝道師" in page and "コーディネーター" in page
    assert f"利用者 #{target.id} {target.display_name}" in page  # what the event is about, by name
    assert "<script>alert(1)" not in raw and "&lt;script&gt;" in raw and "{{7*7}}" in page
    assert "ログインに失敗しました" in page and "システム" not in page  # nobody signed in: "不明"
    # admins still see the code, to filter by it
    assert "<code>user.role_changed</code>" in raw


def test_admin_audit_log_finds_an_actor_by_name(db, signed_in_client):
    client, admin = signed_in_client("admin", display_name="管理 一子")
    other = make_user(display_name="別人 二郎")
    record_event(admin, "user.deactivated", "user", other.id)
    record_event(other, "auth.signed_in", "user", other.id)
    db.session.commit()
    client.set_cookie("lang", "ja")
    page = unescape(client.get("/admin/audit?actor=別人").get_data(as_text=True))
    assert "別人 二郎 がログインしました" in page and "アカウントを無効にしました" not in page


def test_evangelist_record_history_in_words(db, signed_in_client):
    from tests.factories import make_evangelist

    client, coordinator = signed_in_client("coordinator", display_name="山田 花子")
    person = make_evangelist(status="active")
    record_event(coordinator, "evangelist.appointed", "evangelist", person.id,
                 before={"status": "candidate"}, after={"status": "active", "appointed_on": "2026-12-01"})
    db.session.commit()
    page = _page(client, f"/coordinator/recruitment/{person.id}")
    assert "山田 花子 が伝道師に任命しました" in page
    assert "2026年12月1日" in page


def test_a_proposals_score_reads_as_the_suggestions_show_it(app):
    from types import SimpleNamespace

    from app.events import changes

    event = SimpleNamespace(action="assignment.proposed", entity_type="assignment", before=None,
                            after={"evangelist": 1, "score": 0.128399, "request": 7})
    with app.test_request_context(), force_locale("ja"):
        rows = {row.field: row.after for row in changes(event)}
    assert rows["スコア"] == "13"


def test_a_page_about_a_request_does_not_repeat_it_in_each_table(app):
    from types import SimpleNamespace

    from app.events import changes

    proposed = SimpleNamespace(action="assignment.proposed", entity_type="assignment", before=None,
                               after={"request": 7, "score": 0.5})
    moved = SimpleNamespace(action="assignment.proposed", entity_type="assignment", before={"request": 6},
                            after={"request": 7})
    with app.test_request_context(), force_locale("ja"):
        on_its_page = [row.field for row in changes(proposed, known={"request": 7})]
        in_the_log = [row.field for row in changes(proposed)]
        a_change = [row.field for row in changes(moved, known={"request": 7})]
    assert on_its_page == ["スコア"]
    assert in_the_log == ["依頼", "スコア"]
    assert a_change == ["依頼"]  # a change to it is still said
