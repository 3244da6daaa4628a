"""Use cases on the web (issue 22): the evangelist drafts one from a completed request, a
coordinator edits it (with files) and sends it to the town, the town asks for changes and
agrees on its status page; files are served as downloads with safe headers."""

from __future__ import annotations

import io
from html import unescape

import pytest
import sqlalchemy as sa

from app.models import UseCase
from app.services import use_cases as service
from app.services.topics import sync_topics
from tests.factories import make_completed_request, make_evangelist
from tests.services.use_case_files import PDF, PNG, pptx

pytestmark = pytest.mark.usefixtures("files_folder")


@pytest.fixture
def files_folder(app, tmp_path):
    kept, app.instance_path = app.instance_path, str(tmp_path)
    yield tmp_path / "use_case_files"
    app.instance_path = kept


@pytest.fixture
def world(db, signed_in_client, english):
    sync_topics()
    author_client, author = signed_in_client("evangelist")
    author_client.set_cookie("lang", "en")
    make_evangelist(user=author)
    request = make_completed_request(evangelist=author.evangelist, token="town-token-" + "x" * 30)
    coordinator_client, coordinator = signed_in_client("coordinator")
    coordinator_client.set_cookie("lang", "en")
    db.session.commit()
    return {"author": author, "author_client": author_client, "coordinator": coordinator,
            "coordinator_client": coordinator_client, "request": request,
            "status": "/request/status/town-token-" + "x" * 30}


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def drafted(world) -> UseCase:
    client = world["author_client"]
    response = client.post(f"/use-cases/from-request/{world['request'].id}", data={"nonce": "n-1"})
    assert response.status_code == 302 and "/edit" in response.headers["Location"]
    return service.live_use_case_of(world["request"])


def form_of(use_case, **changes) -> dict:
    data = {"kind": use_case.kind, "title": use_case.title, "starting_point": use_case.starting_point,
            "what_was_done": use_case.what_was_done, "results": use_case.results,
            "catalogue_url": use_case.catalogue_url or "", "datasets": str(use_case.datasets or ""),
            "people": use_case.people, "time_taken": use_case.time_taken, "advice": use_case.advice,
            "population_band": use_case.population_band or "", "topics": [t.slug for t in use_case.topics],
            "community": "", "version": str(use_case.version)}
    for i, link in enumerate(use_case.links):
        data[f"links-{i}-label"], data[f"links-{i}-url"] = link.label, link.url
    data.update(changes)
    return data


def move(client, use_case, action, **extra):
    return client.post(f"/use-cases/{use_case.id}/move", data={"action": action, "version": use_case.version, **extra})


def test_the_evangelist_drafts_from_a_completed_request_with_the_visits_filled_in(world):
    client = world["author_client"]
    home = text(client.get("/me/"))
    assert f"/use-cases/from-request/{world['request'].id}" in home and "Write a use case" in home
    page = text(client.get(f"/use-cases/from-request/{world['request'].id}"))
    assert "2 visits" in page and "8 datasets published" in page and "https://example.jp/catalog" in page
    use_case = drafted(world)
    edit = text(client.get(f"/use-cases/{use_case.id}/edit"))
    assert "庁内勉強会を開いた。" in edit and "避難所データをCSVで公開した。" in edit
    assert 'value="8"' in edit and 'value="https://example.jp/catalog"' in edit and "避難所一覧ほか" in edit
    # The same button again leads to the same use case.
    again = client.post(f"/use-cases/from-request/{world['request'].id}", data={"nonce": "n-2"})
    assert again.status_code == 302 and service.live_use_case_of(world["request"]).id == use_case.id
    assert f"/use-cases/{use_case.id}" in text(client.get("/me/"))


def test_a_request_not_completed_or_not_served_cannot_be_drafted(db, world, signed_in_client):
    other_client, other = signed_in_client("evangelist")
    make_evangelist(user=other)
    db.session.commit()
    assert other_client.get(f"/use-cases/from-request/{world['request'].id}").status_code == 404
    assert other_client.post(f"/use-cases/from-request/{world['request'].id}", data={"nonce": "x"}).status_code == 404
    world["request"].status = "scheduled"
    db.session.commit()
    response = world["author_client"].post(f"/use-cases/from-request/{world['request'].id}", data={"nonce": "y"})
    assert response.status_code == 302 and db.session.scalar(sa.select(sa.func.count()).select_from(UseCase)) == 0


def test_the_whole_way_to_publication_through_the_status_page(db, world):
    use_case = drafted(world)
    author, coordinator = world["author_client"], world["coordinator_client"]
    response = author.post(f"/use-cases/{use_case.id}/edit", data=form_of(use_case, time_taken="3か月"))
    assert response.status_code == 302
    assert move(author, use_case, "submit").status_code == 302
    queue = text(coordinator.get("/use-cases/"))
    assert use_case.title in queue
    response = coordinator.post(f"/use-cases/{use_case.id}/edit",
                                data=form_of(use_case, title="当別町: 避難所データを3か月で公開"))
    assert response.status_code == 302
    status_page = text(world_client(world).get(world["status"]))
    assert "当別町: 避難所データ" not in status_page  # not sent yet
    assert "Sent to the town" in text(coordinator.post(f"/use-cases/{use_case.id}/move", follow_redirects=True, data={
        "action": "send", "version": use_case.version}))
    town = world_client(world)
    page = town.get(world["status"])
    assert page.headers["Cache-Control"] == "no-store"
    html = text(page)
    assert "当別町: 避難所データを3か月で公開" in html and "庁内勉強会を開いた。" in html and "3か月" in html
    assert "We agree that this text is published" in html
    # An empty request for changes keeps nothing from being said and says what is missing.
    empty = town.post(world["status"] + "/use-case", data={"use_case": use_case.id, "version": use_case.version,
                                                             "decision": "changes_asked", "message": " "})
    assert empty.status_code == 422 and "Write what should be changed." in text(empty)
    asked = town.post(world["status"] + "/use-case", data={"use_case": use_case.id, "version": use_case.version,
                                                             "decision": "changes_asked",
                                                             "message": "担当課の名前を直してください"})
    assert asked.status_code == 302 and asked.headers["Location"].endswith("#use-case")
    assert "token" not in asked.headers["Location"].split("/request/status/")[0]
    db.session.expire_all()
    assert use_case.status == "changes_asked" and use_case.published_at is None
    queue = text(coordinator.get("/use-cases/"))
    assert "担当課の名前を直してください" in queue
    detail = text(coordinator.get(f"/use-cases/{use_case.id}"))
    assert "The town asked for changes" in detail and "担当課の名前を直してください" in detail
    coordinator.post(f"/use-cases/{use_case.id}/edit", data=form_of(use_case, people="防災課"))
    move(coordinator, use_case, "send")
    unticked = town.post(world["status"] + "/use-case", data={"use_case": use_case.id, "version": use_case.version,
                                                                "decision": "agreed"})
    assert unticked.status_code == 422 and "Tick the box to agree" in text(unticked)
    db.session.expire_all()
    assert use_case.status == "with_town" and use_case.published_at is None
    agreed = town.post(world["status"] + "/use-case", data={"use_case": use_case.id, "version": use_case.version,
                                                              "decision": "agreed", "agree": "y"},
                       follow_redirects=True)
    assert "the use case is published" in text(agreed)
    db.session.expire_all()
    assert use_case.status == "published" and use_case.published_at is not None
    detail = text(coordinator.get(f"/use-cases/{use_case.id}"))
    assert "Published on" in detail and "Agreed to publication" in detail
    assert "The municipality agreed that the use case is published" in detail


def world_client(world):
    from flask import current_app

    client = current_app.test_client()
    client.set_cookie("lang", "en")
    return client


def test_an_old_text_is_not_agreed_to(db, world):
    use_case = drafted(world)
    move(world["author_client"], use_case, "submit")
    move(world["coordinator_client"], use_case, "send")
    stale = world_client(world).post(world["status"] + "/use-case", follow_redirects=True, data={
        "use_case": use_case.id, "version": use_case.version - 1, "decision": "agreed", "agree": "y"})
    assert "The text of the use case changed" in text(stale)
    db.session.expire_all()
    assert use_case.status == "with_town"


def test_a_second_editor_gets_a_conflict_and_keeps_what_they_typed(db, world):
    use_case = drafted(world)
    old = form_of(use_case)
    world["coordinator_client"].post(f"/use-cases/{use_case.id}/edit", data={**old, "title": "調整役が先に保存"})
    response = world["author_client"].post(f"/use-cases/{use_case.id}/edit",
                                           data={**old, "title": "作者の題", "advice": "作者の助言"})
    html = text(response)
    assert response.status_code == 409
    assert "Someone else saved this use case" in html
    assert 'value="作者の題"' in html and "作者の助言" in html and "調整役が先に保存" in html
    assert f'name="version" type="hidden" value="{use_case.version}"' in html or \
        f'value="{use_case.version}"' in html
    db.session.expire_all()
    assert use_case.title == "調整役が先に保存"


def upload(client, use_case, name, data, **changes):
    form = form_of(use_case, **changes)
    form["files"] = (io.BytesIO(data), name)
    return client.post(f"/use-cases/{use_case.id}/edit", data=form, content_type="multipart/form-data")


@pytest.mark.parametrize(("name", "data", "words"), [
    ("tool.exe", PDF, "“tool.exe”: files of type “exe” cannot be attached"),
    ("slides.pptx", PDF, "“slides.pptx” is not a PPTX file inside"),
    ("photo.png", PDF, "“photo.png” is not a PNG file inside"),
    ("..\\secret.pdf", PDF, "a file name cannot contain /, \\ or “..”"),
    (".profile.pdf", PDF, "a file name cannot start with a dot"),
])
def test_a_refused_upload_says_why_and_loses_nothing_typed(db, world, name, data, words):
    use_case = drafted(world)
    response = upload(world["author_client"], use_case, name, data, advice="小さく始めること。新しく書いた。")
    html = text(response)
    assert response.status_code == 422 and words in html
    assert "小さく始めること。新しく書いた。" in html
    db.session.expire_all()
    assert use_case.attachments == [] and use_case.advice != "小さく始めること。新しく書いた。"


# Small sizes: the test client spools bodies over 500 kB to a file it does not close.
def test_an_oversize_file_is_refused_by_name(app, db, world):
    app.config["USE_CASE_FILE_MAX_BYTES"] = 64 * 1024
    use_case = drafted(world)
    response = upload(world["author_client"], use_case, "大きい.pdf", PDF + b"0" * (64 * 1024), title="題は残る")
    assert response.status_code == 422
    assert "“大きい.pdf” is larger than 64 KB" in text(response) and 'value="題は残る"' in text(response)


def test_a_body_over_the_limit_gets_a_clear_413(app, db, world, monkeypatch):
    from app.use_cases import routes

    app.config["USE_CASE_FILE_MAX_BYTES"] = 64 * 1024
    monkeypatch.setattr(routes, "_upload_limit", lambda: 100 * 1024)
    use_case = drafted(world)
    response = upload(world["author_client"], use_case, "huge.pdf", PDF + b"0" * (200 * 1024))
    html = text(response)
    assert response.status_code == 413 and "The files sent at once were too large" in html
    assert "up to 64 KB each" in html


def fetch(client, url):
    """The response to GET ``url``, read and closed (a served file is an open file)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def test_files_are_served_as_downloads_public_only_once_published(db, world, client):
    use_case = drafted(world)
    author = world["author_client"]
    assert upload(author, use_case, "避難所 手引き.pdf", PDF).status_code == 302
    assert upload(author, use_case, "slides.pptx", pptx()).status_code == 302
    db.session.expire_all()
    pdf, slides = use_case.attachments
    url = f"/use-cases/{use_case.id}/files/{pdf.id}"
    served = fetch(author, url)
    assert served.status_code == 200 and served.data == PDF
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"] == (
        "attachment; filename=\"file.pdf\"; filename*=UTF-8''%E9%81%BF%E9%9B%A3%E6%89%80%20%E6%89%8B%E5%BC%95%E3%81%8D.pdf")
    assert served.headers["Cache-Control"] == "no-store"
    served_slides = fetch(author, f"/use-cases/{use_case.id}/files/{slides.id}")
    assert served_slides.data == pptx() and served_slides.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation")
    assert fetch(client, url).status_code == 404  # anonymous, not published
    assert fetch(world["coordinator_client"], url).data == PDF
    use_case.status, use_case.published_at = "published", use_case.created_at
    db.session.commit()
    public = fetch(client, url)
    assert public.data == PDF and public.headers["Cache-Control"].startswith("public")
    assert public.headers["X-Content-Type-Options"] == "nosniff"
    assert fetch(client, f"/use-cases/{use_case.id}/files/{pdf.id + 99}").status_code == 404


def test_removing_a_file_deletes_it(db, world, files_folder):
    use_case = drafted(world)
    upload(world["author_client"], use_case, "a.png", PNG)
    db.session.expire_all()
    attachment = use_case.attachments[0]
    assert (files_folder / attachment.stored_name).exists()
    form = form_of(use_case, remove_files=[str(attachment.id)])
    assert world["author_client"].post(f"/use-cases/{use_case.id}/edit", data=form).status_code == 302
    assert not (files_folder / attachment.stored_name).exists()


HOSTILE = "<script>alert(1)</script>{{7*7}} {{ "


def test_hostile_text_in_every_field_shows_as_text(db, world):
    use_case = drafted(world)
    fields = {name: HOSTILE + name for name in ("title", "starting_point", "what_was_done", "results", "people",
                                                 "time_taken", "advice")}
    form = form_of(use_case, **fields, **{"links-0-label": HOSTILE + "link", "links-0-url": "https://example.jp/x"})
    form["files"] = (io.BytesIO(PDF), "<script>x{{7*7}}.pdf")
    response = world["author_client"].post(f"/use-cases/{use_case.id}/edit", data=form,
                                           content_type="multipart/form-data")
    assert response.status_code == 302
    move(world["author_client"], use_case, "submit")
    move(world["coordinator_client"], use_case, "send")
    town = world_client(world)
    asked = town.post(world["status"] + "/use-case", data={"use_case": use_case.id, "version": use_case.version,
                                                             "decision": "changes_asked", "message": HOSTILE + "town"})
    assert asked.status_code == 302
    move(world["coordinator_client"], use_case, "send")
    pages = [world["author_client"].get(f"/use-cases/{use_case.id}"),
             world["coordinator_client"].get(f"/use-cases/{use_case.id}"),
             world["coordinator_client"].get("/use-cases/?status=with_town"),
             world["author_client"].get("/use-cases/"),
             town.get(world["status"])]
    for response in pages:
        raw = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "<script>alert(1)" not in raw
        assert "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}" in raw
    detail = pages[1].get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}} {{ town" in detail  # the town's answer in the history
    edit = world["coordinator_client"].get("/use-cases/")
    assert edit.status_code == 200


def test_the_town_opens_the_files_it_is_asked_to_agree_to(db, world, files_folder):
    """The town agrees to exactly what it could read: the files of the use case with it are
    links on its status page, served through its own link only (no-store), and only while
    the use case waits for its answer (security review of issue 22)."""
    use_case = drafted(world)
    assert upload(world["author_client"], use_case, "避難所 手引き.pdf", PDF).status_code == 302
    db.session.expire_all()
    (pdf,) = use_case.attachments
    town_url = f"{world['status']}/use-case/{use_case.id}/files/{pdf.id}"
    town = world_client(world)
    assert fetch(town, town_url).status_code == 404  # not sent to the town yet
    assert move(world["author_client"], use_case, "submit").status_code == 302
    db.session.expire_all()
    assert move(world["coordinator_client"], use_case, "send").status_code == 302
    page = text(town.get(world["status"]))
    assert f'href="{town_url}"' in page
    served = fetch(town, town_url)
    assert served.status_code == 200 and served.data == PDF
    assert served.headers["Cache-Control"] == "no-store" and served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    # Another request's link, another use case's file, a file of no use case: nothing.
    other = make_completed_request(token="other-town-" + "y" * 30)
    db.session.commit()
    assert fetch(town, f"/request/status/other-town-{'y' * 30}/use-case/{use_case.id}/files/{pdf.id}").status_code == 404
    assert fetch(town, f"{world['status']}/use-case/{use_case.id}/files/{pdf.id + 99}").status_code == 404
    assert other.id != world["request"].id
    # Once it has answered, the files are the coordinators' again (or the public's).
    db.session.expire_all()
    answered = town.post(world["status"] + "/use-case", data={
        "use_case": use_case.id, "version": use_case.version, "decision": "changes_asked", "message": "直してください"})
    assert answered.status_code == 302
    assert fetch(town, town_url).status_code == 404


def test_a_link_that_is_not_a_web_address_is_shown_as_text_on_the_town_review(db, world):
    use_case = drafted(world)
    use_case.catalogue_url = "javascript:alert(1)"
    use_case.status = "with_town"
    db.session.commit()
    page = world_client(world).get(world["status"]).get_data(as_text=True)
    assert 'href="javascript:' not in page and "javascript:alert(1)" in page
