"""Import (dry run, all-or-nothing apply) and CSV export services against the database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from app.models import (
    AuditEvent,
    Community,
    CommunityStatusChange,
    Evangelist,
    Municipality,
)
from app.services import exports, imports
from app.services.exports import BadFilter, export_csv
from app.services.geography import MunicipalityFilters, municipality_search
from app.services.requests import QueueFilters, request_queue
from app.services.topics import sync_topics
from evangelists.calendar import today_in_japan
from tests.factories import (
    make_assignment,
    make_community,
    make_evangelist,
    make_municipality,
    make_outcome,
    make_prefecture,
    make_request,
    make_visit,
)


@pytest.fixture
def towns(db):
    """Sapporo and Hakodate (Hokkaido), Chiyoda (Tokyo); topics loaded."""
    sync_topics()
    hokkaido = make_prefecture(code="01")
    tokyo = make_prefecture(code="13", name_ja="東京都", name_kana="トウキョウト", name_en="Tokyo", region="kanto")
    result = {
        "sapporo": make_municipality(code="011002", name="札幌市", prefecture=hokkaido, engagement_stage="requested"),
        "hakodate": make_municipality(code="012025", name="函館市", prefecture=hokkaido, lat=41.77, lon=140.73),
        "chiyoda": make_municipality(code="131016", name="千代田区", prefecture=tokyo, lat=35.69, lon=139.75),
    }
    db.session.commit()
    return result


def snapshot(db):
    """Everything an import can touch."""
    return (
        db.session.execute(sa.select(Municipality.code, Municipality.open_data_status, Municipality.engagement_stage,
                                     Municipality.open_data_since).order_by(Municipality.code)).all(),
        db.session.execute(sa.select(Community.name, Community.status, Community.member_count,
                                     Community.municipality_id).order_by(Community.name)).all(),
        db.session.execute(sa.select(Evangelist.family_name, Evangelist.status, Evangelist.home_community_id)
                           .order_by(Evangelist.id)).all(),
        db.session.scalar(sa.select(sa.func.count()).select_from(CommunityStatusChange)),
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
    )


SURVEY = "団体コード,市区町村名,取組状況,基準日\n01100,札幌市,取組済,2024/3/31\n131016,千代田区,未着手,2024/3/31\n010006,北海道,取組済,2024/3/31\n"


# --- Import: dry run ---------------------------------------------------------------------


def test_a_dry_run_reports_what_would_change_and_writes_nothing(db, towns):
    before = snapshot(db)
    report = imports.dry_run("municipality_status", SURVEY.encode("cp932"))
    assert report.ok and report.encoding == "cp932"
    assert (report.rows, report.created, report.updated, report.unchanged, report.skipped) == (3, 0, 1, 1, 1)
    (change,) = report.sample
    assert (change.line, change.key, change.label) == (2, "011002", "011002 札幌市")
    assert snapshot(db) == before


def test_a_dry_run_names_the_line_and_column_of_every_problem(db, towns):
    data = "code,status,as_of\n011002,active,2024-03-31\n999997,active,2024-03-31\n131017,active,2024-03-31\n"
    report = imports.dry_run("municipality_status", data.encode())
    assert [(p.line, p.column, p.code) for p in report.problems] == [
        (3, "code", "unknown_municipality"), (4, "code", "wrong_check_digit"),
    ]
    assert not report.ok and report.sample == ()


# --- Import: apply -----------------------------------------------------------------------


def test_applying_the_survey_activates_towns_and_records_one_audit_event(db, towns, make_account):
    coordinator = make_account("coordinator")
    report = imports.apply(coordinator, "municipality_status", SURVEY.encode("cp932"), address="192.0.2.1")
    assert report.applied and (report.updated, report.unchanged, report.skipped) == (1, 1, 1)
    sapporo = db.session.scalar(sa.select(Municipality).where(Municipality.code == "011002"))
    db.session.refresh(sapporo)
    assert (sapporo.open_data_status, sapporo.engagement_stage, sapporo.open_data_since) == (
        "active", "active", date(2024, 3, 31))
    (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "import.applied"))
    assert event.actor_id == coordinator.id and event.client_address == "192.0.2.1"
    assert event.after["kind"] == "municipality_status"
    assert (event.after["updated"], event.after["unchanged"], event.after["rows"]) == (1, 1, 3)
    # One event for the import, none per row.
    assert db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action != "topics.synced")).all() == [
        "import.applied"]


def test_the_survey_does_not_downgrade_an_active_town_and_the_report_says_so(db, towns):
    towns["chiyoda"].open_data_status = "active"
    towns["chiyoda"].open_data_since = date(2018, 4, 1)
    db.session.commit()
    report = imports.apply(None, "municipality_status", SURVEY.encode("cp932"))
    assert report.applied
    assert [(n.line, n.key, n.code) for n in report.notices if n.code == "kept_active"] == [
        (3, "131016 千代田区", "kept_active")]
    db.session.refresh(towns["chiyoda"])
    assert (towns["chiyoda"].open_data_status, towns["chiyoda"].open_data_since) == ("active", date(2018, 4, 1))


def test_a_file_with_one_bad_row_changes_nothing(db, towns):
    before = snapshot(db)
    data = SURVEY + "013005,小樽市,取組済,2024/3/31\n"  # valid code, not one of our towns
    report = imports.apply(None, "municipality_status", data.encode("cp932"))
    assert not report.applied
    assert [(p.line, p.code) for p in report.problems] == [(5, "unknown_municipality")]
    db.session.expire_all()
    assert snapshot(db) == before


def test_a_failure_half_way_through_writing_rolls_everything_back(db, towns, monkeypatch):
    before = snapshot(db)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    # The audit event is written after every row: failing there proves one transaction.
    monkeypatch.setattr(imports, "record_event", fail)
    data = "name,municipality_code\nCode for Sapporo,011002\nCode for Chiyoda,131016\n"
    with pytest.raises(RuntimeError):
        imports.apply(None, "communities", data.encode())
    db.session.expire_all()
    assert snapshot(db) == before


def test_a_clash_with_a_concurrent_import_is_reported_and_changes_nothing(db, towns, monkeypatch):
    before = snapshot(db)
    real = imports._write_communities

    def someone_else_first(actor, parsed, plan, progress, today):
        # Another coordinator's import commits the same community just before ours writes.
        db.session.execute(sa.insert(Community).values(
            name="Code for Sapporo", municipality_id=towns["sapporo"].id, lat=43.0, lon=141.3, status="active",
            status_since=today_in_japan(), member_count=0, description="", address="", location_source="municipality",
            created_at=datetime.now(UTC), updated_at=datetime.now(UTC)))
        real(actor, parsed, plan, progress, today)

    monkeypatch.setattr(imports, "WRITERS", {**imports.WRITERS, "communities": someone_else_first})
    report = imports.apply(None, "communities", b"name,municipality_code\nCode for Sapporo,011002\n")
    assert not report.applied and [p.code for p in report.problems] == ["conflict"]
    db.session.expire_all()
    assert snapshot(db) == before


def test_communities_are_created_at_their_town_and_updated_by_name_with_status_history(db, towns, make_account):
    coordinator = make_account("coordinator")
    existing = make_community(name="Code for Sapporo", municipality=towns["sapporo"], member_count=10)
    db.session.commit()
    data = ("name,municipality_code,website,status,member_count,contact_email,description\n"
            "code for sapporo,011002,,dormant,12,,\n"
            "Code for Chiyoda,13101,https://chiyoda.example.jp/,,5,hello@chiyoda.example.jp,千代田の会\n")
    report = imports.apply(coordinator, "communities", data.encode())
    assert report.applied and (report.created, report.updated) == (1, 1)
    db.session.refresh(existing)
    assert (existing.name, existing.status, existing.member_count) == ("Code for Sapporo", "dormant", 12)
    assert [(h.status, h.changed_by_id) for h in existing.status_history] == [("dormant", coordinator.id)]
    chiyoda = db.session.scalar(sa.select(Community).where(Community.name == "Code for Chiyoda"))
    assert (chiyoda.municipality.code, chiyoda.lat, chiyoda.lon, chiyoda.status, chiyoda.member_count) == (
        "131016", 35.69, 139.75, "active", 5)
    assert (chiyoda.website, chiyoda.contact_email, chiyoda.description) == (
        "https://chiyoda.example.jp/", "hello@chiyoda.example.jp", "千代田の会")
    assert [h.status for h in chiyoda.status_history] == ["active"]

    again = imports.apply(coordinator, "communities", data.encode())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_moving_a_community_moves_its_default_location_but_not_a_manual_one(db, towns):
    by_town = make_community(name="A", municipality=towns["sapporo"])
    manual = make_community(name="B", municipality=towns["sapporo"], location_source="manual", lat=43.5, lon=141.5)
    db.session.commit()
    report = imports.apply(None, "communities", b"name,municipality_code\nA,012025\nB,012025\n")
    assert report.updated == 2
    db.session.refresh(by_town), db.session.refresh(manual)
    assert (by_town.municipality.code, by_town.lat, by_town.lon) == ("012025", 41.77, 140.73)
    assert (manual.municipality.code, manual.lat, manual.lon) == ("012025", 43.5, 141.5)


def test_candidates_become_evangelists_with_status_candidate(db, towns):
    make_community(name="Code for Sapporo", municipality=towns["sapporo"])
    active = make_evangelist(family_name="鈴木", given_name="次郎", home_municipality=towns["hakodate"])
    db.session.commit()
    data = ("family_name,given_name,セイ,メイ,municipality_code,community,skills,email\n"
            "山田,花子,やまだ,ﾊﾅｺ,011002,Code for Sapporo,gis;licensing,hanako@example.jp\n"
            "鈴木,次郎,,,012025,,gis,\n")
    report = imports.apply(None, "candidates", data.encode())
    assert report.applied and (report.created, report.unchanged) == (1, 1)
    assert {n.code for n in report.notices} == {"not_candidate", "emails_not_stored"}
    hanako = db.session.scalar(sa.select(Evangelist).where(Evangelist.family_name == "山田"))
    assert (hanako.status, hanako.user_id, hanako.home_municipality.code, hanako.home_community.name) == (
        "candidate", None, "011002", "Code for Sapporo")
    assert [t.slug for t in hanako.skills] == ["licensing", "gis"]
    assert (hanako.family_name_kana, hanako.given_name_kana) == ("ヤマダ", "ハナコ")
    assert "yamadahanako" in hanako.name_search and hanako.name_sort.startswith("1ヤマタ")
    assert (hanako.lat, hanako.lon) == (towns["sapporo"].lat, towns["sapporo"].lon)
    db.session.refresh(active)
    assert (active.status, active.skills) == ("active", [])

    update = imports.apply(None, "candidates", "family_name,given_name,municipality_code,skills\n山田,花子,011002,dashboards\n".encode())
    assert (update.created, update.updated) == (0, 1)
    db.session.refresh(hanako)
    assert [t.slug for t in hanako.skills] == ["dashboards"]
    # A reading given for someone we have replaces theirs, with the keys derived from it.
    update = imports.apply(None, "candidates", "family_name,given_name,municipality_code,セイ\n山田,花子,011002,やまた\n"
                           .encode())
    assert update.applied and update.updated == 1
    db.session.refresh(hanako)
    assert (hanako.family_name_kana, hanako.given_name_kana) == ("ヤマタ", "ハナコ")
    assert "yamatahanako" in hanako.name_search and "yamadahanako" not in hanako.name_search


def test_a_new_person_without_a_reading_gets_a_message_on_their_row(db, towns):
    data = ("family_name,given_name,municipality_code,family_name_kana,given_name_kana\n"
            "山田,花子,011002,やまだ,\n"
            "佐藤,一郎,011002,,\n"
            "鈴木,次郎,011002,スズキ,ジロウ\n"
            "田中,三郎,011002,田中,サブロウ\n")
    report = imports.apply(None, "candidates", data.encode())
    assert not report.applied
    assert [(p.line, p.column, p.code) for p in report.problems] == [
        (5, "family_name_kana", "not_kana"),
    ]
    report = imports.apply(None, "candidates", data.encode().replace("田中,三郎,011002,田中".encode(),
                                                                      "田中,三郎,011002,たなか".encode()))
    assert not report.applied
    assert [(p.line, p.column, p.code, dict(p.params)) for p in report.problems] == [
        (2, "given_name_kana", "reading_required", {"name": "山田 花子"}),
        (3, "family_name_kana", "reading_required", {"name": "佐藤 一郎"}),
        (3, "given_name_kana", "reading_required", {"name": "佐藤 一郎"}),
    ]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist)) == 0


# --- Export ------------------------------------------------------------------------------


def read(kind: str, args=None, **options) -> tuple[str, list[dict]]:
    text = "".join(export_csv(kind, args or {}, **options))
    return text, list(csv.DictReader(io.StringIO(text.removeprefix(exports.BOM))))


@pytest.fixture
def network(db, towns, make_account):
    """A community, two evangelists, requests, a visit with an outcome."""
    sapporo, chiyoda = towns["sapporo"], towns["chiyoda"]
    community = make_community(name="Code for Sapporo", municipality=sapporo)
    hanako = make_evangelist(family_name="山田", given_name="花子", home_municipality=sapporo,
                             home_community=community, age_band="30s", gender="female")
    make_evangelist(family_name="佐藤", given_name="一郎", home_municipality=chiyoda, status="candidate", user=None)
    new = make_request(municipality=sapporo, message="=HYPERLINK(\"http://evil.example\")")
    make_request(municipality=chiyoda, status="triaged")
    make_request(municipality=chiyoda, status="completed")
    assignment = make_assignment(request=new, evangelist=hanako, distance_km=1.0, status="accepted")
    visit = make_visit(assignment=assignment, visited_on=date(2024, 5, 1), mode="online", duration_minutes=60, summary="相談")
    make_outcome(visit=visit, type="datasets_published", count=3, achieved_on=date(2024, 5, 1))
    make_visit(assignment=assignment, visited_on=date(2024, 7, 1), mode="onsite", duration_minutes=90, summary="再訪")
    db.session.commit()
    return {"community": community, "hanako": hanako}


@pytest.mark.parametrize("kind", exports.KINDS)
def test_every_export_starts_with_a_bom_and_its_stable_header(db, network, kind):
    text, rows = read(kind)
    assert text.startswith("\ufeff" + ",".join(exports.EXPORTS[kind].columns) + "\r\n")
    assert rows, kind


def test_the_municipality_export_has_the_rows_of_the_list_for_the_same_filters(db, towns):
    filters = {"prefecture": "01", "open_data_status": "non_active"}
    _text, rows = read("municipalities", filters)
    expected = db.session.scalars(municipality_search(MunicipalityFilters(**filters))).all()
    assert [r["code"] for r in rows] == [m.code for m in expected] == ["011002", "012025"]
    assert rows[0]["name"] == "札幌市" and rows[0]["engagement_stage"] == "requested"


def test_the_request_export_has_the_rows_of_the_queue_for_the_same_filters(db, network):
    for args in ({}, {"prefecture": "13"}, {"status": "completed"}):
        _text, rows = read("requests", args)
        queue = db.session.scalars(request_queue(QueueFilters(**args))).all()
        assert [int(r["id"]) for r in rows] == [r.id for r in queue]
    assert len(read("requests")[1]) == 2  # open ones only, as on screen


def test_text_that_excel_would_run_as_a_formula_is_defused(db, network):
    _text, rows = read("requests", {"prefecture": "01"})
    assert rows[0]["message"] == "'=HYPERLINK(\"http://evil.example\")"
    assert exports.cell(-3) == "-3" and exports.cell("-3") == "'-3"


def test_the_evangelist_export_leaves_out_age_band_gender_and_account_secrets(db, network):
    text, rows = read("evangelists")
    assert not {"age_band", "gender", "password_hash", "totp_secret"} & set(rows[0])
    assert "30s" not in text and "female" not in text
    assert [(r["family_name"], r["status"], r["community_name"]) for r in rows] == [
        ("佐藤", "candidate", ""), ("山田", "active", "Code for Sapporo")]
    community_id = str(network["community"].id)
    assert [r["family_name"] for r in read("evangelists", {"community": community_id})[1]] == ["山田"]
    assert [r["family_name"] for r in read("evangelists", {"status": "candidate", "prefecture": "13"})[1]] == ["佐藤"]


def test_visits_and_outcomes_are_filtered_by_date_and_prefecture(db, network):
    assert [r["visited_on"] for r in read("visits")[1]] == ["2024-05-01", "2024-07-01"]
    assert [r["visited_on"] for r in read("visits", {"from": "2024-06-01"})[1]] == ["2024-07-01"]
    assert [r["visited_on"] for r in read("visits", {"to": "2024-06-01"})[1]] == ["2024-05-01"]
    assert read("visits", {"prefecture": "13"})[1] == []
    (outcome,) = read("outcomes", {"from": "2024-05-01", "to": "2024-05-01"})[1]
    assert (outcome["type"], outcome["count"], outcome["municipality_code"]) == ("datasets_published", "3", "011002")


def test_communities_are_filtered_by_prefecture_and_status(db, network, towns):
    make_community(name="Dormant Chiyoda", municipality=towns["chiyoda"], status="dormant")
    db.session.commit()
    assert [r["name"] for r in read("communities")[1]] == ["Code for Sapporo", "Dormant Chiyoda"]
    assert [r["name"] for r in read("communities", {"status": "dormant"})[1]] == ["Dormant Chiyoda"]
    assert [r["name"] for r in read("communities", {"prefecture": "01"})[1]] == ["Code for Sapporo"]


def test_dates_and_times_are_iso_times_in_japan_time_and_phones_as_on_screen(db, network):
    _text, rows = read("requests")
    created = datetime.fromisoformat(rows[0]["created_at"])
    assert created.utcoffset().total_seconds() == 9 * 3600
    assert rows[0]["phone"] == "03-1234-5678"  # stored as +81312345678


def test_rows_are_read_and_sent_in_chunks(db, towns):
    chunks = list(export_csv("municipalities", {}, chunk_size=2))
    assert len(chunks) == 1 + 2  # header, then 3 rows in chunks of 2
    assert chunks[1].count("\r\n") == 2


@pytest.mark.parametrize(
    "kind, args, parameter, code",
    [
        ("municipalities", {"prefecture": "99"}, "prefecture", "bad_choice"),
        ("municipalities", {"kind": "hamlet"}, "kind", "bad_choice"),
        ("municipalities", {"q": "x" * 41}, "q", "too_long"),
        ("municipalities", {"prefectur": "01"}, "prefectur", "unknown_parameter"),
        ("requests", {"status": "lost"}, "status", "bad_choice"),
        ("requests", {"topic": "cooking"}, "topic", "bad_choice"),
        ("evangelists", {"community": "abc"}, "community", "bad_choice"),
        ("evangelists", {"community": "9999"}, "community", "bad_choice"),
        ("evangelists", {"status": "dormant"}, "status", "bad_choice"),
        ("communities", {"status": "candidate"}, "status", "bad_choice"),
        ("visits", {"from": "2024/05/01"}, "from", "bad_date"),
        ("visits", {"to": "2024-13-01"}, "to", "bad_date"),
        ("outcomes", {"from": "2024-06-01", "to": "2024-05-01"}, "to", "date_order"),
    ],
)
def test_a_bad_filter_is_refused_naming_the_parameter(db, towns, kind, args, parameter, code):
    with pytest.raises(BadFilter) as raised:
        export_csv(kind, args)
    assert (raised.value.parameter, raised.value.code) == (parameter, code)


def test_the_page_parameter_is_ignored_and_empty_filters_mean_any(db, towns):
    assert len(read("municipalities", {"page": "3", "prefecture": "", "kind": ""})[1]) == 3


# --- Import: in bulk -----------------------------------------------------------------------


def communities_csv(rows: int, codes: list[str], *, status: str = "") -> bytes:
    lines = ["name,municipality_code,status,member_count,contact_email"]
    lines += [f"会{n:05d},{codes[n % len(codes)]},{status},{n % 50},c{n}@example.jp" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def candidates_csv(rows: int, codes: list[str], community: str, *, skills: str = "gis") -> bytes:
    lines = ["family_name,given_name,セイ,メイ,municipality_code,community,skills"]
    lines += [f"山田,花子{n:05d},ヤマダ,ハナコ,{codes[n % len(codes)]},{community if n % 2 else ''},{skills}"
              for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def survey_csv(codes: list[str]) -> bytes:
    lines = ["code,status,as_of"] + [f"{code},{'active' if n % 3 else 'non_active'},2024-03-31"
                                     for n, code in enumerate(codes)]
    return ("\n".join(lines) + "\n").encode()


def statements(count_queries, call) -> int:
    with count_queries() as counted:
        call()
    return counted.count


def test_the_statements_of_an_import_do_not_grow_with_its_rows(db, towns, count_queries):
    """5,000 rows take as many statements as 10: reads and writes in bulk, not a query per
    row (which is what made a 100,000-row apply outlast the worker's timeout)."""
    codes = [t.code for t in towns.values()]
    make_community(name="Code for Sapporo", municipality=towns["sapporo"])
    db.session.commit()
    small, large = {}, {}
    for sizes, rows in ((small, 10), (large, 5_000)):
        db.session.execute(sa.delete(Evangelist))
        db.session.execute(sa.delete(CommunityStatusChange))
        db.session.execute(sa.delete(Community).where(Community.name != "Code for Sapporo"))
        db.session.commit()
        for step, kind, data in (
            ("create", "communities", communities_csv(rows, codes)),
            ("update", "communities", communities_csv(rows, codes, status="dormant")),
            ("create", "candidates", candidates_csv(rows, codes, "Code for Sapporo")),
            ("update", "candidates", candidates_csv(rows, codes, "Code for Sapporo", skills="licensing")),
        ):
            sizes[kind, step, "dry run"] = statements(count_queries, lambda kind=kind, data=data: imports.dry_run(kind, data))
            db.session.rollback()
            report = None

            def apply(kind=kind, data=data):
                nonlocal report
                report = imports.apply(None, kind, data)

            sizes[kind, step, "apply"] = statements(count_queries, apply)
            assert report.applied and report.created + report.updated == rows, (kind, step, report.problems[:3])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommunityStatusChange)) == 2 * 5_000
    assert large == small
    # PostgreSQL's COPY (new rows) runs on the driver's cursor, which the counter does not
    # see; the SELECT that gives their ids does count. New candidates take two statements
    # more: the communities' numbers and the people who may be them (evangelists.duplicates).
    # New rows also take three for their search documents (delete, read, write: one
    # statement each however many rows, app/services/search.py).
    postgresql = db.engine.dialect.name == "postgresql"
    assert large == {
        ("communities", "create", "dry run"): 3, ("communities", "create", "apply"): 11 if postgresql else 13,
        ("communities", "update", "dry run"): 3, ("communities", "update", "apply"): 8 if postgresql else 9,
        ("candidates", "create", "dry run"): 7, ("candidates", "create", "apply"): 16 if postgresql else 18,
        ("candidates", "update", "dry run"): 5, ("candidates", "update", "apply"): 13 if postgresql else 14,
    }


def test_the_survey_of_every_town_takes_a_fixed_number_of_statements(db, gazetteer, count_queries):
    codes = list(db.session.scalars(sa.select(Municipality.code).order_by(Municipality.code)))
    data = survey_csv(codes)
    assert statements(count_queries, lambda: imports.dry_run("municipality_status", data)) == 3
    db.session.rollback()
    with count_queries() as counted:
        report = imports.apply(None, "municipality_status", data)
    assert report.applied and report.updated == sum(1 for n in range(len(codes)) if n % 3)
    assert counted.count == 7
    active = db.session.scalar(sa.select(sa.func.count()).select_from(Municipality)
                               .where(Municipality.open_data_status == "active"))
    assert active == report.updated


@pytest.mark.parametrize("kind", imports.KINDS)
def test_an_import_counts_the_data_version_up_also_without_its_audit_event(db, towns, monkeypatch, kind):
    """The bulk statements go around the ORM's unit of work; the page cache must still
    learn that the data changed (app/models/system.py), whatever else the transaction does."""
    from app.models import DataVersion

    make_community(name="Code for Sapporo", municipality=towns["sapporo"])
    db.session.commit()
    monkeypatch.setattr(imports, "record_event", lambda *args, **kwargs: None)
    data = {
        "municipality_status": SURVEY.encode("cp932"),
        "communities": b"name,municipality_code,status\nCode for Chiyoda,131016,dormant\nCode for Sapporo,011002,dormant\n",
        "candidates": candidates_csv(3, ["011002", "131016"], "Code for Sapporo"),
    }[kind]
    before = db.session.scalar(sa.select(DataVersion.number)) or 0
    report = imports.apply(None, kind, data)
    assert report.applied and report.changes_anything
    assert db.session.scalar(sa.select(DataVersion.number)) == before + 1


def test_rows_written_in_bulk_are_the_rows_the_orm_would_write(db, towns, make_account):
    coordinator = make_account("coordinator")
    make_community(name="Code for Sapporo", municipality=towns["sapporo"])
    db.session.commit()
    started = datetime.now(UTC)
    imports.apply(coordinator, "communities", b"name,municipality_code\nCode for Chiyoda,131016\n")
    imports.apply(None, "candidates", candidates_csv(2, ["011002"], "Code for Sapporo"))
    db.session.expire_all()
    chiyoda = db.session.scalar(sa.select(Community).where(Community.name == "Code for Chiyoda"))
    assert (chiyoda.status, chiyoda.status_since, chiyoda.member_count, chiyoda.description, chiyoda.address,
            chiyoda.location_source, chiyoda.website, chiyoda.contact_email) == (
        "active", today_in_japan(), 0, "", "", "municipality", None, None)
    assert chiyoda.created_at >= started and chiyoda.updated_at == chiyoda.created_at
    (history,) = chiyoda.status_history
    assert (history.status, history.since, history.note, history.changed_by_id) == (
        "active", today_in_japan(), "", coordinator.id)
    people = db.session.scalars(sa.select(Evangelist).order_by(Evangelist.id)).all()
    assert [(p.given_name, p.home_community.name if p.home_community else None) for p in people] == [
        ("花子00000", None), ("花子00001", "Code for Sapporo")]
    first = people[0]
    assert (first.status, first.user_id, first.languages, first.capacity, first.travel_radius_km, first.online_ok,
            first.location_source, first.lat, first.lon, [t.slug for t in first.skills]) == (
        "candidate", None, ["ja"], 2, 50.0, True, "municipality", towns["sapporo"].lat, towns["sapporo"].lon,
        ["gis"])
    assert first.created_at >= started

    moved_before = people[0].updated_at
    imports.apply(None, "candidates", candidates_csv(2, ["011002"], "Code for Sapporo", skills="licensing;gis"))
    db.session.expire_all()
    first = db.session.get(Evangelist, people[0].id)
    assert [t.slug for t in first.skills] == ["licensing", "gis"]
    assert first.updated_at == moved_before  # only the skills changed: the row itself did not
