"""The evangelist's pages on a 360 px phone, measured in Chromium: touch targets on /me,
the contrast of checkbox and radio borders, and the visit form's height and its
dataset count (issue 17, points 15 and 20)."""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa

from app.models import Municipality
from app.services.topics import sync_topics
from tests.conftest import PASSWORD
from tests.factories import make_assignment, make_evangelist, make_request
from tests.test_contrast import contrast_ratio, parse_colour
from tests.web.conftest import CHROMIUM, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

TOUCH_PX = 44  # WCAG 2.5.5 (AAA) and Apple's and Google's guidance for a finger


@pytest.fixture
def evangelist_with_work(live_server, db, make_account):
    """A signed-up evangelist with one proposal and one accepted assignment."""
    sync_topics()
    user = make_account("evangelist")
    person = make_evangelist(user=user)
    sapporo = db.session.scalar(sa.select(Municipality).where(Municipality.code == "011002"))
    tobetsu = db.session.scalar(sa.select(Municipality).where(Municipality.code == "013030"))
    proposal = make_assignment(request=make_request(municipality=sapporo, status="assigned", message="相談したいです"),
                               evangelist=person, status="proposed",
                               reasons=[["distance_km", 12.0], ["coverage", 2, 3]])
    accepted = make_assignment(request=make_request(municipality=tobetsu, status="assigned"), evangelist=person,
                               status="accepted")
    db.session.commit()
    return {"base": live_server, "user": user, "proposal": proposal, "accepted": accepted}


def signed_in_phone(page_at, work):
    page = page_at(PHONE)
    page.goto(work["base"] + "/auth/login")
    page.get_by_label(re.compile("^メールアドレス")).fill(work["user"].email)
    page.get_by_label(re.compile("^パスワード")).fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    return page


def test_the_buttons_on_my_page_are_big_enough_for_a_finger(evangelist_with_work, page_at):
    page = signed_in_phone(page_at, evangelist_with_work)
    page.goto(evangelist_with_work["base"] + "/me/")
    named = {name: page.get_by_role("button", name=name).first for name in ("引き受ける",)}
    named["辞退する…"] = page.locator("summary", has_text="辞退する")
    named["訪問を記録"] = page.get_by_role("link", name=re.compile("訪問を記録"))
    for name, control in named.items():
        box = control.bounding_box()
        assert box is not None, name
        assert box["height"] >= TOUCH_PX, f"{name}: {box['height']:.0f} px high"
    # Every button on the page, and the decline form's own button once the box is open.
    named["辞退する…"].click()
    heights = page.eval_on_selector_all(
        "main .btn", "els => els.filter(e => e.offsetParent).map(e => [e.textContent.trim(), e.getBoundingClientRect().height])")
    assert heights and all(h >= TOUCH_PX for _text, h in heights), heights


def test_checkbox_and_radio_borders_stand_out_from_the_page(evangelist_with_work, page_at):
    page = signed_in_phone(page_at, evangelist_with_work)
    accepted = evangelist_with_work["accepted"]
    page.goto(evangelist_with_work["base"] + "/request")  # the town's form: topics to tick
    assert_border_contrast(page, "input[type=checkbox]:not(:checked)")
    page.goto(evangelist_with_work["base"] + f"/me/assignments/{accepted.id}/visits/new")
    assert_border_contrast(page, "input[type=checkbox]:not(:checked)", "input[type=radio]:not(:checked)")


def assert_border_contrast(page, *selectors):
    for selector in selectors:
        control = page.locator(f"main {selector}.form-check-input").first
        border, background = control.evaluate(
            "e => { const s = getComputedStyle(e); return [s.borderTopColor, getComputedStyle(document.body).backgroundColor]; }")
        ratio = contrast_ratio(parse_colour(border), parse_colour(background))
        assert ratio >= 3, f"{selector}: border {border} on {background} is {ratio:.2f}:1"


def form_height(page) -> float:
    return page.eval_on_selector("form.visit-form", "f => f.getBoundingClientRect().height")


def test_the_visit_form_shows_an_outcomes_fields_as_they_are_needed(evangelist_with_work, page_at):
    """At 360 px the form measured 1,827 px (the page 2,196) with an empty dataset count,
    evidence and note under the blank outcome; 1,555 px (the page 1,924) without them, its
    buttons now 44 px high."""
    page = signed_in_phone(page_at, evangelist_with_work)
    accepted = evangelist_with_work["accepted"]
    page.goto(evangelist_with_work["base"] + f"/me/assignments/{accepted.id}/visits/new")
    height = form_height(page)
    print(f"visit form at 360 px: {height:.0f} px high, the page {page.evaluate('document.documentElement.scrollHeight')} px")
    assert height < 1650
    kind = page.locator("select[name='outcomes-0-type']")
    count = page.locator("input[name='outcomes-0-count']")
    evidence = page.locator("input[name='outcomes-0-evidence_url']")
    assert not count.is_visible() and not evidence.is_visible()  # nothing chosen yet
    kind.select_option("datasets_published")
    assert count.is_visible() and evidence.is_visible()
    kind.select_option("open_data_published")
    assert not count.is_visible() and evidence.is_visible()  # counts only datasets
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    heights = page.eval_on_selector_all(
        "form.visit-form .btn", "els => els.filter(e => e.offsetParent).map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= TOUCH_PX, heights


def test_a_count_with_an_error_stays_in_sight(evangelist_with_work, page_at):
    page = signed_in_phone(page_at, evangelist_with_work)
    accepted = evangelist_with_work["accepted"]
    page.goto(evangelist_with_work["base"] + f"/me/assignments/{accepted.id}/visits/new")
    page.get_by_label(re.compile("^概要")).fill("説明しました")
    page.locator("select[name='outcomes-0-type']").select_option("datasets_published")
    with page.expect_navigation() as answer:  # the count is forgotten
        page.get_by_role("button", name="訪問を保存").click()
    assert answer.value.status == 422
    count = page.locator("input[name='outcomes-0-count']")
    assert count.is_visible() and count.get_attribute("aria-invalid") == "true"
