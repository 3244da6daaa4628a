"""Moving the whole database: a portable, versioned export, its import, and SQLite backups.

The export is a folder::

    manifest.json          format name and version, schema revision, when, from which
                           database, per table: its file, columns, row count, SHA-256;
                           per use case file: its path, size and SHA-256
    tables/<table>.jsonl   one JSON object per row, in primary-key order
    files/use_case_files/<stored_name>
                           the bytes of each use case file (``use_case_attachments``)

Values are plain JSON: text, numbers, booleans, null; dates and timestamps as ISO 8601
(timestamps with their offset); JSON columns as they are. Nothing in it is specific to
SQLite or PostgreSQL, so the same folder loads into either (README "Moving data").

Import loads a folder into a database at the same schema revision, inside one
transaction: every row is written or none. It refuses a database that already holds
rows unless told to replace them.

Use case files live beside the database, in ``{instance}/use_case_files`` (see
``app/services/use_cases.py``). A stored file is never changed: it is written under a
new random name before the commit that adds its row and removed after the commit that
deletes its row. So the bytes under a name that a snapshot's row names are the row's
bytes, and export, import and backup copy files by their row's name and check them
against the row's SHA-256. Format version 2 carries the files; version 1 folders (made
before) still import, and the import says which files the target folder lacks.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext
from flask import current_app
from sqlalchemy.engine import Connection, Engine, make_url

from app.extensions import db
from app.models.search import SearchDocument
from app.models.system import DataVersion, bump_data_version
from app.models.use_cases import UseCaseAttachment
from app.services import search
from app.services.use_cases import FILES_FOLDER, files_dir
from evangelists.calendar import now_in_japan

FORMAT_NAME = "evangelist-network-data"
# 2: the use case files travel in files/ and the manifest lists them. An import made for
# version 1 would take a version 2 folder for complete and leave every use case without
# its files, so version 2 is refused by it; this one reads both.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
MANIFEST = "manifest.json"
TABLES_DIR = "tables"
FILES_DIR = f"files/{FILES_FOLDER}"
BATCH = 1000
CHUNK = 1 << 20
# A stored name as app.services.use_cases makes it (hex), and nothing that leaves a folder.
_STORED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


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
    files: int = 0  # use case files written (export) or put in place (import)
    file_bytes: int = 0
    # Export: the files left out (--allow-missing-files); import: the files the imported
    # rows name that are not in the instance folder. One line each, naming the use case.
    missing_files: list[str] = field(default_factory=list)
    removed_files: int = 0  # import --replace: files of the replaced rows, removed

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

def export_database(target: Path, *, allow_missing_files: bool = False,
                    progress: Callable[[str, int], None] | None = None) -> MoveReport:
    """Write every table, and the bytes of every use case file, to the folder ``target``
    (created; must be empty if it exists), from one consistent snapshot of the database.

    A use case file that is missing from the instance folder, or whose bytes no longer
    match its row's SHA-256, stops the export (nothing is left in ``target``) with the
    list of them, unless ``allow_missing_files``: they are then left out, listed in the
    manifest's ``missing_files`` and in the report."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DataMoveError(f"{target} exists and is not an empty folder: choose a new one.")
    created = not target.exists()
    try:
        return _export(target, allow_missing_files, progress)
    except BaseException:
        _clear_export(target, created)
        raise


def _clear_export(target: Path, created: bool) -> None:
    """Take back what a failed export wrote into ``target`` (new, or empty before)."""
    for name in (TABLES_DIR, "files"):
        shutil.rmtree(target / name, ignore_errors=True)
    (target / MANIFEST).unlink(missing_ok=True)
    if created:
        try:
            target.rmdir()
        except OSError:
            pass


def _export(target: Path, allow_missing_files: bool, progress) -> MoveReport:
    (target / TABLES_DIR).mkdir(parents=True, exist_ok=True)
    engine: Engine = db.engine
    manifest_tables = []
    with _snapshot(engine) as conn:
        revision = schema_revision(conn)
        if revision is None:
            raise DataMoveError("This database has no schema yet (run `flask db upgrade`): nothing to export.")
        report = MoveReport(revision)
        # The files first, right after the snapshot begins: a file is removed only after
        # the commit that deletes its row, so the shorter the wait, the smaller the chance
        # that a row of the snapshot has lost its file meanwhile.
        manifest_files, problems = _export_files(conn, target, report)
        if problems:
            problems = _name_late_deletions(engine, problems)
            if not allow_missing_files:
                raise DataMoveError(
                    f"{_count_files(len(problems))} of the use cases cannot be exported from {files_dir()}:\n"
                    + "\n".join(f"  {p.line}" for p in problems)
                    + "\nPut the files back (from a backup) and export again, or pass --allow-missing-files "
                    "to export without them (the export and its import list them)."
                )
            report.missing_files = [p.line for p in problems]
        if progress:
            progress("use case files", report.files)
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
        "files": manifest_files,
        "missing_files": [p.as_manifest() for p in problems],
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return report


def _count_files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


@dataclass
class _FileProblem:
    """A use case file that cannot be copied: its row, and what is wrong."""

    row: dict
    reason: str

    @property
    def line(self) -> str:
        return (f"use case {self.row['use_case_id']}, file {self.row['filename']!r} (attachment "
                f"{self.row['id']}, stored as {self.row['stored_name']}): {self.reason}")

    def as_manifest(self) -> dict:
        return {"attachment_id": self.row["id"], "use_case_id": self.row["use_case_id"],
                "filename": self.row["filename"], "stored_name": self.row["stored_name"], "reason": self.reason}


def _attachment_rows(conn: Connection) -> list[dict]:
    table = UseCaseAttachment.__table__
    columns = [table.c[name] for name in ("id", "use_case_id", "filename", "stored_name", "size", "sha256")]
    return [dict(row) for row in conn.execute(sa.select(*columns).order_by(table.c.id)).mappings()]


def _export_files(conn: Connection, target: Path, report: MoveReport) -> tuple[list[dict], list[_FileProblem]]:
    """Copy the file of every attachment row of the snapshot into ``target``/files,
    checking its bytes against the row; returns the manifest's entries and the problems."""
    folder = files_dir()
    entries: list[dict] = []
    problems: list[_FileProblem] = []
    for row in _attachment_rows(conn):
        name = row["stored_name"]
        if not _STORED_NAME.fullmatch(name):
            problems.append(_FileProblem(row, "its stored name is not one this application makes"))
            continue
        out = target / FILES_DIR / name
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            size, digest = _copy_file(folder / name, out)
        except FileNotFoundError:
            problems.append(_FileProblem(row, f"{folder / name} is missing"))
            continue
        except OSError as error:
            out.unlink(missing_ok=True)
            problems.append(_FileProblem(row, f"{folder / name} cannot be read ({error.strerror or error})"))
            continue
        if (size, digest) != (row["size"], row["sha256"]):
            out.unlink(missing_ok=True)
            problems.append(_FileProblem(
                row, f"{folder / name} is damaged ({size} bytes, SHA-256 {digest[:12]}…; "
                     f"its row says {row['size']} bytes, {str(row['sha256'])[:12]}…)"))
            continue
        entries.append({"path": f"{FILES_DIR}/{name}", "size": size, "sha256": digest})
        report.files += 1
        report.file_bytes += size
    return entries, problems


def _name_late_deletions(engine: Engine, problems: list[_FileProblem]) -> list[_FileProblem]:
    """A missing file whose row is gone from the live database was deleted while the
    export ran (after its snapshot began): say so, since exporting again fixes it."""
    table = UseCaseAttachment.__table__
    with engine.connect() as live:
        ids = {p.row["id"] for p in problems}
        alive = set(live.scalars(sa.select(table.c.id).where(table.c.id.in_(ids))))
    for problem in problems:
        if problem.row["id"] not in alive and problem.reason.endswith("is missing"):
            problem.reason += " (the file was deleted while the export ran: export again)"
    return problems


def _copy_file(source: Path, target: Path, *, sync: bool = False) -> tuple[int, str]:
    """Copy ``source`` to the new file ``target``; returns the size and SHA-256 of the
    bytes copied. ``sync``: the bytes are on the disk when it returns."""
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as src, target.open("xb") as dst:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            dst.write(chunk)
        if sync:
            dst.flush()
            os.fsync(dst.fileno())
    return size, digest.hexdigest()


def _file_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _sync_folder(folder: Path) -> None:
    """Make the renames and removals in ``folder`` durable (POSIX; a no-op elsewhere)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
    if version not in READABLE_VERSIONS:
        raise DataMoveError(
            f"{path}: format version {version!r} cannot be read by this version, which reads "
            f"versions {', '.join(map(str, READABLE_VERSIONS))}. Use the application version that wrote it."
        )
    if not isinstance(manifest.get("tables"), list) or not isinstance(manifest.get("schema_revision"), str):
        raise DataMoveError(f"{path} lacks its list of tables or its schema revision.")
    if version >= 2 and not (isinstance(manifest.get("files"), list)
                             and isinstance(manifest.get("missing_files", []), list)):
        raise DataMoveError(f"{path} lacks its list of use case files (\"files\").")
    return manifest


def import_database(source: Path, *, replace: bool = False,
                    progress: Callable[[str, int], None] | None = None) -> MoveReport:
    """Load the export in ``source`` into the database, all in one transaction, and its
    use case files into the instance folder.

    The database must be at the export's schema revision and hold no rows, or ``replace``
    must be given: every row is then deleted first, in the same transaction, so a failed
    import leaves the old data as it was.

    Every file is checked (size and SHA-256, against the manifest and the row naming it)
    before anything is written; then each is copied to a temporary name in the instance
    folder and synced, the transaction runs, and only after its commit are the copies
    renamed to their names (a failure before removes them: nothing changed). With
    ``replace``, the files of replaced rows that no imported row names are removed after
    the commit."""
    source = Path(source)
    manifest = read_manifest(source)
    tables = {t.name: t for t in _tables()}
    entries = _check_entries(source, manifest, tables)
    rows = _imported_attachments(source, entries)
    files = _check_files(source, manifest, rows) if manifest["version"] >= 2 else []
    folder = files_dir()
    engine: Engine = db.engine
    report = MoveReport(manifest["schema_revision"])
    staged: list[tuple[Path, Path]] = []  # (temporary copy, its name)
    try:
        staged = _stage_files(files, folder)
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
            replaced_names: set[str] = set()
            if occupied:
                replaced_names = {row["stored_name"] for row in _attachment_rows(conn)}
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
    except BaseException:
        for temporary, _name in staged:
            temporary.unlink(missing_ok=True)
        raise
    # Committed: the rows name these files now.
    _place_files(staged, folder)
    report.files = len(files)
    report.file_bytes = sum(f["size"] for f in files)
    if progress:
        progress("use case files", report.files)
    report.removed_files = _remove_replaced(folder, replaced_names - set(rows))
    report.missing_files = _absent_files(folder, rows)
    return report


def _imported_attachments(source: Path, entries: dict[str, dict]) -> dict[str, dict]:
    """The attachment rows of the export (its checksum already checked), by stored name."""
    table = UseCaseAttachment.__table__
    rows: dict[str, dict] = {}
    for row in _read_rows(source, entries[table.name], table):
        name = row["stored_name"]
        if not isinstance(name, str) or not _STORED_NAME.fullmatch(name):
            raise DataMoveError(
                f"{entries[table.name]['file']}: attachment {row['id']} has the stored name {name!r}, "
                "which is not one this application makes. Nothing was imported."
            )
        rows[name] = row
    return rows


def _check_files(source: Path, manifest: dict, rows: dict[str, dict]) -> list[dict]:
    """Every file the manifest lists, checked against the manifest and against the
    attachment row that names it; every attachment row has its file, or is among the
    files the export left out. All problems are listed at once. Returns the files, each
    with ``name`` (stored name) and ``source`` (its path) added."""
    problems: list[str] = []
    files: list[dict] = []
    seen: set[str] = set()
    root = source.resolve()
    for number, entry in enumerate(manifest["files"], start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            problems.append(f"entry {number} of \"files\" in {MANIFEST} has no path")
            continue
        where = entry["path"]
        folder, _, name = where.rpartition("/")
        if folder != FILES_DIR or not _STORED_NAME.fullmatch(name):
            problems.append(f"{where}: not a path this application writes ({FILES_DIR}/<stored name>)")
            continue
        if name in seen:
            problems.append(f"{where}: listed twice in {MANIFEST}")
            continue
        seen.add(name)
        row = rows.get(name)
        if row is None:
            problems.append(f"{where}: no use case file (use_case_attachments row) has this stored name")
            continue
        label = f"{where} (use case {row['use_case_id']}, file {row['filename']!r})"
        if (entry.get("size"), entry.get("sha256")) != (row["size"], row["sha256"]):
            problems.append(f"{label}: its size or SHA-256 in {MANIFEST} differs from its row's")
            continue
        path = source / where
        if not path.is_file() or root not in path.resolve().parents:
            problems.append(f"{label}: missing from {source}")
            continue
        size, digest = _file_digest(path)
        if size != row["size"]:
            problems.append(f"{label}: {size} bytes, but its row says {row['size']}")
        elif digest != row["sha256"]:
            problems.append(f"{label}: does not match its SHA-256 (changed or damaged after the export)")
        else:
            files.append({**entry, "name": name, "source": path})
    left_out = {m.get("stored_name") for m in manifest.get("missing_files", []) if isinstance(m, dict)}
    for name, row in rows.items():
        if name not in seen and name not in left_out:
            problems.append(f"use case {row['use_case_id']}, file {row['filename']!r} (attachment {row['id']}): "
                            f"{MANIFEST} lists no file {FILES_DIR}/{name} for it")
    if problems:
        raise DataMoveError(
            f"{_count_files(len(problems))} of the export cannot be used, so nothing was imported:\n"
            + "\n".join(f"  {p}" for p in problems)
        )
    return files


def _stage_files(files: list[dict], folder: Path) -> list[tuple[Path, Path]]:
    """Copy every file to a temporary name in ``folder`` and sync it; a file already
    there under its name with the same bytes (a restore on the same server) is left as it
    is. The copies are checked again as they are written."""
    staged: list[tuple[Path, Path]] = []
    if not files:
        return staged
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for entry in files:
            final = folder / entry["name"]
            if final.is_file() and _file_digest(final) == (entry["size"], entry["sha256"]):
                continue
            temporary = folder / f".import-{entry['name']}-{secrets.token_hex(4)}.partial"
            staged.append((temporary, final))
            if _copy_file(entry["source"], temporary, sync=True) != (entry["size"], entry["sha256"]):
                raise DataMoveError(
                    f"{entry['path']} changed while it was being imported. Nothing was imported."
                )
    except BaseException:
        for temporary, _final in staged:
            temporary.unlink(missing_ok=True)
        raise
    return staged


def _place_files(staged: list[tuple[Path, Path]], folder: Path) -> None:
    """Rename each synced copy to its name (atomic: a reader sees the old file or the
    new one, never half of one), then sync the folder."""
    failed: list[str] = []
    for temporary, final in staged:
        try:
            os.replace(temporary, final)
        except OSError as error:
            failed.append(f"  {temporary} -> {final.name}: {error.strerror or error}")
    if staged:
        _sync_folder(folder)
    if failed:
        raise DataMoveError(
            "The rows were imported, but these use case files could not be put in place; "
            f"rename them in {folder} by hand:\n" + "\n".join(failed)
        )


def _remove_replaced(folder: Path, names: set[str]) -> int:
    """Remove the files of replaced rows that no imported row names (after the commit)."""
    removed = 0
    for name in sorted(names):
        try:
            (folder / name).unlink()
            removed += 1
        except FileNotFoundError:
            pass
        except OSError as error:  # the row is gone; a file left behind is only space
            current_app.logger.warning("use case file %s could not be removed: %s", name, error)
    if removed:
        _sync_folder(folder)
    return removed


def _absent_files(folder: Path, rows: dict[str, dict]) -> list[str]:
    """The imported rows whose file is not in ``folder`` (an export of version 1, or one
    made with --allow-missing-files): one line each."""
    return [
        f"use case {row['use_case_id']}, file {row['filename']!r} (attachment {row['id']}): "
        f"{folder / name} is missing"
        for name, row in rows.items()
        if not (folder / name).is_file()
    ]


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
    files_path: Path | None = None  # <copy>.files: the use case files of the copy
    files: int = 0
    linked: int = 0  # of ``files``, hard links (the rest are copies)
    file_bytes: int = 0
    # Files the copy's rows name that could not be copied or failed their check, one line each.
    missing_files: list[str] = field(default_factory=list)


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


def pg_backup_command(url: str, files: Path) -> str:
    """One shell line backing up a PostgreSQL deployment: the use case files in
    ``files``, the database with pg_dump, then the files again. Files are only ever added
    and removed, never changed, so the two passes (without --delete) hold the file of
    every row in the dump: one removed during the dump was taken by the first, one added
    before the dump's snapshot by the second."""
    folder = shlex.quote(str(files))
    copy = f"rsync -a {shlex.quote(str(files) + '/')} evangelists-$STAMP.files/"
    # mkdir: before the first upload there is no folder, and rsync would stop the line.
    return (f"STAMP=$(date +%Y%m%dT%H%M%S) && mkdir -p {folder} && {copy} && "
            f"{pg_dump_command(url, 'evangelists-$STAMP.dump')} && {copy}")


def files_backup_path(copy: Path) -> Path:
    """The folder of the use case files that go with the database copy ``copy``."""
    return copy.with_name(f"{copy.stem}.files")


def backup_sqlite(destination: Path, *, keep: int | None = None) -> BackupReport:
    """Copy the live SQLite database to ``destination`` (a folder: a timestamped file is
    made in it; or a file name) with SQLite's online backup API, which gives a consistent
    copy while the app goes on reading and writing. The copy is checked with
    ``PRAGMA integrity_check``.

    The use case files go beside it, in ``<copy name>.files/``: hard links when the
    backup is on the instance folder's file system (a stored file is never changed, so a
    link is as good as a copy), else copies. Every file of the copy's attachment rows is
    then checked by size and SHA-256. To miss none that is removed while the database is
    copied, every file is linked before the copy and the ones its rows do not name are
    dropped after.

    With ``keep``, only the newest ``keep`` backups in the folder are kept (each with its
    files) — unless a file of this backup is missing: then nothing is pruned, as an older
    backup may be the last to hold it."""
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
    files_target = files_backup_path(target)
    for path in (target, files_target):
        if path.exists():
            raise DataMoveError(f"{path} exists already: choose another name.")
    partial = target.with_name(target.name + ".partial")
    files_partial = files_target.with_name(files_target.name + ".partial")
    partial.unlink(missing_ok=True)  # left by a backup that was stopped half way
    shutil.rmtree(files_partial, ignore_errors=True)
    report = BackupReport(target, 0, [], files_target)
    try:
        taken = _take_files(files_dir(), files_partial, report)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(partial)
        try:
            # Copy in steps so writers are never held up for long.
            src.backup(dst, pages=1024, sleep=0.005)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
            rows = _backup_attachments(dst)
        finally:
            dst.close()
            src.close()
        if verdict != "ok":
            raise DataMoveError(f"The copy failed its integrity check ({verdict}); the original is untouched.")
        _keep_files_of(rows, files_dir(), files_partial, taken, report)
        _sync_folder(files_partial)
        os.replace(files_partial, files_target)  # the files first: a copy in place has its files
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        shutil.rmtree(files_partial, ignore_errors=True)
        raise
    report.size = target.stat().st_size
    if keep is not None and not report.missing_files:
        older = sorted(target.parent.glob(f"{source.stem}-*.db"), key=lambda p: p.name, reverse=True)
        for old in older[keep:]:
            old.unlink()
            report.pruned.append(old)
            old_files = files_backup_path(old)
            if old_files.is_dir():
                shutil.rmtree(old_files)
                report.pruned.append(old_files)
    return report


def _take_files(folder: Path, into: Path, report: BackupReport) -> set[str]:
    """Link (or copy) every stored file now in ``folder`` into ``into``; returns the names."""
    into.mkdir(parents=True)
    taken: set[str] = set()
    if not folder.is_dir():
        return taken
    for path in folder.iterdir():
        if _STORED_NAME.fullmatch(path.name) and path.is_file():
            try:
                _link_or_copy(path, into / path.name, report)
            except FileNotFoundError:  # removed just now: its row is gone too
                continue
            taken.add(path.name)
    return taken


def _link_or_copy(source: Path, target: Path, report: BackupReport) -> None:
    try:
        os.link(source, target)
        report.linked += 1
    except FileNotFoundError:
        raise
    except OSError:  # another file system (EXDEV), or one without hard links
        shutil.copy2(source, target)


def _backup_attachments(conn: sqlite3.Connection) -> list[dict]:
    try:
        cursor = conn.execute(
            "SELECT id, use_case_id, filename, stored_name, size, sha256 FROM use_case_attachments ORDER BY id")
    except sqlite3.OperationalError:  # a database from before use cases had files
        return []
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _keep_files_of(rows: list[dict], folder: Path, into: Path, taken: set[str], report: BackupReport) -> None:
    """Make ``into`` hold exactly the files the copy's ``rows`` name, each checked by
    size and SHA-256; what is missing or damaged goes to ``report.missing_files``."""
    named = {row["stored_name"] for row in rows}
    for name in taken - named:  # a file whose row was not (or no longer) in the copy
        (into / name).unlink()
    report.linked = sum(1 for name in taken & named if (into / name).stat().st_nlink > 1)
    for row in rows:
        name = row["stored_name"]
        label = f"use case {row['use_case_id']}, file {row['filename']!r} (attachment {row['id']})"
        if not isinstance(name, str) or not _STORED_NAME.fullmatch(name):
            report.missing_files.append(f"{label}: its stored name {name!r} is not one this application makes")
            continue
        path = into / name
        if name not in taken:  # added after the files were taken, before the copy
            try:
                _link_or_copy(folder / name, path, report)
            except FileNotFoundError:
                report.missing_files.append(f"{label}: {folder / name} is missing")
                continue
        size, digest = _file_digest(path)
        if (size, digest) != (row["size"], row["sha256"]):
            report.missing_files.append(f"{label}: {folder / name} is damaged (its bytes do not match its SHA-256)")
            path.unlink()
            continue
        report.files += 1
        report.file_bytes += size
