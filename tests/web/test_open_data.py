"""The programme's own open data: aggregates per prefecture as CSV and JSON, licensed."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from tests.factories import (
    make_assignment,
    make_community,
    make_evangelist,
    make_municipality,
    make_prefecture,
    make_request,
    make_visit,
)


@pytest.fixture
def programme(db):
    hokkaido = make_prefecture(code="01")
    aomori = make_prefecture(code="02")
    sapporo = make_municipality(prefecture=hokkaido, open_data_status="active")
    make_municipality(prefecture=hokkaido, open_data_status="non_active")
    town = make_municipality(prefecture=aomori, open_data_status="non_active", lat=40.8, lon=140.7)
    make_community(municipality=sapporo, contact_email="leader@example.jp")
    person = make_evangelist(family_name="秘密", home_municipality=sapporo)
    assignment = make_assignment(request=make_request(municipality=town, email="clerk@example.jp"), evangelist=person,
                                 status="accepted", distance_km=200)
    make_visit(assignment=assignment, visited_on=date(2026, 10, 1))
    db.session.commit()


EXPECTED = [
    {"prefecture_code": "01", "prefecture_ja": "北海道", "prefecture_en": "Hokkaido", "municipalities": "2",
     "municipalities_open_data_active": "1", "open_data_share": "0.5", "communities_active": "1", "visits": "0"},
    {"prefecture_code": "02", "prefecture_ja": "青森県", "prefecture_en": "Aomori", "municipalities": "1",
     "municipalities_open_data_active": "0", "open_data_share": "0.0", "communities_active": "0", "visits": "1"},
]


def test_the_csv_has_a_bom_the_figures_and_the_licence(client, programme):
    response = client.get("/api/v1/open-data/prefectures.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows == EXPECTED
    assert 'rel="license"' in response.headers["Link"] and "public_data_license_v1.0" in response.headers["Link"]
    assert client.get("/api/v1/open-data/prefectures.csv", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_the_json_carries_the_same_rows_and_no_personal_data(client, programme):
    body = client.get("/api/v1/open-data/prefectures.json").get_json()
    assert body["license"]["short"] == "PDL1.0"
    assert [{k: str(v) for k, v in row.items()} for row in body["rows"]] == EXPECTED
    text = client.get("/api/v1/open-data/prefectures.json").get_data(as_text=True)
    assert "秘密" not in text and "example.jp" not in text


def test_the_page_lists_the_files_and_the_licence(client, programme):
    html = client.get("/open-data").get_data(as_text=True)
    assert "/api/v1/open-data/prefectures.csv" in html and "公共データ利用規約（第1.0版）" in html
    assert "秘密" not in html


def test_parameters_are_refused(client, programme):
    assert client.get("/api/v1/open-data/prefectures.json?x=1").status_code == 400
