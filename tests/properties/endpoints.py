"""Which form each endpoint reads, who may use it, and what a plausible value of each field
looks like in the property tests' world (tests/properties/conftest.py).

``POSTS`` lists every endpoint that accepts POST; ``QUERY_FORMS`` the forms read from a
query string. ``test_form_properties`` fails when a POST endpoint or a form class of the
app is in neither.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from hypothesis import strategies as st

from app.admin.forms import AuditFilterForm, MergeForm, RegionsForm, RoleForm, UserFilterForm
from app.apply.forms import ApplicationForm, ConfirmForm
from app.auth.forms import (
    ChangePasswordForm,
    ConfirmWithPasswordForm,
    ForgotPasswordForm,
    NewPasswordForm,
    SecondFactorForm,
    SetUpSecondFactorForm,
    SignInForm,
)
from app.booking_forms import CancelBookingForm, MoveBookingForm, OfferTimesForm, PickSlotForm
from app.communities.forms import (
    AcceptRegistrationForm,
    CommunityFilterForm,
    CommunityForm,
    DeclineRegistrationForm,
    RegistrationListForm,
    StatusForm,
)
from app.coordinator.forms import (
    AssignForm,
    BulkForm,
    DeclineForm,
    InviteForm,
    NoteForm,
    OwnerForm,
    PersonSearchForm,
    QueueFilterForm,
    RejectAdditionForm,
    ReplyForm,
    SendBackForm,
    StaffSearchForm,
)
from app.data.forms import ApplyForm, ImportForm
from app.directory.forms import CommunityRegistrationForm, ConfirmRegistrationForm, DirectoryFilterForm
from app.evangelist.forms import DeclineAssignmentForm, HelperNoteForm, ThreadMessageForm
from app.evangelist.profile_forms import ProfileForm
from app.forms import ActionForm
from app.ideas.forms import CommentForm, IdeaFilterForm, IdeaForm, ThemeForm, VoteForm
from app.ideas.forms import ProfileForm as IdeaProfileForm
from app.ideas.moderation_forms import AnswerForm, ModerationForm, ReportForm
from app.ideas.participant_forms import LeaveForm, RegistrationForm, VerifyForm
from app.library.forms import LibraryFilterForm
from app.map_filters import MapFilterForm
from app.outreach.forms import (
    ANSWERS,
    BulkOpenForm,
    CaseBulkForm,
    CaseFilterForm,
    CaseForm,
    CloseForm,
    ConsentForm,
    ContactForm,
    OpenCaseForm,
)
from app.public.forms import MunicipalityFilterForm
from app.recruitment.forms import (
    AppointForm,
    BoardFilterForm,
    EvangelistForm,
    MoveForm,
    NominationForm,
    ResolveForm,
)
from app.recruitment.forms import DeclineForm as DeclineCandidateForm
from app.reports.forms import DashboardFilterForm
from app.request_forms import IntakeForm, RequestForm
from app.support.forms import FeedbackForm, LostLinkForm, MessageForm, TownAnswerForm, WithdrawForm
from app.use_cases.forms import DraftForm, UseCaseForm, UseCaseMoveForm
from app.visit_forms import VisitForm
from evangelists.ideas import IDEA_STATUSES, REPORT_REASONS, SORTS, STANCES, THEME_SCOPES, VOICES, VOTE_VALUES
from evangelists.imports import KINDS
from evangelists.use_cases import POPULATION_BANDS, USE_CASE_KINDS
from evangelists.vocabulary import (
    AGE_BANDS,
    COMMUNITY_REGISTRATION_STATUSES,
    COMMUNITY_STATUSES,
    ENGAGEMENT_STAGES,
    EVANGELIST_STATUSES,
    GENDERS,
    LANGUAGES,
    LOCATION_SOURCES,
    MUNICIPALITY_KINDS,
    OPEN_DATA_STATUSES,
    OUTCOME_TYPES,
    OUTREACH_CHANNELS,
    OUTREACH_STATUSES,
    REGIONS,
    REQUEST_MODES,
    REQUEST_STATUSES,
    ROLES,
    STAFF_REQUEST_SOURCES,
    TOPIC_SLUGS,
    USER_STATUSES,
    VISIT_MODES,
)
from tests.conftest import PASSWORD
from tests.properties.strategies import (
    extreme_date,
    extreme_id,
    japanese_text,
    nasty_text,
    recent_date,
)

SURVEY = "団体コード,市区町村名,取組状況,基準日\n01100,札幌市,取組済,2024/3/31\n131016,千代田区,未着手,2024/3/31\n"
COMMUNITIES = "name,municipality_code,status,member_count\nコード・フォー・函館,012025,活動中,12\n"
CANDIDATES = "姓,名,市区町村コード,スキル\n山田,花子,131016,gis;licensing\n"


@dataclass(frozen=True)
class Post:
    """A POST endpoint: who posts (a role, None for anyone, ``pending`` for a sign-in at
    its second step), the forms it reads, which world id fills each URL argument (by
    default the one of the same name) and the keys the view reads from ``request.form``
    itself."""

    who: str | None
    forms: tuple
    args: dict[str, str] = field(default_factory=dict)
    raw: tuple[str, ...] = ()


POSTS: dict[str, Post] = {
    "admin.change_role": Post("admin", (RoleForm,), raw=("next",)),
    "admin.user_regions": Post("admin", (RegionsForm,)),
    "admin.deactivate": Post("admin", (ActionForm,), raw=("next",)),
    "admin.reactivate": Post("admin", (ActionForm,), raw=("next",)),
    "admin.merge_people_confirm": Post("admin", (MergeForm,)),
    "auth.change_password": Post("evangelist", (ChangePasswordForm,)),
    "auth.disable_second_factor": Post("coordinator", (ConfirmWithPasswordForm,)),
    "auth.forgot_password": Post(None, (ForgotPasswordForm,)),
    "auth.login": Post(None, (SignInForm,)),
    "auth.logout": Post("evangelist", (ActionForm,)),
    "auth.renew_recovery_codes": Post("coordinator", (ActionForm,)),
    "auth.second_factor": Post("pending", (SecondFactorForm,)),
    "auth.set_password": Post(None, (NewPasswordForm,), args={"token": "password_token"}),
    "auth.set_up_second_factor": Post("evangelist", (SetUpSecondFactorForm,)),
    "coordinator.accept_addition": Post("coordinator", (ActionForm,)),
    "coordinator.assign_evangelist": Post("coordinator", (AssignForm,)),
    "coordinator.correct_visit": Post("coordinator", (VisitForm,)),
    "coordinator.decline": Post("coordinator", (DeclineForm,)),
    "coordinator.invite": Post("admin", (InviteForm,)),
    "coordinator.password_link_for": Post("coordinator", (ActionForm,), args={"user_id": "invited_id"}),
    "coordinator.plan": Post("coordinator", (ActionForm,), raw=("row", "scope", "confirmed", "pair",
                                                                            "plan", "page")),
    "coordinator.record_request": Post("coordinator", (IntakeForm,), raw=("action", "duplicate")),
    "coordinator.reject_addition": Post("coordinator", (RejectAdditionForm,)),
    "coordinator.reply": Post("coordinator", (ReplyForm,)),
    "coordinator.send_request_back": Post("coordinator", (SendBackForm,), args={"request_id": "working_request"}),
    "coordinator.withdraw": Post("coordinator", (ActionForm,), args={"request_id": "offered_request",
                                                                     "assignment_id": "proposed_assignment"}),
    "coordinator.triage": Post("coordinator", (ActionForm,), raw=("next",)),
    "coordinator.change_owner": Post("coordinator", (OwnerForm,)),
    "coordinator.bulk": Post("coordinator", (BulkForm,), raw=("ids",)),
    "coordinator.take_request": Post("coordinator", (ActionForm,), raw=("next",)),
    "data.apply_import": Post("coordinator", (ApplyForm,), raw=("duplicate-2", "duplicates-all")),
    "data.import_file": Post("coordinator", (ImportForm,)),
    "evangelist.accept": Post("evangelist", (ActionForm,), args={"assignment_id": "proposed_assignment"}),
    "evangelist.complete": Post("evangelist", (ActionForm,), args={"assignment_id": "accepted_assignment"}),
    "evangelist.decline": Post("evangelist", (DeclineAssignmentForm,),
                               args={"assignment_id": "proposed_assignment"}),
    "evangelist.offer_times": Post("evangelist", (OfferTimesForm,), args={"assignment_id": "accepted_assignment"}),
    "bookings.move": Post("evangelist", (MoveBookingForm,)),
    "bookings.cancel": Post("coordinator", (CancelBookingForm,)),
    "bookings.calendar": Post("evangelist", (ActionForm,)),
    "bookings.calendar_off": Post("coordinator", (ActionForm,)),
    "support.pick_slot": Post(None, (PickSlotForm,), args={"token": "status_token"}),
    "evangelist.new_visit": Post("evangelist", (VisitForm,), args={"assignment_id": "accepted_assignment"}),
    "evangelist.profile": Post("evangelist", (ProfileForm,), raw=("action",)),
    "evangelist.visit": Post("evangelist", (VisitForm,)),
    "recruitment.appoint": Post("coordinator", (AppointForm,), args={"evangelist_id": "candidate"}),
    "communities.community_status": Post("coordinator", (StatusForm,)),
    "communities.edit_community": Post("coordinator", (CommunityForm,), raw=("action",)),
    "recruitment.edit_evangelist": Post("coordinator", (EvangelistForm,), raw=("action",)),
    "recruitment.move": Post("coordinator", (MoveForm,), args={"evangelist_id": "active_evangelist"}, raw=("next",)),
    "communities.new_community": Post("coordinator", (CommunityForm,), raw=("action",)),
    # Communities in public (issue 22.5): a community registers itself; a coordinator decides.
    "directory.register": Post(None, (CommunityRegistrationForm,), raw=("action",)),
    "directory.confirm": Post(None, (ConfirmRegistrationForm,), args={"token": "registration_token"}),
    "communities.accept": Post("coordinator", (AcceptRegistrationForm,)),
    "communities.decline": Post("coordinator", (DeclineRegistrationForm,)),
    "recruitment.nominate": Post("coordinator", (NominationForm,), raw=("action",)),
    "recruitment.decline": Post("coordinator", (DeclineCandidateForm,), args={"evangelist_id": "candidate"}),
    "recruitment.application": Post("coordinator", (ResolveForm,)),
    # Becoming an evangelist (app/apply): the public form, the mailed link's button.
    "apply.apply": Post(None, (ApplicationForm,), raw=("action",)),
    "apply.confirm": Post(None, (ConfirmForm,), args={"token": "application_token"}),
    "public.set_language": Post(None, (), args={"locale": "locale"}, raw=("next", "carry")),
    "support.new_request": Post(None, (RequestForm,), raw=("action", "duplicate")),
    "support.status": Post(None, (MessageForm,), args={"token": "status_token"}),
    "support.withdraw": Post(None, (WithdrawForm,), args={"token": "status_token"}),
    "support.feedback": Post(None, (FeedbackForm,), args={"token": "status_token"}),
    "support.lost_link": Post(None, (LostLinkForm,)),
    "coordinator.add_note": Post("coordinator", (NoteForm,)),
    "evangelist.messages": Post("evangelist", (ThreadMessageForm,), args={"assignment_id": "accepted_assignment"}),
    "notices.open_notice": Post("evangelist", (ActionForm,)),
    "notices.mark_all_read": Post("evangelist", (ActionForm,)),
    # The preferences form is built per role (a radio group per kind): its keys are raw.
    "notices.preferences": Post("evangelist", (), raw=("mode_assignment_proposed", "mode_request_message")),
    "admin.retry_notices": Post("admin", (ActionForm,), raw=("one", "which", "shown", "ids", "next")),
    # Outreach to towns that have not asked (app/outreach).
    "outreach.new": Post("coordinator", (OpenCaseForm,), args={"code": "outreach_town"}),
    "outreach.bulk": Post("coordinator", (BulkOpenForm,), raw=("codes", "confirmed")),
    "outreach.bulk_cases": Post("coordinator", (CaseBulkForm,), raw=("ids", "confirmed")),
    "outreach.log_contact": Post("coordinator", (ContactForm,)),
    "outreach.update": Post("coordinator", (CaseForm,)),
    "outreach.close": Post("coordinator", (CloseForm,)),
    "outreach.turn_into_request": Post("coordinator", (ConsentForm,)),
    "evangelist.outreach_note": Post("evangelist", (HelperNoteForm,)),
    # The open dialogue (app/ideas): a participant with a dialogue profile posts.
    "ideas.new_idea": Post("participant", (IdeaForm,), raw=("action",)),
    "ideas.comment": Post("participant", (CommentForm,)),
    "ideas.vote": Post("participant", (VoteForm,)),
    "ideas.profile": Post("evangelist", (IdeaProfileForm,)),
    "ideas.new_theme": Post("coordinator", (ThemeForm,)),
    "ideas.edit_theme": Post("coordinator", (ThemeForm,)),
    # The idea box's own accounts (app/ideas/participants.py).
    "ideas.register": Post(None, (RegistrationForm,)),
    "ideas.verify": Post(None, (VerifyForm,), args={"token": "verify_token"}),
    "ideas.withdraw": Post("evangelist", (LeaveForm,)),
    # The idea box's reports, moderation decisions and official answers (app/ideas/moderation.py).
    "ideas.report": Post("evangelist", (ReportForm,)),
    "ideas.moderate": Post("coordinator", (ModerationForm,)),
    "ideas.answer": Post("coordinator", (AnswerForm,)),
    # Use cases (app/use_cases): the evangelist drafts from their completed request and
    # edits the draft; a coordinator moves it; the town answers on its status page.
    "use_cases.draft": Post("evangelist", (DraftForm,), args={"request_id": "completed_request"}),
    "use_cases.edit": Post("evangelist", (UseCaseForm,)),
    "use_cases.move": Post("coordinator", (UseCaseMoveForm,)),
    "support.use_case_answer": Post(None, (TownAnswerForm,), args={"token": "status_token"}),
}

# Old addresses of moved staff pages: they only answer 308 to the new address (the page
# posted above), read no form, and are tested in tests/web/test_moved_pages.py.
MOVED = frozenset({
    "coordinator.moved_apply_import",
    "coordinator.moved_appoint",
    "coordinator.moved_edit_evangelist",
    "coordinator.moved_import",
    "coordinator.moved_move",
})

# Forms filled from the query string of a GET page (or API call), by endpoint.
QUERY_FORMS = {
    "public.municipalities": MunicipalityFilterForm,
    "coordinator.requests": QueueFilterForm,
    "coordinator.search": StaffSearchForm,
    "coordinator.request_detail": PersonSearchForm,
    "communities.communities": CommunityFilterForm,
    "recruitment.recruitment": BoardFilterForm,
    "admin.users": UserFilterForm,
    "admin.audit": AuditFilterForm,
    "map.network": MapFilterForm,
    "api.municipalities": MapFilterForm,
    "api.communities": MapFilterForm,
    "api.evangelists": MapFilterForm,
    "api.requests": MapFilterForm,
    "api.coverage_gap": MapFilterForm,
    "reports.dashboard": DashboardFilterForm,
    "reports.printable": DashboardFilterForm,
    "reports.download": DashboardFilterForm,
    "api.outreach": MapFilterForm,
    "outreach.cases": CaseFilterForm,
    "ideas.theme": IdeaFilterForm,
    "directory.communities": DirectoryFilterForm,
    "communities.registrations": RegistrationListForm,
    "library.index": LibraryFilterForm,
}


@functools.cache
def fresh_email() -> st.SearchStrategy[str]:
    return st.integers(0, 10**9).map(lambda n: f"person{n}@example.jp")


def plausible(world) -> dict[str, st.SearchStrategy]:
    """Values each field could accept in ``world``, by field key (``Form.key`` first)."""
    return world.cached("plausible", lambda: _plausible(world))


def _plausible(world) -> dict[str, st.SearchStrategy]:
    ids = world.ids
    prefectures = st.sampled_from(ids["prefectures"])
    municipalities = st.sampled_from(ids["municipalities"])
    topics = st.sampled_from(TOPIC_SLUGS)
    return {
        "email": st.one_of(st.sampled_from(world.emails), fresh_email()),
        "password": st.sampled_from([PASSWORD, "another long and quiet evening stroll"]),
        "current": st.just(PASSWORD),
        "code": st.sampled_from(["123456", "000000", "abcd-efgh-1234"]),
        "remember": st.sampled_from(["y", ""]),
        "next": st.sampled_from(["/me/", "/coordinator/", "//evil.example/", "https://evil.example/", "/\\evil"]),
        "role": st.sampled_from(ROLES),
        # Readings (フリガナ): hiragana, katakana, half-width katakana, with spaces.
        "family_name_kana": st.sampled_from(["ヤマダ", "やまだ", "ﾔﾏﾀﾞ", "ナカ ジマ", "サトー"]),
        "given_name_kana": st.sampled_from(["ハナコ", "はなこ", "ﾊﾅｺ", "タロウ", "ゆう　こ"]),
        "evangelist_id": st.sampled_from(ids["evangelist_ids"]).map(str),
        "visited_on": recent_date(30),
        "mode": st.sampled_from(REQUEST_MODES),
        "duration_minutes": st.integers(1, 1440).map(str),
        "attendee_count": st.integers(0, 10_000).map(str),
        "topics": topics,
        "skills": topics,
        "outcomes-type": st.sampled_from(("", *OUTCOME_TYPES)),
        "outcomes-count": st.integers(1, 100).map(str),
        "outcomes-evidence_url": st.sampled_from(["https://example.jp/data", "http://例え.jp/カタログ", ""]),
        "prefecture": prefectures,
        "municipality": municipalities,
        "capacity": st.integers(0, 20).map(str),
        "travel_radius_km": st.floats(0, 500).map(repr),
        "online_ok": st.sampled_from(["y", ""]),
        "languages": st.sampled_from(LANGUAGES),
        "age_band": st.sampled_from(("", *AGE_BANDS)),
        "gender": st.sampled_from(("", *GENDERS)),
        "paused_until": recent_date(0, 60),
        "website": st.sampled_from(["https://example.jp/", "http://code4.example.org/a?b=c#d", ""]),
        "RequestForm.website": st.just(""),
        # The idea box's sign-up: a display name (now and then one taken, reserved or with
        # markup: refused), a voice, the terms; its honeypot left empty.
        "RegistrationForm.website": st.just(""),
        "handle": st.sampled_from(["みなとの花子", "data_fan-2", "運営", "<b>x</b>", "{{7*7}}", "a"]),
        "voice": st.sampled_from(VOICES),
        "terms": st.sampled_from(["y", ""]),
        # A request a coordinator records: the e-mail may be left out, the day is recent
        # (now and then in the future or more than a year back: refused).
        "IntakeForm.email": st.one_of(st.sampled_from(world.emails), fresh_email(), st.just("")),
        "source": st.sampled_from(STAFF_REQUEST_SOURCES),
        "received_on": recent_date(400, 2),
        "member_count": st.integers(0, 1_000_000).map(str),
        "contact_email": fresh_email(),
        "location": st.sampled_from(LOCATION_SOURCES),
        "lat": st.floats(20, 46).map(repr),
        "lon": st.floats(122, 154).map(repr),
        "status": st.sampled_from(COMMUNITY_STATUSES),
        "since": recent_date(30),
        "community": st.sampled_from(["", *map(str, ids["community_ids"])]),
        "appointed_on": recent_date(30),
        "target": st.sampled_from(EVANGELIST_STATUSES),
        "phone": st.sampled_from(["03-1234-5678", "+81 3 1234 5678", "090-1234-5678", "０３－１２３４－５６７８"]),
        "nonce": st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=20, max_size=32),
        "name": japanese_text().map(lambda name: f"コミュニティ {name}"),
        "kind": st.sampled_from(KINDS),
        "file": st.sampled_from([SURVEY.encode("cp932"), COMMUNITIES.encode("utf-8-sig"), CANDIDATES.encode()]),
        "token": st.sampled_from(ids.get("import_tokens") or [""]),
        "WithdrawForm.confirm": st.just("y"),
        "FeedbackForm.rating": st.sampled_from(["1", "3", "5", "0", "6", ""]),
        "SendBackForm.confirm": st.sampled_from(["y", ""]),
        "SendBackForm.target": st.sampled_from(REQUEST_STATUSES),
        "OfferTimesForm.mode": st.sampled_from(VISIT_MODES),
        "slots-day": recent_date(3, 30),
        "slots-start": st.sampled_from(["09:00", "10:30", "13:00", "25:00", ""]),
        "slots-end": st.sampled_from(["10:00", "12:00", "15:30", "08:00", ""]),
        "day": recent_date(3, 30),
        "start": st.sampled_from(["09:00", "10:30", "13:00", "99:99"]),
        "end": st.sampled_from(["10:00", "12:00", "15:30", "08:00"]),
        "meeting_url": st.sampled_from(["https://meet.example.jp/abc", "javascript:alert(1)", "http://例え.jp/会議", ""]),
        "slot": st.one_of(st.integers(1, 5).map(str), extreme_id()),
        # The two records of a merge: often the same one (refused), now and then nobody's.
        "MergeForm.keep": st.one_of(st.sampled_from(ids["evangelist_ids"]).map(str), extreme_id()),
        "MergeForm.duplicate": st.one_of(st.sampled_from(ids["evangelist_ids"]).map(str), extreme_id()),
        # Outreach: a contact's day (now and then in the future: refused), how, the answer.
        "contacted_on": recent_date(30, 2),
        "next_on": recent_date(5, 30),
        "channel": st.sampled_from(OUTREACH_CHANNELS),
        "consent_how": st.sampled_from(OUTREACH_CHANNELS),
        "outcome": st.sampled_from(ANSWERS),
        "consent": st.sampled_from(["y", ""]),
        "consented_on": recent_date(400, 2),
        "reached_out": st.sampled_from(["y", ""]),
        "CaseForm.owner": st.sampled_from(["", "1", "2", "3", "99999999999"]),
        "CaseForm.evangelist": st.sampled_from(["", *map(str, ids["evangelist_ids"])]),
        # The open dialogue: a theme's period (now and then the wrong way round: refused),
        # its scope, an idea's town, a comment's stance and the comment it answers, a vote.
        "opens_at": st.sampled_from(["2026-12-01T09:00", "2027-01-01T00:00", "2026-13-01T09:00", ""]),
        "closes_at": st.sampled_from(["2027-01-31T18:00", "2026-11-30T09:00", "2026-12-01 10:00", ""]),
        "ThemeForm.scope": st.sampled_from(THEME_SCOPES),
        "ThemeForm.region": st.sampled_from(["", *REGIONS]),
        "ThemeForm.municipality": st.sampled_from(["", "011002", "999999", "01100"]),
        "hold_first_posts": st.sampled_from(["y", ""]),
        "materials-0-url": st.sampled_from(["https://example.jp/資料.pdf", "javascript:alert(1)", ""]),
        "IdeaForm.municipality": st.sampled_from(["", "011002", "131016", "999999"]),
        "IdeaForm.prefecture": st.sampled_from(["", "01", "13", "99"]),
        "IdeaForm.website": st.just(""),
        "CommentForm.website": st.just(""),
        "stance": st.sampled_from(STANCES),
        "parent": st.one_of(st.sampled_from(["", *map(str, ids["comment_ids"])]), extreme_id()),
        "vote": st.sampled_from([*VOTE_VALUES, "withdraw"]),
        "IdeaProfileForm.prefecture": st.sampled_from(["", "01", "13"]),
        # The idea box: a report (of the idea, or of its comment), a decision on a post of
        # the queue (a post that is there, or not), an official answer.
        "ReportForm.reason": st.sampled_from(("", *REPORT_REASONS)),
        "ReportForm.comment": st.sampled_from(["", str(ids["comment_id"]), "99999999", "x"]),
        "ModerationForm.target": st.sampled_from([f"idea-{ids['idea_id']}", f"comment-{ids['comment_id']}",
                                                  f"idea-{ids['held_idea_id']}", "idea-99999999", "nothing"]),
        "ModerationForm.action": st.sampled_from(("hide", "keep", "release", "refuse", "restore", "")),
        "ModerationForm.article": st.sampled_from(["", "1", "8", "0", "9"]),
        "AnswerForm.status": st.sampled_from(IDEA_STATUSES),
        # The application to become an evangelist: its honeypot left empty, the free
        # answers, the privacy notice; a coordinator's decision on a possible duplicate.
        "ApplicationForm.website": st.just(""),
        "community_other": st.sampled_from(["", "Code for 千代田", "<b>x</b>", "{{7*7}}"]),
        "availability": st.one_of(st.just(""), japanese_text()),
        "motivation": st.one_of(st.just(""), japanese_text()),
        "ResolveForm.resolution": st.sampled_from(["someone_else", f"same_person:{ids['candidate']}", "declined",
                                                   "same_person:99999999999", "same_person:x", ""]),
        # A community's registration (its honeypot left empty) and a coordinator's decision:
        # a new community or one of the world's (now and then nobody's), a reason.
        "CommunityRegistrationForm.homepage": st.just(""),
        "CommunityRegistrationForm.member_count": st.sampled_from(["", "0", "12", "1000000", "1000001", "-1"]),
        "how_to_join": st.one_of(japanese_text(), nasty_text()),
        "AcceptRegistrationForm.merge_into": st.sampled_from(["", *map(str, ids["community_ids"]), "99999999"]),
        "DeclineRegistrationForm.reason": st.one_of(japanese_text(), st.just("")),
        # Use cases: the edit form on the version shown (now and then an old one: a
        # conflict), a move, the town's answer about the use case with it.
        "UseCaseForm.kind": st.sampled_from(USE_CASE_KINDS),
        "UseCaseForm.version": st.sampled_from(["1", "2", "0", "99999999999", ""]),
        "UseCaseForm.population_band": st.sampled_from(("", *POPULATION_BANDS)),
        "UseCaseForm.datasets": st.sampled_from(["", "0", "12", "100001", "-1", "１２"]),
        "catalogue_url": st.sampled_from(["https://example.jp/catalog", "javascript:alert(1)", ""]),
        "links-url": st.sampled_from(["https://example.jp/データ.csv", "ftp://example.jp/", ""]),
        "files": st.sampled_from([b"%PDF-1.7\n%%EOF\n", b"\x89PNG\r\n\x1a\n", b"MZ\x90\x00", b""]),
        "remove_files": st.sampled_from(["", "1", "99999999999"]),
        "UseCaseMoveForm.action": st.sampled_from(["submit", "return", "send", "recall", "withdraw", "agree", ""]),
        "UseCaseMoveForm.version": st.sampled_from(["1", "2", "3", ""]),
        "TownAnswerForm.use_case": st.sampled_from([str(ids["town_use_case"]), "99999999", ""]),
        "TownAnswerForm.version": st.sampled_from(["1", "2", ""]),
        "TownAnswerForm.decision": st.sampled_from(["changes_asked", "agreed", ""]),
        "TownAnswerForm.agree": st.sampled_from(["y", ""]),
    }


@functools.cache
def raw_values() -> dict[str, st.SearchStrategy]:
    """Keys that views read from ``request.form`` themselves."""
    return {
        "next": st.one_of(st.sampled_from(["/coordinator/", "//evil.example", "/\\evil", "https://evil.example/",
                                           "/a\x00b", "/\r\nSet-Cookie: a=b"]), nasty_text()),
        "action": st.one_of(st.just("prefecture"), nasty_text()),
        "duplicate": st.one_of(st.sampled_from(["new", "add"]), nasty_text()),
        "row": st.one_of(st.integers(-(2**70), 2**70).map(str), nasty_text()),
        "scope": st.one_of(st.sampled_from(["ticked", "all"]), nasty_text()),
        "confirmed": st.one_of(st.just("1"), nasty_text()),
        "pair": st.one_of(st.tuples(st.integers(-(2**70), 2**70), st.integers(-(2**70), 2**70))
                          .map(lambda p: f"{p[0]}-{p[1]}"), nasty_text()),
        "carry": st.one_of(st.just("status-token-" + "x" * 30), nasty_text()),
        "mode_assignment_proposed": st.one_of(st.sampled_from(["now", "digest", "off"]), nasty_text()),
        "mode_request_message": st.one_of(st.sampled_from(["now", "digest", "off"]), nasty_text()),
        "one": st.one_of(st.integers(-(2**70), 2**70).map(str), nasty_text()),
        "which": st.one_of(st.just("page"), nasty_text()),
        "shown": st.one_of(st.integers(-(2**70), 2**70).map(str), nasty_text()),
        "ids": st.one_of(st.integers(-(2**70), 2**70).map(str), nasty_text()),
        "plan": st.one_of(st.text("0123456789abcdef", min_size=20, max_size=20), nasty_text()),
        "page": st.one_of(st.integers(-(2**70), 2**70).map(str), nasty_text()),
        # An import row's choice when its person may already be there (data.apply_import).
        "duplicate-2": st.one_of(st.sampled_from(["new", "skip", ""]), nasty_text()),
        "duplicates-all": st.one_of(st.sampled_from(["new", "skip", ""]), nasty_text()),
        "codes": st.one_of(st.sampled_from(["012246", "013030", "011002", "999999"]), nasty_text()),
    }


def query_values(world) -> dict[str, st.SearchStrategy]:
    """Plausible values of query-string parameters, by name."""
    return world.cached("query values", lambda: _query_values(world))


def _query_values(world) -> dict[str, st.SearchStrategy]:
    ids = world.ids
    return {
        "prefecture": st.sampled_from(ids["prefectures"]),
        "topic": st.sampled_from(TOPIC_SLUGS),
        "stage": st.sampled_from(ENGAGEMENT_STAGES),
        "engagement_stage": st.sampled_from(ENGAGEMENT_STAGES),
        "open_data_status": st.sampled_from(OPEN_DATA_STATUSES),
        "kind": st.sampled_from(MUNICIPALITY_KINDS + USE_CASE_KINDS),
        # The library's filters (library.index): a town's kind, a population band.
        "town_kind": st.sampled_from(("", *MUNICIPALITY_KINDS, "metropolis")),
        "band": st.sampled_from(("", *POPULATION_BANDS, "1m_plus")),
        "status": st.sampled_from(REQUEST_STATUSES + COMMUNITY_STATUSES + EVANGELIST_STATUSES + USER_STATUSES
                                  + OUTREACH_STATUSES + IDEA_STATUSES + COMMUNITY_REGISTRATION_STATUSES
                                  + ("open",)),
        "role": st.sampled_from(ROLES),
        # Every id filter also gets ids no row can have, every date filter dates at the
        # ends of the calendar: each is either a 400 or shown as a field's error, never a 500.
        "community": st.one_of(st.sampled_from(ids["community_ids"]).map(str), extreme_id()),
        "km": st.integers(1, 200).map(str),
        "owner": st.sampled_from(["", "mine", "none", "1", "99999999999999999999"]),
        "due": st.one_of(recent_date(30), extreme_date()),
        "scope": st.sampled_from(["mine", "all"]),
        "q": japanese_text(),
        "page": st.one_of(st.integers(1, 3).map(str), extreme_id()),
        **{key: st.one_of(st.integers(1, 3).map(str), extreme_id())
           for keys in PAGE_QUERY_KEYS.values() for key in keys},
        "since": st.one_of(recent_date(30), extreme_date()),
        "until": st.one_of(recent_date(30), extreme_date()),
        "from": st.one_of(recent_date(30), extreme_date()),
        "to": st.one_of(recent_date(30), extreme_date()),
        "layers": st.sampled_from(["municipalities,gap", "choropleth", "requests"]),
        "months": st.sampled_from(["12", "24"]),
        "region": st.sampled_from(["", *REGIONS]),
        "fy": st.sampled_from(["", "2019", "2025", "2026", "FY2026", "1999", "2101"]),
        "actor": st.sampled_from(world.emails),
        "action": st.sampled_from(["auth.sign_in", "user.role_changed"]),
        "sort": st.sampled_from(SORTS),
        "voice": st.sampled_from(["", *VOICES]),
        "municipality": st.sampled_from(["", "011002", "999999", "abc"]),
    }


# Page numbers a page reads by hand besides ``page`` (one list of several on the page), and
# other numbers it reads by hand, by endpoint: each is tried as ``page`` is (plausible,
# nasty, beyond every integer column).
PAGE_QUERY_KEYS = {
    "recruitment.recruitment": ("candidate_page", "active_page", "paused_page", "retired_page", "community_page"),
    "admin.merge_people": ("keep", "duplicate"),
    "ideas.idea": ("reply", "report"),  # the comment the comment form answers, or whose report form opens
}

# Parameters every GET page is tried with, whatever form it reads.
COMMON_QUERY_KEYS = ("page", "per_page", "next", "prefecture", "status", "q", "community", "from", "to",
                     "since", "until", "layers", "months", "km", "scope", "due", "owner")


def apply_token(html: str) -> str:
    return re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)


