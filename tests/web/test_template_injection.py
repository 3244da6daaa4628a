"""Text that people type or import is shown, never run: server-side template injection.

Every free-text column that a form, a CSV import or a status link can set is filled with
a Jinja payload, and every page, export and API answer is fetched as every role. The
payload must come back literally wherever it is shown, never evaluated and never as a
500. This is how branca's double render (README "Security notes for developers") ran
community and evangelist names as templates on the map pages until it was fixed.

A new text column fails ``test_every_text_column_is_poisoned_or_excused`` until it is
added to ``FREE_TEXT`` (or to ``NOT_FREE_TEXT``, with the reason).
"""

from __future__ import annotations

import ast
import hashlib
import io
import os
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote_plus

import jinja2
import pytest
import sqlalchemy as sa
from markupsafe import escape

from app.models import (
    BulkRun,
    CommunityStatusChange,
    ExportJob,
    IdeaReport,
    ModerationEvent,
    OutreachCase,
    OutreachContact,
    RequestAddition,
    RequestFeedback,
    RequestMessage,
    RequestNote,
    UseCaseAttachment,
    UseCaseLink,
    UseCaseTownAnswer,
)
from app.models.system import bump_data_version
from app.services.accounts import make_password_token
from app.services.audit import record_event
from app.services.exports import KINDS as EXPORT_KINDS
from app.services.notices import notify
from app.services.topics import sync_topics
from tests.conftest import sign_in
from tests.factories import (
    make_application,
    make_assignment,
    make_booking,
    make_comment,
    make_community,
    make_evangelist,
    make_idea,
    make_municipality,
    make_outcome,
    make_prefecture,
    make_profile,
    make_registration,
    make_request,
    make_theme,
    make_use_case,
    make_visit,
)
from tests.web.test_access import ACCESS, url_for_endpoint

ROOT = Path(__file__).resolve().parents[2]
STATUS_TOKEN = "private-status-token-" + "y" * 30
ADDITION_TOKEN = "addition-status-token-for-the-injection-test-0123456789"
COMPLETED_TOKEN = "completed-status-token-for-the-injection-test-0123456789"
REGISTRATION_TOKEN = "registration-token-" + "r" * 30

# Each payload is wrapped in MARK on both sides, so the check below can tell the literal
# text from what an evaluation would leave behind (49, x, an empty string, a dict...).
MARK = "ssti"
PAYLOADS = {
    "arithmetic": "{{7*7}}",
    "statement": "{% if true %}x{% endif %}",
    "config": "{{ config }}",
    "globals": "{{ self.__init__.__globals__ }}",
    "lone": "{{",
}

# (table, column): every column a person can fill with free text, through a form, a CSV
# import, the public request form or a status link, or that repeats such text.
FREE_TEXT = {
    ("users", "display_name"),
    ("users", "email"),
    ("audit_events", "actor_label"),
    ("communities", "name"),
    ("communities", "website"),
    ("communities", "contact_email"),
    ("communities", "description"),
    ("communities", "address"),
    ("community_status_changes", "note"),
    ("communities", "how_to_join"),
    # A community's registration through the public form, and a coordinator's reason to decline.
    ("community_registrations", "name"),
    ("community_registrations", "website"),
    ("community_registrations", "description"),
    ("community_registrations", "how_to_join"),
    ("community_registrations", "contact_email"),
    ("community_registrations", "decline_reason"),
    ("evangelists", "family_name"),
    ("evangelists", "given_name"),
    # A public application to become an evangelist (app/apply): what the applicant typed.
    ("evangelist_applications", "family_name"),
    ("evangelist_applications", "given_name"),
    ("evangelist_applications", "email"),
    ("evangelist_applications", "community_other"),
    ("evangelist_applications", "availability"),
    ("evangelist_applications", "motivation"),
    ("support_requests", "contact_name"),
    ("support_requests", "department"),
    ("support_requests", "email"),
    ("support_requests", "preferred_period"),
    ("support_requests", "message"),
    ("support_requests", "decline_reason"),
    ("request_messages", "body"),
    ("request_notes", "body"),
    ("request_additions", "contact_name"),
    ("request_additions", "department"),
    ("request_additions", "email"),
    ("request_additions", "message"),
    ("request_additions", "preferred_period"),
    ("request_additions", "decision_reason"),
    ("assignments", "decline_reason"),
    ("visits", "attendee_departments"),
    ("visits", "summary"),
    ("visits", "next_steps"),
    ("outcomes", "evidence_url"),
    ("outcomes", "note"),
    # A notice's town address and the mail server's last answer (the admins' failed list).
    ("notices", "email"),
    ("notices", "last_error"),
    ("request_feedback", "comment"),
    # Reference data from the gazetteer, but it is the text every map shows: poisoned too.
    ("municipalities", "name"),
    ("municipalities", "name_kana"),
    ("municipalities", "name_romaji"),
    # Booked visits: typed by the evangelist (place, meeting address, who attends) or by
    # whoever cancels (the reason).
    ("bookings", "place"),
    ("bookings", "meeting_url"),
    ("bookings", "attendees"),
    ("bookings", "cancel_reason"),
    # Outreach to towns that have not asked: typed by coordinators (the case, its contacts)
    # and by the evangelist asked to reach out (a contact's answer is their note).
    ("outreach_cases", "ask"),
    ("outreach_cases", "next_step"),
    ("outreach_cases", "consent_by"),
    ("outreach_cases", "closed_reason"),
    ("outreach_contacts", "person_name"),
    ("outreach_contacts", "department"),
    ("outreach_contacts", "email"),
    ("outreach_contacts", "answer"),
    ("outreach_contacts", "next_step"),
    # The search box's documents repeat the names and e-mails above (the results page
    # shows ``shown`` as what matched); poisoned as typed, and searched for by MARK.
    ("search_documents", "term"),
    ("search_documents", "shown"),
    # The open dialogue: what participants and coordinators type.
    ("idea_profiles", "handle"),
    ("idea_themes", "title"),
    ("idea_themes", "title_reading"),
    ("idea_themes", "description"),
    ("ideas", "title"),
    ("ideas", "body"),
    ("ideas", "answer"),
    ("idea_comments", "body"),
    ("idea_moderation_events", "note"),
    ("idea_reports", "note"),
    # Use cases (issue 22): what the evangelist and the coordinators write, the town's answer.
    ("use_cases", "title"),
    ("use_cases", "starting_point"),
    ("use_cases", "what_was_done"),
    ("use_cases", "results"),
    ("use_cases", "catalogue_url"),
    ("use_cases", "people"),
    ("use_cases", "time_taken"),
    ("use_cases", "advice"),
    ("use_case_links", "label"),
    ("use_case_links", "url"),
    ("use_case_attachments", "filename"),
    ("use_case_town_answers", "message"),
    # The library's search words repeat the use case's: poisoned, and searched for by MARK.
    ("use_cases", "search_text"),
}
# Text columns that hold no free text, and why.
NOT_FREE_TEXT = {
    ("prefectures", "code"): "fixed reference data (47 rows shipped with the app)",
    ("prefectures", "name_ja"): "fixed reference data",
    ("prefectures", "name_kana"): "fixed reference data",
    ("prefectures", "name_en"): "fixed reference data",
    ("prefectures", "region"): "fixed reference data",
    ("user_regions", "region"): "a code of REGIONS, checked by the column's constraint",
    ("topics", "slug"): "fixed vocabulary (flask topics load)",
    ("topics", "name_ja"): "fixed vocabulary",
    ("topics", "name_en"): "fixed vocabulary",
    ("users", "password_hash"): "made by the app",
    ("users", "role"): "a CHECKed vocabulary",
    ("users", "totp_secret"): "made by the app",
    ("users", "locale"): "a CHECKed vocabulary",
    ("audit_events", "action"): "a code written by the app",
    ("bulk_runs", "nonce"): "made by the app (a one-time value of the review page)",
    ("bulk_runs", "action"): "a code written by the app (app.services.bulk.BULK_ACTIONS)",
    ("audit_events", "entity_type"): "a code written by the app",
    ("audit_events", "client_address"): "an IP address parsed by the app",
    ("municipalities", "code"): "a checked local government code",
    ("municipalities", "kind"): "a CHECKed vocabulary",
    ("municipalities", "open_data_status"): "a CHECKed vocabulary",
    ("municipalities", "engagement_stage"): "a CHECKed vocabulary",
    ("recovery_codes", "code_hash"): "made by the app",
    ("communities", "status"): "a CHECKed vocabulary",
    ("communities", "location_source"): "a CHECKed vocabulary",
    ("support_requests", "phone"): "normalised to E.164 by the form (digits and +)",
    ("support_requests", "preferred_mode"): "a CHECKed vocabulary",
    ("support_requests", "source"): "a CHECKed vocabulary",
    ("support_requests", "status"): "a CHECKed vocabulary",
    ("support_requests", "token_hash"): "made by the app",
    ("support_requests", "form_nonce"): "made by the app, checked by the form",
    ("community_status_changes", "status"): "a CHECKed vocabulary",
    ("community_registrations", "status"): "a CHECKed vocabulary",
    ("community_registrations", "form_nonce"): "made by the app, checked by the form (never shown)",
    ("community_registrations", "token_hash"): "made by the app (never shown)",
    ("community_registrations", "token_sealed"): "made by the app (the sealed confirmation token, never shown)",
    ("evangelists", "status"): "a CHECKed vocabulary",
    ("evangelists", "location_source"): "a CHECKed vocabulary",
    ("evangelists", "form_nonce"): "made by the app, checked by the form (never shown)",
    ("evangelists", "age_band"): "a CHECKed vocabulary",
    ("evangelists", "gender"): "a CHECKed vocabulary",
    ("evangelists", "family_name_kana"): "katakana only (evangelists.names.normalize_reading refuses anything else)",
    ("evangelist_applications", "family_name_kana"): "katakana only (normalize_reading, as a nomination's)",
    ("evangelist_applications", "given_name_kana"): "katakana only (normalize_reading, as a nomination's)",
    ("evangelist_applications", "status"): "a CHECKed vocabulary",
    ("evangelist_applications", "age_band"): "a CHECKed vocabulary",
    ("evangelist_applications", "gender"): "a CHECKed vocabulary",
    ("evangelist_applications", "locale"): "the page's language, set by the app",
    ("evangelist_applications", "token_hash"): "made by the app (never shown)",
    ("evangelist_applications", "token_sealed"): "made by the app (the sealed confirmation token, never shown)",
    ("evangelists", "given_name_kana"): "katakana only (evangelists.names.normalize_reading refuses anything else)",
    ("evangelists", "name_sort"): "derived by the app from the name and reading (never shown)",
    ("evangelists", "name_search"): "derived by the app from the name and reading (never shown)",
    ("request_messages", "sender"): "a CHECKed vocabulary",
    ("request_additions", "status"): "a CHECKed vocabulary",
    ("request_additions", "phone"): "normalised to E.164 by the form (digits and +)",
    ("request_additions", "form_nonce"): "made by the app, checked by the form",
    ("request_additions", "preferred_mode"): "a CHECKed vocabulary",
    ("request_additions", "token_hash"): "made by the app",
    ("assignments", "status"): "a CHECKed vocabulary",
    ("visits", "mode"): "a CHECKed vocabulary",
    ("outcomes", "type"): "a CHECKed vocabulary",
    ("support_requests", "token_sealed"): "made by the app (the sealed status token, never shown)",
    ("use_cases", "kind"): "a CHECKed vocabulary",
    ("use_cases", "status"): "a CHECKed vocabulary",
    ("use_cases", "population_band"): "a CHECKed vocabulary",
    ("use_cases", "search_text"): "derived by the app from the use case's words (never shown)",
    ("use_cases", "form_nonce"): "made by the app, checked by the form (never shown)",
    ("use_case_attachments", "stored_name"): "made by the app (random hex, never shown)",
    ("use_case_attachments", "content_type"): "from the app's table of allowed types (evangelists.use_case_files)",
    ("use_case_attachments", "sha256"): "made by the app (hex digest)",
    ("use_case_town_answers", "decision"): "a CHECKed vocabulary",
    ("notices", "kind"): "a code written by the app (app/notice_kinds.py)",
    ("notices", "mail"): "a CHECKed vocabulary",
    ("notices", "target_type"): "a code written by the app",
    ("notices", "message_id"): "made by the app",
    ("notices", "dedupe_key"): "made by the app from codes and ids",
    ("notice_preferences", "kind"): "a code written by the app (app/notice_kinds.py)",
    ("notice_preferences", "mode"): "a CHECKed vocabulary",
    ("bookings", "status"): "a CHECKed vocabulary",
    ("bookings", "mode"): "a CHECKed vocabulary",
    ("calendar_feeds", "token_hash"): "made by the app (never shown)",
    ("export_jobs", "dataset"): "a code of app.services.exports.KINDS, checked before the job is made",
    ("export_jobs", "style"): "a CHECKed vocabulary",
    ("export_jobs", "status"): "a CHECKed vocabulary",
    ("export_jobs", "locale"): "a language code of the app",
    ("export_jobs", "error"): "the worker's exception, for the admins' logs (never shown on a page)",
    ("outreach_cases", "status"): "a CHECKed vocabulary",
    ("outreach_cases", "consent_how"): "a CHECKed vocabulary",
    ("outreach_contacts", "channel"): "a CHECKed vocabulary",
    ("outreach_contacts", "phone"): "normalised to E.164 by the form (digits and +)",
    ("search_documents", "kind"): "a CHECKed vocabulary",
    ("idea_view_salts", "salt"): "made by the app (random, never shown)",
    ("idea_visitors", "visitor"): "made by the app (a hash, never shown)",
    ("idea_profiles", "voice"): "a CHECKed vocabulary",
    ("idea_theme_participants", "voice"): "a CHECKed vocabulary (copied from the profile)",
    ("idea_theme_participants", "age_band"): "a CHECKed vocabulary (copied from the profile)",
    ("idea_theme_participants", "gender"): "a CHECKed vocabulary (copied from the profile)",
    ("idea_profiles", "age_band"): "a CHECKed vocabulary",
    ("idea_profiles", "gender"): "a CHECKed vocabulary",
    ("idea_themes", "scope"): "a CHECKed vocabulary",
    ("idea_themes", "region"): "a CHECKed vocabulary",
    ("ideas", "voice"): "a CHECKed vocabulary",
    ("ideas", "status"): "a CHECKed vocabulary",
    ("ideas", "visibility"): "a CHECKed vocabulary",
    ("idea_comments", "stance"): "a CHECKed vocabulary",
    ("idea_comments", "visibility"): "a CHECKed vocabulary",
    ("idea_moderation_events", "action"): "a CHECKed vocabulary",
    ("idea_reports", "reason"): "a CHECKed vocabulary",
    ("idea_reports", "resolution"): "a CHECKed vocabulary",
    ("search_documents", "field"): "a CHECKed vocabulary",
}
# JSON columns that carry free text (the audit log's before/after).
FREE_JSON = {("audit_events", "before"), ("audit_events", "after"), ("notices", "params"),
             ("export_jobs", "parameters")}


def _text_columns(db) -> set[tuple[str, str]]:
    return {
        (table.name, column.name)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, (sa.String, sa.Text))
    }


def test_every_text_column_is_poisoned_or_excused(db):
    columns = _text_columns(db)
    assert columns - FREE_TEXT - set(NOT_FREE_TEXT) == set(), "add these columns to FREE_TEXT or NOT_FREE_TEXT"
    assert (FREE_TEXT | set(NOT_FREE_TEXT)) - columns == set(), "these columns no longer exist"


def build_world(db, make_account) -> dict:
    """One of everything that shows text: a town with a community, an evangelist and a
    candidate nearby (the public page's map), a triaged request with suggestions (the
    request page's map), a proposal declined with a reason, an accepted one with a visit
    and an outcome, messages, a community status change and audit events."""
    hokkaido = make_prefecture(code="01")
    sapporo = make_municipality(code="011002", name="札幌市", prefecture=hokkaido, lat=43.06, lon=141.35)
    ebetsu = make_municipality(code="012173", name="江別市", prefecture=hokkaido, lat=43.10, lon=141.54)
    sync_topics()
    users = {role: make_account(role) for role in ("admin", "coordinator", "evangelist", "participant")}
    other = make_account("evangelist", email="other@example.jp")

    me = make_evangelist(user=users["evangelist"], home_municipality=sapporo, capacity=5, travel_radius_km=300.0)
    theirs = make_evangelist(user=other, home_municipality=ebetsu, capacity=5, travel_radius_km=300.0)
    candidate = make_evangelist(user=None, status="candidate", home_municipality=ebetsu)
    community = make_community(municipality=sapporo, description="説明", address="札幌市中央区",
                               website="https://example.jp/", contact_email="c@example.jp", public=True,
                               how_to_join="勉強会へ")
    # Communities in public: a registration waiting (its name like the community's) and one declined.
    waiting = make_registration(municipality=sapporo, name=community.name, website="https://example.jp/r")
    declined = make_registration(municipality=sapporo, status="declined", decline_reason="確認できず",
                                 decided_at=datetime(2026, 11, 21, tzinfo=UTC), decided_by_id=users["coordinator"].id)
    # One waiting for its mailed link: the link's page names it.
    make_registration(municipality=sapporo, status="unconfirmed", token=REGISTRATION_TOKEN)
    db.session.add(CommunityStatusChange(community=community, status="active", since=date(2024, 4, 1),
                                         note="発足", changed_by_id=users["coordinator"].id))

    triaged = make_request(municipality=sapporo, status="triaged", message="相談", preferred_period="春",
                           token_hash=hashlib.sha256(STATUS_TOKEN.encode()).hexdigest())
    # Taken down by a coordinator from a phone call: the queue and its page name them.
    working = make_request(municipality=ebetsu, status="scheduled", message="相談", source="phone",
                           recorded_by_id=users["coordinator"].id)
    closed = make_request(municipality=ebetsu, status="declined", decline_reason="対象外")
    done = make_request(municipality=ebetsu, status="completed", token=COMPLETED_TOKEN)
    db.session.add(RequestFeedback(request_id=done.id, rating=4, comment="役立った"))
    make_assignment(request=triaged, evangelist=theirs, status="declined", distance_km=3.0, decline_reason="日程")
    accepted = make_assignment(request=working, evangelist=me, status="accepted", distance_km=3.0)
    visit = make_visit(assignment=accepted, author_id=users["evangelist"].id, visited_on=date(2026, 11, 20),
                       next_steps="次", attendee_departments="課")
    make_outcome(visit=visit, type="open_data_published", evidence_url="https://example.jp/od", note="公開")
    booking = make_booking(assignment=accepted, mode="online", meeting_url="https://meet.example.jp/a",
                           place="会議室", attendees="課")
    for req in (triaged, working):
        db.session.add(RequestMessage(request=req, sender="municipality", body="よろしく"))
        db.session.add(RequestMessage(request=req, sender="coordinator", author_id=users["coordinator"].id,
                                      body="承知"))
        db.session.add(RequestNote(request_id=req.id, author_id=users["coordinator"].id, body="内部"))
    db.session.add(RequestMessage(request=working, sender="evangelist", author_id=users["evangelist"].id, body="伺います"))
    db.session.add_all([
        RequestAddition(request=triaged, contact_name="別人", department="課", email="b@example.jp", message="追加",
                        preferred_period="夏", token_hash=hashlib.sha256(ADDITION_TOKEN.encode()).hexdigest()),
        RequestAddition(request=triaged, contact_name="別人", department="課", email="c@example.jp", message="追加",
                        status="rejected", decided_by_id=users["coordinator"].id,
                        decided_at=datetime(2026, 11, 21, tzinfo=UTC), decision_reason="重複"),
    ])
    record_event(users["coordinator"], "community.updated", "community", community.id,
                 before={"name": "旧"}, after={"name": "新"})
    # A notice for each person (their list and bell) and one whose mail failed (the admins' list).
    notify("request_new", users=users.values(), request=triaged, params={"town": "札幌市", "prefecture": "北海道"})
    for failed in notify("request_received", emails=["town@example.jp"], request=triaged):
        failed.mail, failed.last_error, failed.attempts = "failed", "SMTPDataError: 451", 8
    record_event(users["coordinator"], "request.triaged", "support_request", triaged.id)
    # A large export with its filters (the search box's text among them), on its owner's list.
    job = ExportJob(user_id=users["coordinator"].id, dataset="municipalities", parameters={"q": "札幌"},
                    style="labels", locale="ja", status="ready", row_count=1, size_bytes=100)
    db.session.add(job)
    # A bulk action carried out: its outcome page names the requests' towns.
    run = BulkRun(nonce="injection-scene-run", user_id=users["coordinator"].id, action="message",
                  rows=[{"request": triaged.id, "town": triaged.municipality.name, "unchanged": False}])
    db.session.add(run)
    # Outreach: an open case asking "me" to reach out (their /me shows it), with a contact,
    # and a closed one with its reason; the town is neither publishing nor asking.
    tobetsu = make_municipality(code="013030", name="当別町", prefecture=hokkaido, lat=43.22, lon=141.52)
    chitose = make_municipality(code="012246", name="千歳市", prefecture=hokkaido, lat=42.82, lon=141.65)
    case = OutreachCase(municipality=tobetsu, status="interested", opened_by_id=users["coordinator"].id,
                        owner_id=users["coordinator"].id, evangelist=me, community=community, ask="電話して",
                        next_step="資料", next_on=date(2026, 12, 1), contacted_on=date(2026, 11, 1))
    db.session.add(case)
    db.session.add(OutreachContact(case=case, contacted_on=date(2026, 11, 1), channel="phone", person_name="山田",
                                   department="企画課", phone="+81312345678", email="y@example.jp", answer="前向き",
                                   next_step="資料", recorded_by_id=users["coordinator"].id))
    db.session.add(OutreachContact(case=case, contacted_on=date(2026, 11, 2), channel="visit", answer="訪問した",
                                   recorded_by_id=users["evangelist"].id))
    db.session.add(OutreachCase(municipality=chitose, status="closed", closed_reason="不要",
                                opened_by_id=users["coordinator"].id))
    db.session.flush()
    record_event(users["coordinator"], "outreach.updated", "outreach_case", case.id,
                 before={"ask": "旧"}, after={"ask": "新"})
    # The open dialogue: a theme with a reading and a material, an idea about Sapporo with
    # an official answer, a comment with a reply and a report, a hidden comment, the
    # evangelist's own profile (its display name shows where they post), a moderation note.
    theme = make_theme(title="テーマ", title_reading="てーま", description="説明 https://example.jp/",
                       materials=[{"label": "資料", "url": "https://example.jp/m"}])
    idea = make_idea(theme=theme, municipality=sapporo, answer="採用します", status="adopted",
                     answered_at=datetime(2026, 11, 20, tzinfo=UTC),
                     author=make_profile(user=users["evangelist"], handle="伝道師"))
    idea.topics = []
    comment = make_comment(idea=idea, author=make_profile(user=users["participant"], handle="参加者"))
    make_comment(idea=idea, parent_id=comment.id, stance="disagree")
    make_comment(idea=idea, visibility="held")
    hidden = make_comment(idea=idea, visibility="hidden", hidden_article=2)
    db.session.flush()
    db.session.add(IdeaReport(idea_id=idea.id, reporter_id=other.id, reason="spam", note="宣伝"))
    db.session.add(IdeaReport(idea_id=idea.id, comment_id=comment.id, reporter_id=users["coordinator"].id,
                              reason="other", note="通報"))
    db.session.add(ModerationEvent(idea_id=idea.id, comment_id=hidden.id, action="hidden", article=2, note="理由",
                                   actor_id=users["coordinator"].id))
    # Public applications: the candidate came from one (their page shows its answers), and
    # one that may be "theirs" waits for a decision (the board, its page, theirs).
    make_application(status="in_pipeline", municipality=ebetsu, evangelist=candidate, community_other="会",
                     availability="夜", motivation="動機")
    duplicate = make_application(municipality=ebetsu, matches=[theirs.id], community_other="会",
                                 availability="夜", motivation="動機")
    # A use case of the triaged request with the town (its status page shows it), by the
    # evangelist, with a link, a file and the town's earlier answer.
    use_case = make_use_case(municipality=sapporo, request=triaged, status="with_town", author_id=users["evangelist"].id,
                             people="課", time_taken="3か月", catalogue_url="https://example.jp/c",
                             sent_to_town_at=datetime(2026, 11, 22, tzinfo=UTC))
    use_case.links = [UseCaseLink(label="データ", url="https://example.jp/d")]
    use_case.attachments = [UseCaseAttachment(filename="手引き.pdf", stored_name="0" * 32, content_type="application/pdf",
                                              size=10, sha256="0" * 64)]
    use_case.town_answers = [UseCaseTownAnswer(decision="changes_asked", message="直して", version=1)]
    # The library: a published use case of Ebetsu about GIS (the topic of the evangelist's
    # request in Ebetsu: their brief lists it; the town's status pages suggest it), with a
    # link, a catalogue, an attachment and the town's answer.
    from app.models import Topic

    gis = db.session.scalar(sa.select(Topic).where(Topic.slug == "gis"))
    working.topics = [gis]
    published = make_use_case(municipality=ebetsu, population_band="100k_300k", topics=[gis], people="職員",
                             time_taken="半年", catalogue_url="https://example.jp/catalog")
    published.links = [UseCaseLink(label="データ", url="https://example.jp/data.csv")]
    published.attachments = [UseCaseAttachment(filename="slides.pdf", stored_name="s" * 32, content_type="application/pdf",
                                              size=10, sha256="0" * 64)]
    published.town_answers = [UseCaseTownAnswer(decision="agreed", message="了承", version=1)]
    db.session.commit()
    return {
        "users": users,
        "url_args": {
            "request_id": triaged.id,
            "assignment_id": accepted.id,
            "visit_id": visit.id,
            "community_id": community.id,
            "evangelist_id": candidate.id,
            "theme_id": theme.id,
            "idea_id": idea.id,
            "code": "011002",
            "locale": "en",
            "user_id": other.id,
            "purpose": "reset",
            "token": make_password_token(other, "reset"),
            "booking_id": booking.id,
            "job_id": job.id,
            "run_id": run.id,
            "table": "gap-places",
            "case_id": case.id,
            "kind": "csv",  # the idea box's open data (ideas.open_data, ideas.theme_open_data)
            "application_id": duplicate.id,
            "registration_id": waiting.id,
            "use_case_id": use_case.id,
            "attachment_id": use_case.attachments[0].id,
            "published_use_case_id": published.id,
        },
        "more_evangelists": {"theirs": theirs.id},
        "more_urls": [
            f"/coordinator/communities/registrations/{declined.id}",
            "/coordinator/communities/registrations?status=declined",
            f"/communities/register/confirm/{REGISTRATION_TOKEN}",
            f"/request/status/{STATUS_TOKEN}",
            f"/request/status/{ADDITION_TOKEN}",
            f"/coordinator/requests/{working.id}",
            f"/coordinator/requests/{closed.id}",
            f"/coordinator/requests/{done.id}",
            f"/request/status/{COMPLETED_TOKEN}",
            f"/coordinator/recruitment/{theirs.id}",
            f"/coordinator/recruitment/{me.id}",
            "/municipalities/012173",
            f"/bookings/{booking.id}",
            f"/coordinator/outreach/{case.id + 1}",
            "/coordinator/outreach?status=",
            "/api/v1/outreach",
            "/municipalities/013030",
            # Every document is poisoned to hold MARK: the search finds them all by part of
            # it (not MARK itself, which the sign-in page's redirect would repeat).
            f"/coordinator/search?q={MARK[1:]}",
            f"/ideas/themes/{theme.id}?q={MARK[1:]}",
            f"/ideas/themes/{theme.id}?sort=trending&municipality=011002",
            "/use-cases/?status=with_town",
            f"/cases?q={MARK[1:]}",
        ],
    }


def poison(db, payload: str) -> str:
    """Every free-text column of every row becomes MARK + payload + MARK."""
    text = f"{MARK}{payload}{MARK}"
    with db.engine.begin() as connection:
        for table_name, column in sorted(FREE_TEXT):
            table = db.metadata.tables[table_name]
            # A unique column gets the row's id after the text (the check allows that).
            value = text + sa.cast(table.c.id, sa.String) if _unique(table, column) else text
            connection.execute(sa.update(table).values({column: value}))
        for table_name, column in sorted(FREE_JSON):
            table = db.metadata.tables[table_name]
            connection.execute(sa.update(table).values({column: {"name": text}}))
        bump_data_version(connection)  # around the session: kept pages must go
    db.session.expire_all()
    return text


def _unique(table: sa.Table, column: str) -> bool:
    return table.c[column].unique or any(
        index.unique and column in index.columns for index in table.indexes)


def leftovers(body: str, text: str) -> list[str]:
    """What the page shows of MARK that is not the literal text: an evaluation's trace. A
    link that carries the text percent-encoded (the search page's link to the users list
    filtered by an address) carries the literal text too."""
    rest = unquote_plus(body.replace(text, "")).replace(text, "")
    found = []
    start = rest.find(MARK)
    while start != -1:
        found.append(rest[max(0, start - 40):start + 80])
        start = rest.find(MARK, start + 1)
    return found


def get_urls(app, world) -> list[str]:
    urls = [url_for_endpoint(app, endpoint, {**world["url_args"], "dataset": "municipalities"})
            for endpoint, (method, _rule) in sorted(ACCESS.items()) if method == "GET"]
    urls += [f"/coordinator/data/export/{kind}.csv" for kind in EXPORT_KINDS]
    return urls + world["more_urls"]


def crawl(app, client, urls, text) -> dict[str, str]:
    """Fetch every URL with ``client``; fail on a 5xx or any trace of an evaluation."""
    bodies, problems = {}, []
    for url in urls:
        response = client.get(url)
        # An image (the favicon) holds nothing anyone typed, and is not text.
        body = "" if response.mimetype.startswith("image/") else response.get_data(as_text=True)
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
        traces = leftovers(body, text)
        if traces or "__builtins__" in body or "SECRET_KEY" in body:
            problems.append(f"{url}: evaluated: {traces[:3]}")
        bodies[url] = body
    assert problems == []
    return bodies


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_typed_text_is_shown_literally_on_every_page_for_every_role(app, db, make_account, payload):
    world = build_world(db, make_account)
    clients = {"anonymous": app.test_client()}
    for role, user in world["users"].items():
        clients[role] = app.test_client()
        sign_in(clients[role], user)  # before the e-mail addresses are poisoned
    text = poison(db, payload)
    urls = get_urls(app, world)
    seen = {role: crawl(app, client, urls, text) for role, client in clients.items()}

    # The text is really on the pages that show it, maps included (not merely absent).
    public_town = seen["anonymous"]["/municipalities/011002"]
    assert public_town.count(text) >= 2  # the community in the list and in the map's data
    staff_request = seen["coordinator"][f"/coordinator/requests/{world['url_args']['request_id']}"]
    assert 'type="application/json"' in staff_request and text in staff_request
    assert text in seen["coordinator"]["/coordinator/recruitment/" + str(world["url_args"]["evangelist_id"])]
    assert text in seen["anonymous"][f"/request/status/{STATUS_TOKEN}"]
    assert text in seen["anonymous"][f"/request/status/{ADDITION_TOKEN}"]  # the sender's own page
    assert text in seen["admin"]["/admin/audit"]
    assert text in seen["evangelist"]["/me/"]
    assert text in seen["admin"]["/admin/notices"]  # the town's address and the last error
    assert text in seen["coordinator"]["/coordinator/"]  # the latest feedback comments
    assert text in seen["anonymous"][f"/request/status/{COMPLETED_TOKEN}"]
    assert seen["evangelist"][f"/bookings/{world['url_args']['booking_id']}"].count(text) >= 2  # attendees, URL
    assert text in seen["coordinator"][f"/bookings/{world['url_args']['booking_id']}"]
    # Outreach: the case (what the helper is asked, the next step, the contact's person,
    # department, e-mail and answer), the closed one's reason, the list, and the
    # evangelist's page (what they are asked; their own note).
    case_id = world["url_args"]["case_id"]
    assert seen["coordinator"][f"/coordinator/outreach/{case_id}"].count(text) >= 6
    assert text in seen["coordinator"][f"/coordinator/outreach/{case_id + 1}"]
    assert text in seen["coordinator"]["/coordinator/outreach?status="]
    assert seen["evangelist"]["/me/"].count(text) >= 2
    # The idea box: the idea's page (its answer), the queue (the report's note, the posts),
    # the public log (its note), the ideas about the town on its page and its request's.
    idea_id = world["url_args"]["idea_id"]
    assert text in seen["anonymous"][f"/ideas/{idea_id}"]
    assert seen["coordinator"]["/ideas/manage/reports"].count(text) >= 3
    assert text in seen["anonymous"]["/ideas/moderation"]
    assert f"/ideas/{idea_id}" in public_town and f"/ideas/{idea_id}" in staff_request
    # Applications: the answers on the candidate's page and the application's (names,
    # address, community, availability, motivation), the board's list to check.
    candidate_page = seen["coordinator"]["/coordinator/recruitment/" + str(world["url_args"]["evangelist_id"])]
    assert candidate_page.count(text) >= 6
    application_id = world["url_args"]["application_id"]
    assert seen["coordinator"][f"/coordinator/recruitment/applications/{application_id}"].count(text) >= 6
    assert text in seen["coordinator"]["/coordinator/recruitment"]
    assert text in seen["admin"]["/coordinator/recruitment/" + str(world["more_evangelists"]["theirs"])]
    # Communities in public: the directory (list and map), the community's page (name, description,
    # how to join), the registrations waiting (name, description, how to join, e-mail, website) and
    # a declined one's reason.
    community_id = world["url_args"]["community_id"]
    assert seen["anonymous"]["/communities"].count(text) >= 3
    assert seen["anonymous"][f"/communities/{community_id}"].count(text) >= 3
    registration_id = world["url_args"]["registration_id"]
    assert seen["coordinator"][f"/coordinator/communities/registrations/{registration_id}"].count(text) >= 5
    assert text in seen["coordinator"]["/coordinator/communities/registrations"]
    declined = [url for url in seen["coordinator"] if url.startswith("/coordinator/communities/registrations/")
                and not url.endswith(f"/{registration_id}")]
    assert all(text in seen["coordinator"][url] for url in declined) and declined
    # Use cases: every field on its staff page (author's and coordinator's), the queue, and
    # the town's review on its status page (the file's name, never its link).
    use_case_page = f"/use-cases/{world['url_args']['use_case_id']}"
    for role in ("coordinator", "evangelist", "admin"):
        assert seen[role][use_case_page].count(text) >= 11, role
    assert text in seen["coordinator"]["/use-cases/?status=with_town"]
    assert seen["anonymous"][f"/request/status/{STATUS_TOKEN}"].count(text) >= 10
    # The library: the use case's page (title, story, people, time, advice, catalogue, link,
    # attachment), the list and its search, the feed; towns like yours on the status page
    # and in the evangelist's brief.
    use_case_url = f"/cases/{world['url_args']['published_use_case_id']}"
    for role in seen:
        assert seen[role][use_case_url].count(text) >= 12, role
    assert seen["anonymous"]["/cases"].count(text) >= 2
    assert text in seen["anonymous"][f"/cases?q={MARK[1:]}"]
    assert text in seen["anonymous"]["/cases/feed.atom"] or escape(text) in seen["anonymous"]["/cases/feed.atom"]
    assert use_case_url in seen["anonymous"][f"/request/status/{STATUS_TOKEN}"]
    assert use_case_url in seen["evangelist"]["/me/"]


def test_imported_names_are_shown_literally(app, db, make_account, coordinator_client):
    make_prefecture(code="01")
    make_municipality(code="011002", name="札幌市", lat=43.06, lon=141.35)
    sync_topics()
    for payload in PAYLOADS.values():
        text = f"{MARK}{payload}{MARK}"
        files = {
            "communities": f"name,municipality_code,status,member_count\n{text},011002,活動中,12\n",
            "candidates": f"姓,名,セイ,メイ,市区町村コード,スキル\n{text},{text},ヤマダ,ハナコ,011002,gis\n",
        }
        for kind, content in files.items():
            response = coordinator_client.post("/coordinator/data/import", data={
                "kind": kind, "file": (io.BytesIO(content.encode()), f"{kind}.csv")},
                content_type="multipart/form-data")
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            token = response.get_data(as_text=True).split('name="token" type="hidden" value="')[1].split('"')[0]
            response = coordinator_client.post("/coordinator/data/import/apply", data={"token": token})
            assert response.status_code in (200, 302), response.get_data(as_text=True)[:300]
        for client in (app.test_client(), coordinator_client):
            for url in ("/municipalities/011002", "/coordinator/recruitment", "/coordinator/communities"):
                response = client.get(url)
                if response.status_code in (302, 401, 403):
                    continue
                body = response.get_data(as_text=True)
                assert response.status_code == 200, (url, response.status_code)
                assert text in body and leftovers(body.replace(text, ""), text) == [], url
        db.session.execute(sa.delete(db.metadata.tables["evangelist_skills"])) \
            if "evangelist_skills" in db.metadata.tables else None
        for table in ("community_status_changes", "evangelists", "communities"):
            db.session.execute(sa.delete(db.metadata.tables[table]))
        db.session.commit()


# --- no template source from data --------------------------------------------------------

# Calls that compile their first argument as Jinja source.
COMPILERS = {"Template", "Element", "from_string", "render_template_string", "Environment"}


def _compiles_non_literal(call: ast.Call) -> bool:
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
    if name not in COMPILERS:
        return False
    arguments = [*call.args, *(k.value for k in call.keywords if k.arg in (None, "template", "source"))]
    return any(not (isinstance(a, ast.Constant) and isinstance(a.value, str)) for a in arguments)


def test_no_template_is_compiled_from_anything_but_a_literal():
    offenders = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call) and _compiles_non_literal(node):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize("source, bad", [
    ("Template(text)", True),
    ("Element(f'{x}')", True),
    ("env.from_string(source)", True),
    ("render_template_string(page, x=1)", True),
    ("Template('{{ this.x }}')", False),
    ("Element()", False),
    ("escape(text)", False),
])
def test_the_literal_check_tells_literals_from_data(source, bad):
    assert _compiles_non_literal(ast.parse(source).body[0].value) is bad


# --- the two guards around folium ----------------------------------------------------------


def test_a_map_layer_refuses_template_syntax_in_what_it_hands_to_folium(app):
    from app.folium_maps import DataLayer

    with app.test_request_context():
        for name, options in (("{{ x }}", {}), ("k", {"title": "{% x %}"}), ("k", {"note": "{# x"})):
            with pytest.raises(ValueError, match="template syntax"):
                DataLayer("k", "place", name, url="/a", **options)
        DataLayer("k", "place", "k", data={"name": "{{7*7}}"})  # data is not handed to folium


def test_a_map_script_is_not_rendered_a_second_time(app, monkeypatch):
    """Past the first guard, template syntax in a layer's script is neither evaluated
    (the payload would set an environment variable) nor lost."""
    from app.folium_maps import DataLayer, new_map, render_map

    monkeypatch.delenv("SSTI_PROBE", raising=False)
    payload = "{{ lipsum.__globals__.os.environ.update(SSTI_PROBE=lipsum.__name__) }}"
    with app.test_request_context():
        m = new_map("test")
        layer = DataLayer("k", "place", "k", url="/a")
        layer.spec["title"] = payload
        layer.add_to(m)
        script = render_map(m).script
    assert os.environ.get("SSTI_PROBE") is None
    assert payload in script
    monkeypatch.setenv("SSTI_PROBE", "")  # so the check above could fail: the payload works
    jinja2.Template(payload).render()
    assert os.environ["SSTI_PROBE"] == "generate_lorem_ipsum"
