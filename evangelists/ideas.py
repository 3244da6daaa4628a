"""The open dialogue (アイデアボックス, issue 21): its vocabulary, limits and arithmetic.

Framework-free: the themes' phases, the trending score, the rules for a participant's
handle, how a post's plain text is cut into text and links for display, and the
suppression of small groups in the participation statistics.

Trending
--------
An idea's trending score at time ``now`` is

    score(now) = Σ wᵢ · 2^(−(now − tᵢ) / H)

over its activity: the idea itself (w = 3 when posted), each new vote (w = 1) and each
comment or reply (w = 2), with a half-life H of 72 hours. Every idea's score decays by the
same factor as time passes, so ordering by ``score(now)`` is the same as ordering by

    key = log₂ Σ wᵢ · 2^((tᵢ − t₀) / H)          (t₀ = 2020-01-01 UTC)

which does not change while nothing happens. ``key`` is stored on the idea and updated in
the transaction that adds the activity (``add_activity``), so a list sorted by trending is
an index scan like the others.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

# Which voice a participant speaks with, as the Ideabox asked (生活者・事業者, IT業界,
# 自治体職員, 省庁職員, その他).
VOICES = ("resident_business", "it_industry", "municipal_staff", "national_staff", "other")
STANCES = ("agree", "disagree", "neutral")
# The official status of an idea, set by coordinators: 受付 → 検討中 → 採用 → 実現, or 見送り.
IDEA_STATUSES = ("received", "considering", "adopted", "realised", "declined")
# What the public sees of a post: shown, held for review (a new participant's first post in
# a theme that holds them), hidden by a moderator (with the article of the terms).
VISIBILITIES = ("shown", "held", "hidden")
REPORT_REASONS = ("abuse", "personal_data", "spam", "off_topic", "other")
REPORT_RESOLUTIONS = ("hidden", "kept")
# A public moderation log line: a post hidden (with its article), a report answered by
# keeping the post, a held post released or refused.
MODERATION_ACTIONS = ("hidden", "kept", "released", "refused", "restored")
THEME_SCOPES = ("national", "region", "prefecture", "municipality")
SORTS = ("new", "agreed", "discussed", "trending")
VOTE_VALUES = {"agree": 1, "disagree": -1}

HANDLE_MIN = 2
HANDLE_MAX = 30
# The column is wider than a handle may be typed: room for what NFKC makes of it.
HANDLE_COLUMN_MAX = 60
THEME_TITLE_MAX = 120
THEME_READING_MAX = 200
THEME_DESCRIPTION_MAX = 5000
MATERIALS_MAX = 10  # links a theme may list
MATERIAL_LABEL_MAX = 120
IDEA_TITLE_MAX = 100
IDEA_BODY_MAX = 4000
COMMENT_MAX = 2000
ANSWER_MAX = 4000
REPORT_NOTE_MAX = 500
IDEA_TAGS_MAX = 5
IDEA_QUERY_MAX = 100
# The terms of use have this many articles; a hidden post names one of them.
TERMS_ARTICLES = 8
# A group of fewer participants than this is not shown in the participation statistics
# (it is counted in 「その他・非表示」), so that nobody in a small group can be picked out.
SMALL_GROUP = 5

HALF_LIFE = timedelta(hours=72)
TREND_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
WEIGHT_IDEA = 3.0
WEIGHT_VOTE = 1.0
WEIGHT_COMMENT = 2.0

Phase = Literal["upcoming", "open", "closed"]


def phase(opens_at: datetime, closes_at: datetime, now: datetime) -> Phase:
    """Where a theme stands at ``now`` (all aware datetimes): open from ``opens_at``
    inclusive to ``closes_at`` exclusive; read-only before and after."""
    if now < opens_at:
        return "upcoming"
    if now >= closes_at:
        return "closed"
    return "open"


def _exponent(at: datetime) -> float:
    return (at - TREND_EPOCH) / HALF_LIFE


def trend_key(weight: float, at: datetime) -> float:
    """The stored key of one piece of activity alone: log₂(w · 2^((t − t₀)/H))."""
    return math.log2(weight) + _exponent(at)


def add_activity(key: float | None, weight: float, at: datetime) -> float:
    """The key after adding activity of ``weight`` at ``at`` to an idea whose key was
    ``key`` (None: no activity yet). log₂(2^a + 2^b) computed without overflow."""
    b = trend_key(weight, at)
    if key is None:
        return b
    high, low = (key, b) if key >= b else (b, key)
    return high + math.log2(1.0 + 2.0 ** (low - high))


def trend_score(key: float | None, now: datetime) -> float:
    """The decayed score at ``now`` of an idea with stored ``key`` (for display)."""
    if key is None:
        return 0.0
    return 2.0 ** (key - _exponent(now))


_HANDLE = re.compile(r"^[\w\-・ー．. ]+$")


def handle_problem(handle: str) -> str | None:
    """Why ``handle`` cannot be a display name, as a short code, or None when it can.

    Letters of any script, digits, spaces and ``-_・ー.`` only: no ``@`` (an e-mail address
    would make a real identity public) and no markup characters."""
    text = handle.strip()
    if len(text) < HANDLE_MIN:
        return "too_short"
    if len(text) > HANDLE_MAX:
        return "too_long"
    if not _HANDLE.match(text):
        return "characters"
    if text.casefold() in RESERVED_HANDLES:
        return "reserved"
    return None


# Handles that would pass for the programme speaking, or for the withdrawn placeholder.
RESERVED_HANDLES = frozenset(h.casefold() for h in (
    "admin", "administrator", "coordinator", "moderator", "digital agency", "デジタル庁",
    "事務局", "運営", "管理者", "退会したユーザー", "deleted user", "withdrawn",
))


@dataclass(frozen=True)
class Segment:
    """A piece of a post for display: plain text, or a link (``href`` set)."""

    text: str
    href: str | None = None


_LINK = re.compile(r"https?://[^\s<>\"'　、。「」（）()]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"


def segments(text: str) -> list[Segment]:
    """Cut plain ``text`` into text and http(s) links, for a template to render each with
    autoescaping (no HTML is ever produced or kept here: the template escapes every
    segment and writes the ``href`` only for the links found by this pattern)."""
    out: list[Segment] = []
    pos = 0
    for match in _LINK.finditer(text):
        url = match.group(0)
        while url and url[-1] in _TRAILING:
            url = url[:-1]
        end = match.start() + len(url)
        if len(url) <= len("https://"):
            continue
        if match.start() > pos:
            out.append(Segment(text[pos:match.start()]))
        out.append(Segment(url, url))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out


def suppress_small(counts: dict, minimum: int = SMALL_GROUP) -> tuple[dict, int]:
    """``counts`` with every group under ``minimum`` taken out, and how many people those
    groups held together (shown as one 「その他・非表示」 figure). A group of zero is
    kept (it reveals nobody)."""
    shown = {k: v for k, v in counts.items() if v == 0 or v >= minimum}
    hidden = sum(v for k, v in counts.items() if 0 < v < minimum)
    return shown, hidden
