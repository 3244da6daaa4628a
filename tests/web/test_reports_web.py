"""/coordinator/reports: who may see it, every chart with its table, the figures in both
languages, small groups hidden, a fixed number of queries, colours with enough contrast."""

from __future__ import annotations

import html as html_module
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.reports import routes as report_routes
from tests.factories import (
    make_evangelist,
    make_municipality,
    make_prefecture,
    make_request,
)
from tests.services.test_reports import TODAY, assign, build_network, utc, visit


@pytest.fixture
def network(db):
    return build_network(db)


URL = "/coordinator/reports"
CHART_IDS = (
    "open-data-timeline", "open-data-prefectures", "requests-open", "requests-days", "fiscal-years", "visits-months",
    "outcomes", "funnel", "load", "gap-prefectures", "diversity", "prefectures-covered",
)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(report_routes, "today_in_japan", lambda: TODAY)


@pytest.fixture
def english_coordinator(coordinator_client, app):
    coordinator_client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    return coordinator_client


class Charts(HTMLParser):
    """The chart specs of a page, by element id."""

    def __init__(self, html: str):
        super().__init__()
        self.specs: dict[str, dict] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-chart" in attrs:
            self.specs[attrs["id"].removeprefix("chart-")] = json.loads(attrs["data-chart"])


def text_of(html: str) -> str:
    """The page's text with tags dropped and white space folded."""
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", html)))


# --- access -------------------------------------------------------------------------------


def test_only_coordinators_and_admins_see_the_dashboard(client, signed_in_client):
    assert client.get(URL).status_code == 302
    assert "/auth/login" in client.get(URL).headers["Location"]
    assert signed_in_client("evangelist")[0].get(URL).status_code == 403
    assert signed_in_client("admin")[0].get(URL).status_code == 200
    assert signed_in_client("coordinator")[0].get(URL).status_code == 200


# --- what the page shows ------------------------------------------------------------------


def test_every_figure_has_a_chart_and_a_table_under_it(english_coordinator, network):
    html = english_coordinator.get(URL).get_data(as_text=True)
    charts = Charts(html).specs
    assert tuple(charts) == CHART_IDS
    for chart_id, spec in charts.items():
        assert spec["datasets"], chart_id
        for dataset in spec["datasets"]:
            assert len(dataset["data"]) == len(spec["labels"]), chart_id
    # After each chart, and before the next one, a table holds its figures.
    for chart_id, between in zip(CHART_IDS, html.split("data-chart=")[1:], strict=True):
        assert "<table" in between, chart_id
    assert 'role="img"' in html and "The table below gives the same figures." in html


def test_the_figures_read_as_worked_out_by_hand_in_english(english_coordinator, network):
    html = english_coordinator.get(URL).get_data(as_text=True)
    text = text_of(html)
    charts = Charts(html).specs
    # 1. open data, with the undated municipality counted first as "before records".
    assert "4 of 7 municipalities (57.1%) publish open data." in text
    assert "1 of them have no start date on record" in text
    assert charts["open-data-timeline"]["labels"][:2] == ["Before records", "Q1 2024"]
    assert charts["open-data-timeline"]["datasets"][0]["data"][:2] == [1, 3]
    assert charts["open-data-prefectures"]["labels"] == ["Hokkaido", "Aomori", "Iwate"]
    assert charts["open-data-prefectures"]["datasets"][0]["data"] == [0.6, 0.5, None]
    assert "Nationwide 7 4 57.1%" in text
    # 2. requests
    assert charts["requests-open"]["labels"] == ["New", "Triaged", "Evangelist assigned", "Visit times offered",
                                                       "Visit scheduled"]
    assert charts["requests-open"]["datasets"][0]["data"] == [1, 1, 1, 0, 1]
    assert charts["requests-days"]["datasets"][0]["data"] == [2.5, 13.5]
    assert "To the first assignment 2.5 4" in text and "To the first visit 13.5 2" in text
    # 3. visits, the last twelve months ending with May 2026.
    visits = charts["visits-months"]
    assert visits["labels"][0] == "Jun 2025" and visits["labels"][-1] == "May 2026"
    assert [d["label"] for d in visits["datasets"]] == ["On site", "Online"]
    assert sum(visits["datasets"][0]["data"]) == 2 and sum(visits["datasets"][1]["data"]) == 2
    # 4. outcomes
    assert "“Datasets published” outcomes add up to 17 datasets." in text
    assert "Datasets published 2 17" in text
    # 5. funnel
    assert charts["funnel"]["datasets"][0]["data"] == [6, 2, 1]
    assert "Visited at least once 2 33.3%" in text
    # 6. load
    assert charts["load"]["datasets"][0]["data"] == [1, 1, 2, 1, 1]
    assert charts["load"]["labels"][1] == "1%–49% of capacity"
    assert "6 active evangelists hold 6 active assignments for a capacity of 12" in text
    # 7. coverage gap: Wakkanai's town (romaji first in English) and Aomori's village.
    assert "2 of 3 municipalities that do not publish open data yet have no active evangelist within 50 km." in text
    assert charts["gap-prefectures"]["labels"] == ["Hokkaido", "Aomori"]
    assert [d["data"] for d in charts["gap-prefectures"]["datasets"]] == [[1, 1], [1, 0]]
    e, g = network["E"], network["G"]
    assert f'<a href="/municipalities/{e.code}">Bo-cho (<span lang="ja">戊町</span>)</a>' in html
    assert f'href="/municipalities/{g.code}"' in html
    assert re.search(r"Bo-cho \( 戊町 \) Hokkaido 26\d km", text)
    # 8. diversity
    assert charts["diversity"]["labels"][0] == "Under 20"
    assert "1 of 3 prefectures (33.3%) have at least one active evangelist living there." in text
    assert charts["prefectures-covered"]["datasets"][0]["data"] == [1, 2]


def test_groups_of_fewer_than_three_are_never_shown(english_coordinator, network):
    html = english_coordinator.get(URL).get_data(as_text=True)
    diversity = Charts(html).specs["diversity"]
    shown = [n for d in diversity["datasets"] for n in d["data"] if n is not None]
    assert shown == [3]  # 30s × female; ev4 alone in 40s × male is hidden
    table = html.split("Age band</th>", 1)[1].split("</table>", 1)[0]
    cells = re.findall(r'<td class="text-end"[^>]*>(.*?)</td>', table, re.S)
    assert len(cells) == 7 * 4 + 1  # the grid and "did not give both"
    values = [text_of(c).strip() for c in cells]
    assert sorted(set(values)) == ["3", "<3"]
    assert "fewer than 3 people" in text_of(html)


def test_in_japanese_months_quarters_and_labels_follow_the_locale(coordinator_client, network):
    html = coordinator_client.get(URL).get_data(as_text=True)
    charts = Charts(html).specs
    assert charts["visits-months"]["labels"][-1] == "2026年5月"
    assert charts["open-data-timeline"]["labels"][1] == "2024/Q1"
    assert charts["open-data-prefectures"]["labels"] == ["北海道", "青森県", "岩手県"]
    assert f'<a href="/municipalities/{network["E"].code}">戊町</a>' in html
    assert "2026年（令和8年）5月20日" in html  # "as of", the official form with the era
    assert 'data-lang="ja"' in html


def test_two_years_of_visits_on_request_and_twelve_months_otherwise(coordinator_client, network):
    two_years = Charts(coordinator_client.get(URL + "?months=24").get_data(as_text=True)).specs
    assert len(two_years["visits-months"]["labels"]) == 24
    assert sum(two_years["visits-months"]["datasets"][0]["data"]) == 3  # May 2025 as well
    for odd in ("7", "abc", ""):
        charts = Charts(coordinator_client.get(URL + "?months=" + odd).get_data(as_text=True)).specs
        assert len(charts["visits-months"]["labels"]) == 12


def test_an_empty_network_still_draws_every_chart(coordinator_client, db):
    response = coordinator_client.get(URL)
    assert response.status_code == 200
    assert tuple(Charts(response.get_data(as_text=True)).specs) == CHART_IDS


def test_when_no_start_is_dated_the_timeline_is_one_point_before_records(english_coordinator, db):
    make_municipality(open_data_status="active", open_data_since=None)
    make_municipality(open_data_status="active", open_data_since=None)
    db.session.commit()
    html = english_coordinator.get(URL).get_data(as_text=True)
    timeline = Charts(html).specs["open-data-timeline"]
    assert timeline["labels"] == ["Before records"] and timeline["datasets"][0]["data"] == [2]
    assert "2 of them have no start date on record" in text_of(html)


def test_the_page_keeps_to_the_strict_content_security_policy(coordinator_client, network):
    response = coordinator_client.get(URL)
    html = response.get_data(as_text=True)
    assert "nonce-" not in response.headers["Content-Security-Policy"]
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html and "<style" not in html
    assert "/static/vendor/chart.js/chart.umd.min.js" in html and "/static/js/dashboard.js" in html
    assert "/static/css/dashboard.css" in html


def test_the_page_issues_a_fixed_number_of_queries_as_the_data_grows(coordinator_client, db, network, count_queries):
    with count_queries() as small:
        assert coordinator_client.get(URL).status_code == 200
    aomori = make_prefecture(code="02")
    for i in range(20):
        place = make_municipality(prefecture=aomori, lat=40.0 + i * 0.1, lon=140.5,
                                  open_data_status="active" if i % 2 else "non_active",
                                  open_data_since=date(2019 + i % 6, 1 + i % 12, 1) if i % 2 else None)
        helper = make_evangelist(home_municipality=place, lat=place.lat, lon=place.lon,
                                 age_band="60s", gender="female", capacity=2)
        request = make_request(municipality=place, status="scheduled", created_at=utc(2026, 1, 1 + i))
        assignment = assign(request, helper, "accepted", utc(2026, 2, 1 + i))
        visit(assignment, date(2026, 3, 1 + i), "online", ("event_held", None))
    db.session.commit()
    with count_queries() as large:
        assert coordinator_client.get(URL).status_code == 200
    assert large.count == small.count


# --- colours ------------------------------------------------------------------------------


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_chart_colours_stand_out_from_the_white_page():
    script = (ROOT / "static" / "js" / "dashboard.js").read_text(encoding="utf-8")
    palette = re.findall(r"#[0-9A-Fa-f]{6}", re.search(r"PALETTE = \[(.*?)\]", script).group(1))
    assert len(palette) >= 4  # as many as the widest chart (four genders) needs
    for colour in palette:
        assert contrast(colour, "#FFFFFF") >= 3.0, colour  # WCAG 1.4.11, non-text contrast
    text = re.search(r'TEXT = "(#[0-9A-Fa-f]{6})"', script).group(1)
    assert contrast(text, "#FFFFFF") >= 4.5
    assert "prefers-reduced-motion: reduce" in script
