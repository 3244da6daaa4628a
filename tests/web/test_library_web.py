"""The public library (/cases), a use case's page and the Atom feed; "towns like yours"
on the request form, the town's status page and the evangelist's brief."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import pytest
import sqlalchemy as sa

from app.models import Topic, UseCaseAttachment, UseCaseLink
from app.services.topics import sync_topics
from evangelists.use_cases import USE_CASE_STATUSES
from tests.conftest import sign_in
from tests.factories import (
    make_assignment,
    make_evangelist,
    make_places,
    make_request,
    make_use_case,
)

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = ["<script>alert(1)</script>", "{{7*7}}", "{{", "{% if true %}x{% endif %}"]


def html(response) -> str:
    return response.get_data(as_text=True)


def topic(db, slug: str) -> Topic:
    return db.session.scalar(sa.select(Topic).where(Topic.slug == slug))


@pytest.fixture
def towns(db):
    sync_topics()
    return make_places("sapporo", "tobetsu", "ishikari", "aomori")


@pytest.fixture
def story(db, towns):
    """A published use case of Tobetsu with links, a catalogue and an attachment."""
    use_case = make_use_case(
        municipality=towns["tobetsu"], title="当別町の避難所データ", population_band="10k_50k",
        topics=[topic(db, "gis"), topic(db, "licensing")], catalogue_url="https://catalog.example.jp/tobetsu",
        datasets=3, people="職員2人と高専生", time_taken="3か月", advice="小さく始めること。",
        published_at=datetime(2026, 5, 10, 3, tzinfo=UTC))
    use_case.links = [UseCaseLink(label="避難所一覧", url="https://data.example.jp/shelters.csv", position=0),
                      UseCaseLink(label="危ない", url="javascript:alert(1)", position=1)]
    use_case.attachments = [UseCaseAttachment(filename="slides.pdf", stored_name="a" * 32, content_type="application/pdf",
                                              size=123_456, sha256="0" * 64)]
    db.session.commit()
    return use_case


def test_the_library_lists_only_published_use_cases(client, db, towns, story):
    hidden = [make_use_case(municipality=towns["sapporo"], status=s, title=f"非公開の{s}")
              for s in USE_CASE_STATUSES if s != "published"]
    db.session.commit()
    page = html(client.get("/cases"))
    assert "当別町の避難所データ" in page and "非公開" not in page
    assert "1 件" in page or "1 use case" in page
    for use_case in hidden:
        assert client.get(f"/cases/{use_case.id}").status_code == 404
    assert "非公開" not in html(client.get("/cases/feed.atom"))


def test_unpublished_is_a_404_for_staff_too(signed_in_client, db, towns):
    draft = make_use_case(municipality=towns["sapporo"], status="with_town")
    db.session.commit()
    for role in ("coordinator", "admin", "evangelist"):
        client, _user = signed_in_client(role)
        assert client.get(f"/cases/{draft.id}").status_code == 404, role


def test_the_use_case_page_tells_the_story(english, db, story):
    page = html(english.get(f"/cases/{story.id}"))
    for text in ("当別町の避難所データ", "Where the town started", "What was done", "Results",
                 "People and time taken", "職員2人と高専生", "3か月", "What the town would tell others",
                 "小さく始めること。", "GIS and map data", "Licensing (CC BY)", "Hokkaido", "Town",
                 "10,000–50,000 people", "3 datasets published", "FY2026 (Reiwa 8)"):
        assert text in page, text
    assert 'href="/municipalities/013030"' in page
    assert ('<a href="https://catalog.example.jp/tobetsu" rel="nofollow noopener" class="catalogue-link">'
            in page)
    assert '<a href="https://data.example.jp/shelters.csv" rel="nofollow noopener">避難所一覧</a>' in page
    assert 'href="javascript:' not in page and "(javascript:alert(1))" in page  # shown as text
    # The attachment: named, typed and sized.
    assert "slides.pdf" in page and "application/pdf" in page and "123.5 kB" in page
    # The small map of the town, its data as JSON and its script under the CSP nonce.
    assert 'class="map-frame map-frame-small"' in page and 'type="application/json"' in page
    assert re.search(r'<script nonce="[^"]+">', page)
    assert 'type="application/atom+xml" href="/cases/feed.atom"' in page


def test_the_attachment_links_to_its_download(app, client, db, story):
    attachment = story.attachments[0]
    page = html(client.get(f"/cases/{story.id}"))
    assert f'href="/use-cases/{story.id}/files/{attachment.id}" download>slides.pdf</a>' in page

def test_filters_in_the_query_string(english, db, towns, story):
    make_use_case(municipality=towns["aomori"], title="青森の参加", kind="participation", population_band="100k_300k",
                  what_was_done="高校生と。", results="", starting_point="",
                  published_at=datetime(2025, 6, 1, tzinfo=UTC))
    db.session.commit()
    for query, shown in [("topic=gis", ["当別町"]), ("kind=participation", ["青森の参加"]),
                         ("town_kind=town", ["当別町"]), ("town_kind=city", ["青森の参加"]),
                         ("band=100k_300k", ["青森の参加"]), ("prefecture=02", ["青森の参加"]),
                         ("fy=2025", ["青森の参加"]), ("fy=2026", ["当別町"]), ("q=避難", ["当別町"]),
                         ("q=%EF%BC%A7%EF%BC%A9%EF%BC%B3", ["当別町"])]:  # ＧＩＳ, full width
        page = html(english.get(f"/cases?{query}"))
        both = ("当別町の避難所データ", "青森の参加")
        assert [t for t in both if t in page] == [t for t in both if any(s in t for s in shown)], query
    fy = html(english.get("/cases"))
    assert '<option value="2026">FY2026 (Reiwa 8)</option>' in fy
    assert "FY2025 (Reiwa 7)" in fy


def test_a_bad_filter_is_named_next_to_its_field_and_ignored(english, db, story):
    response = english.get("/cases?topic=nope&band=%3Cb%3E&fy=1999&kind=story&prefecture=99&town_kind=")
    page = html(response)
    assert response.status_code == 200
    assert "当別町の避難所データ" in page  # the bad filters are ignored, kind=story applies
    for field in ("topic", "band", "fy", "prefecture"):
        assert f'id="{field}-error"' in page, field
    assert "“nope” is not one of the choices, so this filter was ignored." in page
    assert "“&lt;b&gt;” is not one of the choices" in page and "<b>" not in page
    assert 'id="kind-error"' not in page
    assert html(english.get("/cases?kind=participation")).count("当別町の避難所データ") == 0
    too_long = html(english.get("/cases?q=" + "あ" * 101))
    assert 'id="q-error"' in too_long and "当別町の避難所データ" in too_long


def test_the_empty_library_helps(english, db, towns):
    page = html(english.get("/cases"))
    assert "No use case has been published yet." in page and 'href="/request"' in page
    make_use_case(municipality=towns["sapporo"], title="札幌")
    db.session.commit()
    page = html(english.get("/cases?q=消防"))
    assert "No use case matches." in page and "Search without the words “消防”" in page
    assert 'href="/cases"' in page


def test_the_library_is_paginated(english, db, towns):
    for n in range(23):
        make_use_case(municipality=towns["sapporo"], title=f"事例番号{n:02d}",
                      published_at=datetime(2026, 4, 1 + n, tzinfo=UTC))
    db.session.commit()
    first = html(english.get("/cases"))
    assert "23 use cases, showing 1–20." in first and "事例番号22" in first and "事例番号02" not in first
    second = html(english.get("/cases?page=2"))
    assert "事例番号02" in second and "事例番号00" in second and "事例番号03" not in second
    assert "There is no page 9" in html(english.get("/cases?page=9"))
    assert english.get("/cases?page=99999999999999999999").status_code == 200


def test_the_library_page_is_cached_until_data_changes(app, client, db, towns):
    app.extensions["page_cache"] = __import__("app.page_cache", fromlist=["PageStore"]).PageStore(10_000_000)
    make_use_case(municipality=towns["sapporo"], title="最初の事例")
    db.session.commit()
    assert "最初の事例" in html(client.get("/cases"))
    assert "最初の事例" in html(client.get("/cases"))
    assert app.extensions["page_cache"].hits >= 1
    make_use_case(municipality=towns["sapporo"], title="次の事例")
    db.session.commit()
    assert "次の事例" in html(client.get("/cases"))


def test_the_feed_is_atom(app, client, db, towns, story):
    response = client.get("/cases/feed.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {"self": f"{base}/cases/feed.atom", "alternate": f"{base}/cases"}
    assert feed.findtext(f"{ATOM}id") == f"{base}/cases"
    assert feed.findtext(f"{ATOM}title") and feed.findtext(f"{ATOM}author/{ATOM}name")
    assert feed.findtext(f"{ATOM}updated").endswith("Z")
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}id") == f"{base}/cases/{story.id}"
    assert entry.findtext(f"{ATOM}title") == "当別町の避難所データ"
    assert entry.findtext(f"{ATOM}published") == "2026-05-10T03:00:00Z"
    assert entry.find(f"{ATOM}link").get("href") == f"{base}/cases/{story.id}"
    assert {c.get("term") for c in entry.findall(f"{ATOM}category")} == {"gis", "licensing"}
    assert entry.findtext(f"{ATOM}summary").startswith("当別町（北海道）: ")
    # Cached: the same body and a 304 for a reader that has it; a new version after a write.
    etag = response.headers["ETag"]
    again = client.get("/cases/feed.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304
    make_use_case(municipality=towns["sapporo"], title="新しい事例")
    db.session.commit()
    newer = client.get("/cases/feed.atom", headers={"If-None-Match": etag})
    assert newer.status_code == 200 and "新しい事例" in html(newer)


def test_the_feed_escapes_hostile_text(client, db, towns):
    evil = "</title><script>alert(1)</script>&amp; ]]> \x01\x0b{{7*7}}"
    make_use_case(municipality=towns["sapporo"], title=evil, starting_point=evil, what_was_done=evil)
    db.session.commit()
    response = client.get("/cases/feed.atom")
    feed = ET.fromstring(response.data)  # parses: the control characters were dropped
    entry = feed.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == evil.replace("\x01", "").replace("\x0b", "")
    assert b"<script>" not in response.data and b"&lt;script&gt;" in response.data


def test_library_pages_link_the_feed_and_the_library_is_linked_from_everywhere(client, db, story):
    assert 'type="application/atom+xml"' in html(client.get("/cases"))
    home = html(client.get("/"))
    assert home.count('href="/cases"') >= 3  # the bar, the page, the footer
    assert 'href="/cases/feed.atom"' in home


# --- towns like yours ---------------------------------------------------------------------


def test_the_request_form_suggests_towns_like_yours_once_the_town_is_known(english, db, towns, story):
    # No town yet: only the way to the library.
    page = html(english.get("/request"))
    assert "See how other towns started on open data" in page and "What towns like yours did" not in page
    # A submit that fails (no name) comes back with the town chosen: suggestions for it.
    response = english.post("/request", data={"prefecture": "01", "municipality": "012351", "topics": ["gis"]})
    assert response.status_code == 422
    page = html(response)
    assert "What towns like yours did" in page and "当別町の避難所データ" in page
    assert f'href="/cases/{story.id}"' in page and "km away" in page
    # Tobetsu's own use case comes first, labelled.
    page = html(english.post("/request", data={"prefecture": "01", "municipality": "013030"}))
    assert "Your town" in page


def test_the_status_page_suggests_towns_like_yours(english, db, towns, story):
    make_request(municipality=towns["ishikari"], token="status-token-for-the-library-test-0123456789")
    db.session.commit()
    page = html(english.get("/request/status/status-token-for-the-library-test-0123456789"))
    assert "What towns like yours did" in page and "当別町の避難所データ" in page


def test_the_brief_lists_use_cases_for_the_requests_topics(app, db, make_account, towns, story):
    user = make_account("evangelist")
    evangelist = make_evangelist(user=user, home_municipality=towns["sapporo"])
    asked = make_request(municipality=towns["ishikari"], topics=[topic(db, "gis")])
    other = make_request(municipality=towns["aomori"], topics=[topic(db, "hackathons")])
    make_assignment(request=asked, evangelist=evangelist, distance_km=10.0)
    make_assignment(request=other, evangelist=evangelist, distance_km=10.0, status="accepted")
    db.session.commit()
    client = app.test_client()
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    sign_in(client, user)
    page = html(client.get("/me/"))
    assert page.count("Use cases about these topics") == 1  # only the request about GIS
    assert f'href="/cases/{story.id}"' in page


def test_hostile_text_in_every_field_is_shown_as_text(app, client, db, make_account, towns):
    user = make_account("evangelist")
    evangelist = make_evangelist(user=user, home_municipality=towns["sapporo"])
    for n, evil in enumerate(HOSTILE):
        use_case = make_use_case(
            municipality=towns["tobetsu"], title=f"t{n}{evil}", starting_point=f"s{evil}", what_was_done=f"w{evil}",
            results=f"r{evil}", people=f"p{evil}", time_taken=f"m{evil}", advice=f"a{evil}",
            catalogue_url=f"https://example.jp/?q={evil}", topics=[topic(db, "gis")])
        use_case.links = [UseCaseLink(label=f"l{evil}", url=f"javascript:{evil}")]
        use_case.attachments = [UseCaseAttachment(filename=f"f{evil}.pdf", stored_name=f"{n}" * 32,
                                                  content_type="application/pdf", size=1, sha256="0" * 64)]
    make_assignment(request=make_request(municipality=towns["ishikari"], topics=[topic(db, "gis")],
                                         token="hostile-status-token-0123456789-abcdefghij"),
                    evangelist=evangelist, distance_km=1.0)
    db.session.commit()
    signed_in = app.test_client()
    sign_in(signed_in, user)
    ids = db.session.scalars(sa.select(UseCaseLink.use_case_id)).all()
    pages = {f"/cases/{i}": client.get(f"/cases/{i}") for i in ids}
    pages["/cases"] = client.get("/cases")
    pages["/cases?q=t"] = client.get("/cases?q=t")
    pages["/request/status"] = client.get("/request/status/hostile-status-token-0123456789-abcdefghij")
    pages["/request"] = client.post("/request", data={"prefecture": "01", "municipality": "012351"})
    pages["/me/"] = signed_in.get("/me/")
    escaped = ["&lt;script&gt;alert(1)&lt;/script&gt;", "{{7*7}}", "{{", "{% if true %}x{% endif %}"]
    for url, response in pages.items():
        page = html(response)
        assert response.status_code in (200, 422), url
        assert "<script>alert(1)</script>" not in page and "t149" not in page and "t3x" not in page, url
        assert any(f"t{n}{text}" in page for n, text in enumerate(escaped)), url
    for n, use_case_id in enumerate(ids):
        page = html(pages[f"/cases/{use_case_id}"])
        for prefix in ("t", "s", "w", "r", "p", "m", "a", "l", "f"):
            assert f"{prefix}{n if prefix == 't' else ''}{escaped[n]}" in page, (n, prefix)
    one = html(pages[f"/cases/{ids[0]}"])
    for prefix in ("s", "w", "r", "p", "m", "a", "l", "f"):
        assert f"{prefix}&lt;script&gt;alert(1)&lt;/script&gt;" in one, prefix
    assert 'href="javascript:' not in one
    assert "https://example.jp/?q=&lt;script&gt;" in one


def test_unknown_and_strange_ids_are_404(client, db):
    for path in ("/cases/0", "/cases/99999999", "/cases/99999999999999999999999", "/cases/abc", "/cases/-1"):
        assert client.get(path).status_code == 404, path


def test_the_request_forms_script_gets_the_suggestions_of_a_chosen_town(english, db, towns, story):
    page = html(english.get("/request"))
    assert 'id="towns-like-yours"' in page and 'data-url="/cases/like/__CODE__"' in page
    assert 'src="/static/js/towns-like-yours.js"' in page
    fragment = english.get("/cases/like/012351")
    assert fragment.status_code == 200 and "<html" not in html(fragment)
    assert f'href="/cases/{story.id}"' in html(fragment) and "What towns like yours did" in html(fragment)
    for code in ("999999", "01235", "abc", "0123510"):
        assert english.get(f"/cases/like/{code}").status_code == 404, code
