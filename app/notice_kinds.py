"""The kinds of notice: who may get each, whether it is about security (always mailed at
once, cannot be turned off), its default mode and where its link leads.

A kind's words are its mail template, ``templates/mail/<kind>.txt``: the first line is the
subject, then one empty line, then the body. The template is rendered once per language
(Japanese, then English below it for people who chose English and for towns, whose
language nobody knows). It gets ``notice``, ``p`` (the notice's params), ``request``
(the request it is about, or None), ``recipient`` (the user, or None for a town),
``link`` (the absolute URL of what it is about, for people with an account) and
``status_link`` (the town's private status page; only in mails to the town, made at
delivery time and never stored). The in-app list shows the subject line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from app.links import external_url
from app.models import Notice

STAFF = ("admin", "coordinator")
EVANGELIST = ("evangelist",)
# A self-registered participant of the idea box (app/ideas/participants.py).
PARTICIPANT = ("participant",)
TOWN = "town"
# Someone who applied on /apply to become an evangelist: an address, no account yet.
APPLICANT = "applicant"
# A community that registered itself on the public form: its contact address, no account.
REGISTRANT = "community_registrant"


def _request_page(notice: Notice) -> str | None:
    if notice.request_id is None:
        return None
    return external_url("coordinator.request_detail", request_id=notice.request_id)


def _assignment_page(notice: Notice) -> str | None:
    if notice.target_type == "assignment" and notice.target_id:
        return external_url("evangelist.home", _anchor=f"assignment-{notice.target_id}")
    return external_url("evangelist.home")


def _thread_page(notice: Notice) -> str | None:
    """An evangelist's link to the request's thread; a coordinator's to the request page."""
    if notice.user is not None and notice.user.role == "evangelist":
        if notice.target_type == "assignment" and notice.target_id:
            # external_url builds with the URL map alone, which knows no ``_anchor``.
            return external_url("evangelist.messages", assignment_id=notice.target_id) + "#latest"
        return external_url("evangelist.home")
    return _request_page(notice)


def _booking_page(notice: Notice) -> str | None:
    """Where a booking notice leads: the booking's page (the evangelist's or staff's)."""
    if notice.target_type == "booking" and notice.target_id:
        return external_url("bookings.booking", booking_id=notice.target_id)
    return _request_page(notice)


def _idea_page(notice: Notice) -> str | None:
    """The idea a notice of the open dialogue is about (its answer is shown there)."""
    if notice.target_type == "idea" and notice.target_id:
        return external_url("ideas.idea", idea_id=notice.target_id) + "#answer"
    return external_url("ideas.index")


def _application_page(notice: Notice) -> str | None:
    """A coordinator's page of a confirmed public application."""
    if notice.target_type == "evangelist_application" and notice.target_id:
        return external_url("recruitment.application", application_id=notice.target_id)
    return external_url("recruitment.recruitment")


def _home(notice: Notice) -> str | None:
    return external_url("public.index")


def _idea_box(notice: Notice) -> str | None:
    return external_url("ideas.index")


# --- links of the reminders' kinds (helper: reminders) -----------------------------------

def _my_assignment(notice: Notice) -> str | None:
    """The evangelist's page at the assignment (``external_url`` has no ``_anchor``)."""
    anchor = f"#assignment-{notice.target_id}" if notice.target_type == "assignment" and notice.target_id else ""
    return external_url("evangelist.home") + anchor


def _request_or_my_assignment(notice: Notice) -> str | None:
    """The request's page for staff, the assignment on their own page for an evangelist."""
    if notice.user is not None and notice.user.role == "evangelist":
        return _my_assignment(notice)
    return _request_page(notice)


def _requests_list(notice: Notice) -> str | None:
    return external_url("coordinator.requests")


def _export_job(notice: Notice) -> str | None:
    """The person's large exports, at the job (``external_url`` has no ``_anchor``)."""
    anchor = f"#job-{notice.target_id}" if notice.target_type == "export_job" and notice.target_id else ""
    return external_url("data.prepared_exports") + anchor


def _use_case_page(notice: Notice) -> str | None:
    """The use case's staff page (the author's and the coordinators')."""
    if notice.target_type == "use_case" and notice.target_id:
        return external_url("use_cases.detail", use_case_id=notice.target_id)
    return external_url("use_cases.queue")


@dataclass(frozen=True)
class Kind:
    name: str
    label: object  # a lazy string: the kind's name on the preferences page
    audience: tuple[str, ...]  # roles, and/or TOWN for a request's contact
    link: Callable[[Notice], str | None] = _home
    security: bool = False
    default: str = "now"  # NOTICE_MODES
    # The line under each mail saying why the person gets it (besides the kind's label).
    reason: object = field(default=None)


def _kinds(*kinds: Kind) -> dict[str, Kind]:
    return {kind.name: kind for kind in kinds}


KINDS: dict[str, Kind] = _kinds(
    # --- requests arriving (core) ---------------------------------------------------------
    Kind("request_received", _l("Your request was received"), (TOWN,)),
    Kind("request_new", _l("A new request arrived"), STAFF, link=_request_page),
    # --- the daily digest of notices a person chose to get once a day (core) --------------
    Kind("digest", _l("Daily digest of notices"), STAFF + EVANGELIST),
    # --- matching: proposals and answers (helper: events) ---------------------------------
    Kind("assignment_proposed", _l("You were proposed for a request"), EVANGELIST, link=_assignment_page),
    Kind("assignment_accepted", _l("An evangelist accepted a proposal"), STAFF, link=_request_page),
    Kind("assignment_declined", _l("An evangelist declined a proposal"), STAFF, link=_request_page),
    Kind("proposal_withdrawn", _l("A proposal to you was withdrawn"), EVANGELIST, link=_assignment_page),
    # A coordinator sent the request back, or the town withdrew it: the evangelist's work stops.
    Kind("work_called_off", _l("Your work on a request was called off"), EVANGELIST, link=_assignment_page),

    # --- messages and internal notes (helper: dialogue) -----------------------------------
    # A message in a request's thread: to the coordinators and the assigned evangelist.
    Kind("request_message", _l("A new message on a request"), STAFF + EVANGELIST, link=_thread_page),
    # A coordinator's or the evangelist's message, mailed to the town with its text.
    Kind("message_to_town", _l("A message about your request"), (TOWN,)),
    # The status link mailed again (/request/status). A town has no preferences: its
    # mails always go at once, so the kind needs no "security" flag.
    Kind("status_link", _l("Your request's status link"), (TOWN,)),

    # --- booked visits (helper: bookings) -------------------------------------------------
    # Times offered: only the town, who picks one through the status link in the mail.
    # The day before a booked visit (app/services/reminders.py): the evangelist and the town.
    Kind("visit_tomorrow", _l("A booked visit is tomorrow"), EVANGELIST + (TOWN,), link=_booking_page),
    Kind("booking_offered", _l("Visit times offered to you"), (TOWN,)),
    # Each of these carries the invitation (.ics) as the booking is when the mail goes out.
    Kind("booking_booked", _l("A visit was booked"), (TOWN,) + STAFF + EVANGELIST, link=_booking_page),
    Kind("booking_moved", _l("A booked visit was moved"), (TOWN,) + STAFF + EVANGELIST, link=_booking_page),
    Kind("booking_cancelled", _l("A booked visit was cancelled"), (TOWN,) + STAFF + EVANGELIST,
         link=_booking_page),

    # --- reminders and the coordinators' morning summary (helper: reminders) --------------
    Kind("request_untriaged", _l("A request waits for triage too long"), STAFF, link=_request_page),
    Kind("proposal_reminder", _l("A proposal waits for your answer"), EVANGELIST, link=_my_assignment),
    Kind("proposal_unanswered", _l("A proposal was not answered"), STAFF, link=_request_page),
    Kind("booking_overdue", _l("An accepted request has no visit booked"), STAFF + EVANGELIST,
         link=_request_or_my_assignment),
    Kind("coordinator_summary", _l("Morning summary of the requests"), STAFF, link=_requests_list),

    # --- visits logged, requests closed, feedback (helper: events) ------------------------
    Kind("visit_logged", _l("A visit was logged"), STAFF, link=_request_page),
    Kind("request_completed", _l("Your request is closed: was the help useful?"), (TOWN,)),

    # --- a large export prepared in the background is ready, or failed (helper: exports) --
    Kind("export_finished", _l("Your large export is ready"), STAFF, link=_export_job),

    # --- the open dialogue (issue 21): an idea one voted on, commented or posted was answered
    Kind("idea_answered", _l("An idea you took part in was answered"), ("participant",) + EVANGELIST + STAFF,
         link=_idea_page),

    # --- use cases (issue 22, app/services/use_cases.py) -----------------------------------
    Kind("use_case_submitted", _l("A use case waits for a coordinator"), STAFF, link=_use_case_page),
    # The town reads the text on its status page (the link is made when the mail is written).
    Kind("use_case_to_town", _l("A use case about your town, for your agreement"), (TOWN,)),
    Kind("use_case_answered", _l("A town answered about a use case"), STAFF + EVANGELIST, link=_use_case_page),

    # --- security: password links (helper: events) ----------------------------------------
    # The link is made when the mail is written (app/mail.py DELIVERY_CONTEXT), never stored.
    Kind("password_invitation", _l("Invitation to set your password"), STAFF + EVANGELIST, security=True),
    Kind("password_reset", _l("Link to set a new password"), STAFF + EVANGELIST + PARTICIPANT, security=True),

    # --- the idea box's self-registration (helper: ideas-participants) ---------------------
    # The link that confirms the address and sets the password, made when the mail is
    # written (app/services/idea_accounts.py registers its DELIVERY_CONTEXT), never stored.
    Kind("idea_verify", _l("Confirm your e-mail address for the idea box"), PARTICIPANT, link=_idea_box,
         security=True),
    # Someone signed up for the idea box with the address of an existing account: the
    # page said "check your mail" as for any address; the owner learns it here.
    Kind("idea_registration_existing", _l("Someone tried to sign up with your address"),
         STAFF + EVANGELIST + PARTICIPANT, link=_idea_box, security=True),

    # --- becoming an evangelist (issue 22, point 6; helper: apply) -------------------------
    # The link that confirms an application's address, made when the mail is written
    # (app/services/applications.py registers its DELIVERY_CONTEXT), never stored.
    Kind("application_confirm", _l("Confirm your application to become an evangelist"), (APPLICANT,),
         security=True),
    Kind("application_received", _l("Someone applied to become an evangelist"), STAFF, link=_application_page),
    Kind("application_appointed", _l("Your application: you are appointed"), (APPLICANT,)),
    Kind("application_declined", _l("Your application to become an evangelist"), (APPLICANT,)),
    # --- communities in public (issue 22.5): a registration's confirmation and outcome ------
    # Mailed to the contact address the registration gave (the registrant has no account).
    # Every subject is fixed: nothing the sender typed goes into one. The confirmation
    # link is made when the mail is written (app/services/community_registrations.py
    # registers its DELIVERY_CONTEXT), never stored; it is the only mail a submission sends.
    Kind("community_registration_confirm", _l("Confirm your community's registration"), (REGISTRANT,),
         security=True),
    # No longer sent (the page after the confirmation says it): kept so that a receipt
    # queued before migration 0031 is still written.
    Kind("community_registration_received", _l("Your community's registration was received"), (REGISTRANT,)),
    Kind("community_registration_accepted", _l("Your community is listed"), (REGISTRANT,)),
    Kind("community_registration_declined", _l("Your community's registration was declined"), (REGISTRANT,)),
)


def kind_of(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown notice kind {name!r}: add it to app/notice_kinds.py KINDS") from None


def kinds_for(role: str) -> list[Kind]:
    """The kinds a person of ``role`` can get, for their preferences page."""
    return [kind for kind in KINDS.values() if role in kind.audience]
