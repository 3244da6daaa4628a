"""/coordinator/reports for a region, a prefecture and a fiscal year: the filter form,
clear messages for wrong values, the CSV downloads (read back), the printable page, and
a caller's fixed set of regions (``allowed_regions``)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from app.reports import routes as report_routes
from app.reports.tables import TABLE_IDS
from tests.services.test_reports import TODAY, build_network
from tests.web.test_reports_web import CHART_IDS, Charts, text_of

URL = "/coordinator/reports"


@pytest.fixture
def network(db):
    return build_network(db)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(report_routes, "today_in_japan", lambda: TODAY)


@pytest.fixture
def english(coordinator_client, app):
    coordinator_client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    return coordinator_client


@pytest.fixture
def japanese(coordinator_client, app):
    coordinator_client.set_cookie(app.config["LANGUAGE_COOKIE"], "ja")
    return coordinator_client


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), "UTF-8 with a BOM, for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def table_rows(html: str, heading_id: str) -> str:
    """The text of the section ``heading_id`` (up to the next section)."""
    section = html.split(f'id="{heading_id}"', 1)[1].split("<section", 1)[0]
    return text_of(section)


# --- the filter --------------------------------------------------------------------------


def test_the_form_offers_regions_prefectures_by_region_and_fiscal_years(english, network):
    html = english.get(URL).get_data(as_text=True)
    assert '<select class="form-select" id="region" name="region">' in html
    assert '<option value="hokkaido">Hokkaido</option>' in html and '<option value="kyushu">Kyushu and Okinawa</option>' in html
    # Prefectures grouped by region, so that the list reads in order without JavaScript.
    assert re.search(r'<optgroup label="Tohoku">\s*<option value="02">Aomori</option>\s*<option value="03">Iwate</option>', html)
    # The script narrows the list from the prefectures' regions, given as data.
    assert "data-regions=" in html and "&#34;02&#34;: &#34;tohoku&#34;" in html
    assert "/static/js/dashboard-filter.js" in html
    # Every fiscal year of the data, newest first, with its era year.
    years = re.findall(r'<option value="(\d{4})">([^<]+)</option>', html)
    assert years == [("2026", "FY2026 (Reiwa 8)"), ("2025", "FY2025 (Reiwa 7)"), ("2024", "FY2024 (Reiwa 6)"),
                     ("2023", "FY2023 (Reiwa 5)")]
    assert "Figures for All of Japan, all years." in text_of(html)


def test_a_region_narrows_every_figure_chart_and_table(english, network):
    html = english.get(URL + "?region=tohoku").get_data(as_text=True)
    text = text_of(html)
    assert "Figures for Tohoku, all years." in text
    assert '<option selected value="tohoku">Tohoku</option>' in html
    charts = Charts(html).specs
    assert tuple(charts) == CHART_IDS
    assert charts["open-data-prefectures"]["labels"] == ["Aomori", "Iwate"]
    assert charts["funnel"]["datasets"][0]["data"] == [2, 1, 1]
    assert charts["load"]["datasets"][0]["data"] == [0, 0, 0, 0, 0]
    assert "1 of 2 municipalities (50.0%) publish open data." in text
    assert "Hokkaido" not in table_rows(html, "open-data") and "Sapporo" not in text
    # The totals say "Total", not "Nationwide", when the figures are not the nation's.
    assert "Nationwide" not in table_rows(html, "open-data") and "Total 2 1 50.0%" in table_rows(html, "open-data")


def test_a_prefecture_within_its_region(english, network):
    html = english.get(URL + "?region=tohoku&prefecture=02").get_data(as_text=True)
    assert "Figures for Aomori (Tohoku), all years." in text_of(html)
    assert Charts(html).specs["open-data-prefectures"]["labels"] == ["Aomori"]
    # A prefecture alone is enough.
    alone = english.get(URL + "?prefecture=02").get_data(as_text=True)
    assert Charts(alone).specs["open-data-prefectures"]["labels"] == ["Aomori"]


def test_a_fiscal_year_counts_the_flows_and_says_so(english, network):
    html = english.get(URL + "?fy=2025").get_data(as_text=True)
    text = text_of(html)
    assert "Figures for All of Japan, FY2025 (Reiwa 7)." in text
    assert "applies to requests received, visits and outcomes" in text
    charts = Charts(html).specs
    assert charts["funnel"]["datasets"][0]["data"] == [4, 2, 1]
    assert charts["visits-months"]["labels"][0] == "Apr 2025" and charts["visits-months"]["labels"][-1] == "Mar 2026"
    assert "Visits per month in FY2025 (Reiwa 7)" in text
    assert "Last 24 months" not in text  # the month pills are for "all years" only
    # The fiscal-year table and chart hold every year; the chosen one is marked.
    assert charts["fiscal-years"]["labels"] == ["FY2025 (Reiwa 7)", "FY2026 (Reiwa 8)"]
    assert '<tr class="table-active"><th scope="row" class="fw-normal">FY2025 (Reiwa 7)</th>' in html
    assert "FY2025 (Reiwa 7) 4 3 1 4 4 17 1" in table_rows(html, "fiscal-years")


def test_in_japanese_the_fiscal_year_reads_nendo_with_reiwa(japanese, network):
    html = japanese.get(URL + "?fy=2026&region=hokkaido").get_data(as_text=True)
    text = text_of(html)
    assert "北海道・2026年度（令和8年度）の数値です。" in text
    assert "2019年度" not in text
    assert '<option selected value="2026">2026年度（令和8年度）</option>' in html
    assert "2025年度（令和7年度）" in Charts(html).specs["fiscal-years"]["labels"]


@pytest.mark.parametrize(("query", "field", "message"), [
    ("region=atlantis", "region", "“atlantis” is not a region: choose one from the list."),
    ("prefecture=99", "prefecture", "“99” is not a prefecture: choose one from the list."),
    ("region=hokkaido&prefecture=02", "prefecture",
     "Aomori is not in Hokkaido: choose a prefecture of Hokkaido, or all regions."),
    ("fy=abc", "fy", "“abc” is not a fiscal year"),
    ("fy=1999", "fy", "“1999” is not a fiscal year"),
    ("fy=%3Cscript%3E", "fy", "“<script>” is not a fiscal year"),
])
def test_a_wrong_value_is_named_on_its_field_and_no_figure_is_shown(english, network, query, field, message):
    response = english.get(f"{URL}?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in text_of(html)
    assert f'id="{field}-error"' in html and "<script>" not in html
    assert "data-chart" not in html and "No figures are shown until the filter is corrected." in text_of(html)
    # What was chosen stays chosen where it is a choice.
    if "region=hokkaido" in query:
        assert '<option selected value="hokkaido">Hokkaido</option>' in html
    assert english.get(f"{URL}/dashboard.csv?{query}").status_code == 400
    assert english.get(f"{URL}/print?{query}").status_code == 400


def test_a_wrong_value_in_japanese(japanese, network):
    response = japanese.get(URL + "?region=tohoku&prefecture=01")
    assert response.status_code == 400
    assert "北海道は東北にありません。" in text_of(response.get_data(as_text=True))


# --- CSV ---------------------------------------------------------------------------------


def test_the_whole_dashboard_as_csv_with_the_filter_in_its_name(english, network):
    response = english.get(URL + "/dashboard.csv?region=tohoku&fy=2025")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="dashboard-fy2025-tohoku.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response)
    assert rows[0] == ["Table", "Row", "Column", "Value"]
    assert all(len(row) == 4 for row in rows)
    values = {(t, r, c): v for t, r, c, v in rows[1:]}
    assert values[("From request to open data", "Requests received", "Requests")] == "2"
    assert values[("Open data by prefecture", "Aomori", "Share (%)")] == "50"
    assert values[("Outcomes by type", "Datasets published", "Datasets")] == "12"
    assert values[("By fiscal year", "FY2025 (Reiwa 7)", "Requests received")] == "2"
    assert not any(r == "Hokkaido" for _t, r, _c, _v in rows)
    # The tables in it are those of the page.
    assert len({t for t, _r, _c, _v in rows[1:]}) == len(TABLE_IDS)


@pytest.mark.parametrize("table", TABLE_IDS)
def test_each_table_as_csv(english, network, table):
    response = english.get(f"{URL}/{table}.csv?prefecture=02")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="dashboard-{table}-all-years-02-aomori.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response)
    assert rows and all(len(row) == len(rows[0]) for row in rows)
    assert "Hokkaido" not in {cell for row in rows for cell in row}


def test_a_table_reads_back_as_on_the_page_in_japanese(japanese, network):
    response = japanese.get(URL + "/fiscal-years.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="dashboard-fiscal-years-all-years-japan.csv"'
    rows = read_csv(response)
    assert rows[0] == ["年度", "受け付けた依頼", "現地", "オンライン", "訪問", "成果", "データセット数", "オープンデータ公開を開始"]
    assert rows[1:] == [
        ["2023年度（令和5年度）", "0", "0", "0", "0", "0", "0", "2"],
        ["2024年度（令和6年度）", "0", "0", "0", "0", "0", "0", "0"],
        ["2025年度（令和7年度）", "4", "3", "1", "4", "4", "17", "1"],
        ["2026年度（令和8年度）", "2", "0", "1", "1", "0", "0", "0"],
    ]
    diversity = read_csv(japanese.get(URL + "/diversity.csv"))
    assert ["30代", "3", "<3", "<3", "<3"] in diversity  # small groups as on the page


def test_an_unknown_table_is_404(english, network):
    response = english.get(URL + "/nothing.csv")
    assert response.status_code == 404
    assert "There is no table called “nothing” on the dashboard." in response.get_data(as_text=True)


def test_only_staff_download(client, signed_in_client, network):
    assert client.get(URL + "/dashboard.csv").status_code == 302
    assert signed_in_client("evangelist")[0].get(URL + "/dashboard.csv").status_code == 403
    assert signed_in_client("evangelist")[0].get(URL + "/print").status_code == 403
    assert signed_in_client("admin")[0].get(URL + "/load.csv").status_code == 200


# --- the printable page ------------------------------------------------------------------


def test_the_printable_page_has_every_chart_and_table_and_no_controls(english, network):
    response = english.get(URL + "/print?region=tohoku&fy=2025")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-print="true"' in html and "dash-print" in html
    assert "Dashboard: Tohoku, FY2025 (Reiwa 7)" in text_of(html)
    assert tuple(Charts(html).specs) == CHART_IDS
    assert html.count("<table") == len(TABLE_IDS)
    assert 'class="card card-body mb-3 dash-filter"' not in html and "CSV of this table" not in html
    assert 'id="dash-print-button" hidden' in html  # shown by the script, which prints
    assert 'href="/coordinator/reports?region=tohoku&amp;fy=2025"' in html  # back, same filter
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [] and " style=" not in html


def test_the_dashboard_links_its_csv_and_print_pages_with_the_filter(english, network):
    html = english.get(URL + "?region=tohoku&fy=2025").get_data(as_text=True)
    assert 'href="/coordinator/reports/dashboard.csv?region=tohoku&amp;fy=2025"' in html
    assert 'href="/coordinator/reports/print?region=tohoku&amp;fy=2025"' in html
    for table in TABLE_IDS:
        assert f'href="/coordinator/reports/{table}.csv?region=tohoku&amp;fy=2025"' in html, table


# --- a caller's fixed regions ------------------------------------------------------------


@pytest.fixture
def held_to_tohoku(monkeypatch):
    monkeypatch.setattr(report_routes, "allowed_regions", lambda: frozenset({"tohoku"}))


def test_someone_held_to_some_regions_sees_only_those(english, network, held_to_tohoku):
    html = english.get(URL).get_data(as_text=True)
    assert "Figures for Tohoku, all years." in text_of(html)
    assert Charts(html).specs["open-data-prefectures"]["labels"] == ["Aomori", "Iwate"]
    assert '<option value="hokkaido">' not in html and '<option value="01">' not in html
    assert "All my regions" in html
    refused = english.get(URL + "?region=hokkaido")
    assert refused.status_code == 400
    assert "You see the figures of your own regions only, and Hokkaido is not one of them." in text_of(
        refused.get_data(as_text=True))
    assert english.get(URL + "?prefecture=01").status_code == 400
    rows = read_csv(english.get(URL + "/dashboard.csv"))
    assert not any("Hokkaido" in cell for row in rows for cell in row)
    name = english.get(URL + "/load.csv").headers["Content-Disposition"]
    assert name == 'attachment; filename="dashboard-load-all-years-tohoku.csv"'


# --- hostile values ----------------------------------------------------------------------


def test_a_hostile_value_is_shown_escaped(english, network):
    for value in ("<script>alert(1)</script>", "{{7*7}}", "{{"):
        response = english.get(URL, query_string={"region": value, "prefecture": value, "fy": value})
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "<script>alert(1)" not in html
        text = text_of(html)  # tags dropped, entities read back: the value as typed
        assert f"“{value}” is not a region" in text and f"“{value}” is not a prefecture" in text
        assert f"“{value}” is not a fiscal year" in text and "“49”" not in text
