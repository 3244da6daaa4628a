"""The closed vocabularies of the domain: statuses, kinds, modes, outcome types, topics.

Every enumerated column in the database and every choice list in a form is built from
these tuples, so a value can be added in exactly one place. Labels for people are given
in English here and translated by the web layer (Flask-Babel); topic tags carry both
languages because they are data that other systems exchange.
"""

from __future__ import annotations

from dataclasses import dataclass

MUNICIPALITY_KINDS = ("city", "designated_city", "special_ward", "town", "village")

OPEN_DATA_STATUSES = ("active", "non_active")

# A municipality's engagement with the programme, driven by the request workflow: "none"
# means no request yet (not "no open data": that is OPEN_DATA_STATUSES, a separate fact, so
# a town publishing on its own is open-data "active" at stage "none"); "assigned" comes when
# an evangelist accepts; "active" when an outcome starts open data or the survey says so.
# "outreach" is a town the programme went to before it asked: an outreach case is open
# (app/services/outreach.py), so "none" means no request and no outreach.
# Each status vocabulary has words of its own (app.labels; tests/test_status_words.py).
ENGAGEMENT_STAGES = ("none", "outreach", "requested", "assigned", "visited", "active")

COMMUNITY_STATUSES = ("active", "dormant")
# A community's registration through the public form (issue 22.5): waiting for the
# registrant to confirm the contact address by the mailed link (unconfirmed: no
# coordinator sees it), then waiting for a coordinator (pending), accepted (a public
# community was created, or a known one updated from it), declined (with a reason the
# registrant is mailed).
COMMUNITY_REGISTRATION_STATUSES = ("unconfirmed", "pending", "accepted", "declined")
# Registrations a coordinator may see and decide from (all but the unconfirmed ones).
REVIEWED_REGISTRATION_STATUSES = ("pending", "accepted", "declined")
# How big a community is, as the public directory says it (a band, not the exact count;
# evangelists.community_names.member_band).
MEMBER_BANDS = ("under_10", "10_29", "30_99", "100_plus")
# Where a community's or evangelist's coordinates come from: the municipality's office
# (default), a geocoded address, or typed in by a coordinator.
LOCATION_SOURCES = ("municipality", "geocoded", "manual")

EVANGELIST_STATUSES = ("candidate", "active", "paused", "retired")

# A public application to become an evangelist (issue 22, point 6): waiting for the
# applicant to confirm their address; then a new candidate in the pipeline, or a possible
# duplicate for a coordinator to decide (someone else: a new candidate; the same person as
# someone we have: joined to that record); finally the outcome the applicant is told.
APPLICATION_STATUSES = ("unconfirmed", "in_pipeline", "possible_duplicate", "same_person", "appointed",
                        "declined")
# Applications a coordinator still has to act on or whose person is still waiting.
OPEN_APPLICATION_STATUSES = ("in_pipeline", "possible_duplicate", "same_person")

REQUEST_STATUSES = (
    "new",
    "triaged",
    "assigned",
    # Visit times offered to the town (app/services/bookings.py), none picked yet.
    "scheduling",
    "scheduled",
    "completed",
    "declined",
    "withdrawn",
)
OPEN_REQUEST_STATUSES = ("new", "triaged", "assigned", "scheduling", "scheduled")

ASSIGNMENT_STATUSES = ("proposed", "accepted", "completed", "declined", "cancelled")
ACTIVE_ASSIGNMENT_STATUSES = ("proposed", "accepted")

REQUEST_MODES = ("onsite", "online", "either")
# How a request reached the programme: the public form (``/request``), or a coordinator
# recorded what the town said by phone, e-mail, post or in person
# (``/coordinator/requests/new``), or an outreach case turned into a request with the town's
# consent (``outreach``; app/services/outreach.py).
REQUEST_SOURCES = ("form", "phone", "email", "post", "in_person", "outreach")
STAFF_REQUEST_SOURCES = ("phone", "email", "post", "in_person")
# Outreach to a town that has not asked (issue 20, point 7; evangelists/lifecycle.py):
# opened, then contacted; the town is interested, declines, or agrees to a request; or the
# coordinator closes the case. Only one open case per town at a time.
OUTREACH_STATUSES = ("planned", "contacted", "interested", "declined", "request", "closed")
OPEN_OUTREACH_STATUSES = ("planned", "contacted", "interested")
# How the programme reached the town, or how the town gave its consent to a request.
OUTREACH_CHANNELS = ("phone", "email", "post", "visit", "event", "online")
# Who wrote a message the town sees: the town, a coordinator or the assigned evangelist.
MESSAGE_SENDERS = ("municipality", "coordinator", "evangelist")
# Another person's addition to a town's open request, sent through the public form: it
# waits for a coordinator, who accepts it into the request's thread or rejects it.
ADDITION_STATUSES = ("pending", "accepted", "rejected")
VISIT_MODES = ("onsite", "online")

OUTCOME_TYPES = (
    "open_data_published",
    "datasets_published",
    "catalog_launched",
    "policy_adopted",
    "event_held",
    "community_formed",
    "follow_up_needed",
    "no_change",
)
# Recording one of these makes the municipality open-data active (PRODUCT.md §3).
ACTIVATING_OUTCOMES = ("open_data_published", "catalog_launched")

# A participant registered themself to take part in the open dialogue (issue 21) and
# reaches nothing else.
ROLES = ("admin", "coordinator", "evangelist", "participant")
# The roles that work in the programme (everything but the open dialogue).
WORK_ROLES = ("admin", "coordinator", "evangelist")
# Derived from an account's columns, never stored: active, invited (no password yet),
# deactivated.
USER_STATUSES = ("active", "invited", "deactivated")

AGE_BANDS = ("under_20", "20s", "30s", "40s", "50s", "60s", "70_plus")
GENDERS = ("female", "male", "nonbinary", "other")

LANGUAGES = ("ja", "en", "zh", "ko", "pt", "es", "vi", "tl")

# Okinawa is counted in kyushu, as the Japanese 九州・沖縄 regional grouping does.
REGIONS = ("hokkaido", "tohoku", "kanto", "chubu", "kinki", "chugoku", "shikoku", "kyushu")


@dataclass(frozen=True)
class Topic:
    """A topic tag: shared by request topics, evangelist skills and visit topics."""

    slug: str
    name_ja: str
    name_en: str


TOPICS: tuple[Topic, ...] = (
    Topic("open_data_publication", "オープンデータの公開", "Open data publication"),
    Topic("recommended_datasets", "推奨データセット", "Recommended datasets"),
    Topic("data_catalog", "データカタログサイト", "Data catalog site"),
    Topic("policy_guidelines", "オープンデータ方針・ガイドライン", "Open data policy and guidelines"),
    Topic("licensing", "ライセンス（CC BY）", "Licensing (CC BY)"),
    Topic("machine_readable", "機械判読可能な形式", "Machine-readable formats"),
    Topic("dashboards", "ダッシュボード・可視化", "Dashboards and visualisation"),
    Topic("gis", "GIS・地図データ", "GIS and map data"),
    Topic("community_building", "シビックテック・コミュニティづくり", "Civic-tech community building"),
    Topic("hackathons", "ハッカソン・アイデアソン", "Hackathons and ideathons"),
    Topic("e_participation", "住民参加（アイデアボックス・意見募集）", "E-participation (idea boxes, public consultation)"),
    Topic("accessibility", "アクセシビリティ・インクルージョン", "Accessibility and inclusion"),
    Topic("privacy_legal", "プライバシー・法務", "Privacy and legal"),
)
TOPIC_SLUGS = tuple(t.slug for t in TOPICS)

# --- Notices (app/services/notices.py) ------------------------------------------------------
# What happens to a notice's e-mail: waiting for the worker (pending), being sent by a worker
# (sending; back to pending if that worker dies), delivered (sent), given up after the last
# try (failed), kept for the person's daily digest (digest), or not mailed at all (none: the
# person turned the kind off, or no mail server is configured).
NOTICE_MAIL_STATES = ("pending", "sending", "sent", "failed", "digest", "none")
# How a person wants a kind of notice mailed: at once, in the daily digest, or not at all
# (the notice is still listed in the app). Security notices are always mailed at once.
NOTICE_MODES = ("now", "digest", "off")

# --- Booked visits (app/services/bookings.py) ---------------------------------------------------
# An offer of visit times to a town: offered (slots waiting for the town's pick), booked
# (one slot picked: the booking), cancelled (by the evangelist or a coordinator, with a
# reason), replaced (the evangelist offered other times before the town picked).
BOOKING_STATUSES = ("offered", "booked", "cancelled", "replaced")
LIVE_BOOKING_STATUSES = ("offered", "booked")
