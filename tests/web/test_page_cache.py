"""The page cache (app/page_cache.py): a page is rendered once and served again until the
data changes; what differs per visitor or per request is never served twice."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app import page_cache
from app.extensions import db as _db
from app.models import DataVersion, SupportRequest
from app.services import datamove
from tests.factories import make_municipality, make_request
from tests.web.test_support import form_data


def version(db) -> int:
    return db.session.scalar(sa.select(DataVersion.number)) or 0


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def nonce_field_of(html: str) -> str:
    return re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', html).group(1)


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


# --- The data version -----------------------------------------------------------------


def test_a_transaction_that_writes_counts_the_version_up_and_a_reading_one_does_not(db):
    before = version(db)
    make_municipality(name="書く町")
    db.session.commit()
    after_write = version(db)
    db.session.commit()
    db.session.scalars(sa.select(SupportRequest)).all()
    db.session.commit()
    assert after_write == before + 1 and version(db) == after_write


def test_a_bulk_statement_counts_too(db):
    town = make_municipality()
    db.session.commit()
    before = version(db)
    db.session.execute(sa.update(type(town)).where(type(town).id == town.id).values(name="一括町"))
    db.session.commit()
    assert version(db) == before + 1


def test_a_rolled_back_write_counts_nothing(db):
    before = version(db)
    make_municipality()
    db.session.rollback()
    db.session.commit()
    assert version(db) == before


def test_an_import_makes_every_kept_page_stale(app, db, tmp_path, client):
    make_municipality(name="輸入前町")
    db.session.commit()
    datamove.export_database(tmp_path / "out")
    before = version(db)
    db.session.commit()
    datamove.import_database(tmp_path / "out", replace=True)
    assert version(db) > before


# --- Serving kept pages ---------------------------------------------------------------


def test_a_kept_page_is_served_until_the_data_changes(client, db, count_queries):
    town = make_municipality(name="旧名町")
    db.session.commit()
    url = f"/municipalities/{town.code}"
    assert "旧名町" in client.get(url).get_data(as_text=True)
    with count_queries() as kept:
        html = client.get(url).get_data(as_text=True)
    assert "旧名町" in html
    assert kept.statements == ["SELECT number FROM data_version WHERE id = 1"]

    town.name = "新名町"
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "新名町" in html and "旧名町" not in html


def test_a_new_request_from_the_form_shows_in_the_kept_queue(coordinator_client, client, towns, db):
    coordinator = coordinator_client
    assert "当別町" not in coordinator.get("/coordinator/requests").get_data(as_text=True)
    coordinator.get("/coordinator/requests")  # now kept
    assert client.post("/request", data=form_data()).status_code == 302
    assert "当別町" in coordinator.get("/coordinator/requests").get_data(as_text=True)


def _header(response) -> str:
    return response.get_data(as_text=True).split("<main")[0]


def test_pages_are_kept_apart_by_language_and_by_user(app, signed_in_client, client, towns):
    first, first_user = signed_in_client("coordinator", display_name="一人目の調整役")
    second, second_user = signed_in_client("coordinator", display_name="二人目の調整役")
    for _ in range(2):
        # The account menu names the signed-in person (the page's owner lists name every
        # coordinator, so only the part above the content tells whose copy it is).
        assert "一人目の調整役" in _header(first.get("/coordinator/requests"))
        header = _header(second.get("/coordinator/requests"))
        assert "二人目の調整役" in header and "一人目の調整役" not in header
    assert '<html lang="ja">' in client.get("/request").get_data(as_text=True)
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    assert '<html lang="en">' in client.get("/request").get_data(as_text=True)
    assert page_cache.store(app).hits >= 2


def test_every_copy_of_the_kept_form_has_its_own_token_and_nonce(csrf_app, towns, db):
    visitors = [csrf_app.test_client() for _ in range(3)]
    pages = [v.get("/request?prefecture=01").get_data(as_text=True) for v in visitors]
    assert page_cache.store(csrf_app).hits == 2
    tokens = {csrf_of(p) for p in pages}
    nonces = {nonce_field_of(p) for p in pages}
    assert len(tokens) == 3 and len(nonces) == 3
    # Each visitor's token is good for that visitor's session, and only for it.
    refused = visitors[2].post("/request", data=form_data(csrf_token=csrf_of(pages[1]), nonce=nonce_field_of(pages[2])))
    assert refused.status_code == 400
    sent = visitors[2].post("/request", data=form_data(csrf_token=csrf_of(pages[2]), nonce=nonce_field_of(pages[2])))
    assert sent.status_code == 302
    assert db.session.scalar(sa.select(SupportRequest.form_nonce)) == nonce_field_of(pages[2])


def test_a_kept_map_page_gets_a_new_csp_nonce_that_matches_its_header(client, towns):
    seen = set()
    for _ in range(3):
        response = client.get("/network")
        policy_nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        body_nonces = set(re.findall(r'nonce="([^"]+)"', response.get_data(as_text=True)))
        assert body_nonces == {policy_nonce}
        seen.add(policy_nonce)
    assert len(seen) == 3


def test_flash_messages_are_shown_on_a_kept_page(coordinator_client, towns, db):
    coordinator = coordinator_client
    req = make_request(municipality=towns["tobetsu"])
    db.session.commit()
    url = f"/coordinator/requests/{req.id}"
    coordinator.get(url)
    coordinator.get(url)  # kept
    page = coordinator.post(f"{url}/triage", follow_redirects=True).get_data(as_text=True)
    assert 'class="alert' in page and "alert-success" in page
    # The message is shown once, as without the cache.
    assert "alert-success" not in coordinator.get(url).get_data(as_text=True)


def test_a_session_with_unsaved_writes_is_not_served_a_kept_page(client, db):
    town = make_municipality(name="保存前町")
    db.session.commit()
    url = f"/municipalities/{town.code}"
    client.get(url)
    town.name = "未保存町"  # the test's own session, which the request shares
    db.session.flush()
    assert "未保存町" in client.get(url).get_data(as_text=True)


def test_the_cache_keeps_within_its_size_dropping_the_least_recently_used():
    def page(size: int) -> page_cache._Page:
        return page_cache._Page((b"x" * size,), (), (), (), size)

    store = page_cache.PageStore(capacity=250)
    store.put("a", page(100))
    store.put("b", page(100))
    assert store.get("a") is not None  # now b is the least recently used
    store.put("c", page(100))
    assert store.get("b") is None and store.get("a") is not None and store.get("c") is not None
    assert store.size == 200 and len(store) == 2
    store.put("a", page(50))  # replacing a page counts its new size only
    assert store.size == 150


def test_a_size_of_zero_turns_the_cache_off(app, towns):
    from app import create_app

    off = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], PAGE_CACHE_BYTES=0)
    assert page_cache.store(off) is None
    editing = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                         TEMPLATES_AUTO_RELOAD=True)
    assert page_cache.store(editing) is None  # a template edited in debug mode shows at once
    with off.app_context():
        try:
            assert off.test_client().get("/request").status_code == 200
        finally:  # this app's own connections, closed now rather than by the collector
            _db.session.remove()
            _db.engine.dispose()


def test_a_rolled_back_savepoint_keeps_what_the_transaction_wrote_before_it(db):
    before = version(db)
    make_municipality(name="外側町")
    with db.session.begin_nested() as savepoint:
        make_municipality(name="内側町")
        savepoint.rollback()
    db.session.commit()
    assert version(db) == before + 1


def test_a_text_statement_counts_unless_it_is_a_plain_select(db):
    town = make_municipality()
    db.session.commit()
    before = version(db)
    db.session.execute(sa.text("SELECT 1"))
    db.session.commit()
    assert version(db) == before
    db.session.execute(sa.text("WITH t AS (SELECT 1) UPDATE municipalities SET name = 'テキスト町' WHERE id = :id"),
                       {"id": town.id})
    db.session.commit()
    assert version(db) == before + 1


def test_a_version_lower_than_one_seen_empties_the_store(app, client, db):
    town = make_municipality(name="最初町")
    db.session.commit()
    first = version(db)
    url = f"/municipalities/{town.code}"
    assert "最初町" in client.get(url).get_data(as_text=True)  # kept under the first number
    town.name = "二番町"
    db.session.commit()
    assert "二番町" in client.get(url).get_data(as_text=True)
    # A restore from a backup, around the session: other data, and the first number again.
    with db.engine.begin() as conn:
        conn.execute(sa.update(type(town)).where(type(town).id == town.id).values(name="復元町"))
        conn.execute(sa.update(DataVersion).values(number=first))
    db.session.expire_all()
    assert "復元町" in client.get(url).get_data(as_text=True)


def test_a_page_whose_per_request_value_is_short_is_not_kept(app, client):
    from flask import render_template_string

    from app.page_cache import cached_page, fresh_value

    @cached_page
    def short():
        return render_template_string("<p>{{ v }}</p>", v=fresh_value("short", lambda: "7"))

    short.access = frozenset()
    app.add_url_rule("/_short", "short_value", short)
    assert client.get("/_short").get_data(as_text=True) == "<p>7</p>"
    assert client.get("/_short").get_data(as_text=True) == "<p>7</p>"
    assert len(page_cache.store(app)) == 0


def test_a_page_that_flashed_and_showed_a_message_in_one_render_is_not_kept(app, client):
    from flask import flash, get_flashed_messages, render_template_string

    from app.page_cache import cached_page

    @cached_page
    def flashing():
        flash("一度だけ")
        return render_template_string("{{ messages|join }}", messages=get_flashed_messages())

    flashing.access = frozenset()
    app.add_url_rule("/_flashing", "flashing", flashing)
    assert client.get("/_flashing").get_data(as_text=True) == "一度だけ"
    assert client.get("/_flashing").get_data(as_text=True) == "一度だけ"
    assert len(page_cache.store(app)) == 0


def test_a_no_store_page_is_never_kept_even_under_cached_page(app, client):
    """A page with a secret says no-store; the cache keeps it from memory too, should the
    decorator ever be put on such a view."""
    from flask import make_response, render_template_string

    from app.page_cache import cached_page
    from app.security import no_store

    @cached_page
    def secret():
        return no_store(make_response(render_template_string("<p>{{ v }}</p>", v="status link")))

    secret.access = frozenset()
    app.add_url_rule("/_secret", "secret_page", secret)
    assert client.get("/_secret").headers["Cache-Control"] == "no-store"
    assert client.get("/_secret").get_data(as_text=True) == "<p>status link</p>"
    assert len(page_cache.store(app)) == 0
