"""/me/profile: the signed-in evangelist keeps their own profile up to date."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Evangelist, Municipality, Topic
from app.services.topics import sync_topics
from evangelists.calendar import today_in_japan as today
from tests.conftest import PASSWORD, sign_in
from tests.factories import (
    make_community,
    make_evangelist,
    make_municipality,
)
from tests.web.conftest import CHROMIUM, PHONE


@pytest.fixture
def towns(reference_towns):
    return reference_towns


def topic(db, slug: str) -> Topic:
    return db.session.scalar(sa.select(Topic).where(Topic.slug == slug))


@pytest.fixture
def me(db, towns, signed_in_client):
    """(client, evangelist): an active evangelist in Sapporo, signed in."""
    client, user = signed_in_client("evangelist", display_name="試験 花子")
    community = make_community(name="Code for Sapporo", municipality=towns["sapporo"])
    evangelist = make_evangelist(
        user=user, family_name="試験", given_name="花子", family_name_kana="シケン", home_municipality=towns["sapporo"],
        home_community=community, capacity=3, travel_radius_km=80.0, online_ok=True, languages=["ja"],
        skills=[topic(db, "gis")],
    )
    db.session.commit()
    return client, evangelist


@pytest.fixture
def someone_else(db, towns, make_account):
    """Another evangelist, in Aomori, with values that would be easy to spot."""
    user = make_account("evangelist", display_name="別人 次郎")
    evangelist = make_evangelist(
        user=user, family_name="別人", given_name="次郎", home_municipality=towns["aomori"], capacity=17,
        travel_radius_km=1234.0, languages=["ja", "vi"], age_band="60s", gender="male",
        skills=[topic(db, "hackathons")],
    )
    db.session.commit()
    return evangelist


def form_data(**overrides):
    data = {
        "family_name_kana": "シケン",
        "given_name_kana": "ハナコ",
        "prefecture": "01",
        "municipality": "013030",
        "skills": ["licensing", "gis"],
        "capacity": "7",
        "travel_radius_km": "120",
        "online_ok": "y",
        "languages": ["ja", "en"],
        "age_band": "30s",
        "gender": "",
        "paused_until": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def stored(db, evangelist) -> Evangelist:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Evangelist, evangelist.id)


def in_english(client, app):
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    return client


def input_value(html: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    if not found:
        return None
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else ""


def checked(html: str, name: str) -> set[str]:
    return {
        re.search(r'value="([^"]*)"', tag).group(1)
        for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)
        if re.search(r"\bchecked\b", tag)
    }


def selected(html: str, name: str) -> str | None:
    block = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    if not block:
        return None
    option = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', block.group(1))
    if not option:
        return None
    return option.group(1) if option.group(1) is not None else option.group(2)


def options(html: str, name: str) -> str:
    return re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)


# --- Reading ---------------------------------------------------------------------------------


def test_the_page_shows_the_evangelists_own_profile(app, me, someone_else):
    client, _evangelist = me
    html = in_english(client, app).get("/me/profile").get_data(as_text=True)
    assert "試験 花子" in html and "Code for Sapporo" in html
    assert selected(html, "prefecture") == "01" and selected(html, "municipality") == "011002"
    assert input_value(html, "capacity") == "3" and input_value(html, "travel_radius_km") == "80"
    assert checked(html, "skills") == {"gis"} and checked(html, "languages") == {"ja"}
    assert checked(html, "online_ok") == {"y"}
    assert selected(html, "age_band") == "" and selected(html, "gender") == ""
    assert input_value(html, "paused_until") == ""


def test_there_is_no_id_in_the_url_so_each_evangelist_sees_only_their_own(app, me, someone_else):
    mine = me[0].get("/me/profile").get_data(as_text=True)
    assert "別人" not in mine and 'value="17"' not in mine and 'value="1234"' not in mine
    assert checked(mine, "languages") == {"ja"}

    theirs_client = app.test_client()
    sign_in(theirs_client, someone_else.user)
    theirs = theirs_client.get("/me/profile").get_data(as_text=True)
    assert "別人 次郎" in theirs and "試験" not in theirs
    assert input_value(theirs, "capacity") == "17" and checked(theirs, "languages") == {"ja", "vi"}
    assert selected(theirs, "age_band") == "60s" and selected(theirs, "municipality") == "022012"


def test_a_post_changes_only_the_senders_own_profile(db, me, someone_else):
    client, evangelist = me
    client.post("/me/profile", data=form_data(capacity="0"))
    assert stored(db, evangelist).capacity == 0
    other = stored(db, someone_else)
    assert (other.capacity, other.travel_radius_km, other.home_municipality.code) == (17, 1234.0, "022012")


def test_an_evangelist_without_a_profile_is_told_the_coordinator_sets_it_up(app, db, signed_in_client):
    client, _user = signed_in_client("evangelist")
    in_english(client, app)
    response = client.get("/me/profile")
    assert response.status_code == 200
    assert "has not been created yet" in response.get_data(as_text=True)
    posted = client.post("/me/profile", data=form_data())
    assert posted.status_code == 200 and "has not been created yet" in posted.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist)) == 0


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_staff_have_no_profile_page_of_their_own(signed_in_client, towns, role):
    client, _user = signed_in_client(role)
    assert client.get("/me/profile").status_code == 403


def test_the_page_costs_the_same_number_of_queries_however_much_data_there_is(db, me, towns, count_queries):
    client, evangelist = me
    with count_queries() as few:
        assert client.get("/me/profile").status_code == 200
    evangelist.skills = list(db.session.scalars(sa.select(Topic)))
    for n in range(10):
        make_municipality(prefecture=towns["sapporo"].prefecture)
        make_evangelist(home_municipality=towns["tobetsu"], family_name=f"他{n}")
    db.session.commit()
    with count_queries() as many:
        assert client.get("/me/profile").status_code == 200
    assert many.count == few.count


# --- Saving ------------------------------------------------------------------------------------


def test_saving_stores_every_field_moves_the_home_and_comes_back_with_a_message(app, db, me, towns):
    client, evangelist = me
    in_english(client, app)
    response = client.post("/me/profile", data=form_data(online_ok=None, gender="female"))
    assert response.status_code == 302 and response.headers["Location"] == "/me/profile"
    row = stored(db, evangelist)
    assert row.home_municipality.code == "013030" and (row.lat, row.lon) == (43.2237, 141.517)
    assert [t.slug for t in row.skills] == ["licensing", "gis"]
    assert (row.capacity, row.travel_radius_km, row.online_ok) == (7, 120.0, False)
    assert row.languages == ["ja", "en"]
    assert (row.age_band, row.gender) == ("30s", "female")
    assert (row.status, row.paused_until) == ("active", None)
    page = client.get("/me/profile").get_data(as_text=True)
    assert "Your profile is saved." in page
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "evangelist.profile_updated")).one()
    assert event.actor_id == evangelist.user_id and "female" not in str(event.after) and "30s" not in str(event.after)


def test_saving_an_unchanged_form_says_so_and_writes_nothing(app, db, me):
    client, evangelist = me
    in_english(client, app)
    same = form_data(municipality="011002", skills=["gis"], capacity="3", travel_radius_km="80", languages=["ja"],
                     age_band="")
    client.post("/me/profile", data=same)
    assert "Nothing to save" in client.get("/me/profile").get_data(as_text=True)
    assert db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "evangelist.profile_updated")).all() == []


def test_a_decimal_travel_radius_is_kept(db, me):
    client, evangelist = me
    client.post("/me/profile", data=form_data(travel_radius_km="12.5"))
    assert stored(db, evangelist).travel_radius_km == 12.5
    assert input_value(client.get("/me/profile").get_data(as_text=True), "travel_radius_km") == "12.5"


def test_pausing_and_resuming(app, db, me):
    client, evangelist = me
    in_english(client, app)
    back = today() + timedelta(days=14)
    client.post("/me/profile", data=form_data(paused_until=back.isoformat()))
    row = stored(db, evangelist)
    assert (row.status, row.paused_until) == ("paused", back)
    page = client.get("/me/profile").get_data(as_text=True)
    assert "You are paused until" in page and input_value(page, "paused_until") == back.isoformat()

    client.post("/me/profile", data=form_data(paused_until=""))
    row = stored(db, evangelist)
    assert (row.status, row.paused_until) == ("active", None)
    assert "You are available" in client.get("/me/profile").get_data(as_text=True)


def test_a_pause_that_has_ended_starts_empty_so_saving_makes_the_evangelist_available(app, db, me):
    client, evangelist = me
    evangelist.status, evangelist.paused_until = "paused", today() - timedelta(days=3)
    db.session.commit()
    page = in_english(client, app).get("/me/profile").get_data(as_text=True)
    assert input_value(page, "paused_until") == ""
    assert 'Leave "Pause until" empty and save to be available again.' in page.replace("&#34;", '"')
    client.post("/me/profile", data=form_data())
    assert stored(db, evangelist).status == "active"


@pytest.mark.parametrize("status", ["candidate", "retired"])
def test_candidates_and_retired_evangelists_see_why_they_cannot_pause_and_a_posted_date_changes_nothing(
    app, db, me, status
):
    client, evangelist = me
    evangelist.status = status
    db.session.commit()
    page = in_english(client, app).get("/me/profile").get_data(as_text=True)
    assert 'name="paused_until"' not in page
    assert "so you cannot pause or resume here" in page
    response = client.post("/me/profile", data=form_data(paused_until=(today() + timedelta(days=3)).isoformat()))
    assert response.status_code == 302
    row = stored(db, evangelist)
    assert (row.status, row.paused_until, row.capacity) == (status, None, 7)


# --- Errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize(
    ("overrides", "field", "message_en"),
    [
        ({"prefecture": ""}, "prefecture", "Choose your prefecture."),
        ({"municipality": ""}, "municipality", "Choose your municipality."),
        ({"municipality": "022012"}, "municipality", "Choose a municipality of the chosen prefecture."),
        ({"capacity": ""}, "capacity", "Enter a whole number from 0 to 20."),
        ({"capacity": "21"}, "capacity", "Enter a whole number from 0 to 20."),
        ({"capacity": "-1"}, "capacity", "Enter a whole number from 0 to 20."),
        ({"capacity": "2.5"}, "capacity", "Enter a whole number from 0 to 20."),
        ({"capacity": "lots"}, "capacity", "Enter a whole number from 0 to 20."),
        ({"travel_radius_km": ""}, "travel_radius_km", "Enter a distance in km from 1 to 2000."),
        ({"travel_radius_km": "0"}, "travel_radius_km", "Enter a distance in km from 1 to 2000."),
        ({"travel_radius_km": "2001"}, "travel_radius_km", "Enter a distance in km from 1 to 2000."),
        ({"travel_radius_km": "far"}, "travel_radius_km", "Enter a distance in km from 1 to 2000."),
        ({"travel_radius_km": "nan"}, "travel_radius_km", "Enter a distance in km from 1 to 2000."),
        ({"languages": None}, "languages", "Choose at least one language."),
        ({"languages": ["ja", "xx"]}, "languages", "Choose languages from the list."),
        ({"skills": ["astrology"]}, "skills", "Choose topics from the list."),
        ({"age_band": "teen"}, "age_band", "Choose from the list."),
        ({"gender": "robot"}, "gender", "Choose from the list."),
        ({"paused_until": timedelta(days=-1)}, "paused_until",
         "Choose today or a later date, or leave it empty."),
        ({"paused_until": "next week"}, "paused_until", "Enter a date like 2030-04-01."),
    ],
)
def test_each_invalid_field_gets_its_error_next_to_it_and_nothing_typed_is_lost(
    app, db, me, language, overrides, field, message_en
):
    client, evangelist = me
    if isinstance(overrides.get("paused_until"), timedelta):  # days from today, known only when the test runs
        overrides = {**overrides, "paused_until": (today() + overrides["paused_until"]).isoformat()}
    client.set_cookie(app.config["LANGUAGE_COOKIE"], language)
    response = client.post("/me/profile", data=form_data(**overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error"[^>]*>([^<]+)<', html)
    assert error, f"no error shown next to {field}"
    marked = set(re.findall(r'id="(\w+)-error" class="invalid-feedback', html))
    # Without a prefecture, the municipality cannot be checked either.
    assert marked == ({field, "municipality"} if field == "prefecture" else {field}), "only the wrong field is marked"
    assert f'href="#{field}' in html  # the summary links to it
    if language == "en":
        assert error.group(1).strip() == message_en  # one clear message, not WTForms' generic one too
    # What was typed comes back, the wrong value included.
    if field in ("capacity", "travel_radius_km", "paused_until"):
        assert input_value(html, field) == overrides[field]
    if field != "capacity":
        assert input_value(html, "capacity") == "7"
    if field != "travel_radius_km":
        assert input_value(html, "travel_radius_km") == "120"
    if field != "skills":
        assert checked(html, "skills") == {"licensing", "gis"}
    if field != "languages":
        assert checked(html, "languages") == {"ja", "en"}
    if field != "age_band":
        assert selected(html, "age_band") == "30s"
    if field not in ("prefecture", "municipality"):
        assert selected(html, "municipality") == "013030"
    assert checked(html, "online_ok") == {"y"}
    row = stored(db, evangelist)
    assert (row.capacity, row.home_municipality.code, row.age_band) == (3, "011002", None)


def test_a_refusal_from_the_service_is_shown_next_to_its_field(app, db, me, monkeypatch):
    """The form catches bad values first; a refusal that still comes (the data changed
    between loading the page and saving) is shown the same way."""
    from app.evangelist import profile as profile_view
    from app.services.evangelists import ProfileRefused

    def refuse(*_args, **_kwargs):
        raise ProfileRefused("home_municipality", "unknown")

    monkeypatch.setattr(profile_view, "update_profile", refuse)
    client, _evangelist = me
    response = in_english(client, app).post("/me/profile", data=form_data())
    assert response.status_code == 422
    assert re.search(r'id="municipality-error"[^>]*>Choose from the list.<', response.get_data(as_text=True))


# --- Prefecture then municipality, without JavaScript -------------------------------------------


def test_choosing_a_prefecture_without_javascript_reloads_the_list_and_keeps_what_was_typed(db, me):
    client, evangelist = me
    response = client.post("/me/profile", data={**form_data(prefecture="02", municipality=None, capacity="9",
                                                            age_band="50s", gender="other"),
                                                "action": "prefecture"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    municipalities = options(html, "municipality")
    assert "青森市" in municipalities and "当別町" not in municipalities and "札幌市" not in municipalities
    assert selected(html, "prefecture") == "02"
    assert input_value(html, "capacity") == "9" and input_value(html, "travel_radius_km") == "120"
    assert checked(html, "skills") == {"licensing", "gis"} and checked(html, "languages") == {"ja", "en"}
    assert selected(html, "age_band") == "50s" and selected(html, "gender") == "other"
    assert 'data-focus="municipality"' in html
    assert "invalid-feedback" not in html  # a plain reload shows no errors
    assert stored(db, evangelist).capacity == 3  # and saves nothing


def test_the_reloaded_list_then_saves_the_new_home(db, me):
    client, evangelist = me
    client.post("/me/profile", data=form_data(prefecture="02", municipality="022012"))
    row = stored(db, evangelist)
    assert row.home_municipality.code == "022012" and (row.lat, row.lon) == (40.8246, 140.7406)


def test_the_reload_button_is_there_for_browsers_without_javascript(me):
    html = me[0].get("/me/profile").get_data(as_text=True)
    assert re.search(r'<button type="submit" name="action" value="prefecture"', html)
    assert "js/request-form.js" in html  # which hides it and reloads on change instead


# --- Languages, privacy, CSRF ------------------------------------------------------------------


def test_the_page_in_english(app, me):
    client, _evangelist = me
    html = in_english(client, app).get("/me/profile").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "My profile" in html and "Home base" in html and "Travel radius (km)" in html
    assert "Hokkaido" in html and "札幌市 (Sapporo-shi)" in html
    assert "GIS and map data" in html and "GIS・地図データ" not in html
    assert "Vietnamese" in html and "30–39" in html and "Prefer not to say" in html


def test_the_page_in_japanese(me):
    client, _evangelist = me
    html = client.get("/me/profile").get_data(as_text=True)  # Japanese is the default
    assert '<html lang="ja">' in html
    assert "プロフィール" in html and "活動拠点" in html and "都道府県" in html  # already translated
    assert "北海道" in html and "Hokkaido" not in html and "Sapporo-shi" not in html
    assert "GIS・地図データ" in html and "GIS and map data" not in html


def test_age_band_and_gender_are_explained_as_optional_and_private(app, me):
    html = in_english(me[0], app).get("/me/profile").get_data(as_text=True)
    note = re.search(r'id="diversity-note"[^>]*>([^<]+)<', html).group(1)
    assert "used only for statistics on the diversity of the network" in note
    assert "never shown to other evangelists" in note
    for name in ("age_band", "gender"):
        assert re.search(r'<option selected value="">Prefer not to say</option>', options(html, name))


def test_without_the_csrf_token_nothing_is_saved(app, db, me):
    client, evangelist = me
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/me/profile", data=form_data(capacity="9")).status_code == 400
    assert stored(db, evangelist).capacity == 3
    page = client.get("/me/profile").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/me/profile", data={**form_data(capacity="9"), "csrf_token": token}).status_code == 302
    assert stored(db, evangelist).capacity == 9


# --- In a browser --------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")
def test_on_a_phone_the_prefecture_reloads_the_list_and_the_profile_saves(live_server, page_at, db, make_account):
    sync_topics()
    user = make_account("evangelist")
    sapporo = db.session.scalar(sa.select(Municipality).where(Municipality.code == "011002"))  # the gazetteer's
    evangelist = make_evangelist(user=user, home_municipality=sapporo, family_name_kana="シケン")
    db.session.commit()

    page = page_at(PHONE)
    page.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    page.goto(live_server + "/auth/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.goto(live_server + "/me/profile")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not page.get_by_role("button", name="Show its municipalities").is_visible()  # JS does it
    page.get_by_label("Capacity").fill("4")
    page.get_by_label("Prefecture").select_option(label="Aomori")
    with page.expect_navigation():  # Enter on the prefecture reloads the list
        page.get_by_label("Prefecture").press("Enter")
    assert page.get_by_label("Capacity").input_value() == "4"
    page.get_by_label("Municipality").select_option(value="022012")
    page.get_by_label("Vietnamese").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save my profile").click()
    assert page.get_by_text("Your profile is saved.").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    row = stored(db, evangelist)
    assert (row.capacity, row.home_municipality.code, row.languages) == (4, "022012", ["ja", "vi"])
    assert page.external_requests == []


def test_the_reading_of_ones_name_is_shown_required_and_saved_as_katakana(app, me, db):
    client, evangelist = me
    page = client.get("/me/profile").get_data(as_text=True)
    assert 'name="family_name_kana"' in page and 'value="シケン"' in page and "シケン ハナコ" in page
    response = client.post("/me/profile", data=form_data(family_name_kana="", given_name_kana="試験"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "姓のフリガナを入力してください" in html and "フリガナはカタカナかひらがなで入力してください。" in html
    assert 'value="試験"' in html  # kept as typed
    assert client.post("/me/profile", data=form_data(family_name_kana="しけん", given_name_kana="ﾊﾅｺ")
                       ).status_code == 302
    assert client.post("/me/profile", data=form_data(given_name_kana="はなえ")).status_code == 302
    db.session.expire_all()
    assert (evangelist.family_name_kana, evangelist.given_name_kana) == ("シケン", "ハナエ")
    assert "hanae" in evangelist.name_search
