"""Audit events in words: each event type's label and sentence, the actor's name and the
before/after as rows of (field, before, after), in the reader's language.

The one vocabulary of events: the request page's history, the evangelist record and the
admin audit log all show events through :func:`describe_event` (a template global).
tests/web/test_event_words.py fails if an event type recorded anywhere in ``app/`` has no
entry in ``EVENTS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.labels import ENCODING_LABELS, KIND_LABELS, label
from app.notice_kinds import KINDS
from app.services.audit import referenced_names
from app.templating import format_day

# event type -> (label, sentence). The sentence names the actor as %(actor)s; a sentence
# without it is about something no one in particular did (a failed sign-in).
EVENTS: dict[str, tuple[Any, Any]] = {
    # A support request
    "request.submitted": (_l("Request received"), _l("%(actor)s sent the request")),
    "request.recorded": (_l("Request recorded by staff"),
                         _l("%(actor)s recorded a request the municipality made outside the web form")),
    "request.triaged": (_l("Triaged"), _l("%(actor)s triaged the request")),
    "request.assigned": (_l("Evangelist proposed"), _l("%(actor)s proposed an evangelist for the request")),
    "request.scheduling": (_l("Visit times offered"), _l("%(actor)s offered visit times")),
    "request.scheduled": (_l("Visit scheduled"), _l("%(actor)s scheduled the visit")),
    "request.unscheduled": (_l("Visit no longer scheduled"),
                            _l("%(actor)s cancelled the visit; the evangelist offers other times")),
    "request.completed": (_l("Request completed"), _l("%(actor)s completed the request")),
    "request.declined": (_l("Not taken on"), _l("%(actor)s decided not to take the request on")),
    "request.withdrawn": (_l("Request withdrawn"), _l("%(actor)s withdrew the request")),
    "request.sent_back": (_l("Sent back"), _l("%(actor)s sent the request back")),
    "request.owner_changed": (_l("Owner changed"), _l("%(actor)s changed who owns the request")),
    "request.message_added": (_l("Message"), _l("%(actor)s wrote a message")),
    "request.feedback_given": (_l("Feedback"), _l("%(actor)s said how useful the help was")),
    "request.note_added": (_l("Internal note"), _l("%(actor)s added an internal note")),
    "request.status_link_sent": (_l("Status link mailed again"),
                                 _l("%(actor)s asked for the status link; it was mailed to the request's address")),
    "request.status_link_renewed": (_l("New status link mailed"),
                                    _l("%(actor)s asked for the status link; a new one was mailed to the request's "
                                       "address and the old one stopped working")),
    "request.addition_received": (_l("Another person joined"),
                                  _l("%(actor)s: another person of the municipality asked to join the request")),
    "request.addition_recorded": (_l("Addition recorded by staff"),
                                  _l("%(actor)s recorded another person of the municipality asking to join the "
                                     "request")),
    "request.addition_accepted": (_l("Addition accepted"), _l("%(actor)s accepted another person into the request")),
    "request.addition_rejected": (_l("Addition rejected"), _l("%(actor)s rejected another person's addition")),
    # An assignment (an evangelist proposed for a request)
    "assignment.proposed": (_l("Evangelist proposed"), _l("%(actor)s proposed an evangelist")),
    "assignment.accepted": (_l("Assignment accepted"), _l("%(actor)s accepted the assignment")),
    "assignment.declined": (_l("Assignment declined"), _l("%(actor)s declined the assignment")),
    "assignment.cancelled": (_l("Assignment cancelled"), _l("%(actor)s cancelled the assignment")),
    "assignment.withdrawn": (_l("Proposal withdrawn"), _l("%(actor)s withdrew the proposal")),
    "assignment.completed": (_l("Assignment completed"), _l("%(actor)s completed the assignment")),
    # A booked visit (app/services/bookings.py)
    "booking.offered": (_l("Visit times offered"), _l("%(actor)s offered visit times")),
    "booking.booked": (_l("Visit booked"), _l("%(actor)s picked a visit time")),
    "booking.moved": (_l("Visit moved"), _l("%(actor)s moved the visit")),
    "booking.cancelled": (_l("Visit cancelled"), _l("%(actor)s cancelled the visit")),
    "booking.replaced": (_l("Visit times replaced"), _l("%(actor)s offered other visit times")),
    "calendar_feed.made": (_l("Calendar feed link made"), _l("%(actor)s made a new calendar feed link")),
    "calendar_feed.turned_off": (_l("Calendar feed turned off"), _l("%(actor)s turned the calendar feed off")),
    # A visit
    # Use cases (issue 22, app/services/use_cases.py)
    "use_case.drafted": (_l("Use case drafted"), _l("%(actor)s drafted the use case from a completed request")),
    "use_case.updated": (_l("Use case edited"), _l("%(actor)s edited the use case")),
    "use_case.submitted": (_l("Use case submitted"), _l("%(actor)s submitted the use case to the coordinators")),
    "use_case.returned": (_l("Use case returned to its author"), _l("%(actor)s returned the use case to its author")),
    "use_case.sent": (_l("Use case sent to the town"), _l("%(actor)s sent the use case to the town for agreement")),
    "use_case.recalled": (_l("Use case recalled"), _l("%(actor)s recalled the use case to the coordinators")),
    "use_case.withdrawn": (_l("Use case withdrawn"), _l("%(actor)s withdrew the use case")),
    "use_case.changes_asked": (_l("Town asked for changes"), _l("%(actor)s asked for changes to the use case")),
    "use_case.agreed": (_l("Town agreed to publication"),
                        _l("%(actor)s agreed that the use case is published")),
    "visit.logged": (_l("Visit logged"), _l("%(actor)s logged a visit")),
    "visit.updated": (_l("Visit changed"), _l("%(actor)s changed the visit")),
    "visit.corrected": (_l("Visit corrected"), _l("%(actor)s corrected the visit")),
    # A municipality
    "municipality.activated": (_l("Municipality's stage changed"), _l("%(actor)s's visit moved the municipality on")),
    # An evangelist
    "evangelist.nominated": (_l("Nominated as a candidate"), _l("%(actor)s nominated a candidate")),
    "evangelist.appointed": (_l("Appointed"), _l("%(actor)s appointed the evangelist")),
    "evangelist.reappointed": (_l("Appointed again"), _l("%(actor)s appointed the evangelist again")),
    "evangelist.paused": (_l("Paused"), _l("%(actor)s paused the evangelist")),
    "evangelist.resumed": (_l("Resumed"), _l("%(actor)s resumed the evangelist")),
    "evangelist.retired": (_l("Retired"), _l("%(actor)s retired the evangelist")),
    "evangelist.declined": (_l("Candidate declined"), _l("%(actor)s declined the candidate")),
    # A public application to become an evangelist (app/services/applications.py)
    "application.submitted": (_l("Application sent"), _l("%(actor)s sent an application on the public form")),
    "application.in_pipeline": (_l("Application became a candidate"),
                                _l("%(actor)s: the application entered the pipeline as a candidate")),
    "application.possible_duplicate": (_l("Application held as a possible duplicate"),
                                       _l("%(actor)s confirmed the application; it may be someone the network "
                                          "has")),
    "application.same_person": (_l("Application joined to an existing record"),
                                _l("%(actor)s joined the application to the record of the same person")),
    "application.appointed": (_l("Applicant told: appointed"),
                              _l("%(actor)s closed the application: the applicant is appointed")),
    "application.declined": (_l("Applicant told: declined"), _l("%(actor)s declined the application")),
    "application.expired_removed": (_l("Unconfirmed applications deleted"),
                                    _l("%(actor)s deleted applications whose confirmation link expired")),
    "evangelist.updated": (_l("Details changed by a coordinator"), _l("%(actor)s changed the evangelist's details")),
    "evangelist.profile_updated": (_l("Profile changed"), _l("%(actor)s changed the profile")),
    "person.merged": (_l("Two records of one person merged"),
                      _l("%(actor)s merged a duplicate record of this person into this one")),
    # A community
    "community.created": (_l("Community added"), _l("%(actor)s added the community")),
    "community.updated": (_l("Community changed"), _l("%(actor)s changed the community")),
    "community.status_changed": (_l("Community status changed"), _l("%(actor)s changed the community's status")),
    # A community's registration through the public form (issue 22.5)
    "community_registration.submitted": (_l("Community registration received"),
                                         _l("%(actor)s registered the community on the public form")),
    "community_registration.confirmed": (_l("Community registration confirmed"),
                                         _l("%(actor)s confirmed the registration's contact address by the "
                                            "mailed link")),
    "community_registration.expired_removed": (_l("Unconfirmed community registrations deleted"),
                                               _l("%(actor)s deleted community registrations whose confirmation "
                                                  "link expired")),
    "community_registration.accepted": (_l("Community registration accepted"),
                                        _l("%(actor)s accepted the community's registration")),
    "community_registration.declined": (_l("Community registration declined"),
                                        _l("%(actor)s declined the community's registration")),
    # Accounts and signing in
    "auth.signed_in": (_l("Signed in"), _l("%(actor)s signed in")),
    "auth.signed_out": (_l("Signed out"), _l("%(actor)s signed out")),
    "auth.sign_in_failed": (_l("Sign-in failed"), _l("A sign-in failed")),
    "auth.second_factor_failed": (_l("Wrong authentication code"), _l("%(actor)s gave a wrong authentication code")),
    "auth.recovery_code_used": (_l("Recovery code used"), _l("%(actor)s signed in with a recovery code")),
    "auth.current_password_failed": (_l("Wrong current password"), _l("%(actor)s gave a wrong current password")),
    "user.created": (_l("Account created"), _l("%(actor)s created an account")),
    "user.invited": (_l("Invited"), _l("%(actor)s invited someone")),
    "user.reset_link_created": (_l("Password link made"), _l("%(actor)s made a password link")),
    "user.password_set_by_invitation": (_l("Password chosen"), _l("%(actor)s chose a password from the invitation")),
    "user.password_set_by_reset": (_l("Password reset"), _l("%(actor)s reset the password")),
    "user.password_changed": (_l("Password changed"), _l("%(actor)s changed the password")),
    "user.role_changed": (_l("Role changed"), _l("%(actor)s changed a role")),
    "user.regions_changed": (_l("Regions changed"), _l("%(actor)s changed the regions a coordinator works in")),
    "user.deactivated": (_l("Account deactivated"), _l("%(actor)s deactivated an account")),
    "user.reactivated": (_l("Account reactivated"), _l("%(actor)s reactivated an account")),
    "user.second_factor_enabled": (_l("Second factor set up"), _l("%(actor)s set up a second factor")),
    "user.second_factor_removed": (_l("Second factor removed"), _l("%(actor)s removed the second factor")),
    "user.recovery_codes_renewed": (_l("Recovery codes renewed"), _l("%(actor)s renewed the recovery codes")),
    "user.totp_secrets_reencrypted": (_l("Second-factor keys re-encrypted"),
                                      _l("%(actor)s re-encrypted the second-factor keys")),
    "request.status_tokens_resealed": (_l("Status links sealed again"),
                                       _l("%(actor)s sealed the requests' status links with the new key")),
    # Data loaded by commands
    "gazetteer.loaded": (_l("Municipality list loaded"), _l("%(actor)s loaded the municipality list")),
    "gazetteer.population_loaded": (_l("Populations loaded"),
                                    _l("%(actor)s loaded the municipalities' populations")),
    "topics.synced": (_l("Topics updated"), _l("%(actor)s updated the topics")),
    "import.applied": (_l("Data imported"), _l("%(actor)s imported a file")),
    "demo.seeded": (_l("Demo data made"), _l("%(actor)s made the demo data")),
    # Notices (app/notices, app/admin: the failed list)
    "notice.retried": (_l("Notification sent again"), _l("%(actor)s had a failed notification sent again")),
    "notice.preferences_changed": (_l("Notification mail settings changed"),
                                   _l("%(actor)s changed which notifications are mailed")),
    # Outreach to a town that has not asked (app/services/outreach.py)
    "outreach.opened": (_l("Outreach case opened"), _l("%(actor)s opened an outreach case for the municipality")),
    "outreach.contact_logged": (_l("Contact with the town logged"),
                                _l("%(actor)s logged a contact with the municipality")),
    "outreach.updated": (_l("Outreach case changed"), _l("%(actor)s changed the outreach case")),
    "outreach.helper_note": (_l("Note from the evangelist asked"),
                             _l("%(actor)s, asked to reach out to the municipality, added a note")),
    "outreach.closed": (_l("Outreach case closed"), _l("%(actor)s closed the outreach case")),
    "outreach.turned_into_request": (_l("Outreach turned into a request"),
                                     _l("%(actor)s recorded a request for the municipality, with its consent")),
    # The open dialogue's themes (app/services/ideas.py)
    "idea_theme.opened": (_l("Idea box theme opened"), _l("%(actor)s opened a theme of the idea box")),
    "idea_theme.changed": (_l("Idea box theme changed"), _l("%(actor)s changed a theme of the idea box")),
    # The open dialogue's moderation and official answers (app/services/moderation.py, idea_answers.py)
    "idea_post.moderated": (_l("Idea box post moderated"),
                            _l("%(actor)s decided on a reported or held post of the idea box")),
    "idea.answered": (_l("Idea answered"), _l("%(actor)s set the idea's status and official answer")),
    # The idea box's own accounts (app/services/idea_accounts.py).
    "idea_account.registered": (_l("Signed up to the idea box"),
                                _l("%(actor)s signed up to the idea box and agreed to its terms of use")),
    "idea_account.registration_for_existing": (_l("Idea box sign-up with a known address"),
                                               _l("Someone tried to sign up to the idea box with the address of "
                                                  "an existing account; its owner was told")),
    "idea_account.verification_mailed_again": (_l("Idea box confirmation mailed again"),
                                               _l("The link to confirm an idea box sign-up was mailed again")),
    "idea_account.verified": (_l("Idea box address confirmed"),
                              _l("%(actor)s confirmed their address and chose a password")),
    "idea_account.unverified_removed": (_l("Unconfirmed idea box sign-ups removed"),
                                        _l("%(actor)s removed idea box sign-ups never confirmed")),
    "idea_account.exported": (_l("Idea box data downloaded"),
                              _l("%(actor)s downloaded their idea box data")),
    "idea_account.left": (_l("Left the idea box"), _l("%(actor)s left the idea box (their work account stays)")),
    "idea_account.deleted": (_l("Idea box account deleted"),
                             _l("%(actor)s deleted their idea box account; their posts stay as a withdrawn "
                                "user's")),
}

# A request put back to be matched again (an evangelist declined, a follow-up is needed)
# is also "request.triaged", but nobody triaged it.
_BACK_TO_MATCHING = _l("%(actor)s put the request back to be matched again")

# "request.recorded" says how the town asked (``after["source"]``).
_RECORDED = {
    "phone": _l("%(actor)s recorded a request received by phone"),
    "email": _l("%(actor)s recorded a request received by e-mail"),
    "post": _l("%(actor)s recorded a request received by post"),
    "in_person": _l("%(actor)s recorded a request received in person"),
    "outreach": _l("%(actor)s recorded a request from an outreach case, with the town's consent"),
}

# Actors without an account (``AuditEvent.actor_label``).
ACTORS = {
    "municipality": _l("The municipality"),
    "system": _l("The system"),
    "applicant": _l("The applicant"),
    "registrant": _l("Someone on the public form"),
}

_UNKNOWN = _l("Unknown")

# What an event is about (``AuditEvent.entity_type``).
ENTITIES = {
    "support_request": _l("Request"),
    "assignment": _l("Assignment"),
    "visit": _l("Visit"),
    "municipality": _l("Municipality"),
    "evangelist": _l("Evangelist"),
    "community": _l("Community"),
    "community_registration": _l("Community registration"),
    "user": _l("User"),
    "gazetteer": _l("Municipality list"),
    "topic": _l("Topics"),
    "import": _l("Import"),
    "demo": _l("Demo data"),
    "notice": _l("Notification"),
    "outreach_case": _l("Outreach case"),
    "idea": _l("Idea"),
    "idea_comment": _l("Comment on an idea"),
    "idea_profile": _l("Idea box profile"),
    "idea_theme": _l("Idea box theme"),
    "evangelist_application": _l("Application to become an evangelist"),
    "use_case": _l("Use case"),
}

# A payload's field -> (label, vocabulary of app.labels or a kind of value below).
# "status" takes the vocabulary of the event's entity (STATUS_VOCABULARY).
FIELDS: dict[str, tuple[Any, str | None]] = {
    "status": (_l("Status"), None),
    "role": (_l("Role"), "user_role"),
    "email": (_l("E-mail"), None),
    "method": (_l("Sign-in method"), "#method"),
    "purpose": (_l("Purpose"), "#purpose"),
    "count": (_l("Number"), "#number"),
    "open_data_status": (_l("Open data"), "open_data_status"),
    "engagement_stage": (_l("Stage"), "engagement_stage"),
    "request": (_l("Request"), "#ref"),
    "evangelist": (_l("Evangelist"), "#evangelist"),
    "assignment": (_l("Assignment"), "#ref"),
    "visit": (_l("Visit"), "#ref"),
    "addition": (_l("Addition"), "#ref"),
    "user": (_l("User"), "#user"),
    "owner": (_l("Owner"), "#user"),
    "regions": (_l("Regions"), "region"),
    "score": (_l("Score"), "#score"),
    "rating": (_l("Usefulness (1 to 5)"), "#number"),
    "reason": (_l("Reason"), "#reason"),
    "withdrawn_assignment": (_l("Proposal withdrawn"), "#ref"),
    "cancelled_assignments": (_l("Assignments cancelled"), "#ref"),
    "handed_back": (_l("Assignments handed back"), "#ref"),
    "follow_up": (_l("Follow-up needed"), None),
    "outcomes": (_l("Outcomes"), "outcome_type"),
    "visited_on": (_l("Date of the visit"), "#date"),
    "mode": (_l("Mode"), "visit_mode"),
    "duration_minutes": (_l("Duration (minutes)"), "#number"),
    "attendee_count": (_l("Attendees"), "#number"),
    "attendee_departments": (_l("Departments attending"), None),
    "topics": (_l("Topics"), None),
    "skills": (_l("Topics"), None),
    "summary": (_l("Summary"), None),
    "next_steps": (_l("Next steps"), None),
    "municipality": (_l("Municipality"), "#municipality_code"),
    "home_municipality": (_l("Home municipality"), "#municipality_code"),
    "sender": (_l("Sent by"), "#sender"),
    "source": (_l("Received by"), "request_source"),
    "received_on": (_l("Received on"), "#date"),
    "name": (_l("Name"), None),
    "family_name": (_l("Family name"), None),
    "given_name": (_l("Given name"), None),
    "website": (_l("Website"), None),
    "member_count": (_l("Members"), "#number"),
    "contact_email": (_l("Contact e-mail"), None),
    "description": (_l("Description"), None),
    "address": (_l("Address"), None),
    "lat": (_l("Latitude"), None),
    "lon": (_l("Longitude"), None),
    "location_source": (_l("Location from"), "location_source"),
    "community": (_l("Community"), "#community"),
    "note": (_l("Note"), None),
    "appointed_on": (_l("Appointed on"), "#date"),
    "paused_until": (_l("Paused until"), "#date"),
    "status_since": (_l("Since"), "#date"),
    "account": (_l("Account"), None),
    "open_assignments": (_l("Open assignments"), "#number"),
    "capacity": (_l("Capacity"), "#number"),
    "travel_radius_km": (_l("Travel radius (km)"), "#number"),
    "online_ok": (_l("Online visits"), None),
    "languages": (_l("Languages"), "language"),
    "private_fields_changed": (_l("Private details changed"), "#field"),
    # use_case.* (app/services/use_cases.py)
    "use_case_kind": (_l("Kind of use case"), "use_case_kind"),
    "title": (_l("Title"), None),
    "starting_point": (_l("Starting point"), None),
    "what_was_done": (_l("What was done"), None),
    "results": (_l("Results"), None),
    "advice": (_l("Advice to other towns"), None),
    "catalogue_url": (_l("Data catalogue"), None),
    "datasets": (_l("Datasets"), "#number"),
    "people": (_l("People involved"), None),
    "time_taken": (_l("Time it took"), None),
    "population_band": (_l("Population"), "population_band"),
    "links": (_l("Links"), None),
    "texts_changed": (_l("Texts changed"), "#field"),
    "files_added": (_l("Files added"), None),
    "files_removed": (_l("Files removed"), None),
    "version": (_l("Version"), "#number"),
    "town_message": (_l("The town's message"), None),
    "linked_visits": (_l("Visits it came from"), "#ref"),
    "linked_outcomes": (_l("Outcomes it came from"), "#ref"),
    "kind": (_l("Kind"), "#import_kind"),
    "encoding": (_l("Encoding"), "#encoding"),
    "rows": (_l("Rows"), "#number"),
    "created": (_l("Created"), "#number"),
    "updated": (_l("Updated"), "#number"),
    "unchanged": (_l("Unchanged"), "#number"),
    "skipped": (_l("Skipped"), "#number"),
    "notices": (_l("Notices"), "#number"),
    "added": (_l("Added"), "#number"),
    "prefectures_added": (_l("Prefectures added"), "#number"),
    "prefectures_updated": (_l("Prefectures updated"), "#number"),
    "municipalities_added": (_l("Municipalities added"), "#number"),
    "municipalities_updated": (_l("Municipalities updated"), "#number"),
    "seed": (_l("Seed"), None),
    "communities": (_l("Communities"), "#number"),
    "evangelists": (_l("Evangelists"), "#number"),
    "requests": (_l("Requests"), "#number"),
    "age_band": (_l("Age"), "age_band"),
    "family_name_kana": (_l("Family name reading"), None),
    "given_name_kana": (_l("Given name reading"), None),
    # person.merged (app/services/merge.py)
    "kept": (_l("Record kept"), "#evangelist"),
    "merged": (_l("Record merged into it"), "#ref"),
    "nonce": (_l("Confirmation"), None),
    "moved_assignments": (_l("Assignments moved"), "#ref"),
    "moved_visits": (_l("Visits moved"), "#number"),
    "moved_outcomes": (_l("Outcomes moved"), "#number"),
    "moved_bookings": (_l("Bookings moved"), "#number"),
    "moved_events": (_l("History entries moved"), "#ref"),
    "added_skills": (_l("Topics added"), None),
    "readings_taken": (_l("Reading taken from the merged record"), None),
    "account_action": (_l("The merged record's account"), "#account_action"),
    "account_of_merged": (_l("Account of the merged record"), "#user"),
    "moved_rows": (_l("Other rows moved"), None),
    # import.applied of candidates who may already be there (app/services/imports.py)
    "imported_as_new": (_l("Lines imported as different people"), None),
    "left_out": (_l("Lines left out"), None),
    "matched_people": (_l("People they may be"), "#evangelist"),
    "gender": (_l("Gender"), "gender"),
    "contact": (_l("Contact"), "#ref"),
    "channel": (_l("Contact method"), "outreach_channel"),
    "contacted_on": (_l("Contacted on"), "#date"),
    "ask": (_l("Asked to do"), None),
    "next_step": (_l("Next step"), None),
    "next_on": (_l("Next date"), "#date"),
    "reached_out": (_l("Reached out"), None),
    "consent_by": (_l("Consent given by"), None),
    "consent_how": (_l("Consent given by way of"), "outreach_channel"),
    "consented_on": (_l("Consent given on"), "#date"),
    "application": (_l("Public application"), "#ref"),
    "matches": (_l("People they may be"), "#evangelist"),
    # community_registration.* and a community listed in public (issue 22.5)
    "public": (_l("Listed in the public directory"), None),
    "how_to_join": (_l("How to join"), None),
    "merge": (_l("Merged into a known community"), None),
}

STATUS_VOCABULARY = {
    "support_request": "request_status",
    "assignment": "assignment_status",
    "evangelist": "evangelist_status",
    "community": "community_status",
    "community_registration": "community_registration_status",
    "outreach_case": "outreach_status",
    "idea": "idea_status",
    "evangelist_application": "application_status",
    "use_case": "use_case_status",
}

_SMALL_VOCABULARIES = {
    "#purpose": {"invitation": _l("Invitation"), "reset": _l("Password reset"),
                 "change_password": _l("Changing the password"),
                 "remove_second_factor": _l("Removing the second factor")},
    "#sender": {"municipality": _l("The municipality"), "coordinator": _l("A coordinator"),
                "evangelist": _l("The evangelist")},
    "#method": {"password": _l("Password"), "password+totp": _l("Password and authenticator app"),
                "password+recovery_code": _l("Password and recovery code"),
                "password_demo_waiver": _l("Password (demo, no second factor)")},
    # Coded reasons the services write; a reason someone typed is shown as typed.
    "#reason": {"evangelist_paused": _l("The evangelist was paused"),
                "evangelist_retired": _l("The evangelist retired")},
    "#import_kind": KIND_LABELS,
    "#account_action": {"move": _l("Moved to the record kept"),
                        "deactivate": _l("Deactivated (the record kept has its own)")},
    "#encoding": ENCODING_LABELS,
}

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class EventView:
    """An event as a person reads it."""

    action: str  # the code, for admins
    when: datetime
    label: str
    sentence: str
    actor: str
    target: str  # "Request #12", "User #3 山田 花子"
    changes: tuple[Change, ...]
    address: str | None  # the client's IP address, for admins


def event_label(action: str) -> str:
    """The event type's label; the code itself if the vocabulary lacks it."""
    entry = EVENTS.get(action)
    return str(entry[0]) if entry else action


def actor_name(event) -> str:
    """Who did it: a user's display name (never the e-mail), or the name of an actor
    without an account ("The municipality" / "自治体", "The system" / "システム")."""
    user = event.actor
    if event.action == "auth.sign_in_failed" and user is None:
        return str(_UNKNOWN)  # someone not signed in: not "the system"
    if user is not None:
        return user.display_name or user.email
    known = ACTORS.get(event.actor_label or "system")
    return str(known) if known is not None else event.actor_label


def _sentence(event, actor: str) -> str:
    entry = EVENTS.get(event.action)
    if entry is None:
        return f"{actor}: {event.action}"
    template = entry[1]
    if event.action == "request.triaged" and (event.before or {}).get("status") in ("assigned", "scheduled"):
        template = _BACK_TO_MATCHING
    if event.action == "request.recorded":
        template = _RECORDED.get((event.after or {}).get("source"), template)
    return str(template) % {"actor": actor}


_NAMED = {"#evangelist": "evangelist", "#user": "user", "#community": "community",
          "#municipality_code": "municipality_code"}


def _show(value: Any, vocabulary: str | None, names: dict) -> str:
    """A payload value in words: coded values through app.labels, dates as dates, ids and
    codes of people and places by name (``names``: app.services.audit.referenced_names)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(_show(v, vocabulary, names) for v in value)
    if vocabulary in _NAMED:
        name = names.get((_NAMED[vocabulary], value))
        return name if name is not None else (f"#{value}" if isinstance(value, int) else str(value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if vocabulary == "#ref":
        return f"#{value}"
    if vocabulary == "#field":
        return str(FIELDS[value][0]) if value in FIELDS else str(value)
    if vocabulary == "#score" and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value * 100:.0f}"  # as the suggestions show it: 0.128399 -> 13
    if vocabulary == "#number" and isinstance(value, int | float):
        return f"{value:,}"
    if vocabulary in _SMALL_VOCABULARIES:
        return str(_SMALL_VOCABULARIES[vocabulary].get(value, value))
    if vocabulary == "#date" or (isinstance(value, str) and _ISO_DAY.match(value)):
        try:
            return format_day(date.fromisoformat(value) if isinstance(value, str) else value)
        except (TypeError, ValueError):
            return str(value)
    if vocabulary and not vocabulary.startswith("#"):
        return label(vocabulary, value)
    return str(value)


def changes(event, names: dict | None = None, *, known: dict | None = None) -> tuple[Change, ...]:
    """The before/after as rows, in the payloads' order (before's keys first). ``known``:
    fields the page already says (``{"request": 12}`` on request 12's page), left out
    where neither side differs from it."""
    before, after = event.before or {}, event.after or {}
    names = names or {}
    known = known or {}
    rows = []
    for key in [*before, *(k for k in after if k not in before)]:
        if key in known and all(side.get(key, known[key]) == known[key] for side in (before, after)):
            continue
        title, vocabulary = FIELDS.get(key, (key, None))
        if event.action == "notice.preferences_changed":  # kind of notice -> mode
            kind = KINDS.get(key)
            title, vocabulary = (kind.label if kind is not None else key), "notice_mode"
        if key == "status":
            if event.action.startswith("request.addition_"):
                vocabulary = "addition_status"
            else:
                vocabulary = STATUS_VOCABULARY.get(event.entity_type)
        if key == "mode" and event.entity_type == "support_request":
            vocabulary = "request_mode"
        rows.append(Change(
            str(title),
            _show(before[key], vocabulary, names) if key in before else "",
            _show(after[key], vocabulary, names) if key in after else "",
        ))
    return tuple(rows)


def describe_event(event, names: dict | None = None, *, known: dict | None = None) -> EventView:
    """``event`` (an ``AuditEvent``) in the reader's language; ``names`` from
    ``app.services.audit.referenced_names`` (without it, ids show as "#12"); ``known`` as
    for ``changes``."""
    names = names or {}
    actor = actor_name(event)
    entity = ENTITIES.get(event.entity_type)
    target = str(entity) if entity is not None else event.entity_type
    if event.entity_id is not None:
        named = names.get((event.entity_type, event.entity_id))
        target = f"{target} #{event.entity_id}" + (f" {named}" if named else "")
    return EventView(
        action=event.action,
        when=event.created_at,
        label=event_label(event.action),
        sentence=_sentence(event, actor),
        actor=actor,
        target=target,
        changes=changes(event, names, known=known),
        address=event.client_address,
    )


def describe_events(events, *, targets: bool = False, known: dict | None = None) -> list[EventView]:
    """Each event described, with the names its payloads refer to looked up once (one
    query per kind named); ``targets``: the names of what the events are about too (the
    audit log; a page about one thing knows what it is about, and passes it as ``known``,
    e.g. ``{"request": 12}``, so no row repeats it)."""
    events = list(events)
    names = referenced_names(events, targets=targets)
    return [describe_event(event, names, known=known) for event in events]
