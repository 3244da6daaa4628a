"""Becoming an evangelist (issue 22, point 6) in Debian's Chromium: on a 360 px phone a
person finds the form from the home page, makes a mistake (what they typed stays), picks
their prefecture and town with the keyboard-friendly picker, applies, confirms from the
mail the loopback SMTP server caught; a coordinator on a desktop finds the candidate on
the board with the answers. The public pages fit the phone and pass an axe-core scan."""

from __future__ import annotations

import os
import re

import pytest

from app.services.communities import municipality_by_code
from app.services.topics import sync_topics
from tests.factories import make_community
from tests.mailbox import body_of
from tests.web.browser_steps import fits
from tests.web.conftest import CHROMIUM, DESKTOP, PHONE
from tests.web.test_browser_ideas import serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


def label(text: str):
    """A control's label as the page shows it (a required one ends in an unspoken " *")."""
    return re.compile("^" + re.escape(text) + r"(\s*\*)?$")


def test_apply_on_a_phone_confirm_and_the_coordinator_finds_the_candidate(app, db, live_server, page_at,
                                                                           sign_in_page, make_account, mailbox,
                                                                           deliver):
    sync_topics()
    make_community(name="Code for Sapporo", municipality=municipality_by_code("011002"))
    db.session.commit()
    base = live_server
    phone = page_at(PHONE)
    phone.context.add_cookies([{"name": app.config["LANGUAGE_COOKIE"], "value": "en", "url": base}])
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        problems[name] = serious_violations(phone) + ([] if fits(phone) else ["wider than the phone"])

    phone.goto(base + "/")
    with phone.expect_navigation():
        phone.get_by_role("link", name="Apply to become an evangelist").click()
    assert phone.url.endswith("/apply")
    check("form")

    phone.get_by_label(label("Family name"), exact=True).fill("応募")
    phone.get_by_label(label("Given name"), exact=True).fill("花子")
    phone.get_by_label(label("Family name reading (フリガナ)")).fill("おうぼ")
    phone.get_by_label(label("Given name reading (フリガナ)")).fill("はなこ")
    phone.get_by_label(label("E-mail address")).fill("hanako@example.jp")
    phone.get_by_label(label("Prefecture")).select_option("01")
    phone.get_by_label(label("Prefecture")).press("Tab")  # the script reloads the towns
    phone.wait_for_selector("#municipality option[value='011002']", state="attached")
    phone.get_by_label(label("Municipality")).select_option("011002")
    phone.get_by_label("Another community (optional)").fill("Code for Kita")
    phone.get_by_label("Open data publication").check()
    phone.get_by_label("When you are available (optional)").fill("平日の夜")
    # The privacy notice is not ticked yet: the form comes back with everything typed.
    with phone.expect_navigation():
        phone.get_by_role("button", name="Apply").click()
    assert phone.get_by_text("Agree to the privacy notice to apply.").first.is_visible()
    assert phone.get_by_label("Another community (optional)").input_value() == "Code for Kita"
    assert phone.get_by_label(label("Municipality")).input_value() == "011002"
    check("form-with-a-mistake")
    phone.get_by_label(re.compile("^I agree that the programme keeps these answers")).check()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Apply").click()
    assert phone.url.endswith("/apply/check-mail")
    check("check-mail")

    deliver()
    (mail,) = mailbox.to("hanako@example.jp")
    link = re.search(r"(http://127\.0\.0\.1:\d+/apply/confirm/\S+)", body_of(mail)).group(1)
    phone.goto(link)
    check("confirm")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Confirm and send my application").click()
    assert phone.url.endswith("/apply/confirmed")
    check("confirmed")
    assert {name: found for name, found in problems.items() if found} == {}

    coordinator = make_account("coordinator")
    staff = page_at(DESKTOP)
    sign_in_page(staff, coordinator)  # in Japanese, then the board in English
    staff.context.add_cookies([{"name": app.config["LANGUAGE_COOKIE"], "value": "en", "url": base}])
    staff.goto(base + "/coordinator/recruitment")
    card = staff.locator(".board-card", has_text="応募 花子")
    assert card.locator(".applied-badge").is_visible()
    with staff.expect_navigation():
        card.get_by_role("link", name="応募 花子", exact=True).click()
    assert staff.get_by_text("Applied themselves on the public form").is_visible()
    assert staff.get_by_text("Code for Kita").is_visible()
