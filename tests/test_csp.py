"""The Content-Security-Policy: on every response, strict, with a nonce only for pages that
ask for one, and public pages that the strict policy cannot break."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import render_template_string

from app import create_app
from app.security import csp_nonce, tile_origin
from app.services.topics import sync_topics

GSI_TILES = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
DEFAULT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: https://cyberjapandata.gsi.go.jp; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    parsed = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def nonce_sources(response) -> dict[str, list[str]]:
    return {
        name: [s for s in sources if s.startswith("'nonce-")]
        for name, sources in directives(response).items()
    }


# --- Every response ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/no-such-page", 404),
        ("/healthz", 200),
        ("/static/css/app.css", 200),
        ("/static/js/request-form.js", 200),
    ],
    ids=["page", "404", "json", "static-css", "static-js"],
)
def test_every_response_gets_the_strict_policy(client, path, status):
    with client.get(path) as response:  # closes the static file
        assert response.status_code == status
    assert response.headers["Content-Security-Policy"] == DEFAULT_POLICY


def test_json_errors_get_the_policy_too(client):
    response = client.post("/healthz")
    assert response.status_code == 405 and response.is_json
    assert response.headers["Content-Security-Policy"] == DEFAULT_POLICY


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/healthz", "/auth/login", "/request"])
def test_the_policy_never_allows_inline_code_or_eval(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe" not in policy  # 'unsafe-inline', 'unsafe-eval', 'unsafe-hashes'
    assert "*" not in policy  # the default tile server needs no wildcard
    parsed = directives(response)
    assert parsed["object-src"] == ["'none'"] and parsed["base-uri"] == ["'none'"]
    assert parsed["frame-ancestors"] == ["'none'"]


def test_a_route_may_set_its_own_policy(app, client):
    @app.get("/_test/own-policy")
    def own_policy():
        return "own", {"Content-Security-Policy": "default-src 'none'"}

    assert client.get("/_test/own-policy").headers["Content-Security-Policy"] == "default-src 'none'"


# --- The nonce ----------------------------------------------------------------------------------


NONCE_PAGE = '<script nonce="{{ csp_nonce() }}">1</script><style nonce="{{ csp_nonce() }}"></style>'


@pytest.fixture
def nonce_routes(app):
    @app.get("/_test/with-nonce")
    def with_nonce():
        return render_template_string(NONCE_PAGE)

    @app.get("/_test/without-nonce")
    def without_nonce():
        return render_template_string("<p>{{ 1 + 1 }}</p>")

    return app


def test_a_page_that_asks_for_a_nonce_gets_it_in_script_src_and_style_src(client, nonce_routes):
    response = client.get("/_test/with-nonce")
    rendered = re.findall(r'nonce="([^"]+)"', response.get_data(as_text=True))
    assert len(rendered) == 2 and rendered[0] == rendered[1]  # one nonce for the whole request
    assert len(rendered[0]) >= 24  # 18 random bytes, URL-safe base64
    expected = [f"'nonce-{rendered[0]}'"]
    found = nonce_sources(response)
    assert found["script-src"] == expected and found["style-src"] == expected
    assert all(found[name] == [] for name in found if name not in ("script-src", "style-src"))
    assert directives(response)["script-src"][0] == "'self'"


def test_a_page_that_does_not_ask_gets_no_nonce(client, nonce_routes):
    client.get("/_test/with-nonce")  # an earlier request's nonce does not linger
    for path in ("/_test/without-nonce", "/"):
        response = client.get(path)
        assert "nonce" not in response.headers["Content-Security-Policy"]
        assert response.headers["Content-Security-Policy"] == DEFAULT_POLICY


def test_each_request_gets_a_new_nonce(client, nonce_routes):
    first = nonce_sources(client.get("/_test/with-nonce"))["script-src"]
    second = nonce_sources(client.get("/_test/with-nonce"))["script-src"]
    assert first and second and first != second


def test_csp_nonce_is_stable_within_a_request_and_new_in_the_next():
    fresh = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")  # no app context held
    with fresh.test_request_context("/"):
        nonce = csp_nonce()
        assert csp_nonce() == nonce
        assert render_template_string("{{ csp_nonce() }}") == nonce
    with fresh.test_request_context("/"):
        assert csp_nonce() != nonce


# --- The tile server ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        (GSI_TILES, "https://cyberjapandata.gsi.go.jp"),
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        ("https://tile-{s}.example.org/{z}/{x}/{y}.png", "https://*.example.org"),
        ("http://tiles.example.lg.jp:8080/{z}/{x}/{y}.png", "http://tiles.example.lg.jp:8080"),
        ("https://Tiles.Example.org/{z}/{x}/{-y}.png?key=k", "https://tiles.example.org"),
        ("http://192.0.2.10:8000/tiles/{z}/{x}/{y}.png", "http://192.0.2.10:8000"),
        ("//tiles.example.org/{z}/{x}/{y}.png", "tiles.example.org"),  # the page's own scheme
        ("https://地図.example/{z}/{x}/{y}.png", "https://xn--lcs7e.example"),
        ("/tiles/{z}/{x}/{y}.png", None),
        ("/static/tiles/{z}/{x}/{y}.png?v=2", None),
    ],
)
def test_tile_origin_is_the_csp_source_of_the_tile_server(url, origin):
    assert tile_origin(url) == origin


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "no tile URL"),
        (None, "no tile URL"),
        ("not a url", "white space"),
        ("https://tiles.example.org/tile.png", "needs {z}, {x} and {y}"),
        ("tiles/{z}/{x}/{y}.png", "neither http"),
        ("localhost:8080/{z}/{x}/{y}.png", "neither http"),
        ("ftp://tiles.example.org/{z}/{x}/{y}.png", "neither http"),
        ("javascript:alert(1)//{z}/{x}/{y}", "neither http"),
        ("https:///{z}/{x}/{y}.png", "no usable host"),
        ("https://tiles.example.org;base-uri/{z}/{x}/{y}.png", "no usable host"),
        ("https://a.{s}.example.org/{z}/{x}/{y}.png", "no usable host"),
        ("https://[::1]/{z}/{x}/{y}.png", "no usable host"),
        ("https://tiles.example.org:port/{z}/{x}/{y}.png", "invalid port"),
        ("https://user:secret@tiles.example.org/{z}/{x}/{y}.png", "password"),
    ],
)
def test_tile_origin_refuses_what_is_not_a_usable_tile_url(url, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        tile_origin(url)


def test_a_bad_map_tile_url_stops_the_app_at_start_up():
    message = r"^MAP_TILE_URL cannot be used: 'ftp://x/\{z\}/\{x\}/\{y\}' is neither http"
    with pytest.raises(RuntimeError, match=message):
        create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", MAP_TILE_URL="ftp://x/{z}/{x}/{y}")


@pytest.mark.parametrize(
    ("url", "img_src"),
    [
        (GSI_TILES, ["'self'", "data:", "https://cyberjapandata.gsi.go.jp"]),
        ("https://{s}.tile.osm.org/{z}/{x}/{y}.png", ["'self'", "data:", "https://*.tile.osm.org"]),
        ("/tiles/{z}/{x}/{y}.png", ["'self'", "data:"]),
    ],
)
def test_img_src_names_the_configured_tile_server(url, img_src):
    configured = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", MAP_TILE_URL=url)
    with configured.test_client().get("/static/css/app.css") as response:
        assert directives(response)["img-src"] == img_src


# --- Public pages the strict policy could break ----------------------------------------------


# <script type="application/json"> and the like are data blocks: they never run.
JAVASCRIPT_TYPES = {
    "", "module", "text/javascript", "application/javascript", "text/ecmascript", "application/ecmascript",
}


class InlineCodeFinder(HTMLParser):
    """Collects what a strict policy blocks: inline <script>/<style> without this response's
    nonce, style="" attributes, on...= handlers and javascript: URLs."""

    def __init__(self, nonce: str | None):
        super().__init__()
        self.nonce = nonce
        self.blocked: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        runs = (attributes.get("type") or "").strip().lower() in JAVASCRIPT_TYPES  # not a data block
        if tag == "script" and runs and "src" not in attributes or tag == "style":
            if self.nonce is None or attributes.get("nonce") != self.nonce:
                self.blocked.append(f"inline <{tag}> {self.getpos()}")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.blocked.append(f'<{tag} {name}="{value}"> {self.getpos()}')
            url_attribute = name in ("href", "src", "action", "formaction")
            if url_attribute and (value or "").strip().lower().startswith("javascript:"):
                self.blocked.append(f'<{tag} {name}="{value}"> {self.getpos()}')


def blocked_inline_code(response) -> list[str]:
    nonce = (nonce_sources(response).get("script-src") or [None])[0]
    finder = InlineCodeFinder(nonce and nonce.removeprefix("'nonce-").removesuffix("'"))
    finder.feed(response.get_data(as_text=True))
    finder.close()
    return finder.blocked


def test_the_inline_code_finder_sees_what_the_policy_blocks():
    class Page:
        headers = {"Content-Security-Policy": "script-src 'self' 'nonce-abc'; style-src 'self' 'nonce-abc'"}

        def __init__(self, html):
            self.html = html

        def get_data(self, as_text):
            return self.html

    assert blocked_inline_code(Page(
        '<script src="/a.js"></script><script nonce="abc">1</script><style nonce="abc"></style>'
        '<script type="application/json">{}</script><a href="/js">'
    )) == []
    for html in ('<script>1</script>', '<script nonce="xyz">1</script>', "<style></style>",
                 '<script type="module">1</script>', '<style nonce="">',
                 '<p style="color:red">', '<button onclick="f()">', '<body onload="f()">',
                 '<a href=" JavaScript:f()">'):
        assert blocked_inline_code(Page(html)), html


def public_pages(client):
    """Every kind of page a visitor reaches without signing in, with their error states."""
    yield "/", client.get("/")
    yield "/municipalities", client.get("/municipalities")
    yield "/municipalities?q=札幌", client.get("/municipalities?q=札幌")
    yield "/municipalities?kind=nonsense", client.get("/municipalities?kind=nonsense")
    yield "/municipalities/011002", client.get("/municipalities/011002")
    yield "/municipalities/12", client.get("/municipalities/12")
    yield "/request", client.get("/request")
    yield "/request?prefecture=01", client.get("/request?prefecture=01")
    yield "POST /request (errors)", client.post("/request", data={"prefecture": "01"})
    sent = client.post("/request", data={
        "prefecture": "01", "municipality": "013030", "contact_name": "山田 花子",
        "department": "企画課", "email": "yamada@town.example.lg.jp", "topics": ["licensing"],
        "mode": "either", "nonce": "form-token-1",
    }, follow_redirects=True)
    yield "/request/sent", sent
    status = re.search(r'value="http://localhost(/request/status/[^"]+)"', sent.get_data(as_text=True))
    assert status, "the sent page links to the status page"
    yield "/request/status/<token>", client.get(status.group(1))
    yield "/request/status/<bad token>", client.get("/request/status/not-a-token")
    yield "/auth/login", client.get("/auth/login")
    wrong = {"email": "x@example.jp", "password": "wrong password here"}
    yield "POST /auth/login (wrong)", client.post("/auth/login", data=wrong)
    yield "/auth/forgot-password", client.get("/auth/forgot-password")
    yield "/auth/password/reset/<bad token>", client.get("/auth/password/reset/not-a-token")
    yield "404", client.get("/no-such-page")


def test_public_pages_have_no_inline_code_the_policy_would_block(client, gazetteer):
    """Inline code breaks silently under the policy (the browser only logs it). A page may
    have inline <script>/<style> only with the nonce its own header allows (map pages)."""
    sync_topics()
    pages = list(public_pages(client))
    assert {r.status_code for _, r in pages} >= {200, 404}
    for name, response in pages:
        assert response.mimetype == "text/html", name
        assert response.status_code < 500, name
        assert blocked_inline_code(response) == [], name
