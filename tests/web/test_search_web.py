"""Issue 20, point 5: the staff search box — in the navbar for coordinators and admins
only, its results grouped by kind with links to each object's page and what matched, the
query kept in the box, a message for an empty query and for no hits, "more" links where a
list takes the same filter, hostile text escaped, the page in Japanese and English and
private to its session; a regional coordinator finds nothing outside their regions."""

from __future__ import annotations

import re
from html import unescape

import pytest
from markupsafe import escape

from app.services.regions import set_regions
from tests.factories import make_community, make_evangelist, make_request, make_user


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def scene(db, towns):
    """A request, an evangelist and a community in Sapporo and in Aomori, with one name."""
    made = {}
    for key in ("sapporo", "aomori"):
        town = towns[key]
        made[f"request_{key}"] = make_request(municipality=town, contact_name="共通 太郎",
                                              email=f"town@{key}.example.jp")
        made[f"person_{key}"] = make_evangelist(family_name="山田", given_name="花子", family_name_kana="ヤマダ",
                                                given_name_kana="ハナコ", home_municipality=town,
                                                user=make_user(role="evangelist", email=f"hanako@{key}.example.jp"))
        made[f"community_{key}"] = make_community(name=f"Code for {key.title()}", municipality=town)
    db.session.commit()
    return made


@pytest.fixture
def english(app):
    def set_english(client):
        client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
        return client
    return set_english


def test_staff_have_the_search_box_in_the_navbar_and_others_do_not(app, client, signed_in_client, towns):
    for role in ("coordinator", "admin"):
        staff, _user = signed_in_client(role)
        page = text(staff.get("/coordinator/requests"))
        assert 'id="nav-search-q"' in page and 'action="/coordinator/search"' in page
    evangelist, _user = signed_in_client("evangelist")
    assert 'id="nav-search-q"' not in text(evangelist.get("/me"))
    assert 'id="nav-search-q"' not in text(client.get("/"))
    assert evangelist.get("/coordinator/search?q=x").status_code == 403
    assert client.get("/coordinator/search?q=x").status_code in (302, 401)


def test_results_are_grouped_and_link_to_each_page(signed_in_client, english, scene, towns):
    staff, _user = signed_in_client("admin")
    english(staff)
    response = staff.get("/coordinator/search?q=やまだ")
    assert response.status_code == 200
    page = text(response)
    assert "Evangelists and candidates" in page
    for key in ("sapporo", "aomori"):
        assert f'href="/coordinator/recruitment/{scene[f"person_{key}"].id}"' in page
    assert re.search(r"Matched:\s*Reading\s*<span[^>]*>ヤマダ ハナコ</span>", page)
    # The query stays in both boxes.
    assert 'value="やまだ"' in page and page.count('value="やまだ"') == 2

    page = text(staff.get("/coordinator/search?q=sapporo"))
    assert '<h2 class="h5" id="search-municipality-title">Municipalities' in page
    assert 'href="/municipalities/011002"' in page
    assert f'href="/coordinator/requests/{scene["request_sapporo"].id}"' in page
    assert f'href="/coordinator/communities/{scene["community_sapporo"].id}"' in page

    number = scene["request_aomori"].id
    page = text(staff.get(f"/coordinator/search?q=%23{number}"))
    assert f'href="/coordinator/requests/{number}"' in page and "Request number" in page


def test_a_regional_coordinator_finds_only_their_region(db, signed_in_client, english, scene, towns):
    staff, user = signed_in_client("coordinator")
    set_regions(make_user(role="admin"), user, ["tohoku"])
    english(staff)
    page = text(staff.get("/coordinator/search?q=共通"))
    assert f'/coordinator/requests/{scene["request_aomori"].id}"' in page
    assert f'/coordinator/requests/{scene["request_sapporo"].id}"' not in page
    page = text(staff.get("/coordinator/search?q=yamada"))
    assert f'/coordinator/recruitment/{scene["person_aomori"].id}"' in page
    assert f'/coordinator/recruitment/{scene["person_sapporo"].id}"' not in page
    page = text(staff.get("/coordinator/search?q=hanako@sapporo"))
    assert "Nothing found" in page
    page = text(staff.get(f"/coordinator/search?q={scene['request_sapporo'].id}"))
    assert f'/coordinator/requests/{scene["request_sapporo"].id}"' not in page
    # Municipalities are reference data: Sapporo is found, its requests are not.
    page = text(staff.get("/coordinator/search?q=札幌"))
    assert 'href="/municipalities/011002"' in page and "/coordinator/requests/" not in page


def test_coordinators_find_evangelists_by_e_mail_and_only_admins_find_accounts(signed_in_client, english, scene):
    coordinator, _user = signed_in_client("coordinator")
    page = text(english(coordinator).get("/coordinator/search?q=hanako@aomori.example.jp"))
    assert f'/coordinator/recruitment/{scene["person_aomori"].id}"' in page
    assert "Accounts" not in page and "/admin/users" not in page
    admin, _user = signed_in_client("admin")
    page = text(english(admin).get("/coordinator/search?q=hanako@aomori.example.jp"))
    assert "Accounts" in page and 'href="/admin/users?q=hanako@aomori.example.jp"' in page


def test_an_empty_query_and_no_hits_say_what_to_do(signed_in_client, english, towns):
    staff, _user = signed_in_client("coordinator")
    english(staff)
    page = text(staff.get("/coordinator/search"))
    assert "Type what you are looking for" in page
    page = text(staff.get("/coordinator/search?q=%20%20"))
    assert "Type what you are looking for" in page
    page = text(staff.get("/coordinator/search?q=zzzzqqq"))
    assert "Nothing found for “zzzzqqq”" in page and 'value="zzzzqqq"' in page


def test_a_query_too_long_is_refused_on_its_field_and_kept(signed_in_client, english, towns):
    staff, _user = signed_in_client("coordinator")
    query = "あ" * 101
    page = text(english(staff).get(f"/coordinator/search?q={query}"))
    assert "is-invalid" in page and "100" in page
    assert f'value="{query}"' in page


def test_one_or_two_characters_say_how_they_match(signed_in_client, english, towns):
    staff, _user = signed_in_client("coordinator")
    page = text(english(staff).get("/coordinator/search?q=札幌"))
    assert 'href="/municipalities/011002"' in page
    assert "One or two characters find the names that start with them" in page


def test_more_links_where_a_list_takes_the_query(db, signed_in_client, english, towns):
    for n in range(10):
        make_evangelist(family_name="多数", given_name=f"人{n}", family_name_kana="タスウ", given_name_kana="ヒト",
                        home_municipality=towns["sapporo"])
        make_request(municipality=towns["sapporo"], department=f"多数課{n}")
    db.session.commit()
    staff, _user = signed_in_client("coordinator")
    page = text(english(staff).get("/coordinator/search?q=多数"))
    assert "Showing 8 of 10." in page
    assert 'href="/coordinator/recruitment?q=%E5%A4%9A%E6%95%B0"' in page
    assert "Type more of what you are looking for" in page  # requests: the queue has no such filter


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", "{{7*7}}", "{{", '"><img src=x onerror=1>'])
def test_hostile_text_is_shown_escaped(signed_in_client, english, towns, hostile):
    staff, _user = signed_in_client("coordinator")
    response = english(staff).get("/coordinator/search", query_string={"q": hostile})
    assert response.status_code == 200
    main = response.get_data(as_text=True).split("<main", 1)[1]
    shown = str(escape(hostile))
    assert f"Nothing found for “{shown}”" in main
    assert f'value="{shown}"' in main
    if "<" in hostile:
        assert hostile not in main
    assert "“49”" not in main


def test_the_page_is_japanese_by_default_and_private(signed_in_client, scene):
    staff, _user = signed_in_client("coordinator")
    response = staff.get("/coordinator/search?q=やまだ")
    page = text(response)
    assert "伝道師・候補" in page
    assert "一致:" in page
    assert "no-store" in response.headers.get("Cache-Control", "") or "private" in response.headers.get(
        "Cache-Control", "")
