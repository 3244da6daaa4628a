"""Every page of the journeys on a 360 px phone, in Debian's Chromium: nothing wider than
the screen (the page never scrolls sideways; wide tables scroll inside their own box), and
no short button, badge or heading broken letter by letter ("変/更", "は/い", "コミュニテ/ィ").

The scene is built with the test factories (the ``towns`` fixture and the reports
network) plus long Japanese names, long e-mail addresses and addresses of web pages, the
strings that push a page wider than a phone. A failure names each page and its widest
element, so one run lists every problem."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date

import pytest
import sqlalchemy as sa

from app.models import Municipality, Topic
from app.services import requests as requests_service
from app.services.notices import notify
from app.services.recruitment import NominationInput, move_evangelist, nominate
from app.services.requests import Submission
from tests.conftest import PASSWORD, totp_code
from tests.factories import (
    make_assignment,
    make_community,
    make_evangelist,
    make_municipality,
    make_outcome,
    make_request,
    make_use_case,
    make_visit,
)
from tests.services.test_reports import build_network
from tests.web.conftest import CHROMIUM, DESKTOP, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

LONG_COMMUNITY = "一般社団法人北海道石狩地域シビックテック・オープンデータ推進コミュニティ"
LONG_WEBSITE = "https://www.ishikari-civictech-opendata-community.example.jp/katsudou/2026/houkoku/index.html"
LONG_EMAIL = "opendata.suishin.tantousha.digital@town.tobetsu.hokkaido.example.lg.jp"
LONG_DEPARTMENT = "総務部デジタル推進課オープンデータ利活用推進係"
LONG_MESSAGE = (
    "当町のオープンデータカタログ（https://www.town.tobetsu.example.lg.jp/soshiki/somu/digital/opendata/"
    "catalog/index.html）の更新が止まっています。推奨データセットへの対応と、公開までの庁内手続きについて"
    "相談したいです。"
)


@pytest.fixture
def gazetteer(db):
    """No national gazetteer here (this module's scene brings its own prefectures and
    towns: the reports network and the ``towns`` fixture)."""


# --- what is measured in the page -------------------------------------------------------

# The elements that stick out past the right edge of the window, outermost first: an
# element is left out when an ancestor already sticks out (it is that ancestor's content)
# or when an ancestor clips or scrolls it (a .table-responsive, a scrolling nav).
WIDEST = """() => {
  const width = window.innerWidth;
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    for (const c of el.classList) name += '.' + c;
    const text = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return name + (text ? ' "' + text + '"' : '');
  };
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX !== 'visible') return true;
      if (a.getBoundingClientRect().right > width + 1) return true;
    }
    return false;
  };
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= width + 1) continue;
    if (clipped(el)) continue;
    found.push([Math.round(r.right), describe(el)]);
  }
  // Text sticks out of a box that fits: a long address or e-mail in a paragraph.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    const el = node.parentElement;
    if (r.width === 0 || r.right <= width + 1 || el.getBoundingClientRect().right > width + 1) continue;
    if (getComputedStyle(el).overflowX !== 'visible' || clipped(el)) continue;
    found.push([Math.round(r.right), 'text in ' + describe(el)]);
  }
  found.sort((a, b) => b[0] - a[0]);
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: width,
    bodyOverflowX: getComputedStyle(document.body).overflowX,
    htmlOverflowX: getComputedStyle(document.documentElement).overflowX,
    widest: found.slice(0, 3),
  };
}"""

# Words broken across lines. A button or badge of six characters or fewer ("変更",
# "はい") must stay on one line; in headings, table headers, labels and tabs of up to 20
# characters a line may only end where a word ends (Intl.Segmenter's words for the page's
# language: "コミュニテ/ィ" is refused, "日数の/中央値" is fine). Lines are read from
# each character's own box, so padding and a minimum height for touch do not count.
BROKEN_WORDS = """() => {
  const selector = 'button, .btn, .badge, .nav-link, h1, h2, h3, h4, h5, h6, th, dt, legend, label, .card-title';
  const segmenter = new Intl.Segmenter(document.documentElement.lang || 'ja', {granularity: 'word'});
  const range = document.createRange();
  const broken = [];
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    const letters = (el.innerText || '').replace(/\\s+/g, '');
    if (!letters || letters.length > 20) continue;
    let text = '', lines = 0, bottom = -Infinity;
    const breaks = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const value = node.textContent;
      for (let i = 0; i < value.length; i++) {
        if (/\\s/.test(value[i])) { if (text && !text.endsWith(' ')) text += ' '; continue; }
        range.setStart(node, i); range.setEnd(node, i + 1);
        const r = range.getBoundingClientRect();
        if (r.width <= 1 || r.height <= 1) continue;  // visually hidden
        if (r.top >= bottom - 2) { lines += 1; if (lines > 1) breaks.push(text.length); bottom = r.bottom; }
        else bottom = Math.max(bottom, r.bottom);
        text += value[i];
      }
    }
    const name = el.tagName.toLowerCase() + ' "' + text.trim() + '"';
    const isButton = el.matches('button, .btn, .badge');
    if (isButton && text.replace(/ /g, '').length <= 6 && lines > 1) { broken.push(name + ' on ' + lines + ' lines'); continue; }
    const ends = new Set([0, text.length]);
    for (const s of segmenter.segment(text)) ends.add(s.index);
    for (const at of breaks) {
      if (!ends.has(at)) { broken.push(name + ' broken inside a word: "' + text.slice(0, at) + '/' + text.slice(at) + '"'); break; }
    }
  }
  return broken;
}"""


@dataclass
class Walk:
    """The pages seen from ``base`` and what was wrong with each."""

    base: str
    seen: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def check(self, page, name: str | None = None) -> None:
        name = name or page.url.split("//", 1)[1].split("/", 1)[1]
        name = "/" + name if not name.startswith("/") else name
        self.seen.append(name)
        measured = page.evaluate(WIDEST)
        if measured["bodyOverflowX"] != "visible" or measured["htmlOverflowX"] != "visible":
            # Hiding the overflow on the page itself would only cut content off.
            self.problems.append(f"{name}: the page hides its horizontal overflow")
        if measured["scrollWidth"] > measured["innerWidth"]:
            widest = "; ".join(f"{text} (to {right} px)" for right, text in measured["widest"]) or "?"
            self.problems.append(
                f"{name}: {measured['scrollWidth']} px wide on a {measured['innerWidth']} px screen; widest: {widest}")
        for broken in page.evaluate(BROKEN_WORDS):
            self.problems.append(f"{name}: {broken}")

    def visit(self, page, path: str, name: str | None = None) -> None:
        response = page.goto(self.base + path)
        assert response is not None and response.status < 400, f"{path}: {response and response.status}"
        self.check(page, name or path)


def sign_in(page, walk: Walk, user) -> None:
    """Through the real forms, checking the pages on the way (the second factor's too)."""
    page.goto(walk.base + "/auth/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    if "/auth/two-factor" in page.url:
        walk.check(page, "/auth/two-factor")
        page.fill("input[name=code]", totp_code(user))
        with page.expect_navigation():
            page.click("main button[type=submit]")


def to_english(page) -> None:
    page.get_by_role("button", name="メニューを表示").click()
    page.locator("#nav-main.show").wait_for()
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()


# --- the scene ----------------------------------------------------------------------------


@pytest.fixture
def scene(live_server, db, towns, make_account):
    """The reports network, the ``towns``, and on top: a community and people with long
    names, requests at each stage (the status page of each), an evangelist with proposals,
    an accepted assignment and visits, a candidate nominated with a note, a paused
    evangelist (an audit trail), and accounts for each role."""
    network = build_network(db)
    sapporo, tobetsu, aomori = towns["sapporo"], towns["tobetsu"], towns["aomori"]
    long_town = make_municipality(prefecture=tobetsu.prefecture, name="新冠郡新ひだか町", name_kana="シンヒダカチョウ",
                                  name_romaji="Shinhidaka-cho", lat=42.34, lon=142.37)
    coordinator = make_account("coordinator", display_name="調整担当 長谷川 ひとみ", email="coordinator@example.jp")
    admin = make_account("admin", display_name="管理者 勅使河原 左衛門三郎", email="admin@example.jp")
    community = make_community(
        name=LONG_COMMUNITY, municipality=sapporo, website=LONG_WEBSITE, contact_email=LONG_EMAIL,
        member_count=128, address="北海道札幌市中央区北1条西2丁目1番地 札幌市役所本庁舎18階",
        description="札幌市と石狩地域の自治体職員、エンジニア、デザイナーが集まり、" * 3 + LONG_WEBSITE,
    )
    make_community(name="コミュニティ", municipality=tobetsu)
    user = make_account("evangelist", display_name="勅使河原 左衛門三郎", email=LONG_EMAIL.replace("opendata", "ev"))
    every_topic = list(db.session.scalars(sa.select(Topic).order_by(Topic.position)))
    me = make_evangelist(user=user, family_name="勅使河原", given_name="左衛門三郎", home_municipality=sapporo,
                         home_community=community, skills=every_topic, languages=["ja", "en"], lat=sapporo.lat, lon=sapporo.lon, capacity=3,
                         travel_radius_km=120, appointed_on=date(2025, 4, 1))
    others = [
        make_evangelist(family_name=f"長谷川{i}", given_name="ひとみ", home_municipality=sapporo, home_community=community,
                        lat=sapporo.lat + 0.01 * i, lon=sapporo.lon, travel_radius_km=200)
        for i in range(3)
    ]

    def submitted(town: Municipality, status: str, n: int):
        result = requests_service.submit_request(Submission(
            municipality_code=town.code, contact_name="長谷川 ひとみ", department=LONG_DEPARTMENT,
            email=LONG_EMAIL, phone="+81133231111", topics=("licensing", "recommended_datasets"), mode="either",
            period="2027年1月から3月までの平日午後（議会の会期中を除く）", message=LONG_MESSAGE,
            nonce=f"overflow-{n}"), address=None)
        result.request.status = status
        return result

    fresh = submitted(tobetsu, "new", 1)
    assigned = submitted(aomori, "assigned", 2)
    visited = submitted(long_town, "scheduled", 3)
    proposal = make_assignment(request=assigned.request, evangelist=me, status="accepted",
                               reasons=["近い（12 km）", "得意分野が一致: ライセンス, 推奨データセット"])
    accepted = make_assignment(request=visited.request, evangelist=me, status="accepted")
    make_assignment(request=make_request(municipality=network["E"], status="assigned", message=LONG_MESSAGE,
                                         department=LONG_DEPARTMENT, email=LONG_EMAIL),
                    evangelist=me, status="proposed")
    done = make_visit(assignment=accepted, mode="onsite", summary=LONG_MESSAGE * 2,
                      attendee_departments=LONG_DEPARTMENT, next_steps="庁内での公開手順書の作成と、推奨データセットの優先順位付け")
    make_outcome(visit=done, type="datasets_published", count=12)
    make_outcome(visit=done, type="open_data_published", note=LONG_WEBSITE, evidence_url=LONG_WEBSITE)
    # The town's public results: a long catalogue address and a long use case title.
    make_outcome(visit=done, type="catalog_launched", evidence_url=LONG_WEBSITE)
    make_use_case(municipality=long_town, title=LONG_COMMUNITY + "がオープンデータ推進のために避難所と公衆トイレのデータを公開した事例")
    triaged = make_request(municipality=sapporo, status="triaged", contact_name="長谷川 ひとみ",
                           department=LONG_DEPARTMENT, email=LONG_EMAIL, message=LONG_MESSAGE)
    for person in others:
        make_assignment(request=triaged, evangelist=person, status="declined", decline_reason="日程が合いません")
    candidate = nominate(coordinator, NominationInput(
        family_name="小笠原", given_name="真理子", municipality_code=sapporo.code,
        family_name_kana="オガサワラ", given_name_kana="マリコ",
        community_id=community.id, email=LONG_EMAIL.replace("opendata", "candidate"),
        skills=("licensing", "gis"), note=LONG_MESSAGE))
    move_evangelist(coordinator, others[0], "paused")
    # Notices with long words for each person's list and bell, and a failed one for the admins.
    long_params = {"town": long_town.name + LONG_DEPARTMENT, "prefecture": LONG_WEBSITE}
    for _ in range(2):
        notify("request_new", users=[coordinator, admin, user], request=fresh.request, params=long_params)
    for failed in notify("request_received", emails=[LONG_EMAIL], request=fresh.request):
        failed.mail, failed.attempts = "failed", 8
        failed.last_error = "SMTPRecipientsRefused: {'" + LONG_EMAIL + "': (451, b'4.3.0 " + LONG_MESSAGE + "')}"
    db.session.commit()
    return {
        "coordinator": coordinator, "admin": admin, "evangelist": user, "me": me, "candidate": candidate,
        "community": community, "visit": done, "accepted": accepted, "proposal": proposal,
        "requests": {"new": fresh, "assigned": assigned, "scheduled": visited}, "triaged": triaged,
        "town": long_town,
    }


# --- the walk -----------------------------------------------------------------------------


def public_pages(page, walk: Walk, scene) -> None:
    for path in ("/", "/municipalities", "/municipalities?q=%E3%81%97%E3%82%93",
                 f"/municipalities/{scene['town'].code}", "/municipalities/011002", "/network", "/open-data",
                 "/figures", "/request", "/request?prefecture=01", "/communities",
                 "/communities/register?prefecture=01"):
        walk.visit(page, path)
    # The form, sent: its confirmation with the status link.
    page.goto(walk.base + "/request?prefecture=01")
    page.select_option("select[name=municipality]", scene["town"].code)
    page.fill("input[name=contact_name]", "長谷川 ひとみ")
    page.fill("input[name=department]", LONG_DEPARTMENT)
    page.fill("input[name=email]", LONG_EMAIL)
    page.fill("textarea[name=message]", LONG_MESSAGE)
    page.locator("input[name=topics]").first.check()
    page.locator("input[name=mode]").first.check()
    with page.expect_navigation():
        page.click("main button.btn-lg[name=send]")
    # The town already asked: the form says so and offers two ways on.
    walk.check(page, "/request (the town already asked)")
    with page.expect_navigation():
        page.click("main button[name=duplicate][value=new]")
    assert "/request/sent" in page.url, page.url
    walk.check(page, "/request/sent")
    walk.visit(page, "/request/thanks")
    for stage, submitted in scene["requests"].items():
        walk.visit(page, f"/request/status/{submitted.token}", f"/request/status/<{stage}>")
    walk.visit(page, "/auth/login")
    walk.visit(page, "/auth/forgot-password")


def evangelist_pages(page, walk: Walk, scene) -> None:
    sign_in(page, walk, scene["evangelist"])
    for path in ("/me/", "/me/profile", f"/me/assignments/{scene['accepted'].id}/visits/new",
                 f"/me/visits/{scene['visit'].id}", "/auth/account", "/auth/account/password",
                 "/notices/", "/notices/preferences"):
        walk.visit(page, path)


def coordinator_pages(page, walk: Walk, scene) -> None:
    sign_in(page, walk, scene["coordinator"])
    me, candidate, community = scene["me"], scene["candidate"], scene["community"]
    for path in (
        "/coordinator/", "/coordinator/requests", "/coordinator/requests?status=triaged",
        f"/coordinator/requests/{scene['triaged'].id}",
        f"/coordinator/requests/{scene['requests']['new'].request.id}",
        f"/coordinator/requests/{scene['requests']['assigned'].request.id}",
        f"/coordinator/requests/{scene['requests']['scheduled'].request.id}",
        "/coordinator/plan", f"/coordinator/visits/{scene['visit'].id}",
        "/coordinator/communities", f"/coordinator/communities/{community.id}",
        "/coordinator/communities/new", f"/coordinator/communities/{community.id}/edit",
        "/coordinator/recruitment", "/coordinator/recruitment/new", f"/coordinator/recruitment/{me.id}",
        f"/coordinator/recruitment/{me.id}/edit", f"/coordinator/recruitment/{candidate.id}",
        f"/coordinator/recruitment/{candidate.id}/appoint",
        "/coordinator/reports", "/coordinator/reports?region=hokkaido&prefecture=01&fy=2025",
        "/coordinator/reports/print?region=hokkaido",
        "/coordinator/data/import", "/coordinator/invitations/new", "/map",
        "/notices/", "/notices/preferences",
    ):
        walk.visit(page, path)
    # The dashboard's filter with wrong values: a 400, the errors under the fields.
    wrong = "/coordinator/reports?region=tohoku&prefecture=01&fy=abc"
    assert page.goto(walk.base + wrong).status == 400
    walk.check(page, wrong)
    # A move: the record again, with what happened said at the top.
    page.goto(walk.base + f"/coordinator/recruitment/{me.id}")
    with page.expect_navigation():
        page.locator("main form[action$='/move'] button").first.click()
    walk.check(page, f"/coordinator/recruitment/{me.id} (after a move)")
    # An invitation: the link to pass on.
    page.goto(walk.base + "/coordinator/invitations/new")
    page.fill("input[name=email]", LONG_EMAIL.replace("opendata", "invited"))
    page.fill("input[name=display_name]", "勅使河原 左衛門三郎")
    with page.expect_navigation():
        page.click("main form [type=submit]")
    walk.check(page, "/coordinator/invitations/new (the link)")
    # An import checked: the report, with a problem on a line.
    page.goto(walk.base + "/coordinator/data/import")
    page.locator("input[name=kind]").first.check()
    page.set_input_files("input[name=file]", files=[{
        "name": "survey-with-a-very-long-file-name-from-the-prefecture-2026.csv", "mimeType": "text/csv",
        "buffer": ("団体コード,市区町村名,取組状況,基準日\n011002,札幌市,取組済,2024/3/31\n"
                   f"013030,当別町,{LONG_WEBSITE},2024/3/31\n").encode(),
    }])
    with page.expect_navigation():
        page.click("main form.import-form [type=submit]")
    walk.check(page, "/coordinator/data/import (the report)")


def admin_pages(page, walk: Walk, scene) -> None:
    sign_in(page, walk, scene["admin"])
    for path in ("/admin/users", "/admin/audit", "/admin/notices"):
        walk.visit(page, path)


def test_every_journey_page_fits_a_phone_in_japanese(scene, live_server, page_at):
    walk = Walk(base=live_server)
    for journey in (public_pages, evangelist_pages, coordinator_pages, admin_pages):
        journey(page_at(PHONE), walk, scene)
    assert len(walk.seen) >= 50, walk.seen
    assert walk.problems == [], "\n".join(walk.problems)


def test_a_sample_of_pages_fits_a_phone_in_english(scene, live_server, page_at):
    walk = Walk(base=live_server)
    page = page_at(PHONE)
    page.goto(live_server + "/")
    to_english(page)
    for path in ("/", f"/municipalities/{scene['town'].code}", "/request?prefecture=01", "/figures",
                 f"/request/status/{scene['requests']['scheduled'].token}"):
        walk.visit(page, path)
    sign_in(page, walk, scene["coordinator"])
    for path in ("/coordinator/", "/coordinator/requests", f"/coordinator/requests/{scene['triaged'].id}",
                 f"/coordinator/recruitment/{scene['me'].id}", "/coordinator/recruitment",
                 f"/coordinator/communities/{scene['community'].id}", "/coordinator/reports",
                 "/notices/", "/notices/preferences"):
        walk.visit(page, path)
    assert page.locator("html").get_attribute("lang") == "en"
    assert walk.problems == [], "\n".join(walk.problems)


def test_the_page_language_follows_the_user_so_japanese_breaks_by_phrase(scene, live_server, page_at):
    """``word-break: auto-phrase`` works only where the text is known to be Japanese."""
    page = page_at(DESKTOP)
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "ja"
    style = page.evaluate("getComputedStyle(document.querySelector('h1')).wordBreak")
    assert style == "auto-phrase"
    with page.expect_navigation():
        page.locator("header form button[lang=en]").click()
    assert page.locator("html").get_attribute("lang") == "en"


def test_the_checks_catch_a_page_wider_than_the_phone_and_a_broken_button(live_server, page_at):
    """The measures themselves: a wide element, a two-letter button squeezed into one
    letter's width and a header broken inside its word are all reported."""
    page = page_at(PHONE)
    page.goto(live_server + "/auth/login")
    page.evaluate("""() => {
      const main = document.querySelector('main');
      const wide = document.createElement('div'); wide.id = 'too-wide'; wide.style.width = '411px';
      wide.textContent = 'x'; main.appendChild(wide);
      const btn = document.createElement('button'); btn.className = 'btn btn-primary'; btn.textContent = '変更';
      btn.style.width = '2.6em'; btn.style.whiteSpace = 'normal'; btn.style.wordBreak = 'break-all'; main.appendChild(btn);
      const table = document.createElement('table'); table.innerHTML = '<tr><th>コミュニティ</th></tr>';
      table.querySelector('th').style.cssText = 'width: 5.5em; word-break: break-all; padding: 0';
      main.appendChild(table);
    }""")
    walk = Walk(base=live_server)
    walk.check(page, "/auth/login (spoilt)")
    assert any("div#too-wide" in p and "to 4" in p for p in walk.problems), walk.problems
    assert any('"変更" on 2 lines' in p for p in walk.problems), walk.problems
    assert any('th "コミュニティ" broken inside a word: "コミュニテ/ィ"' in p for p in walk.problems), walk.problems


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1366, "height": 900}], ids=["360", "1366"])
def test_the_pages_that_overflowed_most_fit_a_phone_and_a_laptop(scene, live_server, page_at, viewport):
    """The worst pages before the fix, at both widths the issue was tried at. With
    SHOTS_LAYOUT=/tmp/shots-layout set, a full-page screenshot of each is saved there, for
    the eye."""
    folder = os.environ.get("SHOTS_LAYOUT")
    if folder:
        os.makedirs(folder, exist_ok=True)
    walk = Walk(base=live_server)
    page = page_at(viewport)
    sign_in(page, walk, scene["coordinator"])
    for name, path in (
        ("recruitment-record", f"/coordinator/recruitment/{scene['me'].id}"),
        ("recruitment-candidate", f"/coordinator/recruitment/{scene['candidate'].id}"),
        ("recruitment-board", "/coordinator/recruitment"),
        ("request", f"/coordinator/requests/{scene['triaged'].id}"),
        ("community", f"/coordinator/communities/{scene['community'].id}"),
        ("requests", "/coordinator/requests"),
        ("reports", "/coordinator/reports"),
        ("status", f"/request/status/{scene['requests']['scheduled'].token}"),
    ):
        walk.visit(page, path)
        if folder:
            page.screenshot(path=f"{folder}/{name}-{viewport['width']}.png", full_page=True)
    assert walk.problems == [], "\n".join(walk.problems)

