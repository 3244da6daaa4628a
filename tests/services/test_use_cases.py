"""app/services/use_cases.py: drafting from a completed request, editing (with the version
check and files), each move and who may make it, the town's answer, the index."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Notice, UseCase, UseCaseAttachment
from app.services import use_cases as service
from app.services.topics import sync_topics
from app.services.use_cases import Upload, UseCaseRefused
from evangelists.use_case_files import FileRefused
from evangelists.use_cases import fold
from tests.factories import (
    make_completed_request,
    make_evangelist,
    make_municipality,
    make_prefecture,
    make_request,
    make_user,
)
from tests.services.use_case_files import PDF

pytestmark = pytest.mark.usefixtures("files_folder")


@pytest.fixture
def files_folder(app, tmp_path):
    """The instance folder of this test: the files it stores land in tmp_path."""
    kept, app.instance_path = app.instance_path, str(tmp_path)
    yield tmp_path / "use_case_files"
    app.instance_path = kept


@pytest.fixture
def world(db):
    sync_topics()
    author = make_user(role="evangelist", email="author@example.jp")
    evangelist = make_evangelist(user=author)
    request = make_completed_request(evangelist=evangelist, population=12_000)
    coordinator = make_user(role="coordinator", email="coordinator@example.jp")
    db.session.commit()
    return {"author": author, "request": request, "coordinator": coordinator}


def draft(world):
    use_case, created = service.draft_from_request(world["author"], world["request"])
    assert created
    return use_case


def data_of(use_case, **changes):
    return service.UseCaseInput(**{**service.as_input(use_case).__dict__, **changes})


def test_the_draft_is_prefilled_from_the_visits_and_outcomes(world):
    use_case = draft(world)
    request = world["request"]
    assert use_case.status == "draft" and use_case.author_id == world["author"].id
    assert use_case.what_was_done == "庁内勉強会を開いた。\n\n避難所データをCSVで公開した。"
    assert use_case.datasets == 8 and use_case.catalogue_url == "https://example.jp/catalog"
    assert [(link.label, link.url) for link in use_case.links] == [("避難所一覧ほか", "https://example.jp/data/1")]
    assert use_case.people == "情報政策課、防災課" and use_case.population_band == "10k_50k"
    assert use_case.starting_point == request.message
    visits = [v for a in request.assignments for v in a.visits]
    assert {v.id for v in use_case.visits} == {v.id for v in visits}
    assert len(use_case.outcomes) == 3
    assert [t.slug for t in use_case.topics] == [t.slug for t in request.topics] + [t.slug for t in visits[0].topics]
    assert use_case.municipality.name in use_case.search_text and "避難所データ" in use_case.search_text.upper()
    event = next(e for e in service.history_of(use_case))
    assert event.action == "use_case.drafted" and event.after["request"] == request.id


def test_a_request_gets_one_use_case_and_the_same_form_twice_makes_one(world):
    first, _ = service.draft_from_request(world["author"], world["request"], nonce="n-1")
    again, created = service.draft_from_request(world["author"], world["request"], nonce="n-1")
    other, created_other = service.draft_from_request(world["coordinator"], world["request"])
    assert again.id == first.id == other.id and not created and not created_other


def test_only_a_completed_request_and_only_its_evangelist_or_a_coordinator(db, world):
    open_request = make_completed_request(status="scheduled", closed_at=None,
                                          evangelist=world["author"].evangelist)
    stranger = make_user(role="evangelist")
    make_evangelist(user=stranger)
    db.session.commit()
    with pytest.raises(UseCaseRefused) as caught:
        service.draft_from_request(world["author"], open_request)
    assert caught.value.reason == "not_completed"
    with pytest.raises(UseCaseRefused) as caught:
        service.draft_from_request(stranger, world["request"])
    assert caught.value.reason == "not_yours"
    regional = make_user(role="coordinator")
    regional.region_rows = []
    from app.models import UserRegion

    regional.region_rows = [UserRegion(region="kyushu")]
    db.session.commit()
    with pytest.raises(UseCaseRefused):
        service.draft_from_request(regional, world["request"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UseCase)) == 0


def test_editing_keeps_the_index_and_counts_the_version(db, world):
    use_case = draft(world)
    result = service.save(world["author"], use_case, data_of(use_case, title="<script>x</script> 事例", advice="ＡＢＣ",
                                                             topics=()), version=1)
    assert result.changed and use_case.version == 2
    assert "abc" in use_case.search_text and fold("<script>x</script> 事例") in use_case.search_text
    event = service.history_of(use_case)[-1]
    assert event.action == "use_case.updated"
    assert event.after["title"] == "<script>x</script> 事例" and event.after["texts_changed"] == ["advice"]
    assert not service.save(world["author"], use_case, service.as_input(use_case), version=2).changed
    assert use_case.version == 2


def test_the_second_of_two_editors_is_refused_and_nothing_of_theirs_is_saved(db, world):
    use_case = draft(world)
    service.save(world["coordinator"], use_case, data_of(use_case, title="調整役の題"), version=1)
    with pytest.raises(UseCaseRefused) as caught:
        service.save(world["author"], use_case, data_of(use_case, title="作者の題"), version=1)
    assert (caught.value.field, caught.value.reason, caught.value.params) == ("version", "conflict", {"version": 2})
    db.session.expire_all()
    assert use_case.title == "調整役の題"
    assert service.differences(use_case, data_of(use_case, title="作者の題")) == ["title"]


def test_a_save_racing_another_is_refused_by_the_database(db, world):
    """Both read version 1; the other one's save lands between this one's read and write."""
    use_case = draft(world)
    assert use_case.version == 1
    db.session.rollback()  # no transaction of the session's own is open
    with db.engine.begin() as connection:
        connection.execute(sa.update(UseCase).where(UseCase.id == use_case.id).values(version=2, title="先に保存"))
    with db.session.no_autoflush:
        assert use_case.__dict__["version"] == 1  # what this editor's page was made from
    with pytest.raises(UseCaseRefused) as caught:
        service.save(world["author"], use_case, data_of(use_case, title="後から保存"), version=1)
    assert caught.value.reason == "conflict"
    db.session.expire_all()
    assert (use_case.title, use_case.version) == ("先に保存", 2)


def test_the_author_edits_the_draft_only_and_staff_until_it_goes_to_the_town(db, world):
    use_case = draft(world)
    service.move(world["author"], use_case, "submit", version=1)
    with pytest.raises(UseCaseRefused) as caught:
        service.save(world["author"], use_case, data_of(use_case, title="後から"), version=use_case.version)
    assert caught.value.reason == "not_editable"
    service.save(world["coordinator"], use_case, data_of(use_case, title="直した"), version=use_case.version)
    service.move(world["coordinator"], use_case, "send", version=use_case.version)
    with pytest.raises(UseCaseRefused):
        service.save(world["coordinator"], use_case, data_of(use_case, title="送った後"), version=use_case.version)
    other = make_user(role="evangelist")
    db.session.commit()
    assert not service.can_view(other, use_case) and service.moves_for(other, use_case) == []


def test_each_move_and_who_may_make_it(db, world, clock):
    use_case = draft(world)
    author, coordinator = world["author"], world["coordinator"]
    with pytest.raises(UseCaseRefused) as caught:
        service.move(author, use_case, "send", version=1)
    assert caught.value.reason == "not_allowed"
    assert service.move(author, use_case, "submit", version=1) == "with_coordinator"
    assert db.session.scalar(sa.select(Notice).where(Notice.kind == "use_case_submitted")).user_id == coordinator.id
    with pytest.raises(UseCaseRefused):
        service.move(author, use_case, "withdraw", version=use_case.version)  # not their draft any more
    assert service.move(coordinator, use_case, "return", version=use_case.version, note="写真を足して") == "draft"
    assert service.history_of(use_case)[-1].after["note"] == "写真を足して"
    service.move(author, use_case, "submit", version=use_case.version)
    assert service.move(coordinator, use_case, "send", version=use_case.version) == "with_town"
    mail = db.session.scalar(sa.select(Notice).where(Notice.kind == "use_case_to_town"))
    assert mail.email == world["request"].email and mail.request_id == world["request"].id
    assert "token" not in str(mail.params)
    assert use_case.sent_to_town_at is not None and use_case.published_at is None
    assert service.move(coordinator, use_case, "recall", version=use_case.version) == "with_coordinator"
    assert service.move(coordinator, use_case, "withdraw", version=use_case.version) == "withdrawn"
    assert service.move(coordinator, use_case, "recall", version=use_case.version) == "with_coordinator"
    actions = [e.action for e in service.history_of(use_case)]
    assert actions == ["use_case.drafted", "use_case.submitted", "use_case.returned", "use_case.submitted",
                       "use_case.sent", "use_case.recalled", "use_case.withdrawn", "use_case.recalled"]


def test_a_stale_move_is_refused(world):
    use_case = draft(world)
    with pytest.raises(UseCaseRefused) as caught:
        service.move(world["author"], use_case, "submit", version=7)
    assert caught.value.reason == "conflict" and use_case.status == "draft"


def test_the_author_may_discard_their_draft(world):
    use_case = draft(world)
    assert service.move(world["author"], use_case, "withdraw", version=1) == "withdrawn"
    again, created = service.draft_from_request(world["author"], world["request"])
    assert created and again.id != use_case.id


def sent(world):
    use_case = draft(world)
    service.move(world["author"], use_case, "submit", version=1)
    service.move(world["coordinator"], use_case, "send", version=use_case.version)
    return use_case


def test_the_town_asks_for_changes_then_agrees_and_only_then_it_is_published(db, world, clock):
    from datetime import UTC, datetime

    use_case = sent(world)
    request = world["request"]
    with pytest.raises(UseCaseRefused) as caught:
        service.town_answer(request, use_case.id, "changes_asked", message="  ", version=use_case.version)
    assert (caught.value.field, caught.value.reason) == ("message", "message_required")
    service.town_answer(request, use_case.id, "changes_asked", message="人数を直してください", version=use_case.version)
    assert use_case.status == "changes_asked" and use_case.published_at is None
    answered = db.session.scalars(sa.select(Notice).where(Notice.kind == "use_case_answered")).all()
    assert {n.user_id for n in answered} == {world["coordinator"].id, world["author"].id}
    assert answered[0].params["message"] == "人数を直してください"
    event = service.history_of(use_case)[-1]
    assert (event.action, event.actor_label, event.after["town_message"]) == (
        "use_case.changes_asked", "municipality", "人数を直してください")
    service.save(world["coordinator"], use_case, data_of(use_case, people="2名"), version=use_case.version)
    service.move(world["coordinator"], use_case, "send", version=use_case.version)
    with pytest.raises(UseCaseRefused) as caught:
        service.town_answer(request, use_case.id, "agreed", agreed=False, version=use_case.version)
    assert caught.value.reason == "agreement_required" and use_case.status == "with_town"
    now = clock(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    service.town_answer(request, use_case.id, "agreed", agreed=True, version=use_case.version)
    assert use_case.status == "published" and use_case.published_at == now == use_case.town_agreed_at
    assert [(a.decision, a.version) for a in use_case.town_answers] == [("changes_asked", 3), ("agreed", 6)]


def test_the_town_answers_only_the_text_it_read_and_only_its_own(db, world):
    use_case = sent(world)
    with pytest.raises(UseCaseRefused) as caught:
        service.town_answer(world["request"], use_case.id, "agreed", agreed=True, version=use_case.version - 1)
    assert caught.value.reason == "text_changed"
    other = make_request()
    db.session.commit()
    with pytest.raises(UseCaseRefused) as caught:
        service.town_answer(other, use_case.id, "agreed", agreed=True, version=use_case.version)
    assert caught.value.reason == "not_allowed" and use_case.status == "with_town"
    assert service.for_town(world["request"]).id == use_case.id and service.for_town(other) is None


def test_withdrawing_a_published_use_case_takes_it_out_of_public(world):
    use_case = sent(world)
    service.town_answer(world["request"], use_case.id, "agreed", agreed=True, version=use_case.version)
    service.move(world["coordinator"], use_case, "withdraw", version=use_case.version)
    assert use_case.status == "withdrawn" and use_case.published_at is None and not service.is_public(use_case)


def test_a_regional_coordinator_sees_their_regions_only(db, world):
    from app.models import UserRegion

    use_case = draft(world)
    north = make_user(role="coordinator", region_rows=[UserRegion(region="hokkaido")])
    south = make_user(role="coordinator", region_rows=[UserRegion(region="kyushu")])
    kyushu_town = make_municipality(prefecture=make_prefecture(code="40", name_ja="福岡県", name_en="Fukuoka",
                                                               region="kyushu"))
    db.session.commit()
    assert service.can_view(north, use_case) and not service.can_view(south, use_case)
    assert [u.id for u in service.list_for(north, statuses=("draft",), page=1)] == [use_case.id]
    assert list(service.list_for(south, statuses=("draft",), page=1)) == []
    with pytest.raises(UseCaseRefused):
        service.move(south, use_case, "submit", version=1)
    assert kyushu_town.prefecture.region == "kyushu"


def test_files_are_stored_checked_and_removed(db, world, files_folder):
    use_case = draft(world)
    service.save(world["author"], use_case, service.as_input(use_case), version=1,
                 uploads=[Upload("手引き.pdf", PDF)])
    attachment = use_case.attachments[0]
    stored = files_folder / attachment.stored_name
    assert stored.read_bytes() == PDF and attachment.filename == "手引き.pdf"
    assert attachment.content_type == "application/pdf" and len(attachment.stored_name) == 32
    with pytest.raises(FileRefused) as caught:
        service.save(world["author"], use_case, data_of(use_case, title="変えた"), version=2,
                     uploads=[Upload("ok.pdf", PDF), Upload("slides.pptx", PDF)])
    assert caught.value.reason == "content_mismatch"
    db.session.expire_all()
    assert use_case.title != "変えた" and len(use_case.attachments) == 1
    assert sorted(p.name for p in files_folder.iterdir()) == [attachment.stored_name]
    service.save(world["author"], use_case, service.as_input(use_case), version=2, remove=[attachment.id])
    assert not stored.exists() and db.session.scalar(sa.select(sa.func.count()).select_from(UseCaseAttachment)) == 0
    event = service.history_of(use_case)[-1]
    assert event.after["files_removed"] == ["手引き.pdf"]


def test_too_many_files_are_refused(app, world):
    app.config["USE_CASE_FILES_MAX"] = 2
    use_case = draft(world)
    service.save(world["author"], use_case, service.as_input(use_case), version=1,
                 uploads=[Upload("a.pdf", PDF), Upload("b.pdf", PDF)])
    with pytest.raises(FileRefused) as caught:
        service.save(world["author"], use_case, service.as_input(use_case), version=2, uploads=[Upload("c.pdf", PDF)])
    assert caught.value.reason == "too_many"


def test_a_failed_commit_leaves_no_file_behind(db, world, files_folder, monkeypatch):
    use_case = draft(world)

    def fail():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db.session, "commit", fail)
    with pytest.raises(RuntimeError):
        service.save(world["author"], use_case, service.as_input(use_case), version=1, uploads=[Upload("a.pdf", PDF)])
    assert list(files_folder.iterdir()) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "use_case.updated")) == 0


def test_the_mails_of_sending_and_answering(db, world, mailbox, deliver):
    from tests.mailbox import body_of

    use_case = sent(world)
    deliver()
    (town_mail,) = mailbox.to(world["request"].email)
    body = body_of(town_mail)
    assert use_case.title in body and world["request"].contact_name in body
    assert "/request/status/" in body  # its status page, by the link its status mails carry
    (submitted,) = mailbox.to(world["coordinator"].email)
    assert f"/use-cases/{use_case.id}" in body_of(submitted)
    mailbox.clear()
    service.town_answer(world["request"], use_case.id, "changes_asked", message="題を短くしてください",
                        version=use_case.version)
    deliver()
    for person in ("coordinator", "author"):
        (mail,) = mailbox.to(world[person].email)
        assert "題を短くしてください" in body_of(mail) and f"/use-cases/{use_case.id}" in body_of(mail)
