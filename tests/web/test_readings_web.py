"""Issue 20, point 6: people have a reading (フリガナ), required when nominating and
editing; the board lists people in 五十音 order of it and finds them by name, reading
(hiragana, katakana) or romaji; the propose-anyone search goes by the stored reading."""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from app.models import Evangelist
from app.services import matching
from tests.factories import make_community, make_evangelist, make_request, make_user


@pytest.fixture
def towns(reference_towns):
    return reference_towns


@pytest.fixture
def staff(app, signed_in_client):
    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    return client


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def card_names(html: str, status: str = "active") -> list[str]:
    """The names on one board column's cards, in page order."""
    column = html.split(f'id="column-{status}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<a class="fw-semibold" href="/coordinator/recruitment/\d+">([^<]+)</a>', column)


PEOPLE = (  # written name, reading, given reading: shuffled against 五十音 order on purpose
    ("中村", "花子", "ナカムラ", "ハナコ"),
    ("中島", "陸", "ナカジマ", "リク"),
    ("井上", "誠", "イノウエ", "マコト"),
    ("阿部", "翔", "アベ", "ショウ"),
)


@pytest.fixture
def people(db, towns):
    made = {}
    for family, given, family_kana, given_kana in PEOPLE:
        made[family] = make_evangelist(family_name=family, given_name=given, family_name_kana=family_kana,
                                       given_name_kana=given_kana, home_municipality=towns["sapporo"])
    made["謎"] = make_evangelist(family_name="謎", given_name="一", family_name_kana="", given_name_kana="",
                                home_municipality=towns["sapporo"])
    db.session.commit()
    return made


def test_the_board_lists_people_in_gojuon_order_of_their_reading(staff, people):
    html = text(staff.get("/coordinator/recruitment"))
    # By character code 中島 and 中村 would come before 井上 and 阿部; nobody's reading unknown comes last.
    assert card_names(html) == ["阿部 翔", "井上 誠", "中島 陸", "中村 花子", "謎 一"]
    assert "アベ ショウ" in html and "ナカムラ ハナコ" in html  # the reading above the name


@pytest.mark.parametrize(("query", "found"), [
    ("なか", ["中島 陸", "中村 花子"]),
    ("ナカジマ", ["中島 陸"]),
    ("ﾅｶﾑﾗ", ["中村 花子"]),
    ("nakam", ["中村 花子"]),
    ("Inoue", ["井上 誠"]),
    ("abe shou", ["阿部 翔"]),
    ("中", ["中島 陸", "中村 花子"]),
    ("村花", ["中村 花子"]),
    ("謎", ["謎 一"]),
    ("xyz", []),
    ("%", []),
    ("_", []),
])
def test_the_board_finds_people_by_name_reading_or_romaji(staff, people, query, found):
    response = staff.get("/coordinator/recruitment", query_string={"q": query})
    assert response.status_code == 200
    html = text(response)
    assert card_names(html) == found
    assert f'value="{query}"' in html or query in ("%", "_")  # the box keeps what was typed


def test_a_search_keeps_the_other_filters_and_the_pages(staff, db, towns, people):
    community = make_community(name="Code for Aomori", municipality=towns["aomori"])
    make_evangelist(family_name="中川", given_name="誠", family_name_kana="ナカガワ", given_name_kana="マコト",
                    home_municipality=towns["aomori"], home_community=community)
    db.session.commit()
    html = text(staff.get("/coordinator/recruitment", query_string={"q": "naka", "prefecture": "02"}))
    assert card_names(html) == ["中川 誠"]
    html = text(staff.get("/coordinator/recruitment", query_string={"q": "naka"}))
    assert card_names(html) == ["中川 誠", "中島 陸", "中村 花子"]
    # With more people than a column's page, the pager keeps the query.
    for n in range(25):
        make_evangelist(family_name=f"中{n:02d}", given_name="太", family_name_kana="ナカ" + "ア" * (n + 1),
                        given_name_kana="タ", home_municipality=towns["sapporo"])
    db.session.commit()
    html = text(staff.get("/coordinator/recruitment", query_string={"q": "なか"}))
    pager = re.search(r'href="([^"]*active_page=2[^"]*)"', html)
    assert pager and "q=" in pager.group(1)
    assert len(card_names(text(staff.get(unescape(pager.group(1)))))) == 28 - 20


def test_too_long_a_search_is_explained_and_the_board_still_shows(staff, people):
    response = staff.get("/coordinator/recruitment", query_string={"q": "あ" * 101})
    assert response.status_code == 200
    html = text(response)
    assert "This is too long" in html or "Field cannot be longer" in html
    assert len(card_names(html)) == 5


# --- the forms ------------------------------------------------------------------------------------


def nomination(**overrides) -> dict:
    data = {"family_name": "候補", "given_name": "花子", "family_name_kana": "こうほ", "given_name_kana": "ﾊﾅｺ",
            "prefecture": "01", "municipality": "013030", "community": "", "note": ""}
    data.update(overrides)
    return data


def test_nominating_needs_the_reading_and_keeps_what_was_typed(staff, db, towns):
    form = text(staff.get("/coordinator/recruitment/new"))
    assert 'name="family_name_kana"' in form and 'name="given_name_kana"' in form
    response = staff.post("/coordinator/recruitment/new", data=nomination(family_name_kana="", given_name_kana=""))
    assert response.status_code == 422
    html = text(response)
    assert "Enter the reading of the family name" in html and "Enter the reading of the given name" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist)) == 0

    response = staff.post("/coordinator/recruitment/new", data=nomination(family_name_kana="候補"))
    assert response.status_code == 422
    html = text(response)
    assert "Enter the reading (フリガナ) in katakana or hiragana." in html
    assert 'value="候補"' in html and 'value="ﾊﾅｺ"' in html  # nothing typed is lost

    assert staff.post("/coordinator/recruitment/new", data=nomination()).status_code == 302
    person = db.session.scalar(sa.select(Evangelist))
    assert (person.family_name_kana, person.given_name_kana) == ("コウホ", "ハナコ")
    assert "コウホ ハナコ" in text(staff.get(f"/coordinator/recruitment/{person.id}"))


def test_nominating_in_japanese_words_the_refusal_in_japanese(app, signed_in_client, towns):
    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "ja")
    html = text(client.post("/coordinator/recruitment/new", data=nomination(given_name_kana="hanako")))
    assert "フリガナはカタカナかひらがなで入力してください。" in html


def test_editing_shows_the_reading_and_needs_one(staff, db, towns, people):
    person = people["謎"]
    url = f"/coordinator/recruitment/{person.id}/edit"
    assert 'name="family_name_kana"' in text(staff.get(url))
    data = {"family_name": "謎", "given_name": "一", "family_name_kana": "", "given_name_kana": "",
            "prefecture": "01", "municipality": "011002", "community": "", "location": "municipality",
            "lat": "", "lon": ""}
    assert staff.post(url, data=data).status_code == 422
    data.update(family_name_kana="なぞ", given_name_kana="はじめ")
    assert staff.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Evangelist, person.id).display_reading == "ナゾ ハジメ"
    # With its reading, the person now sorts by it: ナゾ comes between ナカムラ and the end.
    assert card_names(text(staff.get("/coordinator/recruitment"))) == ["阿部 翔", "井上 誠", "中島 陸", "中村 花子",
                                                                        "謎 一"]
    assert card_names(text(staff.get("/coordinator/recruitment", query_string={"q": "hajime"}))) == ["謎 一"]


# --- the propose-anyone search ----------------------------------------------------------------------


def test_the_person_search_uses_the_stored_reading_in_gojuon_order(db, towns, people):
    request = make_request(municipality=towns["sapporo"])
    make_user(role="coordinator")
    db.session.commit()
    found, total = matching.search_people(request, "な")
    assert total == 2 and [c.evangelist.family_name for c in found] == ["中島", "中村"]
    found, total = matching.search_people(request, "")
    assert total == 0
    everyone = matching.search_people(request, "i")[0]  # inoue, shou?, nakajima riku, nakamura
    assert [c.evangelist.family_name for c in everyone] == sorted(
        (c.evangelist.family_name for c in everyone), key=["阿部", "井上", "中島", "中村", "謎"].index)
