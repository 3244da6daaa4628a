"""Finding the people already in the network who may be someone being nominated or
imported (issue 20, point 6). The rule itself is ``evangelists.duplicates``; this module
reads the people it needs, in a few statements whatever the number of new people: those
with one of the family names, and those with one of the e-mail addresses (their account's,
or the one their nomination recorded in its ``evangelist.nominated`` audit event).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Evangelist, User
from evangelists.duplicates import Index, Match, Someone, email_key

# Above this many values, reading every row is cheaper than a long IN list (and SQLite
# limits the bound parameters of one statement).
_FEW = 500


def _among(column, values: set) -> sa.ColumnElement[bool]:
    return column.in_(sorted(values)) if len(values) <= _FEW else sa.true()


def nomination_emails() -> sa.Select:
    """(evangelist id, e-mail) of every nomination that recorded an address."""
    email = AuditEvent.after["email"].as_string()
    return (sa.select(AuditEvent.entity_id, email)
            .where(AuditEvent.action == "evangelist.nominated", AuditEvent.entity_type == "evangelist",
                   email.is_not(None)))


def people_index(new: Sequence[Someone]) -> Index:
    """The people who may match any of ``new``, as an ``Index``."""
    families = {" ".join(p.family_name.split()) for p in new if p.family_name}
    emails = {email_key(e) for p in new for e in p.emails}
    if not families and not emails:
        return Index(())
    addresses: dict[int, set[str]] = {}
    ids: set[int] = set()
    if emails:
        for person_id, email in db.session.execute(
            sa.select(Evangelist.id, User.email).join(Evangelist.user).where(_among(User.email, emails))
        ):
            addresses.setdefault(person_id, set()).add(email)
        nominated = nomination_emails()
        if len(emails) <= _FEW:
            nominated = nominated.where(AuditEvent.after["email"].as_string().in_(sorted(emails)))
        for person_id, email in db.session.execute(nominated):
            if person_id is not None and email_key(email) in emails:
                addresses.setdefault(person_id, set()).add(email)
        ids = set(addresses)
    named = _among(Evangelist.family_name, families) if families else sa.false()
    wanted = sa.or_(named, _among(Evangelist.id, ids)) if ids else named
    people = []
    for row in db.session.execute(
        sa.select(Evangelist.id, Evangelist.family_name, Evangelist.given_name, Evangelist.family_name_kana,
                  Evangelist.given_name_kana, Evangelist.home_community_id).where(wanted)
    ):
        people.append(Someone(row.family_name, row.given_name, row.family_name_kana, row.given_name_kana,
                              row.home_community_id, frozenset(addresses.get(row.id, ())), id=row.id))
    return Index(people)


def similar_people(new: Sequence[Someone], *, limit: int | None = None) -> list[list[Match]]:
    """For each of ``new`` (in order), the people we have who may be them and why."""
    index = people_index(new)
    return [index.matches(person, limit=limit) for person in new]


def duplicates_of(person: Evangelist, *, limit: int | None = None) -> list[Match]:
    """The other people who may be ``person`` (the same rule), oldest first."""
    emails = {person.user.email} if person.user is not None else set()
    emails.update(email for _id, email in db.session.execute(
        nomination_emails().where(AuditEvent.entity_id == person.id)) if email)
    someone = Someone(person.family_name, person.given_name, person.family_name_kana, person.given_name_kana,
                      person.home_community_id, frozenset(emails), id=person.id)
    return people_index([someone]).matches(someone, limit=limit)
