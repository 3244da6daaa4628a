"""Human labels for the domain's closed vocabularies, translated per request.

Keys are the stored values (``evangelists.vocabulary``); a test checks that every value
has a label, so a new status cannot reach a page untranslated.
"""

from __future__ import annotations

import functools

from flask_babel import force_locale, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

LABELS = {
    # The search box's groups (evangelists.search.KINDS) and what a hit matched (FIELDS).
    "search_kind": {
        "municipality": _l("Municipalities"),
        "request": _l("Requests"),
        "evangelist": _l("Evangelists and candidates"),
        "community": _l("Communities"),
        "account": _l("Accounts"),
    },
    "search_field": {
        "name": _l("Name"),
        "reading": _l("Reading"),
        "romaji": _l("Romaji"),
        "email": _l("E-mail"),
        "number": _l("Request number"),
        "contact": _l("Contact person"),
        "department": _l("Department"),
        "municipality": _l("Municipality"),
    },
    "municipality_kind": {
        "city": _l("City"),
        "designated_city": _l("Designated city"),
        "special_ward": _l("Special ward"),
        "town": _l("Town"),
        "village": _l("Village"),
    },
    "open_data_status": {
        "active": _l("Open data published"),
        "non_active": _l("Not yet started"),
    },
    # The town's relation to the programme, not its open data (that is the column above):
    # a town that publishes on its own and never asked is "no request yet", not "no contact".
    # One word per thing across the status vocabularies (a test holds it): "Active" is a
    # community's, "In service" an evangelist's, "Can sign in" an account's.
    "engagement_stage": {
        # No request and no outreach case (app/services/outreach.py).
        "none": _l("No contact yet"),
        "outreach": _l("Reached out to"),
        "requested": _l("Requested help"),
        "assigned": _l("Evangelist in charge"),
        "visited": _l("Visited"),
        # Reached after an outcome that starts open data, or from the national survey.
        "active": _l("Started publishing"),
    },
    "community_status": {
        "active": _l("Active"),
        "dormant": _l("Dormant"),
    },
    # A community's registration through the public form (issue 22.5).
    "community_registration_status": {
        "unconfirmed": _l("Contact address not confirmed yet"),
        "pending": _l("Waiting for review"),
        "accepted": _l("Accepted"),
        "declined": _l("Declined"),
    },
    # How big a community is, in the public directory.
    "member_band": {
        "under_10": _l("Fewer than 10 members"),
        "10_29": _l("10–29 members"),
        "30_99": _l("30–99 members"),
        "100_plus": _l("100 members or more"),
    },
    # Where a community's or evangelist's coordinates come from.
    "location_source": {
        "municipality": _l("The municipality's office"),
        "geocoded": _l("Geocoded from the address"),
        "manual": _l("Typed in by a coordinator"),
    },
    "evangelist_status": {
        "candidate": _l("Candidate"),
        "active": _l("In service"),
        "paused": _l("Paused"),
        "retired": _l("Retired"),
    },
    # A public application to become an evangelist (APPLICATION_STATUSES).
    "application_status": {
        "unconfirmed": _l("Address not confirmed yet"),
        "in_pipeline": _l("Candidate from an application"),
        "possible_duplicate": _l("Possible duplicate, to check"),
        "same_person": _l("Joined to an existing record"),
        "appointed": _l("Applicant appointed"),
        "declined": _l("Application declined"),
    },
    "notice_mail": {
        "pending": _l("Waiting to be sent"),
        "sending": _l("Being sent"),
        "sent": _l("Sent"),
        "failed": _l("Failed"),
        "digest": _l("Kept for the daily digest"),
        "none": _l("Not mailed"),
    },
    "notice_mode": {
        "now": _l("Mail at once"),
        "digest": _l("Daily digest"),
        "off": _l("Do not mail"),
    },
    "user_role": {
        "admin": _l("Admin"),
        "coordinator": _l("Coordinator"),
        "evangelist": _l("Evangelist"),
        "participant": _l("Idea box participant"),
    },
    # The open dialogue (evangelists.ideas): a participant's voice, a comment's stance, an
    # idea's official status, what the public sees of a post, report reasons, the public
    # moderation log's actions, a theme's scope and phase, the list's orders.
    "idea_voice": {
        "resident_business": _l("Resident or business"),
        "it_industry": _l("IT industry"),
        "municipal_staff": _l("Municipal staff"),
        "national_staff": _l("National government staff"),
        "other": _l("Other"),
    },
    "idea_stance": {
        "agree": _l("Agree"),
        "disagree": _l("Disagree"),
        "neutral": _l("Neutral"),
    },
    "idea_status": {
        "received": _l("Received, not yet answered"),
        "considering": _l("Under consideration"),
        "adopted": _l("Adopted"),
        "realised": _l("Realised"),
        "declined": _l("Not taken up"),
    },
    "idea_visibility": {
        "shown": _l("Shown"),
        "held": _l("Waiting for review"),
        "hidden": _l("Hidden by a moderator"),
    },
    "idea_report_reason": {
        "abuse": _l("Abusive or discriminatory"),
        "personal_data": _l("Reveals personal data"),
        "spam": _l("Spam or advertising"),
        "off_topic": _l("Off topic"),
        "other": _l("Something else"),
    },
    "idea_moderation_action": {
        "hidden": _l("Hidden"),
        "kept": _l("Report answered: kept"),
        "released": _l("Released after review"),
        "refused": _l("Not published after review"),
        "restored": _l("Shown again"),
    },
    # What a coordinator decides on a post of the moderation queue (app.services.moderation.ACTIONS).
    "idea_moderation_decision": {
        "hide": _l("Hide it (names an article of the terms)"),
        "keep": _l("Keep it: the reports are unfounded"),
        "release": _l("Release it: show it"),
        "refuse": _l("Refuse it (names an article of the terms)"),
        "restore": _l("Show it again"),
    },
    "idea_theme_scope": {
        "national": _l("Nationwide"),
        "region": _l("A region"),
        "prefecture": _l("A prefecture"),
        "municipality": _l("A municipality"),
    },
    "idea_theme_phase": {
        "upcoming": _l("Opens soon"),
        "open": _l("Open for ideas"),
        "closed": _l("Closed"),
    },
    "idea_sort": {
        "new": _l("Newest"),
        "agreed": _l("Most agreed"),
        "discussed": _l("Most discussed"),
        "trending": _l("Trending"),
    },
    # Derived, not stored: see app.services.admin.user_status.
    "user_status": {
        "active": _l("Can sign in"),
        "invited": _l("Invited, no password yet"),
        "deactivated": _l("Deactivated"),
    },
    "request_status": {
        "new": _l("New"),
        "triaged": _l("Triaged"),
        "assigned": _l("Evangelist assigned"),
        "scheduling": _l("Visit times offered"),
        "scheduled": _l("Visit scheduled"),
        "completed": _l("Completed"),
        # Not "Declined": in Japanese that word (辞退) reads as the municipality's choice.
        "declined": _l("Not taken on"),
        "withdrawn": _l("Withdrawn"),
    },
    # What the municipality reads on its status page, in plain words.
    "request_stage": {
        "new": _l("Received: a coordinator will look at it soon."),
        # Also while an evangelist is only proposed (app.services.requests.town_view).
        "triaged": _l("We are finding an evangelist for you."),
        "assigned": _l("An evangelist is assigned and will contact you."),
        "scheduling": _l("The evangelist offered visit times: please pick one below."),
        "scheduled": _l("A visit is scheduled."),
        "completed": _l("Completed. Thank you for working with us."),
        "declined": _l("Declined."),
        "withdrawn": _l("Withdrawn at your request."),
    },
    # The coordinator's decision on another person's addition to an open request.
    "addition_status": {
        "pending": _l("Waiting for a decision"),
        "accepted": _l("Accepted into the thread"),
        "rejected": _l("Rejected"),
    },
    "request_mode": {
        "onsite": _l("At our office"),
        "online": _l("Online"),
        "either": _l("Either is fine"),
    },
    # How a request reached the programme (REQUEST_SOURCES).
    "request_source": {
        "form": _l("Web form"),
        "phone": _l("Phone"),
        "email": _l("E-mail"),
        "post": _l("Post"),
        "in_person": _l("In person"),
        "outreach": _l("Outreach, with the town’s consent"),
    },
    # An outreach case (evangelists.vocabulary.OUTREACH_STATUSES).
    "outreach_status": {
        "planned": _l("Not contacted yet"),
        "contacted": _l("Contacted"),
        "interested": _l("Interested"),
        "declined": _l("Not interested"),
        "request": _l("Became a request"),
        "closed": _l("Closed"),
    },
    "outreach_channel": {
        "phone": _l("By phone"),
        "email": _l("By e-mail"),
        "post": _l("By post"),
        "visit": _l("Visit"),
        "event": _l("At an event"),
        "online": _l("Online meeting"),
    },
    "assignment_status": {
        "proposed": _l("Proposed"),
        "accepted": _l("Accepted"),
        "completed": _l("Assignment completed"),
        "declined": _l("Declined"),
        "cancelled": _l("Cancelled"),
    },
    "booking_status": {
        "offered": _l("Times offered, waiting for the town"),
        "booked": _l("Visit booked"),
        "cancelled": _l("Visit cancelled"),
        "replaced": _l("Replaced by other times"),
    },
    "visit_mode": {
        "onsite": _l("On site"),
        "online": _l("Online"),
    },
    "outcome_type": {
        "open_data_published": _l("Open data published"),
        "datasets_published": _l("Datasets published"),
        "catalog_launched": _l("Data catalog launched"),
        "policy_adopted": _l("Open data policy adopted"),
        "event_held": _l("Event held"),
        "community_formed": _l("Community formed"),
        "follow_up_needed": _l("Follow-up needed"),
        "no_change": _l("No change yet"),
    },
    # Self-reported and optional (PRODUCT.md §3): the empty choice is "prefer not to say".
    "age_band": {
        "under_20": _l("Under 20"),
        "20s": _l("20–29"),
        "30s": _l("30–39"),
        "40s": _l("40–49"),
        "50s": _l("50–59"),
        "60s": _l("60–69"),
        "70_plus": _l("70 or older"),
    },
    "gender": {
        "female": _l("Female"),
        "male": _l("Male"),
        "nonbinary": _l("Non-binary"),
        "other": _l("Another gender"),
    },
    # Languages an evangelist can advise in.
    "language": {
        "ja": _l("Japanese"),
        "en": _l("English"),
        "zh": _l("Chinese"),
        "ko": _l("Korean"),
        "pt": _l("Portuguese"),
        "es": _l("Spanish"),
        "vi": _l("Vietnamese"),
        "tl": _l("Tagalog"),
    },
    "region": {
        "hokkaido": _l("Hokkaido"),
        "tohoku": _l("Tohoku"),
        "kanto": _l("Kanto"),
        "chubu": _l("Chubu"),
        "kinki": _l("Kinki"),
        "chugoku": _l("Chugoku"),
        "shikoku": _l("Shikoku"),
        "kyushu": _l("Kyushu and Okinawa"),
    },
    # Use cases (事例, issue 22).
    "use_case_kind": {
        "story": _l("Use case"),
        "participation": _l("Widening participation"),
    },
    "use_case_status": {
        "draft": _l("Draft"),
        "with_coordinator": _l("With the coordinator"),
        "with_town": _l("With the town for agreement"),
        "changes_asked": _l("Changes asked by the town"),
        "published": _l("Published"),
        "withdrawn": _l("Withdrawn"),
    },
    "use_case_town_decision": {
        "changes_asked": _l("Asked for changes"),
        "agreed": _l("Agreed to publication"),
    },
    "population_band": {
        "under_10k": _l("Under 10,000 people"),
        "10k_50k": _l("10,000–50,000 people"),
        "50k_100k": _l("50,000–100,000 people"),
        "100k_300k": _l("100,000–300,000 people"),
        "300k_plus": _l("300,000 people or more"),
    },
}


# What an import holds (evangelists.imports.KINDS) and how its file was read.
KIND_LABELS = {
    "municipality_status": _l("Municipalities’ open-data status (the national survey)"),
    "communities": _l("Communities"),
    "candidates": _l("Evangelist candidates"),
}

# A row of an import whose person may already be in the network (evangelists.imports).
DUPLICATE_CHOICE_LABELS = {
    "new": _l("Import as a different person"),
    "skip": _l("Do not import this row"),
}

# Why someone may be the same person (evangelists.duplicates.REASONS).
MATCH_REASON_LABELS = {
    "email": _l("same e-mail address"),
    "name": _l("same name, reading and community"),
}

ENCODING_LABELS = {
    "utf-8-sig": _l("UTF-8 (with BOM)"),
    "utf-8": _l("UTF-8"),
    "cp932": _l("Shift_JIS"),
}


def describe_reasons(reasons) -> str:
    """A match's reasons (``evangelists.matching`` codes, tuples or the lists they become
    in JSON) in words: "12 km away · covers 3 of 4 topics · 1 of 3 slots in use"."""
    words = []
    for code, *values in reasons:
        if code == "distance_km":
            words.append(_("%(km)s km away", km=format_decimal(values[0], "#,##0")))
        elif code == "coverage":
            matched, total = values
            words.append(_("covers %(matched)s of %(total)s topics", matched=matched, total=total)
                         if total else _("no topics named"))
        elif code == "load":
            words.append(_("%(used)s of %(capacity)s slots in use", used=values[0], capacity=values[1]))
        elif code == "same_prefecture":
            words.append(_("same prefecture"))
        elif code == "visited_before":
            words.append(_("visited this municipality before"))
        elif code == "online":
            # Not "online only": the person can also visit; here online is how they would help.
            words.append(_("Can help online"))
    return " · ".join(words)


def _format_day(value) -> str:
    from app.templating import format_day  # app.templating imports this module

    return format_day(value)


def describe_obstacles(obstacles) -> str:
    """Why someone cannot take a request (``app.services.matching.Considered.obstacles``)
    in words: "every slot in use (2 of 2) · 343 km away, travels up to 100 km"."""
    words = []
    for code, *values in obstacles:
        if code == "no_free_slot":
            words.append(_("at capacity (%(used)s of %(capacity)s slots in use)", used=values[0], capacity=values[1]))
        elif code == "too_far":
            words.append(_("too far to visit (%(km)s km away, travels up to %(radius)s km)",
                           km=format_decimal(values[0], "#,##0"), radius=format_decimal(values[1], "#,##0")))
        elif code == "no_online":
            words.append(_("does not advise online"))
        elif code == "status":
            words.append(_("not active (%(status)s)", status=label("evangelist_status", values[0])))
        elif code == "paused_until":
            words.append(_("paused until %(date)s", date=_format_day(values[0])))
        elif code == "declined_before":
            words.append(_("declined this request before"))
        elif code == "already_holds":
            words.append(_("already proposed for this request"))
    return " · ".join(words)


def label(vocabulary: str, value: str | None) -> str:
    """The translated label of ``value`` in ``vocabulary``; the raw value if unknown."""
    if value is None:
        return ""
    locale = get_locale()
    if locale is None:  # outside a request or app context: the untranslated text
        return str(LABELS[vocabulary].get(value, value))
    return labels_in(str(locale))[vocabulary].get(value, value)


@functools.lru_cache(maxsize=8)
def labels_in(locale: str) -> dict[str, dict[str, str]]:
    """Every label translated into ``locale``, made once: a list page shows hundreds of
    labels, and each lazy string would look the request's translations up again (about
    10 µs). Flask-Babel keeps loaded catalogues for the life of the process too. Needs an
    app context; don't change the dicts."""
    with force_locale(locale):
        return {name: {k: str(v) for k, v in values.items()} for name, values in LABELS.items()}


def choices(vocabulary: str) -> list[tuple[str, str]]:
    """``(value, label)`` pairs for a select field, in vocabulary order."""
    return [(value, str(text)) for value, text in LABELS[vocabulary].items()]
