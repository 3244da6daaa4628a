"""Use cases (事例, issue 22): one town's story of what worked, shared with other towns.

Framework-free: the kinds, the statuses and how a use case moves between them, the
population bands that "towns like yours" compares, and the limits of the fields.

A use case is drafted by the evangelist of a completed request, edited by a coordinator
and sent to the town, which reads it on its status page and either asks for changes or
agrees. It is public only once the town has agreed (``published``); a coordinator may
withdraw it again. A use case with the town or published is not edited in place: a
coordinator recalls it first (it leaves the library), edits, and sends it to the town again,
which agrees to exactly the text it read (the ``version`` it answered about).

    draft ──submit──▶ with_coordinator ──send──▶ with_town ──agree──▶ published
      ▲                 │      ▲                  │                    │
      └────return───────┘      └───ask changes────┘ (changes_asked)    └─withdraw─▶ withdrawn

Who moves it (``MOVERS``): the author (the evangelist who drafted it) submits or
discards their draft; coordinators (and admins) do everything else but the town's two
answers, which only the town gives, on its status page.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

# 事例: one town's story; 参加の多様化: how a town or community widened who takes part
# (the seed presentation's recommendation).
USE_CASE_KINDS = ("story", "participation")
USE_CASE_STATUSES = ("draft", "with_coordinator", "with_town", "changes_asked", "published", "withdrawn")
PUBLIC_STATUSES = ("published",)
# Who may move a use case from one status to another, and to where.
TRANSITIONS: dict[str, dict[str, str]] = {
    "draft": {"submit": "with_coordinator", "withdraw": "withdrawn"},
    "with_coordinator": {"return": "draft", "send": "with_town", "withdraw": "withdrawn"},
    "with_town": {"ask_changes": "changes_asked", "agree": "published", "recall": "with_coordinator"},
    "changes_asked": {"send": "with_town", "return": "draft", "withdraw": "withdrawn"},
    "published": {"withdraw": "withdrawn", "recall": "with_coordinator"},
    "withdrawn": {"recall": "with_coordinator"},
}
# The town's answer on its status page.
TOWN_DECISIONS = ("changes_asked", "agreed")
# Who may make each move: "author" (the evangelist who drafted it, while a draft),
# "staff" (a coordinator whose regions cover the town, or an admin), "town".
MOVERS: dict[str, frozenset[str]] = {
    "submit": frozenset({"author", "staff"}),
    "return": frozenset({"staff"}),
    "send": frozenset({"staff"}),
    "recall": frozenset({"staff"}),
    "withdraw": frozenset({"author", "staff"}),  # the author: their own draft only
    "ask_changes": frozenset({"town"}),
    "agree": frozenset({"town"}),
}
# The statuses in which the text may be changed, by whom: the author their draft; staff
# anything not with the town nor public (recall it first).
AUTHOR_EDITABLE = ("draft",)
STAFF_EDITABLE = ("draft", "with_coordinator", "changes_asked")

# Population bands (人口規模) by the municipality's population: 1万人未満, 1万〜5万人,
# 5万〜10万人, 10万〜30万人, 30万人以上. Lower bounds, in order.
POPULATION_BANDS = ("under_10k", "10k_50k", "50k_100k", "100k_300k", "300k_plus")
_BAND_FLOORS = (0, 10_000, 50_000, 100_000, 300_000)

USE_CASE_TITLE_MAX = 120
USE_CASE_TEXT_MAX = 8000
USE_CASE_SHORT_MAX = 200  # the people, the time it took
LINKS_MAX = 20
LINK_LABEL_MAX = 200
URL_MAX = 500


class TransitionError(ValueError):
    """A move that the use case's status does not allow."""


def next_status(status: str, action: str) -> str:
    """The status that ``action`` moves a use case in ``status`` to, or TransitionError."""
    try:
        return TRANSITIONS[status][action]
    except KeyError:
        raise TransitionError(f"a use case that is {status!r} cannot be moved by {action!r}") from None


def may_move(status: str, action: str, who: str) -> bool:
    """Whether ``who`` ("author", "staff", "town") may make ``action`` from ``status``:
    the move exists there, and it is theirs (an author acts on a draft only)."""
    if action not in TRANSITIONS.get(status, {}) or who not in MOVERS.get(action, frozenset()):
        return False
    return who != "author" or status == "draft"


def may_edit(status: str, who: str) -> bool:
    """Whether ``who`` ("author" or "staff") may change the text in ``status``."""
    return status in (AUTHOR_EDITABLE if who == "author" else STAFF_EDITABLE if who == "staff" else ())


def population_band(population: int | None) -> str | None:
    """The band of a ``population``; None when it is unknown (or not a population)."""
    if population is None or population < 0:
        return None
    band = POPULATION_BANDS[0]
    for name, floor in zip(POPULATION_BANDS, _BAND_FLOORS, strict=True):
        if population >= floor:
            band = name
    return band


def search_text_of(parts: Iterable[str | None]) -> str:
    """The words a use case is found by, in one text: its ``parts`` (title, texts, town,
    tags) NFKC-folded and lower-cased, one per line, so that a search for ＡＢＣ or abc finds
    ABC. The library folds the query the same way."""
    return "\n".join(fold(part) for part in parts if part and part.strip())


def fold(text: str) -> str:
    """``text`` as the index holds it: NFKC, lower case, runs of spaces made one."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())
