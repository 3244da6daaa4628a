"""A municipality's public results (issue 22, point 3): the "Results" section of its page
and the programme's per-municipality open data."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest

from app.open_data import MUNICIPALITY_COLUMNS, PREFECTURE_COLUMNS, TABLES, names
from app.services.town_results import results_of
from tests.factories import (
    make_assignment,
    make_evangelist,
    make_municipality,
    make_outcome,
    make_prefecture,
    make_request,
    make_use_case,
    make_visit,
)

FIRST_VISIT = date(2025, 5, 10)
SECRET_NAME = "秘密"
SUMMARY = "内密の相談メモ"
CONTACT = "担当 花子"
LIBRARY = "library.use_case"


def _visit(town, on, **request):
    person = make_evangelist(family_name=SECRET_NAME, home_municipality=town)
    assignment = make_assignment(request=make_request(municipality=town, contact_name=CONTACT, **request),
                                 evangelist=person, status="accepted")
    return make_visit(assignment=assignment, visited_on=on, summary=SUMMARY)


@pytest.fixture
def results_world(db):
    """A town made open-data active by a visit, with datasets, two catalogues launched
    (the newer one counts), a published use case and a draft; a town active on its own
    (the survey); a town with nothing; and another town's outcomes, which count there."""
    hokkaido = make_prefecture(code="01")
    town = make_municipality(prefecture=hokkaido, code="011002", name="札幌市", open_data_status="active",
                             engagement_stage="active", open_data_since=FIRST_VISIT)
    first = _visit(town, FIRST_VISIT)
    make_outcome(visit=first, type="open_data_published")
    make_outcome(visit=first, type="datasets_published", count=3)
    make_outcome(visit=first, type="catalog_launched", evidence_url="https://old-catalog.example.jp/")
    second = _visit(town, date(2025, 9, 1))
    make_outcome(visit=second, type="datasets_published", count=4)
    make_outcome(visit=second, type="catalog_launched", evidence_url="https://catalog.example.jp/sapporo")
    make_outcome(visit=second, type="event_held", note="会場の鍵は田中さん")
    published = make_use_case(municipality=town, title="避難所データを公開した話",
                              catalogue_url="https://usecase-catalog.example.jp/")
    make_use_case(municipality=town, title="まだ下書きの事例", status="draft")
    make_use_case(municipality=town, title="町が確認中の事例", status="with_town")

    survey = make_municipality(prefecture=hokkaido, code="012025", name="函館市", open_data_status="active",
                               engagement_stage="active", open_data_since=date(2019, 4, 1))
    later = _visit(survey, date(2025, 6, 1))  # the programme came after it was active
    make_outcome(visit=later, type="open_data_published")
    make_use_case(municipality=survey, title="函館の事例", catalogue_url="javascript:alert(1)")

    empty = make_municipality(prefecture=hokkaido, code="012033", name="小樽市")
    other = make_municipality(prefecture=hokkaido, code="012041", name="旭川市")
    make_outcome(visit=_visit(other, FIRST_VISIT), type="datasets_published", count=50)
    db.session.commit()
    return {"town": town, "survey": survey, "empty": empty, "other": other, "published": published}


def test_the_results_of_a_town_made_active_by_the_programme(english, results_world):
    html = english.get("/municipalities/011002").get_data(as_text=True)
    section = html[html.index('id="results"'):]
    assert "Open-data active since" in section and "10 May 2025" in section
    assert "Through the programme" in section
    # The newest catalogue launched, as a link that passes no ranking and no opener.
    link = re.search(r'<a href="https://catalog\.example\.jp/sapporo" rel="([^"]+)"', section)
    assert link and {"nofollow", "noopener"} <= set(link.group(1).split())
    assert "old-catalog" not in html and "usecase-catalog" not in html
    assert re.search(r"Datasets published through the programme</dt>\s*<dd[^>]*>7<", section)
    assert "避難所データを公開した話" in section
    # Nothing unpublished, nobody's name, no visit's text, no other town's figures.
    for hidden in ("まだ下書きの事例", "町が確認中の事例", SECRET_NAME, SUMMARY, CONTACT, "田中", "example.jp\">50", ">57<"):
        assert hidden not in html, hidden


def test_a_published_use_case_links_to_the_library(english, results_world):
    html = english.get("/municipalities/011002").get_data(as_text=True)
    case = results_world["published"]
    assert f'<a href="/cases/{case.id}">避難所データを公開した話</a>' in html


def test_a_town_active_on_its_own_says_so_and_shows_no_unsafe_catalogue(english, results_world):
    html = english.get("/municipalities/012025").get_data(as_text=True)
    section = html[html.index('id="results"'):]
    assert "On its own, as the national survey records." in section and "1 Apr 2019" in section
    assert "javascript:" not in html
    assert "Data catalogue" not in section
    assert "函館の事例" in section


def test_a_town_with_nothing_says_so_in_a_sentence(english, results_world):
    html = english.get("/municipalities/012033").get_data(as_text=True)
    assert "No results to show yet: 小樽市 is not recorded as publishing open data" in html
    assert "Datasets published through the programme" not in html


def test_the_results_section_is_in_japanese_too(client, results_world):
    html = client.get("/municipalities/011002").get_data(as_text=True)
    assert 'id="results"' in html and "2025年5月10日" in html


def test_hostile_text_in_a_use_case_title_is_shown_as_text(english, db, results_world):
    town = results_world["empty"]
    make_use_case(municipality=town, title="<script>alert(1)</script>{{7*7}} {{ x")
    db.session.commit()
    html = english.get(f"/municipalities/{town.code}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}} {{ x" in html
    assert "<script>alert(1)" not in html and "49" not in html[html.index('id="results"'):]


def test_the_results_take_two_queries_however_much_there_is(db, results_world, count_queries):
    many = make_municipality(code="012050", open_data_status="active", open_data_since=FIRST_VISIT)
    for n in range(6):
        visit = _visit(many, date(2025, 5, 1 + n))
        make_outcome(visit=visit, type="datasets_published", count=n + 1)
        make_outcome(visit=visit, type="catalog_launched", evidence_url=f"https://c{n}.example.jp/")
        make_use_case(municipality=many, title=f"事例{n}")
    db.session.commit()
    for town in (many, results_world["empty"], results_world["town"]):
        db.session.refresh(town)  # as the page has it: loaded, not expired by the commit
    counts = {}
    for key in ("empty", "town"):
        with count_queries() as q:
            results_of(results_world[key])
        counts[key] = q.count
    with count_queries() as q:
        results = results_of(many)
    assert counts == {"empty": 2, "town": 2} and q.count == 2
    assert results.datasets == 21 and len(results.use_cases) == 6 and results.catalogue_url == "https://c5.example.jp/"


def test_the_page_reads_as_many_statements_for_a_busy_town_as_for_an_empty_one(app, results_world, count_queries):
    client = app.test_client()
    counts = {}
    for code in ("012033", "011002"):
        client.get("/")  # the session's first statements (the data version) are not the page's
        with count_queries() as q:
            assert client.get(f"/municipalities/{code}").status_code == 200
        counts[code] = q.count
    assert counts["011002"] == counts["012033"], counts


def test_more_use_cases_than_listed_are_counted(english, db, results_world, monkeypatch):
    monkeypatch.setattr("app.services.town_results.USE_CASES_LISTED", 2)
    town = results_world["other"]
    for n in range(4):
        make_use_case(municipality=town, title=f"旭川の事例{n}")
    db.session.commit()
    html = english.get(f"/municipalities/{town.code}").get_data(as_text=True)
    assert "and 2 more published use cases." in html


# --- the per-municipality open data ------------------------------------------------------

MUNICIPALITY_HEADER = ["municipality_code", "name_ja", "name_romaji", "prefecture_code", "kind",
                       "engagement_stage", "open_data_active_since", "open_data_through_programme",
                       "datasets_published", "use_cases_published"]
PREFECTURE_HEADER = ["prefecture_code", "prefecture_ja", "prefecture_en", "municipalities",
                     "municipalities_open_data_active", "open_data_share", "communities_active", "visits"]
# Every open data file and the exact columns it has: a column added later (a personal one,
# say) fails here until it is added on purpose.
FILES = {
    "/api/v1/open-data/prefectures.csv": PREFECTURE_HEADER,
    "/api/v1/open-data/prefectures.json": PREFECTURE_HEADER,
    "/api/v1/open-data/municipalities.csv": MUNICIPALITY_HEADER,
    "/api/v1/open-data/municipalities.json": MUNICIPALITY_HEADER,
}


def _csv(response) -> tuple[list[str], list[dict]]:
    assert response.data.startswith("\ufeff".encode()), "a CSV starts with the BOM"
    text = response.data.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    return header, list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("url", FILES)
def test_every_open_data_file_has_exactly_its_columns(client, results_world, url):
    response = client.get(url)
    assert response.status_code == 200
    if url.endswith(".csv"):
        assert response.mimetype == "text/csv"
        header, rows = _csv(response)
        assert header == FILES[url]
        assert rows and all(list(row) == FILES[url] for row in rows)
    else:
        body = response.get_json()
        assert body["columns"] == FILES[url]
        assert body["rows"] and all(list(row) == FILES[url] for row in body["rows"])
        assert body["license"]["short"] == "PDL1.0" and "public_data_license_v1.0" in body["license"]["url_ja"]
        assert body["dictionary"].endswith(f"/open-data#dictionary-{url.rsplit('/', 1)[1].split('.')[0]}")
    assert 'rel="license"' in response.headers["Link"]


def test_the_column_specs_are_the_lists_the_files_promise():
    assert list(names(MUNICIPALITY_COLUMNS)) == MUNICIPALITY_HEADER
    assert list(names(PREFECTURE_COLUMNS)) == PREFECTURE_HEADER
    assert [key for key, _title, _columns in TABLES] == ["prefectures", "municipalities"]


def test_the_municipality_csv_has_every_town_and_its_figures(client, results_world):
    header, rows = _csv(client.get("/api/v1/open-data/municipalities.csv"))
    by_code = {row["municipality_code"]: row for row in rows}
    assert len(rows) == 4 and list(by_code) == sorted(by_code)
    assert by_code["011002"] == {
        "municipality_code": "011002", "name_ja": "札幌市", "name_romaji": results_world["town"].name_romaji,
        "prefecture_code": "01", "kind": "town", "engagement_stage": "active",
        "open_data_active_since": "2025-05-10", "open_data_through_programme": "true",
        "datasets_published": "7", "use_cases_published": "1"}
    survey = by_code["012025"]
    assert (survey["open_data_active_since"], survey["open_data_through_programme"], survey["use_cases_published"]) \
        == ("2019-04-01", "false", "1")
    empty = by_code["012033"]
    assert (empty["open_data_active_since"], empty["open_data_through_programme"], empty["datasets_published"],
            empty["use_cases_published"]) == ("", "", "0", "0")
    assert by_code["012041"]["datasets_published"] == "50"
    text = client.get("/api/v1/open-data/municipalities.csv").get_data(as_text=True)
    for hidden in (SECRET_NAME, SUMMARY, CONTACT, "example.jp", "下書き"):
        assert hidden not in text


def test_the_municipality_json_holds_the_same_rows_typed(client, results_world):
    body = client.get("/api/v1/open-data/municipalities.json").get_json()
    rows = {row["municipality_code"]: row for row in body["rows"]}
    assert rows["011002"]["open_data_through_programme"] is True and rows["011002"]["datasets_published"] == 7
    assert rows["012033"]["open_data_active_since"] is None and rows["012033"]["open_data_through_programme"] is None
    assert rows["012025"]["open_data_active_since"] == "2019-04-01"
    assert "Public Data License" in json.dumps(body["license"])


def test_the_municipality_files_are_cached_and_revalidated(client, db, results_world):
    first = client.get("/api/v1/open-data/municipalities.csv")
    assert "public" in first.headers["Cache-Control"] and "no-cache" in first.headers["Cache-Control"]
    assert first.headers["Last-Modified"]
    etag = first.headers["ETag"]
    assert client.get("/api/v1/open-data/municipalities.csv", headers={"If-None-Match": etag}).status_code == 304
    assert 'filename="evangelist-network-municipalities.csv"' in first.headers["Content-Disposition"]
    # A use case published later changes the file (and its ETag) at once.
    make_use_case(municipality=results_world["empty"], title="小樽の事例")
    db.session.commit()
    again = client.get("/api/v1/open-data/municipalities.csv", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag
    rows = {r["municipality_code"]: r for r in _csv(again)[1]}
    assert rows["012033"]["use_cases_published"] == "1"


@pytest.mark.parametrize("url", ["/api/v1/open-data/municipalities.csv", "/api/v1/open-data/municipalities.json"])
def test_parameters_are_refused(client, results_world, url):
    assert client.get(f"{url}?x=1").status_code == 400


def test_every_municipality_of_the_gazetteer_in_a_fixed_number_of_statements(client, gazetteer, count_queries):
    client.get("/")
    with count_queries() as q:
        response = client.get("/api/v1/open-data/municipalities.csv")
    header, rows = _csv(response)
    assert len(rows) == 1741 and len({r["prefecture_code"] for r in rows}) == 47
    assert q.count <= 4, q.statements
    with count_queries() as q:  # kept until the data changes
        assert client.get("/api/v1/open-data/municipalities.json").status_code == 200
        assert client.get("/api/v1/open-data/municipalities.csv").status_code == 200
    assert q.count <= 5, q.statements


def test_the_dictionary_defines_every_column_of_both_tables(english, results_world):
    html = english.get("/open-data").get_data(as_text=True)
    # In the page's body, after the figures: not in its <title>.
    assert re.search(r"<title>[^<]*</title>", html)
    assert html.index("<main") < html.index("The figures per prefecture") < html.index('id="dictionary"')
    for key, _title, columns in TABLES:
        table = html[html.index(f'id="dictionary-{key}"'):]
        table = table[:table.index("</dl>")]
        found = re.findall(r'<dt class="[^"]*"><code>([a-z_]+)</code></dt>', table)
        assert found == list(names(columns))
        # Every column says its type and source; those with a unit say it.
        assert table.count("Type: ") == table.count("Source: ") == len(columns)
        assert table.count("Unit: ") == sum(1 for c in columns if c.unit)
    municipalities = html[html.index('id="dictionary-municipalities"'):]
    assert "<code>designated_city</code>" in municipalities and "<code>visited</code>" in municipalities
    assert "Boolean (true / false)" in municipalities and "Date (YYYY-MM-DD)" in municipalities
    for url in FILES:
        assert url in html
