"""The dialogue's results pages, their print view, the open data downloads (app/ideas/results.py)
and the counting of views on the dialogue's public pages, cached or not."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import sqlalchemy as sa

from app import page_cache
from app.models import DataVersion, IdeaPageViews, IdeaVisitor
from app.services import idea_results
from tests.factories import make_comment, make_idea, make_profile, make_theme

NOON_JST = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
BROWSER = {"User-Agent": "Mozilla/5.0 (iPhone) Safari/604.1"}


def views(db, theme_id=None) -> tuple[int, int]:
    db.session.rollback()
    stmt_v = sa.select(sa.func.coalesce(sa.func.sum(IdeaPageViews.views), 0))
    stmt_r = sa.select(sa.func.count()).select_from(IdeaVisitor)
    if theme_id is not None:
        stmt_v = stmt_v.where(IdeaPageViews.theme_id == theme_id)
        stmt_r = stmt_r.where(IdeaVisitor.theme_id == theme_id)
    return db.session.scalar(stmt_r), db.session.scalar(stmt_v)


def test_the_theme_results_show_the_figures_the_chart_and_the_tables(client, db):
    theme = make_theme(title="データの使い道")
    idea = make_idea(theme=theme, comment_count=1)
    make_idea(theme=theme, visibility="held")
    make_comment(idea=idea)
    for _ in range(5):
        make_profile(age_band="40s", gender="male")
    db.session.commit()
    page = client.get(f"/ideas/themes/{theme.id}/results", headers=BROWSER)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="figure-ideas"' in html and 'data-chart=' not in html  # nobody of the theme gave an age band
    assert "table-age-gender" in html and "table-voices" in html and "table-prefectures" in html
    assert f"/ideas/themes/{theme.id}/results/print" in html
    assert "PDL" in html and f"/ideas/themes/{theme.id}/open-data.csv" in html
    assert "Cache-Control" not in page.headers or "no-store" not in page.headers["Cache-Control"]


def test_the_overall_results_show_the_chart_of_registered_participants(client, db):
    for _ in range(6):
        make_profile(age_band="40s", gender="male")
    for _ in range(5):
        make_profile(age_band="30s", gender="female")
    make_profile(age_band="20s", gender="female")
    make_profile()  # gave neither
    theme = make_theme(title="テーマ甲")
    db.session.commit()
    html = client.get("/ideas/results", headers=BROWSER).get_data(as_text=True)
    spec_start = html.index("data-chart='") + len("data-chart='")
    spec = json.loads(html[spec_start:html.index("'", spec_start)])
    assert spec["type"] == "bar" and len(spec["labels"]) == 7
    assert [d["data"] for d in spec["datasets"]] == [[0, None, 5, 0, 0, 0, 0], [0, 0, 0, 6, 0, 0, 0]]
    assert "&lt;5" in html and "テーマ甲" in html and f"/ideas/themes/{theme.id}/results" in html
    assert "vendor/chart.js/chart.umd.min.js" in html and "js/dashboard.js" in html


def test_the_printable_results(client, db):
    theme = make_theme()
    db.session.commit()
    html = client.get(f"/ideas/themes/{theme.id}/results/print").get_data(as_text=True)
    assert 'data-print="true"' in html and "dash-print-button" in html
    assert client.get("/ideas/themes/999/results").status_code == 404


def test_views_are_counted_once_per_reader_and_even_from_the_page_cache(app, client, db, clock):
    clock(NOON_JST)
    theme = make_theme()
    idea = make_idea(theme=theme)
    db.session.commit()
    version = db.session.scalar(sa.select(DataVersion.number))
    for _ in range(3):
        assert client.get(f"/ideas/themes/{theme.id}", headers=BROWSER).status_code == 200
    assert page_cache.store(app).hits >= 2  # served from the cache, and still counted
    client.get(f"/ideas/{idea.id}", headers=BROWSER)
    other = app.test_client()
    other.get(f"/ideas/themes/{theme.id}", headers={"User-Agent": "Firefox"})
    assert views(db, theme.id) == (2, 5)
    assert db.session.scalar(sa.select(DataVersion.number)) == version  # no page was made stale
    client.get("/ideas", headers=BROWSER)
    assert views(db, 0) == (1, 1)


def test_robots_head_requests_and_missing_pages_are_not_counted(client, db, clock):
    clock(NOON_JST)
    theme = make_theme()
    db.session.commit()
    client.get(f"/ideas/themes/{theme.id}", headers={"User-Agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"})
    client.head(f"/ideas/themes/{theme.id}", headers=BROWSER)
    client.get("/ideas/themes/9999", headers=BROWSER)
    assert views(db) == (0, 0)


def test_a_failure_to_count_leaves_the_page_alone(client, db, monkeypatch):
    from app.services import idea_views

    def broken(**_kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr(idea_views, "count_view", broken)
    assert client.get("/ideas", headers=BROWSER).status_code == 200


def _open_data_world(db):
    theme = make_theme(title="=危ないテーマ")
    author = make_profile(handle="本名かも", age_band="30s", gender="female")
    idea = make_idea(theme=theme, author=author, title="バスの時刻表", status="adopted", answer="採用します。",
                     agree_count=3, disagree_count=1, comment_count=2)
    make_idea(theme=theme, author=author, title="保留中", visibility="held")
    make_idea(theme=theme, author=author, title="非表示", visibility="hidden", hidden_article=1)
    db.session.commit()
    return theme, idea


def test_the_open_data_csv_has_a_bom_and_headers_in_the_readers_language(client, db):
    theme, idea = _open_data_world(db)
    response = client.get(f"/ideas/themes/{theme.id}/open-data.csv", headers={"Accept-Language": "ja"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[0][0] != "idea_id"
    text = body.decode("utf-8-sig")
    assert "バスの時刻表" in text and "保留中" not in text and "非表示" not in text and "本名かも" not in text
    assert "'=危ないテーマ" in text  # a formula is defused
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_the_open_data_csv_in_codes_and_as_json(client, db):
    theme, idea = _open_data_world(db)
    text = client.get(f"/ideas/themes/{theme.id}/open-data.csv?format=codes").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == idea_results.OPEN_DATA_COLUMNS
    assert rows[0]["status"] == "adopted" and rows[0]["agree"] == "3" and rows[0]["comments"] == "2"
    assert rows[0]["url"].endswith(f"/ideas/{idea.id}")
    assert client.get("/ideas/open-data.csv?format=xml").status_code == 400
    data = client.get("/ideas/open-data.json").get_json()
    assert data["metadata"]["license"] == "PDL1.0" and data["metadata"]["columns"] == list(idea_results.OPEN_DATA_COLUMNS)
    assert [i["title"] for i in data["ideas"]] == ["バスの時刻表"]
    assert set(data["ideas"][0]) == set(idea_results.OPEN_DATA_COLUMNS)
    assert "本名かも" not in json.dumps(data, ensure_ascii=False)
    assert client.get("/ideas/open-data.xml").status_code == 404
