"""Issue 20, point 6 (duplicates): nominating a person whose e-mail (their account's, or
the one their own nomination recorded), or whose name, readings and community match
someone already in the network shows the match and asks; ticking "someone else" nominates."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import Evangelist
from app.services.recruitment import NominationInput, nominate
from tests.factories import make_community, make_evangelist

HOSTILE = "<script>alert(1)</script>{{7*7}}{{"


@pytest.fixture
def scene(db, towns, signed_in_client, make_account):
    client, me = signed_in_client("coordinator")
    client.set_cookie("lang", "ja")
    c4s = make_community(name="Code for Sapporo", municipality=towns["sapporo"])
    account = make_account("evangelist", email="hanako@example.jp")
    active = make_evangelist(user=account, family_name="山田", given_name="花子", family_name_kana="ヤマダ",
                             given_name_kana="ハナコ", home_municipality=towns["sapporo"], home_community=c4s)
    db.session.commit()
    candidate = nominate(me, NominationInput(family_name="候補", given_name="一郎", family_name_kana="コウホ",
                                             given_name_kana="イチロウ", municipality_code="013030",
                                             email="ichiro@example.jp"))
    return client, c4s, active, candidate


def post(client, **fields):
    data = {"family_name": "別人", "given_name": "太郎", "family_name_kana": "ベツジン", "given_name_kana": "タロウ",
            "prefecture": "01", "municipality": "013030", "community": "", "note": "", **fields}
    return client.post("/coordinator/recruitment/new", data=data)


def people(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist))


@pytest.mark.parametrize("fields, who", [
    ({"email": "HANAKO@example.jp"}, "active"),  # their account's address, in other case
    ({"email": "ichiro@example.jp"}, "candidate"),  # the address their nomination recorded
    ({"family_name": "山田", "given_name": "花子", "family_name_kana": "やまだ", "given_name_kana": "はなこ"},
     "active"),  # same name and readings (typed in hiragana) and same community
])
def test_a_possible_match_is_shown_and_nothing_is_saved_until_asked(scene, db, fields, who):
    client, c4s, active, candidate = scene
    if who == "active" and "family_name" in fields:
        fields["community"] = str(c4s.id)
    before = people(db)
    answer = post(client, **fields)
    html = answer.get_data(as_text=True)
    person = active if who == "active" else candidate
    assert answer.status_code == 409 and "すでにネットワークにいる人かもしれません" in html
    assert f'/coordinator/recruitment/{person.id}"' in html
    assert 'name="not_a_duplicate"' in html and people(db) == before
    assert 'value="ベツジン"' in html or 'value="やまだ"' in html  # what was typed is kept
    anyway = post(client, **fields, not_a_duplicate="y")
    assert anyway.status_code == 302 and people(db) == before + 1


def test_the_same_name_in_another_community_is_someone_else(scene, db):
    client, _c4s, _active, _candidate = scene
    before = people(db)
    answer = post(client, family_name="山田", given_name="花子", family_name_kana="ヤマダ", given_name_kana="ハナコ")
    assert answer.status_code == 302 and people(db) == before + 1


def test_a_hostile_name_in_the_match_shows_as_text(db, towns, signed_in_client):
    client, _me = signed_in_client("coordinator")
    make_evangelist(family_name=HOSTILE, given_name="x", family_name_kana="アク", given_name_kana="イ",
                    home_municipality=towns["sapporo"])
    db.session.commit()
    html = post(client, family_name=HOSTILE, given_name="x", family_name_kana="アク",
                given_name_kana="イ").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}{{" in html
