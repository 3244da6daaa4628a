"""Exports too large to stream are prepared in the background (issue 19.3): the request makes
a job and sends the coordinator to their exports page; the queue's worker writes the file;
only its owner (or an admin) downloads it; the sweep removes it after EXPORT_KEEP_DAYS."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import ExportJob
from app.services import export_jobs
from evangelists.calendar import today_in_japan, utc_now
from tests.factories import make_community, make_outcome, make_places, make_visit
from tests.mailbox import body_of

URL = "/coordinator/data/export/{}.csv"
JOBS = "/coordinator/data/exports"


@pytest.fixture
def large(app, db, tmp_path):
    """Three visits (with outcomes) and a threshold of two rows: visits are "large"."""
    towns = make_places("sapporo", "aomori")
    for day, town in ((1, "sapporo"), (2, "sapporo"), (3, "aomori")):
        visit = make_visit(visited_on=today_in_japan() - timedelta(days=day), summary=f"=相談{day}")
        visit.assignment.request.municipality = towns[town]
        make_outcome(visit=visit)
    db.session.commit()
    app.config.update(EXPORT_BACKGROUND_ROWS=2, EXPORT_FOLDER=str(tmp_path / "exports"))
    return tmp_path / "exports"


def jobs(db) -> list[ExportJob]:
    return list(db.session.scalars(sa.select(ExportJob).order_by(ExportJob.id)))


def test_a_large_export_is_prepared_in_the_background_and_downloaded_when_ready(
        app, db, large, signed_in_client, deliver):
    client, coordinator = signed_in_client("coordinator")

    response = client.get(URL.format("visits") + "?format=codes&page=2")
    assert response.status_code == 302
    (job,) = jobs(db)
    assert response.headers["Location"].endswith(f"{JOBS}#job-{job.id}")
    assert (job.user_id, job.dataset, job.style, job.status, job.row_count) == (
        coordinator.id, "visits", "codes", "queued", 3)
    assert job.parameters == {}  # "page" and "format" are not filters

    page = client.get(JOBS)
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "作成待ち" in html and 'http-equiv="refresh"' in html and "3件" in html
    assert "/coordinator/data/exports/" not in html  # no download link yet
    assert client.get(f"{JOBS}/{job.id}.csv").status_code == 302  # still being prepared

    # Asked for again while it is being prepared (a reload): the same job.
    client.get(URL.format("visits") + "?format=codes")
    assert len(jobs(db)) == 1

    assert deliver() >= 1  # the job, then the notice saying it is ready
    db.session.refresh(job)
    assert job.status == "ready" and job.size_bytes > 0 and job.finished_at is not None

    html = client.get(JOBS).get_data(as_text=True)
    assert f'href="{JOBS}/{job.id}.csv"' in html and 'http-equiv="refresh"' not in html
    download = client.get(f"{JOBS}/{job.id}.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["Content-Disposition"] == f"attachment; filename=visits-{today_in_japan()}.csv"
    data = download.get_data()
    download.close()  # a file response holds the file open until closed

    # The same bytes the export streams when it is small enough.
    app.config["EXPORT_BACKGROUND_ROWS"] = 0
    assert data == client.get(URL.format("visits") + "?format=codes").get_data()
    assert data.startswith("\ufeffid,visited_on,".encode()) and "'=相談1".encode() in data  # defused


def test_the_file_is_in_the_language_and_with_the_filters_it_was_asked_for(app, db, large, coordinator_client,
                                                                           deliver):
    coordinator_client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    app.config["EXPORT_BACKGROUND_ROWS"] = 1
    assert coordinator_client.get(URL.format("outcomes") + "?prefecture=01").status_code == 302
    deliver()
    (job,) = jobs(db)
    assert (job.locale, job.style, job.parameters) == ("en", "labels", {"prefecture": "01"})
    with coordinator_client.get(f"{JOBS}/{job.id}.csv") as response:
        text = response.get_data().decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("Outcome number,Outcome type,") and len(lines) == 1 + 2  # Sapporo's two


def test_a_small_export_still_streams_at_once(db, large, coordinator_client):
    response = coordinator_client.get(URL.format("communities"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert jobs(db) == []


def test_a_bad_filter_is_refused_before_any_job_is_made(db, large, coordinator_client):
    assert coordinator_client.get(URL.format("visits") + "?from=yesterday").status_code == 400
    assert jobs(db) == []


def test_only_the_owner_or_an_admin_downloads_a_job(app, db, large, signed_in_client, deliver):
    owner, _ = signed_in_client("coordinator")
    owner.get(URL.format("visits"))
    deliver()
    (job,) = jobs(db)
    url = f"{JOBS}/{job.id}.csv"
    other, _ = signed_in_client("coordinator")
    assert other.get(url).status_code == 404
    assert "job-" not in other.get(JOBS).get_data(as_text=True)  # not on their list
    evangelist, _ = signed_in_client("evangelist")
    assert evangelist.get(url).status_code == 403
    assert evangelist.get(JOBS).status_code == 403
    anonymous = app.test_client()
    assert "/auth/login" in anonymous.get(url).headers["Location"]
    admin, _ = signed_in_client("admin")
    with admin.get(url) as response:
        assert response.status_code == 200
    assert owner.get(f"{JOBS}/{job.id + 1}.csv").status_code == 404


def test_a_job_that_fails_says_so_and_has_no_file(app, db, large, coordinator_client, deliver):
    community = make_community()
    db.session.commit()
    app.config["EXPORT_BACKGROUND_ROWS"] = -1  # every export is "large", even one of no rows
    assert coordinator_client.get(URL.format("evangelists") + f"?community={community.id}").status_code == 302
    db.session.delete(community)  # gone before the worker starts: its filter no longer holds
    db.session.commit()
    deliver()
    (job,) = jobs(db)
    assert job.status == "failed" and "BadFilter" in job.error
    html = coordinator_client.get(JOBS).get_data(as_text=True)
    assert "この出力は作成できませんでした" in html
    response = coordinator_client.get(f"{JOBS}/{job.id}.csv")
    assert response.status_code == 404 and "保管期間" in response.get_data(as_text=True)
    assert list(large.glob("*")) == []


def test_the_sweep_removes_old_files_requeues_lost_jobs_and_fails_abandoned_ones(app, db, large, signed_in_client,
                                                                                 deliver):
    client, user = signed_in_client("coordinator")
    client.get(URL.format("visits"))
    deliver()
    (done,) = jobs(db)
    assert (large / f"{done.id}.csv").is_file()
    lost = ExportJob(user_id=user.id, dataset="visits", parameters={}, style="codes", locale="ja", row_count=3,
                     created_at=utc_now() - timedelta(minutes=30))
    abandoned = ExportJob(user_id=user.id, dataset="outcomes", parameters={}, style="codes", locale="ja",
                          row_count=3, status="running", started_at=utc_now() - timedelta(hours=2))
    db.session.add_all([lost, abandoned])
    db.session.commit()
    (large / "999.csv").write_text("left behind")
    (large / "notes.txt").write_text("not ours")

    assert export_jobs.sweep() == [lost.id]
    db.session.refresh(abandoned)
    assert abandoned.status == "failed"
    assert not (large / "999.csv").exists() and (large / "notes.txt").exists()
    assert (large / f"{done.id}.csv").is_file()

    later = utc_now() + timedelta(days=app.config["EXPORT_KEEP_DAYS"], minutes=1)
    export_jobs.sweep(later)
    assert not (large / f"{done.id}.csv").exists()
    assert db.session.get(ExportJob, done.id) is None


def test_the_periodic_sweep_queues_a_lost_job_again_and_the_worker_builds_it(app, db, large, signed_in_client,
                                                                             deliver):
    from app.queue import sweep_exports

    _client, user = signed_in_client("coordinator")
    lost = ExportJob(user_id=user.id, dataset="visits", parameters={}, style="labels", locale="ja", row_count=3,
                     created_at=utc_now() - timedelta(minutes=30))
    db.session.add(lost)
    db.session.commit()
    sweep_exports.call_local()
    deliver()
    db.session.refresh(lost)
    assert lost.status == "ready" and (large / f"{lost.id}.csv").is_file()


def test_the_owner_is_told_when_the_export_is_ready_or_has_failed(app, db, large, signed_in_client, deliver,
                                                                  mailbox):
    from app.models import Notice

    client, owner = signed_in_client("coordinator")
    client.get(URL.format("visits"))
    deliver()
    (job,) = jobs(db)
    (notice,) = db.session.scalars(sa.select(Notice).where(Notice.user_id == owner.id))
    assert (notice.kind, notice.target_type, notice.target_id, notice.params["rows"]) == (
        "export_finished", "export_job", job.id, 3)
    (mail,) = mailbox.to(owner.email)
    body = body_of(mail)
    assert "訪問" in mail["Subject"] and "3件" in body
    assert f"/coordinator/data/exports#job-{job.id}" in body

    db.session.delete(job)
    db.session.commit()
    app.config["EXPORT_BACKGROUND_ROWS"] = -1
    client.get(URL.format("evangelists") + "?community=99")  # a bad filter: refused at once
    assert jobs(db) == []
    client.get(URL.format("outcomes"))
    (job,) = jobs(db)
    job.parameters = {"community": "1"}  # outcomes have no such filter: the worker fails
    db.session.commit()
    deliver()
    assert db.session.get(ExportJob, job.id).status == "failed"
    failed = [m for m in mailbox.to(owner.email) if "作成できませんでした" in m["Subject"]]
    assert len(failed) == 1


def test_a_streamed_export_is_sent_as_it_is_read_and_kept_by_no_cache(app, db, large, coordinator_client):
    """The rows are read while the response is sent, after the view has returned (in the
    request's context, with its session); the page cache never keeps such a response."""
    from app.page_cache import store

    app.config["EXPORT_BACKGROUND_ROWS"] = 0
    pages = store(app)
    hits = pages.hits
    first = coordinator_client.get(URL.format("visits") + "?format=codes")
    assert first.is_streamed and first.headers["Cache-Control"] == "no-store"
    rows = first.get_data().count(b"\r\n")
    make_visit(visited_on=today_in_japan())
    db.session.commit()
    again = coordinator_client.get(URL.format("visits") + "?format=codes").get_data()
    assert again.count(b"\r\n") == rows + 1 and pages.hits == hits
