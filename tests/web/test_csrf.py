"""With CSRF protection on, as in every real configuration: a POST without the token is
refused (the rest of the suite runs with it off for brevity)."""

import re

import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def token_from(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_sign_in_without_the_token_is_refused(csrf_app, make_account):
    user = make_account("evangelist")
    client = csrf_app.test_client()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/me/").status_code == 302


def test_sign_in_with_the_token_works_and_sign_out_needs_it_too(csrf_app, make_account):
    user = make_account("evangelist")
    client = csrf_app.test_client()
    token = token_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/me/"

    assert client.post("/auth/logout").status_code == 400
    assert client.get("/me/").status_code == 200

    page = client.get("/me/").get_data(as_text=True)
    sign_out_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/auth/logout", data={"csrf_token": sign_out_token})
    assert client.get("/me/").status_code == 302


def test_the_language_switch_needs_no_token_and_makes_no_session(csrf_app):
    """Every page has the switch; a token would put a session (and no-store) on all of them."""
    client = csrf_app.test_client()
    page = client.get("/network")
    assert "Set-Cookie" not in page.headers
    assert 'action="/language/en"' in page.get_data(as_text=True)
    response = client.post("/language/en", data={"next": "/network"}, headers={"Origin": "http://localhost"})
    assert response.status_code == 302 and response.headers["Location"] == "/network"
    assert client.post("/language/ja", headers={"Origin": "https://evil.example"}).status_code == 400
