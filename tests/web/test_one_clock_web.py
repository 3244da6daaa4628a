"""Issue 16, point 3: at 01:00 in Japan a server in UTC is still on the day before. The
pages take "today" from evangelists/calendar.py, so a coordinator appointing someone today
is not told the date lies in the future, and the visit form offers Japan's date.

The clock is passed in by replacing ``evangelists.calendar.utc_now``, the one reading of
the system clock, once the clients have signed in."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import unescape

import pytest

from evangelists import calendar
from tests.factories import make_assignment, make_evangelist, make_municipality, make_request

JAPAN_1AM = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 2026-12-02 01:00 JST
JAPANS_DAY = date(2026, 12, 2)


@pytest.fixture
def at_1am_in_japan(monkeypatch):
    monkeypatch.setattr(calendar, "utc_now", lambda: JAPAN_1AM)
    assert calendar.today_in_japan() == JAPANS_DAY and JAPAN_1AM.date() < JAPANS_DAY


def test_appointing_someone_today_at_1am_in_japan_is_accepted(app, db, signed_in_client, at_1am_in_japan):
    client, _user = signed_in_client("coordinator")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    person = make_evangelist(status="candidate", user=None)
    db.session.commit()
    response = client.post(f"/coordinator/recruitment/{person.id}/appoint",
                           data={"appointed_on": JAPANS_DAY.isoformat(), "email": "today@example.jp"})
    assert response.status_code == 200, unescape(response.get_data(as_text=True))
    assert "cannot be in the future" not in response.get_data(as_text=True)
    db.session.refresh(person)
    assert person.status == "active" and person.appointed_on == JAPANS_DAY


def test_the_visit_form_offers_japans_date_at_1am_in_japan(app, db, signed_in_client, at_1am_in_japan):
    client, user = signed_in_client("evangelist")
    request = make_request(municipality=make_municipality(), status="assigned")
    assignment = make_assignment(request=request, evangelist=make_evangelist(user=user), status="accepted",
                                 distance_km=3)
    db.session.commit()
    html = client.get(f"/me/assignments/{assignment.id}/visits/new").get_data(as_text=True)
    tag = re.search(r'<input[^>]*name="visited_on"[^>]*>', html).group(0)
    assert f'value="{JAPANS_DAY.isoformat()}"' in tag
