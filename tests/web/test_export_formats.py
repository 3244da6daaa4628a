"""Exports for Excel users in Japan: Japanese headers and words by default for a Japanese
user, English ones for an English user, the machine format (column names and codes) with
?format=codes; UTF-8 with a BOM in every case; and what was exported imports again."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from app.data.columns import CODED, HEADERS, KIND_HEADERS, headers
from app.models import Municipality
from app.services import exports, imports
from app.services.topics import sync_topics
from evangelists.imports import COLUMNS, header_key
from tests.factories import make_community, make_evangelist, make_request, make_user
from tests.web.test_data_web import upload

URL = "/coordinator/data/export/{}.csv"


def town(db, code: str) -> Municipality:
    return db.session.scalar(sa.select(Municipality).where(Municipality.code == code))


@pytest.fixture
def network(db, gazetteer):
    sync_topics()
    from app.models import Topic
    gis, licensing = (db.session.scalar(sa.select(Topic).where(Topic.slug == s)) for s in ("gis", "licensing"))
    sapporo, hakodate = town(db, "011002"), town(db, "012025")
    c4s = make_community(name="Code for Sapporo", municipality=sapporo, status="active", member_count=42,
                         website="https://sapporo.example.org", description="<script>alert(1)</script>{{7*7}}")
    make_community(name="Code for Hakodate", municipality=hakodate, status="dormant", member_count=3)
    make_evangelist(family_name="札幌", given_name="一郎", home_municipality=sapporo, home_community=c4s,
                    skills=[gis, licensing], languages=["ja", "en"], online_ok=True, status="active")
    make_evangelist(family_name="函館", given_name="花子", home_municipality=hakodate, status="candidate",
                    user=None, skills=[gis], online_ok=False)
    make_request(municipality=hakodate, preferred_mode="onsite", topics=[gis])
    make_user(role="coordinator", email="other@example.jp")
    db.session.commit()


def download(client, dataset: str, query: str = "") -> tuple[str, list[list[str]]]:
    response = client.get(URL.format(dataset) + query)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM in every format
    text = raw.decode("utf-8-sig")
    return text, list(csv.reader(io.StringIO(text)))


def test_a_japanese_user_gets_japanese_headers_and_words(coordinator_client, network):
    _, rows = download(coordinator_client, "communities")
    header, *body = rows
    assert header[:3] == ["コミュニティ番号", "コミュニティ名", "市区町村コード"]
    assert "状態" in header and "メンバー数" in header and "status" not in header
    by_name = {r[1]: dict(zip(header, r, strict=True)) for r in body}
    assert by_name["Code for Sapporo"]["状態"] == "活動中"
    assert by_name["Code for Hakodate"]["状態"] == "休眠中"
    assert by_name["Code for Sapporo"]["説明"] == "<script>alert(1)</script>{{7*7}}"  # data, as typed
    assert by_name["Code for Sapporo"]["位置の出典"] == "市区町村の庁舎"

    _, rows = download(coordinator_client, "evangelists")
    header, *body = rows
    people = {r[1]: dict(zip(header, r, strict=True)) for r in body}
    assert header[1:5] == ["姓", "名", "セイ", "メイ"]
    assert people["札幌"]["状態"] == "稼働中" and people["函館"]["状態"] == "候補"
    assert people["札幌"]["得意分野"] == "ライセンス（CC BY）;GIS・地図データ" or \
        people["札幌"]["得意分野"] == "GIS・地図データ;ライセンス（CC BY）"
    assert people["札幌"]["言語"] == "日本語;英語"
    assert (people["札幌"]["オンライン対応"], people["函館"]["オンライン対応"]) == ("はい", "いいえ")

    _, rows = download(coordinator_client, "requests")
    header, *body = rows
    request = dict(zip(header, body[0], strict=True))
    assert request["状態"] == "新規受付" and request["希望する形式"] == "現地（庁舎）"
    assert request["相談内容"] == "GIS・地図データ"
    # A date and time Excel reads, in Japan's time, without seconds or offset.
    assert len(request["受付日時"]) == 16 and request["受付日時"][10] == " "

    _, rows = download(coordinator_client, "municipalities", "?prefecture=01")
    header, *body = rows
    sapporo = dict(zip(header, next(r for r in body if r[0] == "011002"), strict=True))
    assert sapporo["市区町村"] == "札幌市" and sapporo["種別"] == "政令指定都市"
    assert sapporo["オープンデータ取組状況"] == "未着手" and sapporo["支援状況"] == "未接触"  # no request and no outreach (issue 20, point 7)


def test_an_english_user_gets_english_headers_and_words(coordinator_client, app, network):
    coordinator_client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    _, rows = download(coordinator_client, "communities")
    header, *body = rows
    assert header[:3] == ["Community number", "Community name", "Municipality code"]
    statuses = {r[1]: r[header.index("Status")] for r in body}
    assert statuses["Code for Sapporo"] == "Active"
    _, rows = download(coordinator_client, "evangelists")
    assert rows[0][3:5] == ["Family name reading", "Given name reading"]
    assert rows[0][5] == "Status" and {r[5] for r in rows[1:]} == {"In service", "Candidate"}


def test_codes_are_the_machine_format_for_other_systems(coordinator_client, network):
    text, rows = download(coordinator_client, "communities", "?format=codes")
    assert text.startswith(",".join(exports.EXPORTS["communities"].columns) + "\r\n")
    assert {r[5] for r in rows[1:]} == {"active", "dormant"}
    _, rows = download(coordinator_client, "requests", "?format=codes&status=new")
    assert rows[0] == list(exports.EXPORTS["requests"].columns)
    assert rows[1][rows[0].index("preferred_mode")] == "onsite"


def test_an_unknown_format_is_a_clear_400(coordinator_client, app, network):
    coordinator_client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    response = coordinator_client.get(URL.format("communities") + "?format=xlsx")
    assert response.status_code == 400
    assert "The format “xlsx” does not exist" in response.get_data(as_text=True)


def test_the_export_page_offers_both_formats(coordinator_client, network):
    html = coordinator_client.get("/coordinator/data/import").get_data(as_text=True)
    assert 'href="/coordinator/data/export/communities.csv"' in html
    assert 'href="/coordinator/data/export/communities.csv?format=codes"' in html
    assert "コード形式（他のシステム向け）" in html


@pytest.mark.parametrize("query", ["?format=codes", ""])
@pytest.mark.parametrize(("dataset", "kind", "rows"), [("communities", "communities", 2),
                                                       ("evangelists", "candidates", 2)])
def test_what_is_exported_imports_again_unchanged(coordinator_client, db, network, query, dataset, kind, rows):
    response = coordinator_client.get(URL.format(dataset) + query)
    data = response.get_data()
    report = imports.dry_run(kind, data)
    assert report.problems == ()
    assert report.rows == rows and report.created == 0 and report.updated == 0
    # And through the web page: checked with no problem.
    html = upload(coordinator_client, kind, data, filename=f"{dataset}.csv").get_data(as_text=True)
    assert "alert-danger" not in html


def test_a_japanese_file_of_the_wrong_shape_says_which_header_is_missing(coordinator_client, app, db, network):
    coordinator_client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    data = coordinator_client.get(URL.format("municipalities") + "?prefecture=01").get_data()
    en_file = data.decode("utf-8-sig")
    assert en_file.startswith("Local government code,")
    coordinator_client.set_cookie(app.config["LANGUAGE_COOKIE"], "ja")
    data = coordinator_client.get(URL.format("municipalities") + "?prefecture=01").get_data()
    html = upload(coordinator_client, "municipality_status", data).get_data(as_text=True)
    # The survey needs the date it speaks for; the list has none: the page says so, with
    # the headers it accepts, instead of failing on a column name.
    assert "alert-danger" in html and "基準日" in html and "as_of" in html


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_every_column_has_a_header_distinct_within_its_export(app, locale):
    with app.test_request_context():
        for kind, export in exports.EXPORTS.items():
            words = headers(kind, export.columns, locale)
            assert set(words) == set(export.columns)
            keys = [header_key(w) for w in words.values()]
            assert len(set(keys)) == len(keys), (kind, words)
            assert set(CODED[kind]) <= set(export.columns)
    assert {c for _, c in KIND_HEADERS} | set(HEADERS) >= {c for e in exports.EXPORTS.values() for c in e.columns}


def test_japanese_headers_are_names_the_import_accepts_where_it_reads_the_column(app):
    with app.test_request_context():
        communities = headers("communities", exports.EXPORTS["communities"].columns, "ja")
        people = headers("evangelists", exports.EXPORTS["evangelists"].columns, "ja")
    accepted = {kind: {header_key(n): c.name for c in cols for n in (c.name, *c.aliases)}
                for kind, cols in COLUMNS.items()}
    for column in ("name", "municipality_code", "website", "status", "member_count", "contact_email", "description"):
        assert accepted["communities"][header_key(communities[column])] == column
    for column, read_as in (("family_name", "family_name"), ("given_name", "given_name"),
                            ("family_name_kana", "family_name_kana"), ("given_name_kana", "given_name_kana"),
                            ("municipality_code", "municipality_code"), ("community_name", "community"),
                            ("skills", "skills"), ("email", "email")):
        assert accepted["candidates"][header_key(people[column])] == read_as


def test_the_municipality_list_in_japanese_imports_as_a_survey_once_it_has_a_date(coordinator_client, db, network):
    db.session.execute(sa.update(Municipality).where(Municipality.code == "011002").values(open_data_status="active"))
    db.session.commit()
    text = coordinator_client.get(URL.format("municipalities") + "?prefecture=01").get_data().decode("utf-8-sig")
    lines = text.splitlines()
    dated = "\r\n".join([lines[0] + ",基準日", *(line + ",2024/3/31" for line in lines[1:])])
    report = imports.dry_run("municipality_status", dated.encode("utf-8-sig"))
    assert report.problems == () and report.rows == len(lines) - 1
