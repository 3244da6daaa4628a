"""Moving the whole database: a portable, versioned export, its import, and SQLite backups.

The export is a folder::

    manifest.json          format name and version, schema revision, when, from which
                           database, and per table: its file, columns, row count, SHA-256
    tables/<table>.jsonl   one JSON object per row, in primary-key order

Values are plain JSON: text, numbers, booleans, null; dates and timestamps as ISO 8601
(timestamps with their offset); JSON columns as they are. Nothing in it is specific to
SQLite or PostgreSQL, so the same folder loads into either (README "Moving data").

Import loads a folder into a database at the same schema revision, inside one
transaction: every row is written or none. It refuses a database that already holds
rows unless told to replace them.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine, make_url

from app.extensions import db
from app.models.search import SearchDocument
from app.models.system import DataVersion, bump_data_version
from app.services import search
from evangelists.calendar import now_in_japan

FORMAT_NAME = "evangelist-network-data"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES_DIR = "tables"
BATCH = 1000


class DataMoveError(Exception):
    """Something about the folder or the target database that stops an import or export;
    the message says what and where."""


@dataclass
class TableReport:
    name: str
    rows: int


@dataclass
class MoveReport:
    revision: str | None
    tables: list[TableReport] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def _tables() -> list[sa.Table]:
    """Every table of the programme's data, parents before children (foreign keys). The
    data version is not data: it only says when pages must be rendered again, and an
    import counts it up instead (app/page_cache.py). Nor are the search box's documents:
    they are derived from the rest, and an import writes them afresh."""
    derived = (DataVersion.__table__, SearchDocument.__table__)
    return [t for t in db.metadata.sorted_tables if t not in derived]


def schema_revision(conn: Connection) -> str | None:
    """The Alembic revision the database is at (None when it was never migrated)."""
    return MigrationContext.configure(conn).get_current_revision()


# --- Values ---------------------------------------------------------------------------

def _encode(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _decoder(column: sa.Column) -> Callable | None:
    """How to turn the JSON value of ``column`` back into what SQLAlchemy expects: dates
    and timestamps come back from their ISO text; every other value travels as JSON gives it."""
    column_type = column.type
    if isinstance(column_type, sa.TypeDecorator):  # e.g. UTCDateTime: what it stores
        column_type = column_type.impl_instance
    if isinstance(column_type, sa.DateTime):
        return datetime.fromisoformat
    if isinstance(column_type, sa.Date):
        return date.fromisoformat
    return None


# --- Export ---------------------------------------------------------------------------

def export_database(target: Path, *, progress: Callable[[str, int], None] | None = None) -> MoveReport:
    """Write every table to the folder ``target`` (created; must be empty if it exists),
    from one consistent snapshot of the database."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DataMoveError(f"{target} exists and is not an empty folder: choose a new one.")
    (target / TABLES_DIR).mkdir(parents=True, exist_ok=True)
    engine: Engine = db.engine
    manifest_tables = []
    with _snapshot(engine) as conn:
        revision = schema_revision(conn)
        if revision is None:
            raise DataMoveError("This database has no schema yet (run `flask db upgrade`): nothing to export.")
        report = MoveReport(revision)
        for table in _tables():
            path = target / TABLES_DIR / f"{table.name}.jsonl"
            digest = hashlib.sha256()
            count = 0
            with path.open("wb") as fh:
                for row in _rows(conn, table):
                    line = json.dumps(
                        {key: _encode(value) for key, value in row.items()},
                        ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                    ).encode("utf-8") + b"\n"
                    fh.write(line)
                    digest.update(line)
                    count += 1
            manifest_tables.append({
                "name": table.name,
                "file": f"{TABLES_DIR}/{table.name}.jsonl",
                "columns": [c.name for c in table.columns],
                "rows": count,
                "sha256": digest.hexdigest(),
            })
            report.tables.append(TableReport(table.name, count))
            if progress:
                progress(table.name, count)
    manifest = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "schema_revision": revision,
        "exported_at": now_in_japan().isoformat(timespec="seconds"),
        "source": engine.dialect.name,
        "tables": manifest_tables,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return report


class _snapshot:
    """A connection that sees one consistent state of the whole database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Connection:
        if self.engine.dialect.name == "postgresql":
            self.conn = self.engine.connect().execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        else:
            self.conn = self.engine.connect()
            if self.engine.dialect.name == "sqlite":
                # pysqlite opens no transaction for SELECTs, so each table would be read at
                # a different moment; an explicit BEGIN holds one WAL snapshot for all.
                self.conn.exec_driver_sql("BEGIN")
        return self.conn

    def __exit__(self, *exc) -> None:
        self.conn.rollback()
        self.conn.close()


def _rows(conn: Connection, table: sa.Table) -> Iterator[dict]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(yield_per=BATCH).execute(sa.select(table).order_by(*order))
    for row in result.mappings():
        yield dict(row)


# --- Import ---------------------------------------------------------------------------

def read_manifest(source: Path) -> dict:
    source = Path(source)
    path = source / MANIFEST
    if not source.is_dir():
        raise DataMoveError(f"{source} is not a folder: give the folder that `flask data export` wrote.")
    if not path.is_file():
        raise DataMoveError(f"{path} is missing: {source} is not an export of this application.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataMoveError(f"{path} is not valid JSON: {error}.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise DataMoveError(f"{path} does not describe an export of this application (format {FORMAT_NAME!r}).")
    version = manifest.get("version")
    if version != FORMAT_VERSION:
        raise DataMoveError(
            f"{path}: format version {version!r} cannot be read by this version, which reads "
            f"version {FORMAT_VERSION}. Use the application version that wrote it."
        )
    if not isinstance(manifest.get("tables"), list) or not isinstance(manifest.get("schema_revision"), str):
        raise DataMoveError(f"{path} lacks its list of tables or its schema revision.")
    return manifest


def import_database(source: Path, *, replace: bool = False,
                    progress: Callable[[str, int], None] | None = None) -> MoveReport:
    """Load the export in ``source`` into the database, all in one transaction.

    The database must be at the export's schema revision and hold no rows, or ``replace``
    must be given: every row is then deleted first, in the same transaction, so a failed
    import leaves the old data as it was."""
    source = Path(source)
    manifest = read_manifest(source)
    tables = {t.name: t for t in _tables()}
    entries = _check_entries(source, manifest, tables)
    engine: Engine = db.engine
    report = MoveReport(manifest["schema_revision"])
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # Take the write lock now, so the emptiness check and the writes see one state.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        revision = schema_revision(conn)
        if revision != manifest["schema_revision"]:
            raise DataMoveError(
                f"The export is at schema revision {manifest['schema_revision']}, this database at "
                f"{revision or 'none (empty)'}. Bring this database to the export's revision first "
                f"(`flask db upgrade {manifest['schema_revision']}`), import, then `flask db upgrade`."
            )
        occupied = {name: n for name, n in _row_counts(conn).items() if n}
        if occupied and not replace:
            listed = ", ".join(f"{name} ({n})" for name, n in occupied.items())
            raise DataMoveError(
                f"This database already holds rows: {listed}. Import into an empty database "
                "(after `flask db upgrade`), or pass --replace to delete them all first."
            )
        if occupied:
            for table in reversed(_tables()):
                conn.execute(table.delete())
        for table in _tables():
            entry = entries.get(table.name)
            count = 0
            if entry is not None:
                for batch in _batches(_read_rows(source, entry, table)):
                    try:
                        conn.execute(table.insert(), batch)
                    except sa.exc.StatementError as error:
                        reason = str(error.orig or error).splitlines()[0]
                        raise DataMoveError(
                            f"{entry['file']}: a row in lines {count + 1}-{count + len(batch)} "
                            f"cannot go into the {table.name} table ({type(error.orig).__name__}: "
                            f"{reason}). Nothing was imported."
                        ) from None
                    count += len(batch)
            report.tables.append(TableReport(table.name, count))
            if progress:
                progress(table.name, count)
        if engine.dialect.name == "postgresql":
            _reset_sequences(conn)
        search.rebuild_on(conn)
        bump_data_version(conn)  # every page kept by a running server shows the old data
    return report


def _check_entries(source: Path, manifest: dict, tables: dict[str, sa.Table]) -> dict[str, dict]:
    """Check the manifest against the files and the schema before anything is written."""
    entries: dict[str, dict] = {}
    for entry in manifest["tables"]:
        name = entry.get("name") if isinstance(entry, dict) else None
        if name not in tables:
            raise DataMoveError(f"The export has a table {name!r} that this schema does not have.")
        table = tables[name]
        expected = [c.name for c in table.columns]
        if sorted(entry.get("columns") or []) != sorted(expected):
            missing = sorted(set(expected) - set(entry.get("columns") or []))
            extra = sorted(set(entry.get("columns") or []) - set(expected))
            raise DataMoveError(
                f"Table {name}: the export's columns differ from this schema's "
                f"(missing: {', '.join(missing) or 'none'}; unknown: {', '.join(extra) or 'none'})."
            )
        path = source / str(entry.get("file", ""))
        if not path.is_file() or source.resolve() not in path.resolve().parents:
            raise DataMoveError(f"Table {name}: its file {entry.get('file')!r} is missing from {source}.")
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != entry.get("sha256"):
            raise DataMoveError(
                f"{entry['file']} does not match its checksum in {MANIFEST}: the file was changed "
                "or damaged after the export."
            )
        if name in entries:
            raise DataMoveError(f"{MANIFEST} lists the table {name} twice.")
        entries[name] = entry
    missing = sorted(set(tables) - set(entries))
    if missing:
        raise DataMoveError(f"The export has no file for the table(s) {', '.join(missing)}: it is incomplete.")
    return entries


def _read_rows(source: Path, entry: dict, table: sa.Table) -> Iterator[dict]:
    decoders = {c.name: _decoder(c) for c in table.columns}
    count = 0
    with (source / entry["file"]).open("r", encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                raw = json.loads(line)
                if not isinstance(raw, dict) or set(raw) != set(decoders):
                    raise ValueError("its fields are not the table's columns")
                row = {
                    key: (decoders[key](value) if decoders[key] and value is not None else value)
                    for key, value in raw.items()
                }
            except (ValueError, TypeError) as error:
                raise DataMoveError(f"{entry['file']} line {number}: {error}.") from None
            count += 1
            yield row
    if count != entry.get("rows"):
        raise DataMoveError(f"{entry['file']}: {count} rows, but {MANIFEST} says {entry.get('rows')}.")


def _batches(rows: Iterable[dict]) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _row_counts(conn: Connection) -> dict[str, int]:
    return {
        table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for table in _tables()
    }


def _reset_sequences(conn: Connection) -> None:
    """Rows came with their ids: move each id sequence past the highest one, or the next
    insert would collide."""
    for table in _tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
            continue
        column = pk[0].name
        conn.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"COALESCE((SELECT MAX({column}) FROM {table.name}), 0) + 1, false)"
            ),
            {"table": table.name, "column": column},
        )


# --- Backup ---------------------------------------------------------------------------

@dataclass
class BackupReport:
    path: Path
    size: int
    pruned: list[Path]


def sqlite_path() -> Path | None:
    """The file of the app's SQLite database, or None when it is not a SQLite file."""
    url = make_url(str(db.engine.url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def pg_dump_command(url: str, target: str = "evangelists-$(date +%Y%m%dT%H%M%S).dump") -> str:
    """The pg_dump command that backs up the PostgreSQL database at ``url`` (no password
    shown: pg_dump reads it from ~/.pgpass or PGPASSWORD)."""
    # URL.set() ignores None, so the namedtuple's _replace drops the password.
    plain = make_url(url)._replace(drivername="postgresql", password=None)
    return f"pg_dump --format=custom --file={target} '{plain.render_as_string(hide_password=False)}'"


def backup_sqlite(destination: Path, *, keep: int | None = None) -> BackupReport:
    """Copy the live SQLite database to ``destination`` (a folder: a timestamped file is
    made in it; or a file name) with SQLite's online backup API, which gives a consistent
    copy while the app goes on reading and writing. The copy is checked with
    ``PRAGMA integrity_check``. With ``keep``, only the newest ``keep`` backups in the
    folder are kept."""
    source = sqlite_path()
    if source is None:
        raise DataMoveError("The database is not a SQLite file; for PostgreSQL use pg_dump (see `flask data backup --help`).")
    if not source.is_file():
        raise DataMoveError(f"There is no database at {source} yet: nothing to back up.")
    destination = Path(destination)
    if destination.is_dir() or not destination.suffix:
        destination.mkdir(parents=True, exist_ok=True)
        stamp = now_in_japan().strftime("%Y%m%dT%H%M%S")  # Japan's time, as every date here
        target = destination / f"{source.stem}-{stamp}.db"
    else:
        destination.parent.mkdir(parents=True, exist_ok=True)
        target = destination
    if target.exists():
        raise DataMoveError(f"{target} exists already: choose another name.")
    partial = target.with_name(target.name + ".partial")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(partial)
    try:
        # Copy in steps so writers are never held up for long.
        src.backup(dst, pages=1024, sleep=0.005)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise DataMoveError(f"The copy failed its integrity check ({verdict}); the original is untouched.")
    os.replace(partial, target)
    pruned: list[Path] = []
    if keep is not None:
        older = sorted(target.parent.glob(f"{source.stem}-*.db"), key=lambda p: p.name, reverse=True)
        for old in older[keep:]:
            old.unlink()
            pruned.append(old)
    return BackupReport(target, target.stat().st_size, pruned)
