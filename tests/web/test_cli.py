import sqlalchemy as sa

from app.models import (
    AuditEvent,
    Community,
    Evangelist,
    Municipality,
    Prefecture,
    SupportRequest,
    Topic,
    User,
)
from app.services.accounts import verify_password
from app.services.demo import DEMO_PASSWORD


def count(db, model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_geo_load_loads_everything_then_reports_no_change(runner, db):
    first = runner.invoke(args=["geo", "load"])
    assert first.exit_code == 0, first.output
    assert "Municipalities: 1741 added" in first.output
    assert (count(db, Prefecture), count(db, Municipality)) == (47, 1741)

    second = runner.invoke(args=["geo", "load"])
    assert second.exit_code == 0
    assert "nothing changed" in second.output
    assert count(db, AuditEvent, AuditEvent.action == "gazetteer.loaded") == 1


def test_geo_load_repairs_a_changed_name_but_keeps_programme_state(runner, db):
    runner.invoke(args=["geo", "load"])
    db.session.execute(
        sa.update(Municipality)
        .where(Municipality.code == "011002")
        .values(name="さっぽろ", open_data_status="active", engagement_stage="visited")
    )
    db.session.commit()
    result = runner.invoke(args=["geo", "load"])
    assert "Municipalities: 0 added, 1 updated" in result.output
    sapporo = db.session.scalar(sa.select(Municipality).where(Municipality.code == "011002"))
    db.session.refresh(sapporo)
    assert (sapporo.name, sapporo.open_data_status, sapporo.engagement_stage) == ("札幌市", "active", "visited")


def test_topics_load_is_idempotent(runner, db):
    assert "13 added" in runner.invoke(args=["topics", "load"]).output
    assert "nothing changed" in runner.invoke(args=["topics", "load"]).output
    assert count(db, Topic) == 13


def seeded(runner, *extra):
    runner.invoke(args=["geo", "load"])
    runner.invoke(args=["topics", "load"])
    return runner.invoke(
        args=["demo", "seed", "--evangelists", "40", "--communities", "8", "--requests", "15", *extra]
    )


def snapshot(db):
    return (
        db.session.execute(sa.select(Evangelist.family_name, Evangelist.given_name, Evangelist.lat).order_by(Evangelist.id)).all(),
        db.session.execute(sa.select(Community.name).order_by(Community.id)).all(),
        db.session.execute(sa.select(SupportRequest.email, SupportRequest.status).order_by(SupportRequest.id)).all(),
    )


def test_demo_seed_creates_the_network_and_prints_the_logins(runner, db):
    result = seeded(runner)
    assert result.exit_code == 0, result.output
    assert "Seeded 8 communities, 40 evangelists, 15 requests" in result.output
    for email in ("admin@example.jp", "coordinator@example.jp", "kanto@example.jp", "evangelist@example.jp"):
        assert email in result.output
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert verify_password(user.password_hash, DEMO_PASSWORD)
    assert "coordinator (kanto only)" in result.output
    kanto = db.session.scalar(sa.select(User).where(User.email == "kanto@example.jp"))
    assert [row.region for row in kanto.region_rows] == ["kanto"]
    assert count(db, Evangelist) == 40 and count(db, Community) == 8
    # The requests of the programme's two years, each from its own town, each with its history.
    assert count(db, SupportRequest) == 15
    assert len(set(db.session.scalars(sa.select(SupportRequest.municipality_id)))) == 15
    assert count(db, AuditEvent, AuditEvent.action == "request.submitted") == 15


def test_demo_seed_is_deterministic(runner, db):
    seeded(runner)
    first = snapshot(db)
    result = runner.invoke(args=["demo", "seed", "--evangelists", "40", "--communities", "8", "--requests", "15", "--reset"])
    assert result.exit_code == 0, result.output
    assert snapshot(db) == first


def test_demo_seed_refuses_to_mix_with_existing_data(runner, db):
    seeded(runner)
    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 1
    assert "already has" in again.output and "--reset" in again.output
    assert count(db, Evangelist) == 40


def test_demo_seed_if_empty_succeeds_quietly_and_reprints_the_logins(runner, db):
    seeded(runner)
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0
    assert "not seeded" in result.output and "coordinator@example.jp" in result.output


def test_demo_seed_without_the_gazetteer_says_what_to_run(runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 1
    assert "flask geo load" in result.output


def test_demo_seed_rejects_a_negative_count_naming_the_option(runner):
    result = runner.invoke(args=["demo", "seed", "--evangelists", "-3"])
    assert result.exit_code == 2
    assert "--evangelists" in result.output


def test_demo_seed_is_refused_in_production(runner, app):
    app.config["DEMO_ALLOWED"] = False
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 1
    assert "production" in result.output


def test_a_failed_reset_keeps_the_existing_data(runner, db):
    seeded(runner)
    result = runner.invoke(args=["demo", "seed", "--reset", "--communities", "0", "--evangelists", "5"])
    assert result.exit_code == 1
    assert "at least one" in result.output
    assert count(db, Evangelist) == 40 and count(db, Community) == 8


def test_generated_demo_people_cannot_sign_in_and_are_not_listed_as_invited(runner, db, client):
    seeded(runner)
    person = db.session.scalars(
        sa.select(User).where(User.email.like("evangelist0%"), User.is_active.is_(True))
    ).first()
    response = client.post("/auth/login", data={"email": person.email, "password": "!unusable"})
    assert response.status_code == 200 and client.get("/me/").status_code == 302
    from app.services.admin import user_status

    assert user_status(person) == "active"
