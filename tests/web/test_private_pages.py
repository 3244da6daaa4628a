"""Pages that depend on a session or a secret token are stored by no cache, and no link
of any page carries a token in a query string (issue 15.1 and 15.2)."""

from __future__ import annotations

import logging
import re
from html import unescape

import pytest

from app.page_cache import store
from app.services.accounts import make_password_token
from evangelists.calendar import today_in_japan
from tests.factories import make_user
from tests.web.test_support import form_data, status_link

NO_STORE = "no-store"


def sent_request(client) -> str:
    """Send the public form; the status page's path, with its token."""
    assert client.post("/request", data=form_data()).status_code == 302
    return status_link(client)


# --- Cache-Control ---------------------------------------------------------------------------


def test_the_status_page_is_no_store_also_when_served_from_the_page_cache(app, client, towns):
    path = sent_request(client)
    stranger = app.test_client()  # no session: only the token makes the page private
    pages = store(app)
    first = stranger.get(path)
    hits = pages.hits
    second = stranger.get(path)
    assert pages.hits == hits + 1, "the second page came from the page cache"
    assert first.status_code == second.status_code == 200
    assert first.headers["Cache-Control"] == second.headers["Cache-Control"] == NO_STORE
    assert first.get_data() != b"" and "Set-Cookie" not in second.headers


def test_every_answer_about_a_token_is_no_store(app, client, towns, db):
    path = sent_request(client)
    stranger = app.test_client()
    assert stranger.post(path, data={"body": ""}).headers["Cache-Control"] == NO_STORE
    assert stranger.post(path + "/withdraw", data={}).headers["Cache-Control"] == NO_STORE
    assert stranger.get("/request/status/no-such-token").headers["Cache-Control"] == NO_STORE
    assert client.get("/request/sent").headers["Cache-Control"] == NO_STORE
    invited = make_user(role="evangelist", email="invited@example.jp", password_hash=None)
    db.session.commit()
    token = make_password_token(invited, "invitation")
    for url in (f"/auth/password/invitation/{token}", "/auth/password/invitation/forged-token",
                "/auth/password/nonsense/x"):
        assert stranger.get(url).headers["Cache-Control"] == NO_STORE, url
    assert stranger.post(f"/auth/password/invitation/{token}", data={}).headers["Cache-Control"] == NO_STORE


def test_the_page_that_shows_a_recorded_requests_link_is_no_store(signed_in_client, towns):
    """A coordinator records a phone request without an e-mail: its status link is shown
    once, on a no-store page, never in a query string; the form too is no-store."""
    client, _ = signed_in_client("coordinator")
    form = client.post("/coordinator/requests/new", data=form_data(email="", source="phone", received_on=""))
    assert form.status_code == 422 and form.headers["Cache-Control"] == NO_STORE
    posted = client.post("/coordinator/requests/new",
                         data=form_data(email="", source="phone", received_on=today_in_japan().isoformat()))
    assert posted.status_code == 302 and "token" not in posted.headers["Location"]
    assert "?" not in posted.headers["Location"]
    page = client.get("/coordinator/requests/recorded")
    assert page.headers["Cache-Control"] == NO_STORE
    assert "/request/status/" in page.get_data(as_text=True)


@pytest.mark.parametrize("role, paths", [
    ("evangelist", ["/me/", "/auth/account", "/network", "/municipalities", "/api/v1/prefectures", "/notices/",
                    "/notices/preferences"]),
    ("coordinator", ["/coordinator/", "/coordinator/requests", "/coordinator/requests/new",
                     "/coordinator/communities", "/coordinator/recruitment",
                     "/coordinator/data/export/communities.csv", "/coordinator/data/exports", "/map"]),
    ("admin", ["/admin/users", "/admin/audit", "/admin/notices", "/admin/people/merge?q=a"]),
])
def test_every_page_for_a_signed_in_user_is_no_store(request, role, paths):
    client = request.getfixturevalue(f"{role}_client")
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == NO_STORE, path


def test_public_pages_for_an_anonymous_visitor_stay_cacheable(client, towns):
    for path in ("/network", "/municipalities", "/", "/open-data", "/figures"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Cache-Control" not in response.headers, path
        assert "Set-Cookie" not in response.headers, path
    static = client.get("/static/css/app.css")
    assert static.status_code == 200 and NO_STORE not in static.headers.get("Cache-Control", "")
    static.close()
    api = client.get("/api/v1/prefectures")
    assert api.status_code == 200
    assert api.headers["Cache-Control"] == "no-cache, public" and api.headers["ETag"]


def test_a_page_with_a_form_that_made_a_session_is_no_store(app, client, towns):
    """With CSRF protection on, as in production, a form's token is kept in the session."""
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.get("/request")
    assert response.status_code == 200 and "Set-Cookie" in response.headers
    assert response.headers["Cache-Control"] == NO_STORE
    assert client.get("/request").headers["Cache-Control"] == NO_STORE
    login = client.get("/auth/login")
    assert login.headers["Cache-Control"] == NO_STORE


def test_a_visitor_with_a_session_gets_public_pages_no_store(client, towns):
    """Once the session holds something (here, the request just sent), pages read it."""
    sent_request(client)
    assert client.get("/network").headers["Cache-Control"] == NO_STORE


def test_a_view_that_set_its_own_cache_control_keeps_it_when_nothing_is_private(app, client):
    @app.get("/_cache_probe")
    def _probe():
        from flask import make_response

        response = make_response("x")
        response.headers["Cache-Control"] = "public, max-age=60"
        return response

    from app.decorators import PUBLIC

    _probe.access = PUBLIC
    assert client.get("/_cache_probe").headers["Cache-Control"] == "public, max-age=60"


def test_the_language_switch_sets_a_cookie_and_is_no_store(client):
    response = client.post("/language/en", data={"next": "/network"})
    assert response.headers["Cache-Control"] == NO_STORE


# --- No token in a query string --------------------------------------------------------------


def urls_in(html: str) -> list[str]:
    return [unescape(u) for u in re.findall(r'(?:href|action|src|formaction)="([^"]*)"', html)]


def assert_no_token_in_a_query(html: str, token: str) -> None:
    for url in urls_in(html):
        _path, question, query = url.partition("?")
        assert not (question and token in query), url
    # Nor anywhere else a URL could hide (a data- attribute, a script's JSON).
    assert not re.search(r"\?[^\"'<>\s]*" + re.escape(token), html)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_status_page_puts_its_token_in_no_query_string(app, client, towns, language):
    client.set_cookie("lang", language)
    path = sent_request(client)
    token = path.rsplit("/", 1)[1]
    html = client.get(path).get_data(as_text=True)
    assert token in html  # the page does know it: its forms post to it
    assert_no_token_in_a_query(html, token)
    # The language switch posts the way back in its body, and comes back there.
    other = "en" if language == "ja" else "ja"
    assert f'action="/language/{other}"' in html and f'name="next" value="{path}"' in html
    response = client.post(f"/language/{other}", data={"next": path})
    assert response.headers["Location"] == path


def test_the_password_pages_put_their_token_in_no_query_string(app, client, db):
    invited = make_user(role="evangelist", email="invited@example.jp", password_hash=None)
    db.session.commit()
    token = make_password_token(invited, "invitation")
    for language in ("ja", "en"):
        client.set_cookie("lang", language)
        html = client.get(f"/auth/password/invitation/{token}").get_data(as_text=True)
        assert_no_token_in_a_query(html, token)
        refused = client.post(f"/auth/password/invitation/{token}", data={"password": "short"})
        assert_no_token_in_a_query(refused.get_data(as_text=True), token)


def test_the_request_log_never_holds_a_query_string_or_a_token(make_app, caplog):
    app = make_app(REQUEST_LOG=True, LOG_FORMAT="json")
    caplog.set_level(logging.INFO, logger="app.request")
    client = app.test_client()
    client.get("/network?next=/request/status/SecretInQuery1&token=SecretInQuery2")
    client.get("/request/status/SecretToken3/extra/segments")
    client.get("/auth/password/reset/Secret/With/Slashes4")
    client.post("/language/en", data={"next": "/request/status/SecretInBody5"})
    # A community registration's confirmation link (app/security.py SECRET_PATHS).
    client.get("/communities/register/confirm/SecretToken6")
    client.get("/communities/register/confirm/Secret/With/Slashes7")
    lines = [r.getMessage() + repr(vars(r)) for r in caplog.records if r.name == "app.request"]
    assert len(lines) == 6
    assert not any("Secret" in line for line in lines), lines


@pytest.fixture
def make_app(_migrated):
    from app import create_app
    from app.extensions import db as _db

    made = []

    def make(**settings):
        made.append(create_app("testing", SQLALCHEMY_DATABASE_URI=_migrated, **settings))
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            _db.engine.dispose()
