import re

import pytest
import sqlalchemy as sa

from app.models import Municipality
from tests.factories import make_community, make_municipality


def names_listed(response) -> list[str]:
    return re.findall(r'class="fw-semibold">([^<]+)</a>', response.get_data(as_text=True))


def test_home_page_is_japanese_by_default(client, gazetteer):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="ja">' in html
    assert "伝道師" in html
    assert "1,741" in html


def test_home_page_in_english(english, gazetteer):
    html = english.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "evangelists" in html
    assert "1,741" in html


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize(
    "query",
    ["札幌市", "札幌", "さっぽろ", "サッポロ", "ｻｯﾎﾟﾛ", "011002", "01100", "０１１００２"],
)
def test_municipality_list_finds_sapporo_by_kanji_kana_and_code(client, app, gazetteer, language, query):
    client.set_cookie(app.config["LANGUAGE_COOKIE"], language)
    response = client.get("/municipalities", query_string={"q": query})
    assert response.status_code == 200
    assert names_listed(response) == ["札幌市"]


def test_municipality_list_pages_through_all_municipalities(client, gazetteer):
    first = client.get("/municipalities")
    assert len(names_listed(first)) == 50
    assert "1,741" in first.get_data(as_text=True)
    last = client.get("/municipalities?page=35")
    assert names_listed(last)[-1] == "与那国町"
    assert len(names_listed(last)) == 41


def test_a_page_past_the_end_says_so_and_links_back(client, gazetteer):
    html = client.get("/municipalities?page=99").get_data(as_text=True)
    assert "99" in html and "35" in html
    assert 'href="/municipalities"' in html


def test_filters_combine_and_stay_in_the_pagination_links(client, gazetteer, db):
    db.session.execute(
        sa.update(Municipality).where(Municipality.code == "011002").values(open_data_status="active")
    )
    db.session.commit()
    response = client.get("/municipalities?prefecture=01&open_data_status=non_active")
    html = response.get_data(as_text=True)
    assert "札幌市" not in names_listed(response)
    assert "178" in html  # Hokkaido has 179 municipalities; Sapporo is filtered out
    assert "prefecture=01" in html and "open_data_status=non_active" in html and "page=2" in html


def test_kind_and_stage_filters(client, gazetteer):
    response = client.get("/municipalities?kind=designated_city")
    assert len(names_listed(response)) == 20
    response = client.get("/municipalities?engagement_stage=requested")
    assert names_listed(response) == []


def test_an_invalid_filter_is_explained_next_to_its_field_and_the_rest_still_applies(english, gazetteer):
    response = english.get("/municipalities?q=札幌&prefecture=99")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="prefecture-error"' in html
    assert "“99” is not one of the choices, so this filter was ignored." in html
    assert names_listed(response) == ["札幌市"]
    assert 'value="札幌"' in html  # what was typed stays in the box


def test_too_long_a_query_is_explained(english, gazetteer):
    html = english.get("/municipalities", query_string={"q": "あ" * 41}).get_data(as_text=True)
    assert 'id="q-error"' in html


def test_search_treats_like_wildcards_literally(client, gazetteer):
    assert names_listed(client.get("/municipalities?q=%25")) == []
    assert names_listed(client.get("/municipalities?q=_")) == []


def test_municipality_list_issues_a_fixed_number_of_queries(client, db, count_queries):
    for _ in range(3):
        make_municipality()
    db.session.commit()
    with count_queries() as few:
        client.get("/municipalities")
    for _ in range(30):
        make_municipality()
    db.session.commit()
    with count_queries() as many:
        client.get("/municipalities")
    assert many.count == few.count


@pytest.mark.parametrize("language", ["ja", "en"])
def test_municipality_page_shows_facts_and_communities(client, app, db, language):
    town = make_municipality(code="015814", name="当別町", name_kana="トウベツチョウ")
    make_community(municipality=town, name="当別データ部")
    db.session.commit()
    client.set_cookie(app.config["LANGUAGE_COOKIE"], language)
    html = client.get("/municipalities/015814").get_data(as_text=True)
    assert "当別町" in html and "トウベツチョウ" in html and "015814" in html
    assert "当別データ部" in html


def test_municipality_page_with_a_malformed_code_explains_itself(english):
    response = english.get("/municipalities/011003")
    assert response.status_code == 404
    assert "not a valid 6-digit local government code" in response.get_data(as_text=True)


def test_municipality_page_with_an_unknown_valid_code_is_a_plain_404(english, db):
    response = english.get("/municipalities/011002")
    assert response.status_code == 404
    assert "No municipality has the code 011002" in response.get_data(as_text=True)


def test_language_switch_is_remembered_and_returns_to_the_page(client):
    response = client.post("/language/en", data={"next": "/municipalities?q=x"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/municipalities?q=x"
    cookie = response.headers["Set-Cookie"]
    assert "lang=en" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "/a\r\nX: y", None]
)
def test_language_switch_never_redirects_off_site(client, target):
    response = client.post("/language/ja", data={} if target is None else {"next": target})
    assert response.headers["Location"] == "/"


def test_unknown_language_is_a_404(client):
    assert client.post("/language/fr").status_code == 404


def test_the_language_is_switched_by_a_post_only(client):
    assert client.get("/language/en?next=/network").status_code == 405
    assert "lang=" not in client.get("/language/en").headers.get("Set-Cookie", "")


@pytest.mark.parametrize("headers, allowed", [
    ({"Sec-Fetch-Site": "same-origin"}, True),
    ({"Sec-Fetch-Site": "none"}, True),
    ({"Sec-Fetch-Site": "cross-site"}, False),
    ({"Sec-Fetch-Site": "same-site"}, False),
    ({"Origin": "http://localhost"}, True),
    ({"Origin": "https://evil.example"}, False),
    # Our own status and password pages (Referrer-Policy: no-referrer) post with
    # "Origin: null" where a browser sends no Sec-Fetch-Site (plain HTTP, older Safari).
    ({"Origin": "null"}, True),
    ({"Sec-Fetch-Site": "cross-site", "Origin": "null"}, False),
    ({"Origin": "http://localhost.evil.example"}, False),
    ({"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"}, False),
    ({}, True),  # no browser a page on another site could drive
])
def test_another_site_cannot_switch_the_language(client, headers, allowed):
    response = client.post("/language/en", data={"next": "/network"}, headers=headers)
    assert (response.status_code == 302) is allowed
    assert ("lang=en" in response.headers.get("Set-Cookie", "")) is allowed


def test_unknown_page_is_a_404_page_in_the_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.get_data(as_text=True)


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    from app import create_app

    broken = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.db")
    with broken.app_context():
        response = broken.test_client().get("/healthz")
        from app.extensions import db

        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_filter_selects_are_styled_as_selects(client):
    html = client.get("/municipalities").get_data(as_text=True)
    assert html.count('class="form-select') == 4
