"""The site's icon: /favicon.ico answers a real icon, kept by caches, and every page links
the SVG version (issue 17, point 21)."""

from __future__ import annotations

import re
import struct

from tests.conftest import sign_in


def test_favicon_ico_is_a_real_icon_that_caches_may_keep(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    icon = response.get_data()
    reserved, kind, count = struct.unpack("<HHH", icon[:6])
    assert (reserved, kind) == (0, 1) and count >= 1  # an ICO directory of icons
    first_image = struct.unpack("<I", icon[18:22])[0]
    assert icon[first_image:first_image + 8] == b"\x89PNG\r\n\x1a\n"
    assert response.cache_control.public and response.cache_control.max_age >= 24 * 3600


def test_favicon_answers_a_signed_in_user_and_a_revalidation(app, client, make_account):
    etag = client.get("/favicon.ico").headers["ETag"]
    assert client.get("/favicon.ico", headers={"If-None-Match": etag}).status_code == 304
    signed_in = app.test_client()
    sign_in(signed_in, make_account("evangelist"))
    assert signed_in.get("/favicon.ico").get_data() == client.get("/favicon.ico").get_data()


def test_pages_link_the_svg_icon(client):
    page = client.get("/").get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)
    with client.get(href) as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert icon.get_data(as_text=True).lstrip().startswith("<svg")
