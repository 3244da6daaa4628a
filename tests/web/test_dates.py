"""Issue 17, point 6: dates one way. One formatter per kind (date, date and time without
seconds, relative), in the user's language, with 令和 beside the Western year where
officials read (the public figures and the reports); no template formats a date itself."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask_babel import force_locale

from app.templating import format_day, format_moment, format_relative_day
from evangelists import calendar
from tests.factories import make_request

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)  # 2026-12-03 12:00 JST


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(calendar, "utc_now", lambda: NOW)


def test_a_day_in_each_language(app):
    with app.test_request_context():
        with force_locale("ja"):
            assert format_day(date(2026, 12, 3)) == "2026年12月3日"
            assert format_day(date(2026, 12, 3), era=True) == "2026年（令和8年）12月3日"
            assert format_day(date(2019, 5, 1), era=True) == "2019年（令和元年）5月1日"
            assert format_day(None) == ""
        with force_locale("en"):
            assert format_day(date(2026, 12, 3)) == "3 Dec 2026"
            assert format_day(date(2026, 12, 3), era=True) == "3 December 2026"


def test_a_moment_in_japans_time_without_seconds(app):
    late = datetime(2026, 11, 20, 15, 4, 29, tzinfo=UTC)  # 2026-11-21 00:04:29 JST
    with app.test_request_context():
        with force_locale("ja"):
            assert format_moment(late) == "2026年11月21日 0:04"
            assert format_moment(late, era=True) == "2026年（令和8年）11月21日 0:04"
            # the day of a moment is Japan's day too
            assert format_day(late) == "2026年11月21日"
        with force_locale("en"):
            assert format_moment(late) == "21 Nov 2026, 00:04"


def test_relative_days_by_japans_calendar(app, frozen):
    with app.test_request_context():
        with force_locale("ja"):
            assert format_relative_day(datetime(2026, 12, 2, 15, 30, tzinfo=UTC)) == "本日"  # 00:30 JST today
            assert format_relative_day(date(2026, 12, 2)) == "昨日"
            assert format_relative_day(date(2026, 11, 30)) == "3日前"
            assert format_relative_day(date(2026, 12, 4)) == "明日"
            assert format_relative_day(date(2026, 12, 6)) == "3日後"
        with force_locale("en"):
            assert format_relative_day(date(2026, 12, 3)) == "today"
            assert format_relative_day(date(2026, 12, 2)) == "yesterday"
            assert format_relative_day(date(2026, 11, 30)) == "3 days ago"
            assert format_relative_day(date(2026, 11, 30), locale="ja") == "3日前"


def test_the_request_page_and_the_queue_say_the_same_relative_day(db, coordinator_client, frozen):
    req = make_request(created_at=datetime(2026, 12, 3, 1, 0, tzinfo=UTC))
    db.session.commit()
    queue = coordinator_client.get("/coordinator/requests").get_data(as_text=True)
    page = coordinator_client.get(f"/coordinator/requests/{req.id}").get_data(as_text=True)
    assert "本日" in queue and "本日" in page
    assert "0日前" not in page
    assert "2026年12月3日 10:00" in page


def test_public_figures_and_reports_show_the_era(db, client, coordinator_client, frozen):
    dashboard = coordinator_client.get("/coordinator/reports").get_data(as_text=True)
    assert "2026年（令和8年）12月3日" in dashboard


# --- No date formatted any other way ------------------------------------------------------------

RAW_IN_TEMPLATES = re.compile(r"dateformat|datetimeformat|timeformat|strftime|isoformat|format_date|format_datetime")
RAW_IN_PYTHON = re.compile(r"\b(format_date|format_datetime|format_time|strftime)\(|\bdateformat\b|datetimeformat")
# Python that may: the formatters themselves, a machine stamp in a file name, and the
# exports' spreadsheet cells (a date and time Excel reads as one, not words for people).
PYTHON_ALLOWED = {"app/templating.py", "app/services/datamove.py", "app/data/columns.py"}


def test_no_template_formats_a_date_itself():
    offenders = [f"{path.relative_to(ROOT)}:{n}" for path in sorted((ROOT / "templates").rglob("*.html"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if RAW_IN_TEMPLATES.search(line)]
    assert offenders == [], "use the date, datetime or relative_date filter (app/templating.py)"


def test_no_python_formats_a_date_for_people_itself():
    offenders = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in PYTHON_ALLOWED:
            continue
        offenders += [f"{rel}:{n}" for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                      if RAW_IN_PYTHON.search(line)]
    assert offenders == [], "use app.templating.format_day / format_moment"
