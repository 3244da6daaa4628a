"""What the application keeps about its own data rather than the programme's."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from app.extensions import db


class DataVersion(db.Model):
    """One row whose ``number`` goes up in every transaction that writes anything, in that
    transaction (see ``app/page_cache.py``). A page rendered at version N is still right
    while the number is N, whichever worker or server asks. Not part of a data export."""

    __tablename__ = "data_version"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(sa.BigInteger, default=0)


_WROTE = "evn_wrote"  # Session.info flag: this transaction has written something
_BUMP = sa.update(DataVersion).where(DataVersion.id == 1).values(number=DataVersion.number + 1)
_READ = "SELECT number FROM data_version WHERE id = 1"
# A text statement is a read only if it is a plain SELECT (a WITH may hold an UPDATE).
_SELECT_TEXT = re.compile(r"\s*select\b(?!.*\b(nextval|setval)\s*\()", re.IGNORECASE | re.DOTALL)


def _note_write(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    statement = state.statement
    if isinstance(statement, sa.TextClause) and _SELECT_TEXT.match(statement.text):
        return
    state.session.info[_WROTE] = True


def _note_flush(session: Session, _context) -> None:
    session.info[_WROTE] = True


def _bump_before_commit(session: Session) -> None:
    if session.in_nested_transaction() or not has_unsaved_writes(session):
        return  # a savepoint's release: the outer transaction counts at its commit
    # Flush first, so the version row is the last row this transaction locks: two
    # writers never wait on each other's rows while holding it (PostgreSQL).
    session.flush()
    if session.execute(_BUMP).rowcount == 0:  # the row is gone (a test emptied the table)
        session.add(DataVersion(id=1, number=1))
        session.flush()


def _forget_writes(session: Session, *_args) -> None:
    session.info.pop(_WROTE, None)


def _forget_writes_of_root(session: Session, previous_transaction) -> None:
    # A savepoint rolled back: what the outer transaction wrote before it still counts.
    if not previous_transaction.nested:
        _forget_writes(session)


def listen_for_writes(session_class: type[Session]) -> None:
    """Count up the data version in every transaction of ``session_class`` that writes:
    an ORM flush, or an INSERT, UPDATE, DELETE or other non-SELECT statement. Writes made
    outside a session (on a connection) must call :func:`bump_data_version` themselves."""
    if sa.event.contains(session_class, "before_commit", _bump_before_commit):
        return
    sa.event.listen(session_class, "do_orm_execute", _note_write)
    sa.event.listen(session_class, "after_flush", _note_flush)
    sa.event.listen(session_class, "before_commit", _bump_before_commit)
    sa.event.listen(session_class, "after_commit", _forget_writes)
    sa.event.listen(session_class, "after_soft_rollback", _forget_writes_of_root)


def note_write(session: Session) -> None:
    """Count this transaction of ``session`` as writing, for statements run on its
    connection at the driver level (``exec_driver_sql``), which its events do not see:
    the version goes up once, at commit, as for any other write."""
    session.info[_WROTE] = True


def bump_data_version(connection: sa.Connection) -> None:
    """Count the version up on ``connection``, in its transaction (for writes that go
    around the session, such as a data import)."""
    if connection.execute(_BUMP).rowcount == 0:
        connection.execute(sa.insert(DataVersion).values(id=1, number=1))


def data_version(session: Session) -> int:
    """The current number (0 when the row is missing)."""
    number = session.connection().exec_driver_sql(_READ).scalar()
    return 0 if number is None else number


def has_unsaved_writes(session: Session) -> bool:
    """Whether ``session`` has written, or holds changes to write, since its last commit."""
    return bool(session.info.get(_WROTE) or session.new or session.dirty or session.deleted)
