"""/figures: the programme's public figures by fiscal year, in Japanese and English, with
charts that match their tables, each figure defined, no personal data, and the table as
CSV and JSON under PDL 1.0."""

from __future__ import annotations

import csv
import html as html_module
import io
import json
import re
from datetime import date
from html.parser import HTMLParser

import pytest

from tests.factories import make_evangelist, make_municipality
from tests.services.test_fiscal_figures import NOW, visit_in, world  # noqa: F401  (the fixture)

URL = "/figures"
CHARTS = {
    # chart id -> the figures (the table's data-figure of each dataset, in order)
    "towns": ["towns_activated"],
    "visits": ["visits", "towns_visited"],
    "datasets": ["datasets"],
    "use-cases": ["use_cases"],
}
YEARS_EN = ["FY2023 (Reiwa 5)", "FY2024 (Reiwa 6)", "FY2025 (Reiwa 7)", "FY2026 (Reiwa 8)"]
YEARS_JA = ["2023年度（令和5年度）", "2024年度（令和6年度）", "2025年度（令和7年度）", "2026年度（令和8年度）"]


class Page(HTMLParser):
    """The chart specs of a page by id, and its tables: per table id, the rows as
    (the row header's text, {data-figure: number})."""

    def __init__(self, html: str):
        super().__init__()
        self.specs: dict[str, dict] = {}
        self.tables: dict[str, list[tuple[str, dict[str, int]]]] = {}
        self._table = self._figure = None
        self._in_header = False
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-chart" in attrs:
            self.specs[attrs["id"].removeprefix("chart-")] = json.loads(attrs["data-chart"])
        if tag == "table" and attrs.get("id", "").startswith("table-"):
            self._table = attrs["id"].removeprefix("table-")
            self.tables[self._table] = []
        elif self._table and tag == "tr":
            self.tables[self._table].append(("", {}))
        elif self._table and tag == "th" and attrs.get("scope") == "row":
            self._in_header, self._text = True, []
        elif self._table and tag == "td":
            self._figure, self._text = attrs["data-figure"], []

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif self._table and tag == "th" and self._in_header:
            self._in_header = False
            _, cells = self.tables[self._table][-1]
            self.tables[self._table][-1] = (" ".join(" ".join(self._text).split()), cells)
        elif self._table and tag == "td" and self._figure:
            self.tables[self._table][-1][1][self._figure] = int("".join(self._text).replace(",", ""))
            self._figure = None

    def handle_data(self, data):
        self._text.append(data)

    def rows(self, table: str) -> list[tuple[str, dict[str, int]]]:
        return [row for row in self.tables[table] if row[0]]  # the header row has no row header


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_page_in_english_has_every_year_with_its_era_and_the_current_one_in_progress(english, world):  # noqa: F811
    response = english.get(URL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = Page(html)
    for table in CHARTS:
        headers = [header for header, _cells in page.rows(table)]
        assert headers[:-1] == YEARS_EN[:-1]
        assert headers[-1] == "FY2026 (Reiwa 8) in progress, as of 4 December 2026"
    text = text_of(html)
    assert "As of 4 December 2026." in text and "FY2026 (Reiwa 8) is in progress" in text
    assert "from FY2023 (Reiwa 5) to FY2026 (Reiwa 8)" in text


def test_the_page_in_japanese_names_the_years_with_their_era(client, world):  # noqa: F811
    html = client.get(URL).get_data(as_text=True)
    assert '<html lang="ja"' in html
    page = Page(html)
    assert [header for header, _ in page.rows("towns")][:-1] == YEARS_JA[:-1]
    assert page.rows("towns")[-1][0].startswith("2026年度（令和8年度）")
    assert page.specs["towns"]["labels"][0] == "2023年度（令和5年度）"
    assert "2026年（令和8年）12月4日" in text_of(html)


def test_each_chart_shows_the_numbers_of_its_table(english, world):  # noqa: F811
    page = Page(english.get(URL).get_data(as_text=True))
    assert set(page.specs) == set(CHARTS)
    for chart, figures in CHARTS.items():
        spec = page.specs[chart]
        rows = page.rows(chart)
        assert len(spec["labels"]) == len(rows) == 4
        assert spec["labels"][-1] == "FY2026 (Reiwa 8), in progress"
        for dataset, figure in zip(spec["datasets"], figures, strict=True):
            assert dataset["data"] == [cells[figure] for _, cells in rows], chart
    # The known world (tests/services/test_fiscal_figures.py), through the page.
    assert [cells["towns_activated_total"] for _, cells in page.rows("towns")] == [0, 1, 2, 2]
    assert [cells["towns_visited_total"] for _, cells in page.rows("visits")] == [0, 1, 3, 5]
    assert [cells["datasets"] for _, cells in page.rows("datasets")] == [0, 3, 5, 2]
    assert [cells["use_cases"] for _, cells in page.rows("use-cases")] == [0, 0, 1, 1]


def test_the_charts_are_drawn_by_a_script_file_and_described_as_visuals_of_their_tables(english, world):  # noqa: F811
    html = english.get(URL).get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html
    assert 'src="/static/js/dashboard.js"' in html and "vendor/chart.js/chart.umd.min.js" in html
    canvases = re.findall(r'<canvas role="img" aria-label="([^"]+)"', html)
    assert len(canvases) == 4
    assert all("The table below gives the same figures." in label for label in canvases)
    # Every table scrolls inside its own box on a phone.
    assert html.count('class="table-responsive dash-scroll" tabindex="0" role="region"') == 4


def test_every_figure_is_defined_in_a_note_the_page_links_to(english, world):  # noqa: F811
    html = english.get(URL).get_data(as_text=True)
    text = text_of(html)
    for note in ("note-towns", "note-visits", "note-datasets", "note-use-cases", "note-years", "note-as-of"):
        assert f'<li id="{note}" class="mb-2">' in html
    for note in ("note-towns", "note-visits", "note-datasets", "note-use-cases"):
        assert f'href="#{note}"' in html
    assert "“Open data published” or “Data catalog launched”" in text
    assert "active on their own, as the national survey on open data records them" in text
    assert "“Datasets published”" in text
    assert "a use case published at 15:30 UTC on 31 March was published at 00:30 on 1 April in Japan" in text
    assert "Counted up to and including 4 December 2026" in text
    assert "withdrawn since" in text and "Not counted: visits booked but not logged" in text


def test_the_page_holds_no_personal_data(english, client, world, db):  # noqa: F811
    make_evangelist(family_name="秘密", given_name="花子",
                    home_municipality=make_municipality(name="秘境村"))
    db.session.commit()
    for c in (english, client):
        html = c.get(URL).get_data(as_text=True)
        for private in ("秘密", "花子", "example.jp", "担当 太郎", "情報政策課", "+81", "秘境村", "甲町", "避難所"):
            assert private not in html, private


def test_the_csv_has_a_bom_the_table_and_the_licence(client, world):  # noqa: F811
    response = client.get("/figures/fiscal-years.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    assert 'rel="license"' in response.headers["Link"] and "public_data_license_v1.0" in response.headers["Link"]
    assert 'filename="evangelist-network-fiscal-years.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert list(rows[0]) == [
        "fiscal_year", "fiscal_year_ja", "fiscal_year_en", "in_progress",
        "towns_activated", "towns_activated_cumulative", "visits", "visits_cumulative",
        "towns_visited", "towns_visited_cumulative", "datasets_published", "datasets_published_cumulative",
        "use_cases_published", "use_cases_published_cumulative",
    ]
    assert [r["fiscal_year_ja"] for r in rows] == YEARS_JA
    assert [r["fiscal_year_en"] for r in rows] == YEARS_EN
    assert [r["in_progress"] for r in rows] == ["0", "0", "0", "1"]
    assert [r["towns_visited_cumulative"] for r in rows] == ["0", "1", "3", "5"]
    assert client.get("/figures/fiscal-years.csv",
                      headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_the_json_has_the_same_rows_the_licence_and_the_definitions_in_both_languages(client, world):  # noqa: F811
    body = client.get("/figures/fiscal-years.json").get_json()
    csv_rows = list(csv.DictReader(io.StringIO(client.get("/figures/fiscal-years.csv").data.decode("utf-8-sig"))))
    assert body["license"]["short"] == "PDL1.0" and body["as_of"] == "2026-12-04"
    assert body["columns"] == list(csv_rows[0])
    assert [{k: str(int(v) if isinstance(v, bool) else v) for k, v in row.items()} for row in body["rows"]] == csv_rows
    assert [n["id"] for n in body["definitions"]["en"]] == [n["id"] for n in body["definitions"]["ja"]]
    assert "national survey" in body["definitions"]["en"][0]["text"]
    assert body["source"].endswith("/figures")


@pytest.mark.parametrize("role", ["evangelist", "coordinator", "admin", "participant"])
def test_every_role_sees_the_same_figures(signed_in_client, client, world, role):  # noqa: F811
    signed_in, _user = signed_in_client(role)
    response = signed_in.get(URL)
    assert response.status_code == 200
    assert Page(response.get_data(as_text=True)).specs == Page(client.get(URL).get_data(as_text=True)).specs


def test_a_new_visit_shows_at_once_on_the_kept_page(english, world, db):  # noqa: F811
    before = Page(english.get(URL).get_data(as_text=True)).rows("visits")[-1][1]["visits"]
    visit_in(world["e"], date(2026, 11, 1))
    db.session.commit()
    assert Page(english.get(URL).get_data(as_text=True)).rows("visits")[-1][1]["visits"] == before + 1


def test_the_footer_and_the_open_data_page_link_the_figures(client, db):
    assert 'href="/figures"' in client.get("/").get_data(as_text=True)
    assert client.get("/open-data").get_data(as_text=True).count('href="/figures"') >= 2


def test_the_page_is_kept_until_the_data_changes(english, world, count_queries):  # noqa: F811
    first = english.get(URL).get_data()
    with count_queries() as kept:
        again = english.get(URL).get_data()
    assert again == first
    assert kept.statements == ["SELECT number FROM data_version WHERE id = 1"]


def test_the_files_are_named_by_the_public_address(app, client, world):  # noqa: F811
    app.config["PUBLIC_BASE_URL"] = "https://evangelists.example.go.jp"
    html = client.get(URL).get_data(as_text=True)
    assert "https://evangelists.example.go.jp/figures/fiscal-years.csv" in html and "http://localhost/" not in html
    assert client.get("/figures/fiscal-years.json").get_json()["source"] == "https://evangelists.example.go.jp/figures"
