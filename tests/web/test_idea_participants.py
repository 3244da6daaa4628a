"""The idea box's own accounts (issue 21, point 2): signing up, the mailed confirmation link,
signing in and posting, the answers that never reveal an address, the honeypot and the
limit per address, the person's data as a download, and leaving (the posts stay, shown as
a withdrawn user's)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Idea, IdeaComment, IdeaProfile, IdeaReport, IdeaVote, Notice, User
from app.models.base import utcnow
from app.services import idea_accounts
from tests.conftest import PASSWORD, sign_in
from tests.factories import make_comment, make_idea, make_prefecture, make_profile, make_theme, make_user
from tests.mailbox import body_of

NEW_PASSWORD = "a quiet walk along the harbour 2026"


@pytest.fixture(autouse=True)
def _hokkaido(db):
    """The prefecture the sign-up form offers (its optional answer)."""
    make_prefecture(code="01")
    db.session.commit()


def form(**changes) -> dict:
    data = {"email": "hanako@example.jp", "handle": "みなとの花子", "voice": "resident_business",
            "prefecture": "01", "age_band": "30s", "gender": "female", "terms": "y", "website": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def register(client, **changes):
    response = client.post("/ideas/register", data=form(**changes))
    if not changes:
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return response


def verify_path(message) -> str:
    found = re.findall(r"https?://\S+(/ideas/verify/\S+)", body_of(message))
    assert found, body_of(message)
    assert len(set(found)) == 1
    return found[0]


def user_by(db, email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def events(db, action: str) -> list[AuditEvent]:
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


# -- signing up, confirming, posting ------------------------------------------------------------


def test_sign_up_confirm_by_mail_then_signed_in_and_can_post(app, db, english, mailbox, deliver):
    theme = make_theme()
    db.session.commit()
    page = english.get("/ideas/register")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    response = register(english)
    assert response.status_code == 302 and response.headers["Location"].endswith("/ideas/register/check-mail")
    sent = english.get("/ideas/register/check-mail").get_data(as_text=True)
    assert "hanako@example.jp" in sent and "Check your mail" in sent

    user = user_by(db, "hanako@example.jp")
    assert (user.role, user.display_name, user.password_hash) == ("participant", "みなとの花子", None)
    profile = db.session.scalar(sa.select(IdeaProfile).where(IdeaProfile.user_id == user.id))
    assert (profile.handle, profile.voice, profile.age_band, profile.gender) == (
        "みなとの花子", "resident_business", "30s", "female")
    assert profile.prefecture.code == "01"
    assert events(db, "idea_account.registered")

    deliver()
    (mail,) = mailbox.to("hanako@example.jp")
    path = verify_path(mail)
    token = path.rsplit("/", 1)[1]
    assert token not in repr([n.params for n in db.session.scalars(sa.select(Notice))])
    shown = english.get(path)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert shown.headers["Referrer-Policy"] == "no-referrer"
    done = english.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/ideas")
    assert english.get("/ideas/account").status_code == 200  # signed in
    assert db.session.scalar(sa.select(Notice.read_at).where(Notice.kind == "idea_verify")) is not None

    posted = english.post(f"/ideas/themes/{theme.id}/new", data={"title": "バス停の位置", "body": "公開してください。"})
    assert posted.status_code == 302, posted.get_data(as_text=True)[:2000]
    idea = db.session.scalar(sa.select(Idea))
    assert idea.author_id == profile.id
    # The link works once.
    assert english.get(path).status_code == 410


def test_an_unconfirmed_sign_up_cannot_sign_in(app, db, english, mailbox):
    register(english)
    response = english.post("/auth/login", data={"email": "hanako@example.jp", "password": PASSWORD})
    assert response.status_code == 200
    assert "not correct" in response.get_data(as_text=True)
    assert english.get("/ideas/account").status_code == 302  # sent to sign in


def test_forgot_password_before_confirming_mails_the_confirmation_link_again(app, db, english, mailbox, deliver):
    register(english)
    deliver()
    mailbox.clear()
    english.post("/auth/forgot-password", data={"email": "hanako@example.jp"})
    deliver()
    (mail,) = mailbox.to("hanako@example.jp")
    assert "/ideas/verify/" in body_of(mail) and "/auth/password/" not in body_of(mail)


def test_an_address_already_in_use_gets_the_same_page_and_its_owner_a_note(app, db, client, make_account, mailbox,
                                                                          deliver):
    owner = make_account("evangelist", email="taken@example.jp", locale="en")  # the English part too
    fresh = register(client, email="new@example.jp", handle="新しい人")
    fresh_page = client.get("/ideas/register/check-mail").get_data(as_text=True)
    taken = register(client, email="taken@example.jp", handle="別の人")
    taken_page = client.get("/ideas/register/check-mail").get_data(as_text=True)
    assert (fresh.status_code, fresh.headers["Location"]) == (taken.status_code, taken.headers["Location"])
    assert fresh_page.replace("new@example.jp", "X") == taken_page.replace("taken@example.jp", "X")
    db.session.refresh(owner)
    assert owner.role == "evangelist"
    assert db.session.scalar(sa.select(IdeaProfile).where(IdeaProfile.handle == "別の人")) is None
    deliver()
    (note,) = mailbox.to("taken@example.jp")
    assert "/ideas/verify/" not in body_of(note) and "no new account was made" in body_of(note)


def test_the_honeypot_writes_nothing_and_sends_nothing(app, db, client, mailbox, deliver):
    response = register(client, website="https://spam.example/")
    assert response.status_code == 302
    assert user_by(db, "hanako@example.jp") is None
    deliver()
    assert mailbox.messages == []


def test_sign_ups_are_limited_per_address(app, db, client, mailbox):
    app.config["IDEAS_REGISTER_PER_ADDRESS"] = "2 per hour"
    assert register(client, email="a@example.jp", handle="一人目").status_code == 302
    assert register(client, email="b@example.jp", handle="二人目").status_code == 302
    assert register(client, email="c@example.jp", handle="三人目").status_code == 429
    assert user_by(db, "c@example.jp") is None


def test_without_mail_nobody_can_sign_up(app, db, english):
    response = english.post("/ideas/register", data=form())
    assert response.status_code == 400
    assert "cannot send e-mail" in response.get_data(as_text=True)
    assert user_by(db, "hanako@example.jp") is None


def test_bad_input_is_explained_by_field_and_keeps_what_was_typed(app, db, english, mailbox):
    make_profile(handle="使用中")
    db.session.commit()
    cases = [
        (dict(email="not-an-address"), "not an e-mail address"),
        (dict(handle="a@b"), "letters, digits"),
        (dict(handle="x"), "at least 2 characters"),
        (dict(handle="使用中"), "already uses this display name"),
        (dict(handle="運営"), "kept for the programme"),
        (dict(voice=None), "Choose how you take part"),
        (dict(voice="king"), "Not a valid choice"),
        (dict(terms=None), "Agree to the terms of use"),
    ]
    for changes, words in cases:
        response = register(english, **changes)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, changes
        assert words in html, (changes, words)
        typed = form(**changes)
        if "email" not in changes:
            assert 'value="hanako@example.jp"' in html, changes
        if "handle" not in changes:
            assert 'value="みなとの花子"' in html, changes
        if typed.get("age_band"):
            assert re.search(r'<option selected value="30s">|<option value="30s" selected', html), changes
    assert user_by(db, "hanako@example.jp") is None


def test_a_signed_in_person_is_sent_to_their_profile_instead(app, signed_in_client):
    client, _user = signed_in_client("evangelist")
    client.set_cookie("lang", "en")
    html = client.get("/ideas/register").get_data(as_text=True)
    assert "/ideas/profile" in html and 'name="email"' not in html
    assert client.post("/ideas/register", data=form()).headers["Location"].endswith("/ideas/profile")


# -- the person's data ---------------------------------------------------------------------------


def participant_with_posts(db, signed_in_client, handle="わたし"):
    client, user = signed_in_client("participant")
    client.set_cookie("lang", "en")
    profile = make_profile(user=user, handle=handle, age_band="40s")
    idea = make_idea(author=profile, title="わたしのアイデア")
    comment = make_comment(idea=idea, author=profile, body="わたしのコメント")
    db.session.add(IdeaVote(idea_id=idea.id, profile_id=profile.id, value=1))
    idea.agree_count = 1
    db.session.add(IdeaReport(idea_id=idea.id, reporter_id=user.id, reason="spam", note="わたしの通報"))
    db.session.commit()
    return client, user, profile, idea, comment


def test_the_export_holds_the_persons_data_and_nothing_of_others(app, db, signed_in_client):
    client, user, _profile, idea, _comment = participant_with_posts(db, signed_in_client)
    other = make_profile(handle="ほかの人", age_band="70_plus")
    theirs = make_idea(author=other, theme=idea.theme, title="ほかのアイデア")
    make_comment(idea=idea, author=other, body="ほかのコメント")
    db.session.add(IdeaVote(idea_id=theirs.id, profile_id=other.id, value=-1))
    db.session.commit()
    response = client.get("/ideas/account/export.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = response.get_data(as_text=True)
    data = json.loads(text)
    assert data["account"]["email"] == user.email
    assert (data["profile"]["handle"], data["profile"]["age_band"]) == ("わたし", "40s")
    assert [i["title"] for i in data["ideas"]] == ["わたしのアイデア"]
    assert [c["body"] for c in data["comments"]] == ["わたしのコメント"]
    assert [(v["idea_id"], v["vote"]) for v in data["votes"]] == [(idea.id, "agree")]
    assert [r["note"] for r in data["reports"]] == ["わたしの通報"]
    for foreign in ("ほかの人", "ほかのアイデア", "ほかのコメント", other.user.email, "70_plus"):
        assert foreign not in text
    assert events(db, "idea_account.exported")


# -- leaving ---------------------------------------------------------------------------------------


def test_deleting_the_account_keeps_the_posts_as_a_withdrawn_users(app, db, signed_in_client):
    client, user, profile, idea, comment = participant_with_posts(db, signed_in_client, handle="消える人")
    user_id, email, profile_id = user.id, user.email, profile.id
    wrong = client.post("/ideas/account/leave", data={"password": "not my password at all"})
    assert wrong.status_code == 400 and "not correct" in wrong.get_data(as_text=True)
    assert db.session.get(User, user_id) is not None

    response = client.post("/ideas/account/leave", data={"password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/ideas")
    db.session.expire_all()
    assert db.session.get(User, user_id) is None
    kept = db.session.get(IdeaProfile, profile_id)
    assert kept.withdrawn_at is not None
    assert (kept.user_id, kept.handle, kept.prefecture_id, kept.age_band, kept.gender) == (None,) * 5
    assert db.session.get(Idea, idea.id) is not None and db.session.get(IdeaComment, comment.id) is not None
    assert db.session.scalar(sa.select(IdeaVote.value).where(IdeaVote.profile_id == profile_id)) == 1
    assert db.session.get(Idea, idea.id).agree_count == 1
    assert db.session.scalar(sa.select(IdeaReport.reporter_id)) is None

    reader = app.test_client()
    reader.set_cookie("lang", "en")
    for url in (f"/ideas/{idea.id}", f"/ideas/themes/{idea.theme_id}"):
        html = reader.get(url).get_data(as_text=True)
        assert "Withdrawn user" in html and "消える人" not in html, url
    # Signed out, and the address is gone from the audit trail too.
    assert client.get("/ideas/account").status_code == 302
    (deleted,) = events(db, "idea_account.deleted")
    assert deleted.entity_id == user_id
    trail = repr([(e.actor_label, e.before, e.after) for e in db.session.scalars(sa.select(AuditEvent))])
    assert email not in trail


def test_staff_and_evangelists_leave_the_idea_box_and_keep_their_work_account(app, db, signed_in_client):
    client, user = signed_in_client("evangelist")
    profile = make_profile(user=user, handle="伝道師さん")
    idea = make_idea(author=profile)
    db.session.commit()
    response = client.post("/ideas/account/leave", data={"password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/ideas/account")
    db.session.expire_all()
    assert db.session.get(User, user.id).is_active
    kept = db.session.get(IdeaProfile, profile.id)
    assert kept.withdrawn_at is not None and kept.user_id is None and kept.handle is None
    assert db.session.get(Idea, idea.id).author_id == profile.id
    assert client.get("/me/").status_code == 200
    assert events(db, "idea_account.left")
    # They may take part again later with a new profile.
    assert client.get("/ideas/profile").status_code == 200


def test_leaving_without_a_profile_is_explained(app, db, signed_in_client):
    client, _user = signed_in_client("evangelist")
    client.set_cookie("lang", "en")
    response = client.post("/ideas/account/leave", data={"password": PASSWORD}, follow_redirects=True)
    assert response.status_code == 200 and "nothing to leave" in response.get_data(as_text=True)


# -- unconfirmed sign-ups are removed ----------------------------------------------------------------


def test_unconfirmed_sign_ups_are_removed_after_the_configured_days(app, db, runner):
    old = make_user(role="participant", email="old@example.jp", password_hash=None,
                    created_at=utcnow() - timedelta(days=8))
    make_profile(user=old, handle="古い登録")
    recent = make_user(role="participant", email="recent@example.jp", password_hash=None)
    confirmed = make_user(role="participant", email="done@example.jp", password_hash="x",
                          created_at=utcnow() - timedelta(days=30))
    invited = make_user(role="evangelist", email="invited@example.jp", password_hash=None,
                        created_at=utcnow() - timedelta(days=30))
    db.session.commit()
    ids = (old.id, recent.id, confirmed.id, invited.id)
    result = runner.invoke(args=["ideas", "remove-unverified"])
    assert result.exit_code == 0 and "Removed 1" in result.output
    db.session.expire_all()
    assert [db.session.get(User, i) is not None for i in ids] == [False, True, True, True]
    assert db.session.scalar(sa.select(IdeaProfile).where(IdeaProfile.handle == "古い登録")) is None
    assert idea_accounts.remove_unverified(now=utcnow() + timedelta(days=8)) == 1  # the recent one, later


def test_the_queue_sweeps_unconfirmed_sign_ups_daily(app, db):
    from app.queue import sweep_unverified_participants

    make_user(role="participant", email="old@example.jp", password_hash=None, created_at=utcnow() - timedelta(days=9))
    db.session.commit()
    assert sweep_unverified_participants.call_local() == 1


# -- a participant in the rest of the site ----------------------------------------------------------


def test_a_participants_pages_work_and_show_no_staff_things(app, db, signed_in_client):
    client, user = signed_in_client("participant")
    client.set_cookie("lang", "en")
    account = client.get("/auth/account").get_data(as_text=True)
    assert "/ideas/account" in account and "/me/calendar" not in account
    assert "Calendar feed" not in account
    for url in ("/ideas", "/ideas/account", "/notices/", "/notices/preferences", "/auth/account"):
        assert client.get(url).status_code == 200, url
    home = client.get("/ideas").get_data(as_text=True)
    assert "/ideas/account" in home


def test_admins_see_participants_with_their_role_and_cannot_make_them_staff(app, db, signed_in_client):
    client, _admin = signed_in_client("admin")
    client.set_cookie("lang", "en")
    person = make_user(role="participant", email="person@example.jp", display_name="参加する人", password_hash="x")
    worker = make_user(role="evangelist", email="worker@example.jp")
    db.session.commit()
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Idea box participant" in html
    assert f'id="role-{person.id}"' not in html
    worker_select = re.search(rf'<select name="role" id="role-{worker.id}".*?</select>', html, re.S).group(0)
    assert "evangelist" in worker_select and "participant" not in worker_select
    client.post(f"/admin/users/{person.id}/role", data={"role": "coordinator"})
    client.post(f"/admin/users/{worker.id}/role", data={"role": "participant"})
    db.session.expire_all()
    assert db.session.get(User, person.id).role == "participant"
    assert db.session.get(User, worker.id).role == "evangelist"


def test_the_service_refuses_to_change_a_participants_role(app, db, make_account):
    from app.services.accounts import AccountError, change_role

    admin = make_account("admin")
    person = make_user(role="participant", email="p@example.jp")
    db.session.commit()
    with pytest.raises(AccountError) as refused:
        change_role(admin, person, "admin", address=None)
    assert refused.value.code == "participant_role_fixed"


# -- hostile handles -----------------------------------------------------------------------------------

HOSTILE = ("<script>alert(1)</script>", "{{7*7}}", "{{")


def test_hostile_handles_are_refused_at_sign_up_and_echoed_escaped(app, db, english, mailbox):
    for handle in HOSTILE:
        html = register(english, handle=handle).get_data(as_text=True)
        assert "letters, digits" in html, handle
        assert "<script>alert(1)" not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_hostile_handles_already_stored_are_shown_escaped_wherever_handles_show(app, db, client):
    theme = make_theme()
    ideas = []
    for n, handle in enumerate(HOSTILE):
        profile = make_profile(handle=handle)
        ideas.append(make_idea(theme=theme, author=profile, title=f"案{n}"))
        make_comment(idea=ideas[-1], author=profile, body="コメント")
    db.session.commit()
    pages = [client.get(f"/ideas/themes/{theme.id}").get_data(as_text=True)]
    pages += [client.get(f"/ideas/{i.id}").get_data(as_text=True) for i in ideas]
    for html in pages:
        assert "<script>alert(1)</script>" not in html
    for html in pages:
        # Shown as typed: escaped, and never evaluated as a template ("49").
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "{{7*7}}" in html or "{{" in html
    theme_page = pages[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in theme_page and "{{7*7}}" in theme_page
    for html, handle in zip(pages[1:], ("&lt;script&gt;alert(1)&lt;/script&gt;", "{{7*7}}", "{{"), strict=True):
        # The idea's author and the comment's: both the handle, escaped.
        assert html.count(f'<span class="idea-author">{handle}</span>') == 2, handle


def test_sign_in_with_the_new_password_after_signing_out(app, db, client, mailbox, deliver):
    register(client)
    deliver()
    path = verify_path(mailbox.to("hanako@example.jp")[0])
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    client.post("/auth/logout")
    again = app.test_client()
    user = user_by(db, "hanako@example.jp")
    response = sign_in(again, user, NEW_PASSWORD)
    assert response.headers["Location"].endswith("/ideas")
