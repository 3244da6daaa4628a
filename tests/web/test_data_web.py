"""CSV downloads, the import pages (upload → check → apply) and ``flask import``."""

from __future__ import annotations

import csv
import io
import random
import re
import string
from datetime import date

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.data import routes as data_routes
from app.models import AuditEvent, Community, Evangelist, Municipality
from app.services.geography import MunicipalityFilters, municipality_search
from app.services.topics import sync_topics
from evangelists.calendar import today_in_japan
from tests.factories import make_evangelist, make_request

SURVEY = "団体コード,市区町村名,取組状況,基準日\n01100,札幌市,取組済,2024/3/31\n131016,千代田区,未着手,2024/3/31\n"
BAD_SURVEY = SURVEY + "131017,千代田区,取組済,2024/3/31\n"


def rows_of(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def municipality(db, code: str) -> Municipality:
    town = db.session.scalar(sa.select(Municipality).where(Municipality.code == code))
    db.session.refresh(town)
    return town


def upload(client, kind: str, data: bytes, filename: str = "survey.csv", **extra):
    # Encoded here, in memory: werkzeug's test client leaves a temporary file unclosed
    # for bodies over 500 kB, which the suite's warnings-as-errors would report.
    boundary, body = encode_multipart(
        {"kind": kind, "file": FileStorage(io.BytesIO(data), filename=filename, content_type="text/csv"), **extra}
    )
    return client.post("/coordinator/data/import", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def apply_token(html: str) -> str:
    return re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)


# --- Export ------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", ["municipalities", "communities", "evangelists", "requests", "visits", "outcomes"])
def test_each_list_downloads_as_csv_with_a_bom_and_a_dated_file_name(coordinator_client, gazetteer, dataset):
    response = coordinator_client.get(f"/coordinator/data/export/{dataset}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    today = today_in_japan()  # the file's date is Japan's
    assert response.headers["Content-Disposition"] == f'attachment; filename="{dataset}-{today.isoformat()}.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.is_streamed
    assert response.get_data().startswith(b"\xef\xbb\xbf")


def test_the_municipality_download_has_exactly_the_rows_the_list_shows(coordinator_client, db, gazetteer):
    query = "prefecture=13&kind=special_ward"
    rows = rows_of(coordinator_client.get(f"/coordinator/data/export/municipalities.csv?{query}&page=2&format=codes"))
    expected = db.session.scalars(municipality_search(MunicipalityFilters(prefecture="13", kind="special_ward"))).all()
    assert [r["code"] for r in rows] == [m.code for m in expected]
    assert len(rows) == 23 and rows[0]["name"] == "千代田区"
    page = coordinator_client.get(f"/municipalities?{query}").get_data(as_text=True)
    shown = re.findall(r'<td class="d-none d-md-table-cell font-monospace">(\d{6})</td>', page)
    assert shown == [r["code"] for r in rows]


def test_the_request_download_follows_the_queues_filters(coordinator_client, db, gazetteer):
    sapporo, chiyoda = municipality(db, "011002"), municipality(db, "131016")
    open_ones = [make_request(municipality=sapporo), make_request(municipality=chiyoda, status="triaged")]
    make_request(municipality=chiyoda, status="completed")
    db.session.commit()
    rows = rows_of(coordinator_client.get("/coordinator/data/export/requests.csv?format=codes"))
    assert sorted(int(r["id"]) for r in rows) == sorted(r.id for r in open_ones)
    rows = rows_of(coordinator_client.get("/coordinator/data/export/requests.csv?prefecture=13&status=triaged&format=codes"))
    assert [int(r["id"]) for r in rows] == [open_ones[1].id]
    page = coordinator_client.get("/coordinator/requests?prefecture=13&status=triaged").get_data(as_text=True)
    assert re.findall(r'/coordinator/requests/(\d+)"', page) == [str(open_ones[1].id)]


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("/coordinator/data/export/municipalities.csv?prefecture=99", "prefecture"),
        ("/coordinator/data/export/requests.csv?status=lost", "status"),
        ("/coordinator/data/export/visits.csv?from=yesterday", "from"),
        ("/coordinator/data/export/evangelists.csv?colour=red", "colour"),
    ],
)
def test_a_bad_filter_answers_400_naming_the_parameter(coordinator_client, gazetteer, url, parameter):
    coordinator_client.set_cookie("lang", "en")
    response = coordinator_client.get(url)
    assert response.status_code == 400
    assert f"“{parameter}”" in response.get_data(as_text=True)


def test_an_unknown_export_is_not_found(coordinator_client):
    assert coordinator_client.get("/coordinator/data/export/passwords.csv").status_code == 404


def test_exports_are_for_staff_only(client, evangelist_client, admin_client, db):
    assert evangelist_client.get("/coordinator/data/export/evangelists.csv").status_code == 403
    anonymous = client.get("/coordinator/data/export/evangelists.csv")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    assert admin_client.get("/coordinator/data/export/evangelists.csv").status_code == 200


def test_the_evangelist_download_has_no_age_band_or_gender(coordinator_client, db, gazetteer):
    make_evangelist(home_municipality=municipality(db, "011002"), age_band="40s", gender="nonbinary")
    db.session.commit()
    response = coordinator_client.get("/coordinator/data/export/evangelists.csv?format=codes")
    (row,) = rows_of(response)
    assert "age_band" not in row and "gender" not in row and "nonbinary" not in response.get_data(as_text=True)
    people = coordinator_client.get("/coordinator/data/export/evangelists.csv").get_data(as_text=True)
    assert "年代" not in people and "性別" not in people and "ノンバイナリー" not in people


def test_staff_see_a_download_link_that_keeps_the_filters_and_the_public_does_not(client, coordinator_client, gazetteer):
    page = coordinator_client.get("/municipalities?prefecture=01&page=2").get_data(as_text=True)
    assert 'href="/coordinator/data/export/municipalities.csv?prefecture=01"' in page
    assert "/coordinator/data/export/" not in client.get("/municipalities?prefecture=01").get_data(as_text=True)
    queue = coordinator_client.get("/coordinator/requests?prefecture=13").get_data(as_text=True)
    assert 'href="/coordinator/data/export/requests.csv?prefecture=13"' in queue


# --- Import from the web -----------------------------------------------------------------


def test_upload_check_then_apply_changes_the_database_once(coordinator_client, db, gazetteer):
    check = upload(coordinator_client, "municipality_status", SURVEY.encode("cp932"))
    assert check.status_code == 200
    html = check.get_data(as_text=True)
    assert "Shift_JIS" in html and "011002 札幌市" in html
    assert municipality(db, "011002").open_data_status == "non_active"  # nothing yet

    applied = coordinator_client.post("/coordinator/data/import/apply", data={"token": apply_token(html)})
    assert applied.status_code == 302 and applied.headers["Location"] == "/coordinator/data/import"
    sapporo = municipality(db, "011002")
    assert (sapporo.open_data_status, sapporo.open_data_since, sapporo.engagement_stage) == (
        "active", date(2024, 3, 31), "active")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "import.applied")) == 1
    follow = coordinator_client.get("/coordinator/data/import").get_data(as_text=True)
    assert "alert-success" in follow


def test_a_file_with_problems_shows_line_column_and_message_and_no_apply_button(coordinator_client, db, gazetteer):
    coordinator_client.set_cookie("lang", "en")
    response = upload(coordinator_client, "municipality_status", BAD_SURVEY.encode("utf-8"))
    html = response.get_data(as_text=True)
    assert re.search(r"<td>4</td>\s*<td>団体コード</td>\s*<td>The check digit of 131017 is wrong", html)
    assert 'name="token"' not in html
    assert municipality(db, "011002").open_data_status == "non_active"


def test_a_utf16_file_is_refused_with_a_clear_message(coordinator_client, db, gazetteer):
    coordinator_client.set_cookie("lang", "en")
    html = upload(coordinator_client, "municipality_status", SURVEY.encode("utf-16")).get_data(as_text=True)
    assert "The file is UTF-16 text" in html and 'name="token"' not in html


def test_the_form_asks_for_a_kind_and_a_file(coordinator_client, db):
    coordinator_client.set_cookie("lang", "en")
    html = coordinator_client.post("/coordinator/data/import", data={}, content_type="multipart/form-data").get_data(as_text=True)
    assert "Choose what the file contains." in html and "Choose a CSV file." in html


def test_a_tampered_token_changes_nothing(coordinator_client, db, gazetteer):
    html = upload(coordinator_client, "municipality_status", SURVEY.encode()).get_data(as_text=True)
    token = apply_token(html)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = coordinator_client.post("/coordinator/data/import/apply", data={"token": forged})
    assert response.status_code == 302
    assert municipality(db, "011002").open_data_status == "non_active"
    coordinator_client.post("/coordinator/data/import/apply", data={"token": token})
    assert municipality(db, "011002").open_data_status == "active"  # the genuine one works


def test_a_token_is_only_good_for_the_coordinator_who_checked_the_file(app, coordinator_client, signed_in_client, db, gazetteer):
    token = apply_token(upload(coordinator_client, "municipality_status", SURVEY.encode()).get_data(as_text=True))
    other, _user = signed_in_client("coordinator")
    other.post("/coordinator/data/import/apply", data={"token": token})
    assert municipality(db, "011002").open_data_status == "non_active"
    coordinator_client.post("/coordinator/data/import/apply", data={"token": token})
    assert municipality(db, "011002").open_data_status == "active"


def test_if_the_data_changed_since_the_check_nothing_is_applied(coordinator_client, db, gazetteer):
    sync_topics()
    data = "family_name,given_name,セイ,メイ,municipality_code,community\n山田,花子,ヤマダ,ハナコ,011002,Code for Sapporo\n"
    db.session.add(Community(name="Code for Sapporo", municipality=municipality(db, "011002"), lat=43.0, lon=141.3))
    db.session.commit()
    token = apply_token(upload(coordinator_client, "candidates", data.encode()).get_data(as_text=True))
    db.session.execute(sa.delete(Community))
    db.session.commit()
    response = coordinator_client.post("/coordinator/data/import/apply", data={"token": token})
    assert response.status_code == 409
    assert "Code for Sapporo" in response.get_data(as_text=True)  # named in the problem
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist)) == 0


def test_an_upload_over_the_limit_gets_a_clear_413(coordinator_client, db, monkeypatch):
    coordinator_client.set_cookie("lang", "en")
    monkeypatch.setattr(data_routes, "MAX_IMPORT_REQUEST", 2000)
    response = upload(coordinator_client, "communities", b"name,municipality_code\n" + b"x" * 5000)
    assert response.status_code == 413
    assert "The file is larger than 5 MB" in response.get_data(as_text=True)


def test_a_large_checked_file_travels_back_to_apply(coordinator_client, db, gazetteer):
    """Flask refuses form fields over 500 kB by default; the apply step carries the file."""
    rng = random.Random(8)
    letters = string.ascii_letters + string.digits
    lines = ["name,municipality_code,description"]
    lines += [f"コミュニティ{n:04d},011002,{''.join(rng.choices(letters, k=800))}" for n in range(1000)]
    data = ("\n".join(lines) + "\n").encode()
    html = upload(coordinator_client, "communities", data).get_data(as_text=True)
    token = apply_token(html)
    assert len(token) > 500_000  # over Flask's default limit for one form field
    # Sent as multipart, where Werkzeug applies that limit (before 3.1.9 it did for the
    # browser's urlencoded form too).
    boundary, body = encode_multipart({"token": token})
    response = coordinator_client.post("/coordinator/data/import/apply", data=body,
                                       content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Community)) == 1000


def test_only_staff_can_import(evangelist_client, client):
    assert evangelist_client.get("/coordinator/data/import").status_code == 403
    assert evangelist_client.post("/coordinator/data/import/apply").status_code == 403
    assert "/auth/login" in client.get("/coordinator/data/import").headers["Location"]


def test_with_csrf_on_the_upload_and_the_apply_need_their_tokens(app, coordinator_client, db, gazetteer):
    app.config["WTF_CSRF_ENABLED"] = True
    refused = upload(coordinator_client, "municipality_status", SURVEY.encode())
    assert refused.status_code == 400
    form = coordinator_client.get("/coordinator/data/import").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    html = upload(coordinator_client, "municipality_status", SURVEY.encode(), csrf_token=csrf).get_data(as_text=True)
    token = apply_token(html)
    assert coordinator_client.post("/coordinator/data/import/apply", data={"token": token}).status_code == 400
    assert municipality(db, "011002").open_data_status == "non_active"
    apply_csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    coordinator_client.post("/coordinator/data/import/apply", data={"token": token, "csrf_token": apply_csrf})
    assert municipality(db, "011002").open_data_status == "active"


# --- Import from the command line --------------------------------------------------------


@pytest.fixture
def survey_file(tmp_path):
    def write(text: str, encoding: str = "cp932"):
        path = tmp_path / "survey.csv"
        path.write_bytes(text.encode(encoding))
        return str(path)

    return write


def test_the_cli_dry_run_reports_and_writes_nothing(runner, db, gazetteer, survey_file):
    result = runner.invoke(args=["import", "municipality_status", survey_file(SURVEY)])
    assert result.exit_code == 0, result.output
    assert "read as Shift_JIS" in result.output
    assert "Dry run, nothing written: 0 created, 1 updated, 1 unchanged" in result.output
    assert municipality(db, "011002").open_data_status == "non_active"


def test_the_cli_reports_problems_with_line_and_column_and_exits_1(runner, db, gazetteer, survey_file):
    result = runner.invoke(args=["import", "municipality_status", survey_file(BAD_SURVEY), "--apply"])
    assert result.exit_code == 1
    assert "line 4, 団体コード: The check digit of 131017 is wrong" in result.output
    assert "nothing was changed" in result.output
    assert municipality(db, "011002").open_data_status == "non_active"


def test_the_cli_applies_with_apply(runner, db, gazetteer, survey_file):
    result = runner.invoke(args=["import", "municipality_status", survey_file(SURVEY, "utf-8"), "--apply"])
    assert result.exit_code == 0, result.output
    assert "Imported: 0 created, 1 updated, 1 unchanged." in result.output
    assert municipality(db, "011002").open_data_status == "active"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "import.applied"))
    assert event.actor_id is None and event.actor_label == "system"


def test_the_cli_refuses_an_unknown_kind(runner, survey_file):
    result = runner.invoke(args=["import", "people", survey_file(SURVEY)])
    assert result.exit_code == 2
