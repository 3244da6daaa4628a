"""Values kept until the data changes (app/services/versioned.py)."""

from __future__ import annotations

from app.services.versioned import until_data_changes
from tests.factories import make_municipality


def test_kept_until_a_commit_writes(db):
    made = []

    def make():
        made.append(1)
        return len(made)

    assert until_data_changes("k", make) == until_data_changes("k", make) == 1
    assert until_data_changes("other", make) == 2  # another key, its own value
    make_municipality()  # a write in progress: its rows are not everyone's yet
    assert until_data_changes("k", make) == 3 and until_data_changes("k", make) == 4
    db.session.commit()
    assert until_data_changes("k", make) == until_data_changes("k", make) == 5
    db.session.rollback()  # reading does not move the version
    assert until_data_changes("k", make) == 5
