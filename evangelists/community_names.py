"""When a community that registers itself may already be known (issue 22, point 5): the
one rule the public registration form and the coordinators' review both use.

A name is compared by its *key*: NFKC (full-width letters and digits become normal,
half-width kana full-width), case folded, hiragana as katakana, every space, dot, hyphen,
middle dot and similar punctuation taken out, a legal form in front or behind
(一般社団法人, NPO法人, 特定非営利活動法人...) dropped, and the brigade prefix written one way
("Code for", "Code4", "CodeFor", "コードフォー" all become ``codefor``). Two communities in the
same prefecture whose keys are equal are the *same* name; keys that differ by little
(``difflib`` ratio at least :data:`SIMILAR_RATIO`) are *similar*. Communities in different
prefectures never match: Code for Kanagawa is not Code for Kagawa's duplicate, and a
brigade may share a name pattern with another town's.

Also how big a community is said to be in public: a band of its member count
(:func:`member_band`).

The caller builds a :class:`Named` for each candidate and each community or pending
registration it already has; :func:`matches` says which of those the candidate may be.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from evangelists.text import fold_variants, to_katakana
from evangelists.vocabulary import MEMBER_BANDS

# How alike the distinctive parts of two keys (the key without the brigade prefix, which
# every "Code for" name shares) must be to be flagged "similar" (1.0: equal). 0.85 flags
# "sapporo" / "sappro" (a typing slip, 0.92) and "Code for Sapporo" / "Sapporo" (1.0), and
# leaves "chiba" / "chita" (0.8) and "札幌シビックテック" / "旭川シビックテック" (0.78) apart.
SIMILAR_RATIO = 0.85
# Distinctive parts shorter than this are compared for equality only: two short names a
# letter apart ("CfA", "CfB") say nothing.
SIMILAR_MIN_LENGTH = 4
# Why a registration may be a known community, in the order shown.
KINDS = ("same", "similar")
# How many possible matches a registration shows.
SHOWN = 5

_LEGAL_FORMS = (
    "特定非営利活動法人", "一般社団法人", "一般財団法人", "公益社団法人", "公益財団法人", "npo法人",
    "合同会社", "株式会社", "任意団体",
)
# Everything that is not a letter, digit or kana in a key: spaces, dots, hyphens, 中黒,
# long-vowel marks between words are kept (ー is part of katakana words).
_SEPARATORS = re.compile(r"[\s\W_]+", re.UNICODE)
_BRIGADE = re.compile(r"code(?:for|4)|コードフォー?")
BRIGADE = "codefor"


@dataclass(frozen=True)
class Named:
    """A community, a pending registration or the candidate itself: what the rule reads."""

    kind: str  # "community" or "registration"
    id: int | None
    name: str
    prefecture_code: str


@dataclass(frozen=True)
class Match:
    """``other`` may be the candidate: ``how`` is ``same`` (equal keys) or ``similar``,
    ``ratio`` how alike the keys are (1.0 for ``same``)."""

    other: Named
    how: str
    ratio: float


def name_key(name: str) -> str:
    """The form of ``name`` that the rule compares (see the module's docstring); "" for a
    name of punctuation only."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    text = to_katakana(fold_variants(text))
    text = _BRIGADE.sub(BRIGADE, _SEPARATORS.sub("", text))
    changed = True
    while changed:  # "一般社団法人 Code for X" and "Code for X 合同会社" alike
        changed = False
        for form in _LEGAL_FORMS:
            if text.startswith(form) and len(text) > len(form):
                text, changed = text[len(form):], True
            elif text.endswith(form) and len(text) > len(form):
                text, changed = text[: -len(form)], True
    return text


def similarity(a: str, b: str) -> float:
    """How alike two keys (or parts of keys) are, from 0.0 to 1.0 (``difflib``'s ratio)."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def match_of(candidate: Named, other: Named) -> Match | None:
    """How ``other`` may be ``candidate``; None when it is another community (another
    prefecture, another name, or the candidate itself)."""
    if other.prefecture_code != candidate.prefecture_code:
        return None
    if other.kind == candidate.kind and other.id is not None and other.id == candidate.id:
        return None
    a, b = name_key(candidate.name), name_key(other.name)
    if not a or not b:
        return None
    if a == b:
        return Match(other, "same", 1.0)
    a, b = a.removeprefix(BRIGADE), b.removeprefix(BRIGADE)
    if min(len(a), len(b)) < SIMILAR_MIN_LENGTH:
        return None
    ratio = similarity(a, b)
    return Match(other, "similar", ratio) if ratio >= SIMILAR_RATIO else None


def matches(candidate: Named, others: Iterable[Named], *, limit: int = SHOWN) -> list[Match]:
    """Those of ``others`` that may be ``candidate``: the same name first, then by how
    alike, communities before registrations, then by name; at most ``limit``."""
    found = [m for m in (match_of(candidate, other) for other in others) if m is not None]
    found.sort(key=lambda m: (KINDS.index(m.how), -m.ratio, m.other.kind != "community", m.other.name,
                              m.other.id or 0))
    return found[:limit]


# The lowest count of each band of ``MEMBER_BANDS``.
_BAND_FLOORS = (1, 10, 30, 100)


def member_band(count: int | None) -> str | None:
    """The band of ``MEMBER_BANDS`` a member count falls in; None for no count (0)."""
    if not count or count < 1:
        return None
    band = None
    for name, floor in zip(MEMBER_BANDS, _BAND_FLOORS, strict=True):
        if count >= floor:
            band = name
    return band
