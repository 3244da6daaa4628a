"""Browser fixtures: a live server on loopback and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import base64
import threading

import pytest
from werkzeug.serving import make_server

from app.services.topics import sync_topics
from tests.factories import make_municipality, make_places, make_prefecture

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def _buffered(wsgi_app):
    """Read each response whole, and close it, before the server writes a byte.

    Chromium drops connections it no longer needs (a font requested by a page it has
    already left). Werkzeug's development server then leaves the static file it was
    streaming to the garbage collector, whose ResourceWarning fails whichever test is
    running. Buffering closes the file before the socket is touched."""

    def buffered(environ, start_response):
        body = wsgi_app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return buffered


@pytest.fixture
def live_server(app, gazetteer):
    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base  # links the app shows or mails lead back here
    yield base
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def sign_in_page(live_server):
    """``sign_in_page(page, user)``: a member of staff signs in on the Japanese pages of the
    live server, with their password and their authenticator's current code."""
    import re

    import pyotp

    from app.secrets_at_rest import decrypt_totp_secret
    from tests.conftest import PASSWORD

    def sign_in(page, user):
        page.goto(live_server + "/auth/login")
        page.get_by_label(re.compile("^メールアドレス")).fill(user.email)
        page.get_by_label(re.compile("^パスワード")).fill(PASSWORD)
        page.locator("main").get_by_role("button", name="ログイン").click()
        page.get_by_label(re.compile("^コード")).fill(pyotp.TOTP(decrypt_totp_secret(user.totp_secret_token)).now())
        page.get_by_role("button", name="次へ").click()

    return sign_in


# A 1x1 transparent PNG: what the tile server "returns" in browser tests.
BLANK_TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


class ClosedNetworkBrowser:
    """The browser, whose every new context answers the map's tiles with a blank tile.

    Without it a test that opens a context of its own and passes through a map gets, some
    time later and on whichever page it is on by then, "Failed to load resource:
    net::ERR_NAME_NOT_RESOLVED" for each tile in its console (CI on a machine with no
    name server: test_browser_regional at 360 px)."""

    def __init__(self, browser, tile_url: str):
        self._browser = browser
        self._tiles = tile_url.split("{", 1)[0]

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        if self._tiles.startswith("http"):
            context.route(
                self._tiles + "**",
                lambda route: route.fulfill(status=200, content_type="image/png", body=BLANK_TILE),
            )
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    from config import Config

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield ClosedNetworkBrowser(browser, Config.MAP_TILE_URL)
        browser.close()


@pytest.fixture
def page_at(browser, app):
    """``page_at(viewport)``: a fresh page. Requests off the site are recorded in
    ``page.external_requests``, except map tiles from the configured tile server, which
    are answered with a blank tile (``page.tile_requests``): no test touches the network."""
    contexts = []
    tiles = app.config["MAP_TILE_URL"].split("{", 1)[0]

    def open_page(viewport):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.external_requests, page.tile_requests = [], []

        def answer_tile(route):
            page.tile_requests.append(route.request.url)
            route.fulfill(status=200, content_type="image/png", body=BLANK_TILE)

        if tiles.startswith("http"):
            page.route(tiles + "**", answer_tile)
        page.on(
            "request",
            lambda r: page.external_requests.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", tiles))
            else None,
        )
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def reference_towns(db):
    """Sapporo, Tobetsu and Aomori as tests/factories.py's PLACES has them, and the topic
    tags: modules that want these rather than the ``towns`` below return them from their
    own ``towns``."""
    sync_topics()
    towns = make_places("sapporo", "tobetsu", "aomori")
    db.session.commit()
    return towns


@pytest.fixture
def towns(db):
    """Two municipalities in Hokkaido, one in Aomori, and the topic tags."""
    sync_topics()
    hokkaido = make_prefecture()
    aomori = make_prefecture(code="02")
    sapporo = make_municipality(code="011002", name="札幌市", name_kana="サッポロシ", name_romaji="Sapporo-shi", kind="designated_city", prefecture=hokkaido)
    tobetsu = make_municipality(code="013030", name="当別町", name_kana="トウベツチョウ", prefecture=hokkaido)
    aomori_city = make_municipality(code="022012", name="青森市", name_kana="アオモリシ", kind="city", prefecture=aomori, lat=40.8, lon=140.7)
    db.session.commit()
    return {"sapporo": sapporo, "tobetsu": tobetsu, "aomori": aomori_city}
