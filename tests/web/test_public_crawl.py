"""What an anonymous visitor can reach by following links (issue 22's acceptance: "nothing
unpublished or personal is reachable publicly").

Starting from the home page, the crawl follows every same-site link (and every file a page
links: CSV, JSON, Atom) as an anonymous visitor, a few addresses per endpoint, and reads
every answer for the private words of a world that holds one of each private thing: a
request's contact, a visit's summary, an evangelist's name and e-mail, a community's
contact and address, an unpublished use case, accounts' e-mails. A public page that links
to a page that is not there (404) or fails (5xx) fails the test too."""

from __future__ import annotations

from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from tests.factories import (
    make_application,
    make_assignment,
    make_community,
    make_evangelist,
    make_municipality,
    make_outcome,
    make_registration,
    make_request,
    make_use_case,
    make_user,
    make_visit,
)

PER_ENDPOINT = 4  # addresses of one endpoint read (the 1,741 towns need not all be read)
MOST = 400  # answers read in all
# Pages an anonymous visitor is sent away from, or that are forms to act, not to read.
SKIP_PREFIXES = ("/static/", "/auth/", "/language/")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("a", "link") and attributes.get("href"):
            self.links.append(attributes["href"])


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


@pytest.fixture
def private_world(db):
    """One of each private thing, each with words that must not be shown publicly."""
    town = make_municipality(code="011002", name="札幌市")
    coordinator = make_user(role="coordinator", email="coordinator-private@example.jp", display_name="非公開 調整者")
    evangelist = make_evangelist(family_name="秘匿", given_name="花子",
                                 user=make_user(role="evangelist", email="evangelist-private@example.jp",
                                                display_name="秘匿 花子"),
                                 home_municipality=town)
    asked = make_request(municipality=town, contact_name="依頼者 非公開", email="contact-private@example.jp",
                         phone="+81399998888", department="秘密課", status="completed")
    assignment = make_assignment(request=asked, evangelist=evangelist, status="completed", proposed_by=coordinator)
    visit = make_visit(assignment=assignment, summary="非公開の訪問記録です", next_steps="非公開の次の一歩")
    make_outcome(visit=visit, type="datasets_published", count=3, note="非公開の成果メモ")
    make_community(name="公開してよい会", municipality=town, contact_email="community-private@example.jp",
                   address="非公開町1-2-3", public=True, how_to_join="毎月の例会にどうぞ")
    make_community(name="載せないでほしい会", municipality=town, contact_email="hidden-community@example.jp")
    make_registration(name="審査待ちの会", municipality=town, contact_email="registrant-private@example.jp",
                      description="審査待ちの説明")
    make_application(municipality=town, family_name="応募者", given_name="非公開",
                     email="applicant-private@example.jp", motivation="非公開の動機")
    make_use_case(municipality=town, status="with_town", title="未公開の事例タイトル",
                  what_was_done="未公開の本文")
    make_use_case(municipality=town, title="公開された事例", request=asked)
    db.session.commit()
    return ("非公開 調整者", "coordinator-private@example.jp", "秘匿", "evangelist-private@example.jp",
            "依頼者 非公開", "contact-private@example.jp", "+81399998888", "秘密課", "非公開の訪問記録",
            "非公開の次の一歩", "非公開の成果メモ", "community-private@example.jp", "非公開町",
            "未公開の事例タイトル", "未公開の本文", "hidden-community@example.jp", "審査待ちの会",
            "registrant-private@example.jp", "審査待ちの説明", "応募者", "applicant-private@example.jp",
            "非公開の動機")


def crawl(app, client) -> tuple[dict[str, str], list[tuple[str, str, int]]]:
    """Every answer read (path -> text) and the broken links (from, to, status)."""
    adapter = app.url_map.bind("localhost")
    seen: dict[str, str] = {}
    broken: list[tuple[str, str, int]] = []
    per_endpoint: Counter[str] = Counter()
    queue: deque[tuple[str, str]] = deque([("", "/")])
    while queue and len(seen) < MOST:
        source, path = queue.popleft()
        if path in seen:
            continue
        try:
            endpoint, _args = adapter.match(urlsplit(path).path)
        except HTTPException:
            endpoint = None
        if endpoint is not None and per_endpoint[endpoint] >= PER_ENDPOINT:
            continue
        per_endpoint[endpoint or "?"] += 1
        response = client.get(path)
        if response.status_code >= 400:
            broken.append((source, path, response.status_code))
        text = response.get_data(as_text=True) if not response.direct_passthrough else ""
        seen[path] = text
        if response.status_code != 200 or "html" not in (response.content_type or ""):
            continue
        for link in links_of(text):
            link = urldefrag(link).url
            if not link.startswith("/") or link.startswith("//") or link.startswith(SKIP_PREFIXES):
                continue
            if link not in seen:
                queue.append((path, link))
    return seen, broken


def test_an_anonymous_visitor_reaches_nothing_private(app, client, private_world):
    seen, broken = crawl(app, client)
    assert len(seen) > 30, sorted(seen)
    leaks = [(path, word) for path, text in seen.items() for word in private_world if word in text]
    assert leaks == []
    assert broken == []


def test_the_crawl_finds_what_is_published(app, client, private_world):
    """The crawl is not blind: it reads the new public pages of issue 22 (the library, a use
    case, the feed, the directory and a listed community, the figures, the application
    form, the town's results, the open data files) and sees what is published there."""
    seen, _broken = crawl(app, client)
    adapter = app.url_map.bind("localhost")
    endpoints = {adapter.match(urlsplit(path).path)[0] for path in seen}
    assert {"library.index", "library.use_case", "library.feed", "directory.communities", "directory.community",
            "figures.fiscal_years", "apply.apply", "public.municipality", "public.open_data"} <= endpoints
    assert any("公開された事例" in text for text in seen.values())
    assert any("毎月の例会にどうぞ" in text for text in seen.values())
    assert any(path.endswith("municipalities.csv") for path in seen)
