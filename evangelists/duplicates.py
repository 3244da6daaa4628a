"""When two records may be the same person (issue 20, point 6): the one rule that
nominating and importing a person both use.

Two people may be the same when they share an e-mail address (compared without regard
to case), or when they have the same family and given name (runs of white space as one
space), the same readings (katakana, ``evangelists.names.normalize_reading``) and the
same home community (or both have none). A person may have several addresses: their
account's and the one their nomination recorded.

The caller builds a :class:`Someone` for each new person and each person it already has;
:class:`Index` finds, for a new person, those who match and why, without comparing every
pair (an import compares thousands of rows with thousands of people).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# Why two people may be the same, in the order they are shown.
REASONS = ("email", "name")
# How many possible matches a nomination or an import row shows.
SHOWN = 5


@dataclass(frozen=True)
class Someone:
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    community_id: int | None
    emails: frozenset[str] = field(default_factory=frozenset)
    id: int | None = None  # the person's number, for people we have


def email_key(email: str) -> str:
    return email.strip().lower()


def _words(text: str | None) -> str:
    return " ".join((text or "").split())


def name_key(person: Someone) -> tuple[str, str, str, str, int | None] | None:
    """What must be equal for the name rule; None for a person without both readings
    (a record from before readings were required matches by e-mail only)."""
    if not (person.family_name_kana and person.given_name_kana):
        return None
    return (_words(person.family_name), _words(person.given_name), person.family_name_kana,
            person.given_name_kana, person.community_id)


def match_reasons(new: Someone, existing: Someone) -> tuple[str, ...]:
    """Why ``existing`` may be ``new`` (a subset of ``REASONS``, in its order); () when
    they are different people."""
    reasons = []
    if {email_key(e) for e in new.emails} & {email_key(e) for e in existing.emails}:
        reasons.append("email")
    key = name_key(new)
    if key is not None and key == name_key(existing):
        reasons.append("name")
    return tuple(reasons)


@dataclass(frozen=True)
class Match:
    person_id: int
    reasons: tuple[str, ...]


class Index:
    """The people we have, looked up by the rule's keys."""

    def __init__(self, people: Iterable[Someone]) -> None:
        self.people: dict[int, Someone] = {}
        self.by_name: dict[tuple, list[int]] = {}
        self.by_email: dict[str, list[int]] = {}
        for person in people:
            if person.id is None or person.id in self.people:
                continue
            self.people[person.id] = person
            key = name_key(person)
            if key is not None:
                self.by_name.setdefault(key, []).append(person.id)
            for email in {email_key(e) for e in person.emails}:
                self.by_email.setdefault(email, []).append(person.id)

    def matches(self, new: Someone, *, limit: int | None = None) -> list[Match]:
        """The people who may be ``new``, oldest (lowest number) first; at most ``limit``."""
        ids: set[int] = set()
        key = name_key(new)
        if key is not None:
            ids.update(self.by_name.get(key, ()))
        for email in {email_key(e) for e in new.emails}:
            ids.update(self.by_email.get(email, ()))
        found = [Match(i, match_reasons(new, self.people[i])) for i in sorted(ids) if i != new.id]
        found = [m for m in found if m.reasons]
        return found[:limit] if limit is not None else found
