"""Communities in public (issue 22, point 5): the directory shows only the communities that
opted in and never their contact e-mail or address; a community registers itself and
confirms its contact address by a mailed link (a button on the link's page, once, within
its hours; nothing else is mailed, under a fixed subject), a coordinator reviews it
(duplicates flagged), accepts or declines, and the registrant is mailed the outcome."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Community, CommunityRegistration
from app.models.base import utcnow
from app.services.regions import set_regions
from tests.factories import make_community, make_places, make_registration
from tests.mailbox import body_of

SECRET_EMAIL = "secret-contact@example.jp"
SECRET_ADDRESS = "札幌市中央区秘密1-2-3"


@pytest.fixture
def towns(db):
    made = make_places("sapporo", "otaru", "aomori")
    db.session.commit()  # each request ends with a rollback, as in production
    return made


@pytest.fixture
def listed(db, towns):
    """A public community in Sapporo (with a contact and an address that stay private),
    a public dormant one in Aomori and one that did not opt in."""
    public = make_community(municipality=towns["sapporo"], name="Code for Sapporo", public=True,
                            website="https://code4sapporo.example.jp/", description="札幌で活動しています。",
                            how_to_join="毎月第2土曜の勉強会にどうぞ。", member_count=25,
                            contact_email=SECRET_EMAIL, address=SECRET_ADDRESS)
    dormant = make_community(municipality=towns["aomori"], name="青森データ部", public=True, status="dormant",
                             member_count=4)
    hidden = make_community(municipality=towns["otaru"], name="小樽ひみつの会", contact_email="hidden@example.jp")
    db.session.commit()
    return {"public": public, "dormant": dormant, "hidden": hidden}


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- the directory -------------------------------------------------------------------------------


def test_the_directory_lists_only_public_communities_and_nothing_private(english, listed):
    page = _text(english.get("/communities"))
    assert "Code for Sapporo" in page and "青森データ部" in page
    assert "小樽ひみつの会" not in page
    assert SECRET_EMAIL not in page and SECRET_ADDRESS not in page and "hidden@example.jp" not in page
    assert "10–29 members" in page and "Fewer than 10 members" in page
    assert "毎月第2土曜の勉強会にどうぞ。" in page


def test_the_directory_filters_by_prefecture_activity_and_name(english, listed):
    by_prefecture = _text(english.get("/communities?prefecture=02"))
    assert "青森データ部" in by_prefecture and "Code for Sapporo" not in by_prefecture
    active = _text(english.get("/communities?status=active"))
    assert "Code for Sapporo" in active and "青森データ部" not in active
    named = _text(english.get("/communities?q=sapporo"))
    assert "Code for Sapporo" in named and "青森データ部" not in named
    by_town = _text(english.get("/communities?q=青森"))
    assert "青森データ部" in by_town
    nothing = _text(english.get("/communities?q=zzz"))
    assert "No listed community matches these filters." in nothing


def test_a_bad_filter_is_said_and_ignored(english, listed):
    response = english.get("/communities?prefecture=99&status=sleeping")
    page = _text(response)
    assert response.status_code == 200
    assert page.count("Choose from the list.") == 2
    assert "Code for Sapporo" in page and "青森データ部" in page


def test_the_directory_is_paginated(english, towns, db):
    for n in range(35):
        make_community(municipality=towns["sapporo"], name=f"会{n:02d}", public=True)
    db.session.commit()
    first, second = _text(english.get("/communities")), _text(english.get("/communities?page=2"))
    assert "会00" in first and "会29" in first and "会30" not in first
    assert "会30" in second and "会34" in second and "会00" not in second


def test_the_map_holds_only_the_public_communities_of_the_page(english, listed):
    page = _text(english.get("/communities"))
    (data,) = re.findall(r'<script type="application/json" id="map-data-communities">(.*?)</script>', page, re.S)
    assert "Code for Sapporo" in data and "小樽ひみつの会" not in data and SECRET_EMAIL not in data


def test_a_public_community_has_its_page_with_its_town_on_a_map(english, listed):
    page = _text(english.get(f"/communities/{listed['public'].id}"))
    assert "Code for Sapporo" in page and "札幌市" in page and "https://code4sapporo.example.jp/" in page
    assert "毎月第2土曜の勉強会にどうぞ。" in page and "10–29 members" in page
    assert 'id="map-data-place"' in page
    assert SECRET_EMAIL not in page and SECRET_ADDRESS not in page


def test_a_community_that_did_not_opt_in_has_no_public_page(english, listed):
    response = english.get(f"/communities/{listed['hidden'].id}")
    assert response.status_code == 404
    assert "小樽ひみつの会" not in _text(response)
    assert english.get("/communities/999999").status_code == 404


def test_a_website_that_is_not_a_web_address_is_never_linked(english, towns, db):
    community = make_community(municipality=towns["sapporo"], name="古い会", public=True, website="javascript:alert(1)")
    db.session.commit()
    page = _text(english.get(f"/communities/{community.id}"))
    assert "javascript:" not in page


def test_the_public_pages_are_served_from_the_page_cache_and_follow_changes(english, listed, db):
    first = _text(english.get("/communities"))
    assert "小樽ひみつの会" not in first
    listed["hidden"].public = True
    db.session.commit()
    assert "小樽ひみつの会" in _text(english.get("/communities"))


def test_the_municipality_page_links_only_listed_communities_to_their_page(english, listed, towns):
    sapporo = _text(english.get("/municipalities/011002"))
    assert f'href="/communities/{listed["public"].id}"' in sapporo
    otaru = _text(english.get("/municipalities/012033"))
    # Names of the active communities near a town are public by design; only listed ones link a page.
    assert "小樽ひみつの会" in otaru
    assert f'href="/communities/{listed["hidden"].id}"' not in otaru
    assert 'href="/communities?prefecture=01"' in otaru


def test_the_navigation_and_footer_lead_to_the_directory(english, listed):
    assert 'href="/communities"' in _text(english.get("/"))


# --- registering ---------------------------------------------------------------------------------


def _form(**overrides) -> dict:
    data = {"name": "Code for Otaru", "prefecture": "01", "municipality": "012033",
            "website": "https://code4otaru.example.jp/", "description": "小樽で活動", "how_to_join": "Slackへどうぞ",
            "member_count": "8", "contact_email": "otaru@example.jp", "consent": "y", "nonce": "n-1"}
    data.update(overrides)
    return data


def confirm_path(mailbox, deliver, address="otaru@example.jp") -> str:
    deliver()
    (mail,) = mailbox.to(address)
    found = set(re.findall(r"https?://\S+(/communities/register/confirm/\S+)", body_of(mail)))
    assert len(found) == 1, body_of(mail)
    return found.pop()


def test_a_community_registers_confirms_its_address_and_only_then_waits_for_review(
        english, towns, db, mailbox, deliver, signed_in_client, app):
    form_page = _text(english.get("/communities/register"))
    assert "We first mail a link to the contact address" in form_page and "cannot send e-mail" not in form_page
    response = english.post("/communities/register", data=_form())
    assert response.status_code == 302 and response.headers["Location"].endswith("/communities/register/check-mail")
    check = english.get(response.headers["Location"])
    assert check.headers["Cache-Control"] == "no-store"
    assert "otaru@example.jp" in _text(check) and "within 48 hours" in _text(check)
    (registration,) = db.session.scalars(sa.select(CommunityRegistration)).all()
    assert (registration.name, registration.status, registration.municipality.code) == ("Code for Otaru",
                                                                                         "unconfirmed", "012033")
    assert registration.member_count == 8 and registration.consent is True
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Community)) == 0
    assert "Code for Otaru" not in _text(english.get("/communities"))
    # Nobody reviews it before the address is confirmed.
    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    assert "Code for Otaru" not in _text(client.get("/coordinator/communities/registrations"))
    assert client.get(f"/coordinator/communities/registrations/{registration.id}").status_code == 404
    assert client.get("/coordinator/communities/registrations?status=unconfirmed").status_code == 200
    assert "Code for Otaru" not in _text(client.get("/coordinator/communities/registrations?status=unconfirmed"))

    path = confirm_path(mailbox, deliver)  # the only mail, under a fixed subject
    (mail,) = mailbox.to("otaru@example.jp")
    assert mail["Subject"].split(" / ")[-1] == "Confirm your community's registration"
    assert "Code for Otaru" in body_of(mail) and "Code for Otaru" not in mail["Subject"]
    shown = english.get(path)  # a mail scanner that opens the link confirms nothing
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert shown.headers["Referrer-Policy"] == "no-referrer"
    assert "Code for Otaru" in _text(shown) and "Confirm and send the registration" in _text(shown)
    db.session.refresh(registration)
    assert registration.status == "unconfirmed"
    done = english.post(path)
    assert done.status_code == 302 and done.headers["Location"].endswith("/communities/register/confirmed")
    receipt = english.get("/communities/register/confirmed")
    assert receipt.headers["Cache-Control"] == "no-store"
    assert "Code for Otaru" in _text(receipt) and "reviews the registration" in _text(receipt)
    assert english.get(path).status_code == 404  # used
    db.session.refresh(registration)
    assert registration.status == "pending" and registration.confirmed_at is not None
    assert "Code for Otaru" in _text(client.get("/coordinator/communities/registrations"))
    deliver()
    assert len(mailbox.to("otaru@example.jp")) == 1  # no receipt by mail: the page said it
    actions = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.actor_label == "registrant")))
    assert actions == {"community_registration.submitted", "community_registration.confirmed"}


def test_without_mail_nobody_can_register(english, towns, db):
    assert "cannot send e-mail" in _text(english.get("/communities/register"))
    response = english.post("/communities/register", data=_form())
    assert response.status_code == 422 and "cannot send e-mail" in _text(response)
    assert 'value="Code for Otaru"' in _text(response)  # what was typed stays
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommunityRegistration)) == 0


def test_expired_and_unknown_links_say_so(english, towns, db, clock):
    make_registration(status="unconfirmed", token="a-registration-token-of-thirty-chars",
                      municipality=towns["otaru"])
    db.session.commit()
    path = "/communities/register/confirm/a-registration-token-of-thirty-chars"
    assert english.get(path).status_code == 200
    clock(utcnow() + timedelta(hours=49))
    expired = english.get(path)
    assert expired.status_code == 410 and "has expired" in _text(expired)
    assert expired.headers["Cache-Control"] == "no-store" and expired.headers["Referrer-Policy"] == "no-referrer"
    assert english.post(path).status_code == 410
    unknown = english.get("/communities/register/confirm/no-such-token")
    assert unknown.status_code == 404 and unknown.headers["Cache-Control"] == "no-store"
    assert "does not work" in _text(unknown)
    assert db.session.scalar(sa.select(CommunityRegistration.status)) == "unconfirmed"


def test_the_confirmed_page_needs_a_confirmation_in_this_session(english, towns):
    response = english.get("/communities/register/confirmed")
    assert response.status_code == 302 and response.headers["Location"].endswith("/communities/register")


def test_the_same_form_sent_twice_registers_once(english, towns, db, mailbox, deliver):
    english.post("/communities/register", data=_form())
    english.post("/communities/register", data=_form())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommunityRegistration)) == 1
    deliver()
    assert len(mailbox.to("otaru@example.jp")) == 1


def test_bad_input_is_said_per_field_and_keeps_what_was_typed(english, towns, db):
    response = english.post("/communities/register", data=_form(
        website="code4otaru", contact_email="not-an-address", member_count="many", consent=""))
    page = _text(response)
    assert response.status_code == 422
    assert "Enter a web address starting with https://" in page
    assert "This is not an e-mail address" in page
    assert "Enter a whole number from 0 to 1,000,000, or leave it empty." in page
    assert "Tick the box to agree to the public listing" in page
    for typed in ('value="Code for Otaru"', 'value="code4otaru"', 'value="not-an-address"', 'value="many"',
                  "小樽で活動", "Slackへどうぞ"):
        assert typed in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommunityRegistration)) == 0


def test_missing_name_and_town_are_said(english, towns):
    page = _text(english.post("/communities/register", data=_form(name=" ", municipality="")))
    assert "Enter the community's name." in page.replace("&#39;", "'") and "Choose the municipality." in page


def test_choosing_the_prefecture_without_javascript_keeps_everything(english, towns):
    page = _text(english.post("/communities/register", data=_form(prefecture="02", municipality="", action="prefecture")))
    assert 'value="Code for Otaru"' in page and "青森市" in page and 'data-focus="municipality"' in page


def test_the_honeypot_stores_nothing_and_sends_nothing(english, towns, db, mailbox, deliver):
    response = english.post("/communities/register", data=_form(homepage="http://spam.example/"))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommunityRegistration)) == 0
    deliver()
    assert mailbox.messages == []


def test_registrations_are_rate_limited(english, towns, mailbox):
    codes = [english.post("/communities/register", data=_form(nonce=f"n{n}", name=f"会{n}")).status_code
             for n in range(11)]
    assert codes[:10] == [302] * 10 and codes[10] == 429


def test_forms_sent_back_with_a_mistake_do_not_count_against_the_limit(english, towns, mailbox):
    for _n in range(12):
        assert english.post("/communities/register", data=_form(consent="")).status_code == 422
    assert english.post("/communities/register", data=_form()).status_code == 302


# --- reviewing -----------------------------------------------------------------------------------


def test_the_queue_flags_duplicates_and_the_home_page_counts_what_waits(english, signed_in_client, listed, towns,
                                                                        app):
    make_registration(name="CODE 4 SAPPORO", municipality=towns["sapporo"])
    make_registration(name="小樽の新しい会", municipality=towns["otaru"])
    from app.extensions import db

    db.session.commit()
    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    queue = _text(client.get("/coordinator/communities/registrations"))
    assert "2 registrations wait for review" in queue
    assert queue.count("duplicate-flag") == 1 and "May be:" in queue and "Code for Sapporo" in queue
    home = _text(client.get("/coordinator/"))
    assert "2 communities registered themselves for the public directory" in home
    assert 'class="btn btn-outline-secondary registrations-link"' in _text(client.get("/coordinator/communities"))


def test_accepting_makes_a_public_community_and_mails_the_registrant(signed_in_client, towns, db, mailbox, deliver,
                                                                    app, english):
    registration = make_registration(name="小樽の新しい会", municipality=towns["otaru"], contact_email="new@example.jp",
                                     website="https://otaru-new.example.jp/", member_count=40)
    db.session.commit()
    client, user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    detail = _text(client.get(f"/coordinator/communities/registrations/{registration.id}"))
    assert "No known community or waiting registration" in detail and "new@example.jp" in detail
    response = client.post(f"/coordinator/communities/registrations/{registration.id}/accept", data={"merge_into": ""})
    assert response.status_code == 302
    community = db.session.scalar(sa.select(Community).where(Community.name == "小樽の新しい会"))
    assert community.public and community.status == "active" and community.member_count == 40
    assert (community.lat, community.lon) == (towns["otaru"].lat, towns["otaru"].lon)
    assert community.contact_email == "new@example.jp"
    db.session.refresh(registration)
    assert (registration.status, registration.community_id, registration.decided_by_id) == (
        "accepted", community.id, user.id)
    assert "小樽の新しい会" in _text(english.get("/communities"))
    deliver()
    (outcome,) = mailbox.to("new@example.jp")
    assert outcome["Subject"].split(" / ")[-1] == "Your community is listed" and "was accepted" in body_of(outcome)
    assert "小樽の新しい会" in body_of(outcome) and "小樽の新しい会" not in outcome["Subject"]
    assert f"/communities/{community.id}" in body_of(outcome)
    # Decided once: a second decision is refused with a message and changes nothing.
    again = client.post(f"/coordinator/communities/registrations/{registration.id}/decline", data={"reason": "x"},
                        follow_redirects=True)
    assert "already decided" in _text(again)
    db.session.refresh(registration)
    assert registration.status == "accepted" and registration.decline_reason == ""


def test_accepting_a_duplicate_merges_into_the_known_community(signed_in_client, listed, towns, db, app):
    known = listed["public"]
    known.public = False
    registration = make_registration(name="Code 4 Sapporo", municipality=towns["sapporo"], how_to_join="Discordへ",
                                     website="https://new.example.jp/", member_count=0, contact_email="other@example.jp")
    db.session.commit()
    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    detail = _text(client.get(f"/coordinator/communities/registrations/{registration.id}"))
    assert "The same name, written differently" in detail
    # The same name: merging is preselected.
    assert re.search(rf'<option selected value="{known.id}">', detail)
    merged = client.post(f"/coordinator/communities/registrations/{registration.id}/accept",
                         data={"merge_into": str(known.id)})
    assert merged.status_code == 302 and merged.headers["Location"].endswith(f"/coordinator/communities/{known.id}")
    db.session.refresh(registration)
    assert registration.status == "accepted" and registration.community_id == known.id
    db.session.refresh(known)
    assert known.public and known.how_to_join == "Discordへ" and known.website == "https://new.example.jp/"
    assert known.member_count == 25  # not given: kept
    assert known.contact_email == SECRET_EMAIL  # the known contact is kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Community).where(
        Community.municipality_id == towns["sapporo"].id)) == 1


def test_accepting_as_new_a_name_that_exists_is_refused_with_a_message(signed_in_client, listed, towns, db, app):
    registration = make_registration(name="code for sapporo", municipality=towns["sapporo"])
    db.session.commit()
    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    response = client.post(f"/coordinator/communities/registrations/{registration.id}/accept",
                           data={"merge_into": ""})
    assert response.status_code == 422
    assert "A community of this name already exists" in _text(response)
    db.session.refresh(registration)
    assert registration.status == "pending"


def test_declining_needs_a_reason_and_mails_it(signed_in_client, towns, db, mailbox, deliver, app):
    registration = make_registration(name="怪しい会", municipality=towns["otaru"], contact_email="x@example.jp")
    db.session.commit()
    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    empty = client.post(f"/coordinator/communities/registrations/{registration.id}/decline", data={"reason": " "})
    assert empty.status_code == 422 and "Write the reason" in _text(empty)
    response = client.post(f"/coordinator/communities/registrations/{registration.id}/decline",
                           data={"reason": "活動の様子が確認できませんでした。"})
    assert response.status_code == 302
    db.session.refresh(registration)
    assert registration.status == "declined" and registration.decline_reason == "活動の様子が確認できませんでした。"
    deliver()
    outcome = mailbox.to("x@example.jp")[-1]
    assert "活動の様子が確認できませんでした。" in body_of(outcome)
    declined = _text(client.get("/coordinator/communities/registrations?status=declined"))
    assert "怪しい会" in declined


def test_a_regional_coordinator_reviews_only_their_regions(signed_in_client, make_account, towns, db):
    inside = make_registration(name="青森の会", municipality=towns["aomori"])
    outside = make_registration(name="札幌の会", municipality=towns["sapporo"])
    db.session.commit()
    national = make_account("coordinator")
    client, user = signed_in_client("coordinator")
    set_regions(national, user, ["tohoku"])
    queue = _text(client.get("/coordinator/communities/registrations"))
    assert "青森の会" in queue and "札幌の会" not in queue
    assert client.get(f"/coordinator/communities/registrations/{outside.id}").status_code == 404
    assert client.post(f"/coordinator/communities/registrations/{outside.id}/decline",
                       data={"reason": "x"}).status_code == 404
    assert client.get(f"/coordinator/communities/registrations/{inside.id}").status_code == 200


# --- hostile text ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "{{7*7}}", "{{"])
def test_hostile_text_shows_as_text_on_every_page(text, english, towns, db, signed_in_client, app, mailbox, deliver):
    english.post("/communities/register", data=_form(name=f"会{text}", description=f"説明{text}",
                                                     how_to_join=f"参加{text}", nonce=f"n-{text}"))
    registration = db.session.scalar(sa.select(CommunityRegistration))
    assert registration is not None
    deliver()
    (mail,) = mailbox.to("otaru@example.jp")
    assert text not in mail["Subject"] and "会" not in mail["Subject"]  # a fixed subject
    assert f"会{text}" in body_of(mail)  # quoted as typed, never rendered
    path = re.search(r"https?://\S+(/communities/register/confirm/\S+)", body_of(mail)).group(1)
    pages = [_text(english.get(path))]
    english.post(path)
    pages.append(_text(english.get("/communities/register/confirmed")))
    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    pages += [_text(client.get("/coordinator/communities/registrations")),
              _text(client.get(f"/coordinator/communities/registrations/{registration.id}"))]
    client.post(f"/coordinator/communities/registrations/{registration.id}/accept", data={"merge_into": ""})
    community = db.session.scalar(sa.select(Community))
    pages += [_text(english.get("/communities")), _text(english.get(f"/communities/{community.id}")),
              _text(client.get(f"/coordinator/communities/{community.id}")),
              _text(client.get(f"/coordinator/communities/{community.id}/edit"))]
    for page in pages:
        assert "<script>alert(1)</script>" not in page
        assert not any(f"{prefix}49" in page for prefix in ("会", "説明", "参加"))
    escaped = text.replace("<", "&lt;").replace(">", "&gt;")
    assert all(f"会{escaped}" in page for page in pages)
    assert all(f"参加{escaped}" in page for page in pages[3:])
    deliver()
    outcome = mailbox.to("otaru@example.jp")[-1]
    assert text not in outcome["Subject"] and f"会{text}" in body_of(outcome)


# --- the coordinators' community form ----------------------------------------------------------


def test_a_coordinator_lists_a_community_with_how_to_join_and_takes_it_out_again(signed_in_client, listed, db, app,
                                                                                 english):
    hidden = listed["hidden"]
    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    form = _text(client.get(f"/coordinator/communities/{hidden.id}/edit"))
    assert "Never shown: the contact e-mail, the address" in form and 'name="public"' in form
    data = {"name": hidden.name, "prefecture": "01", "municipality": "012033", "member_count": "10",
            "location": "municipality", "public": "y", "how_to_join": "見学はいつでも",
            "contact_email": "hidden@example.jp"}
    assert client.post(f"/coordinator/communities/{hidden.id}/edit", data=data).status_code == 302
    db.session.refresh(hidden)
    assert hidden.public and hidden.how_to_join == "見学はいつでも"
    assert "見学はいつでも" in _text(english.get(f"/communities/{hidden.id}"))
    staff_page = _text(client.get(f"/coordinator/communities/{hidden.id}"))
    assert f'href="/communities/{hidden.id}"' in staff_page
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "community.updated"))
    assert event.after == {"public": True, "how_to_join": "見学はいつでも"}
    del data["public"]
    client.post(f"/coordinator/communities/{hidden.id}/edit", data=data)
    db.session.refresh(hidden)
    assert not hidden.public
    assert english.get(f"/communities/{hidden.id}").status_code == 404


def test_how_to_join_too_long_keeps_what_was_typed(signed_in_client, listed, app):
    hidden = listed["hidden"]
    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    data = {"name": hidden.name, "prefecture": "01", "municipality": "012033", "member_count": "10",
            "location": "municipality", "public": "y", "how_to_join": "長" * 2001}
    response = client.post(f"/coordinator/communities/{hidden.id}/edit", data=data)
    page = _text(response)
    assert response.status_code == 422 and "長" * 2001 in page and "2000" in page
