"""The shared topic vocabulary, kept in step with ``evangelists.vocabulary.TOPICS``."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Topic
from app.services.audit import record_event
from evangelists.vocabulary import TOPICS


def sync_topics() -> tuple[int, int]:
    """Insert missing topic tags and update changed labels and order.

    Returns ``(added, updated)``; ``(0, 0)`` means the table already matched. Tags that
    were removed from the vocabulary are kept (old requests refer to them).
    """
    existing = {t.slug: t for t in db.session.scalars(sa.select(Topic))}
    added = updated = 0
    for position, topic in enumerate(TOPICS):
        row = existing.get(topic.slug)
        if row is None:
            db.session.add(
                Topic(
                    slug=topic.slug,
                    name_ja=topic.name_ja,
                    name_en=topic.name_en,
                    position=position,
                )
            )
            added += 1
        elif (row.name_ja, row.name_en, row.position) != (topic.name_ja, topic.name_en, position):
            row.name_ja, row.name_en, row.position = topic.name_ja, topic.name_en, position
            updated += 1
    if added or updated:
        record_event(None, "topics.synced", "topic", after={"added": added, "updated": updated})
        db.session.commit()
    return added, updated


def list_topics() -> list[Topic]:
    return list(db.session.scalars(sa.select(Topic).order_by(Topic.position)))
