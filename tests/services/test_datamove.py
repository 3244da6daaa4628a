"""`flask data export / import / backup`: the portable format, its round trip between
SQLite and PostgreSQL, its refusals, and the SQLite online backup."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from app import create_app
from app.extensions import db as _db
from app.models import Evangelist, User
from app.services import datamove


def new_app(url: str):
    """Another app on its own database, migrated to the current revision."""
    other = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with other.app_context():
        flask_migrate.upgrade()
    return other


def invoke(app, *args):
    result = app.test_cli_runner().invoke(args=[*map(str, args)])
    return result


def every_row(app) -> dict[str, list[tuple]]:
    """Every row of every data table (all but the data version, which only counts writes),
    in primary-key order, as Python values."""
    with app.app_context():
        with _db.engine.connect() as conn:
            return {
                table.name: _rows(conn, table)
                for table in _db.metadata.sorted_tables
                if table.name != "data_version"
            }


def _rows(conn, table: sa.Table) -> list[tuple]:
    if table.name == "search_documents":
        # Derived from the rest, not exported: an import writes them afresh (new ids).
        columns = [c for c in table.columns if c.name != "id"]
        return sorted(tuple(row) for row in conn.execute(sa.select(*columns)))
    return [tuple(row) for row in conn.execute(sa.select(table).order_by(*(table.primary_key.columns or table.columns)))]


def seed(app) -> None:
    """Demo data, plus values that are easy to get wrong between databases."""
    with app.app_context():
        runner = app.test_cli_runner()
        for args in (["geo", "load"], ["topics", "load"],
                     ["demo", "seed", "--evangelists", "30", "--communities", "6", "--requests", "20"]):
            assert runner.invoke(args=args).exit_code == 0
        person = _db.session.scalar(sa.select(Evangelist).order_by(Evangelist.id))
        person.lat, person.lon = 35.681236789012345, 139.76712345678901  # every digit of a double
        person.languages = ["ja", "en", "zh-Hant"]
        person.family_name = "和暦 🎌 \"quotes\", commas,\nnew lines\ttabs"
        _db.session.commit()


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database file (whatever its write-ahead log holds)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory) -> Path:
    """An empty SQLite database migrated to the current revision, made once per module;
    tests get copies of it instead of running the migrations each time."""
    path = tmp_path_factory.mktemp("datamove") / "migrated.db"
    other = new_app(f"sqlite:///{path}")
    with other.app_context():
        _db.engine.dispose()
    return path


def app_on_copy(file: Path, target: Path):
    copy_sqlite(file, target)
    return create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{target}")


@pytest.fixture
def sqlite_app(tmp_path, migrated_file):
    return app_on_copy(migrated_file, tmp_path / "source.db")


def test_round_trip_sqlite_to_postgresql_to_sqlite_keeps_every_row(tmp_path, sqlite_app, postgres_scratch):
    seed(sqlite_app)
    original = every_row(sqlite_app)
    assert sum(map(len, original.values())) > 2000

    first = tmp_path / "from-sqlite"
    result = invoke(sqlite_app, "data", "export", first)
    assert result.exit_code == 0, result.output
    assert "Exported" in result.output

    pg_app = new_app(postgres_scratch)
    result = invoke(pg_app, "data", "import", first)
    assert result.exit_code == 0, result.output
    assert every_row(pg_app) == original

    # The id sequences were moved past the imported ids: a new row gets a fresh one.
    with pg_app.app_context():
        _db.session.execute(sa.insert(User).values(
            email="after.import@example.jp", display_name="後から", role="evangelist",
            password_hash="!unusable", created_at=sa.func.now(), updated_at=sa.func.now(),
        ))
        _db.session.commit()
        assert _db.session.scalar(sa.select(sa.func.max(User.id))) > max(r[0] for r in original["users"])
        _db.session.execute(sa.delete(User).where(User.email == "after.import@example.jp"))
        _db.session.commit()

    second = tmp_path / "from-postgresql"
    result = invoke(pg_app, "data", "export", second)
    assert result.exit_code == 0, result.output
    with pg_app.app_context():
        _db.engine.dispose()

    back = new_app(f"sqlite:///{tmp_path / 'back.db'}")
    result = invoke(back, "data", "import", second)
    assert result.exit_code == 0, result.output
    assert every_row(back) == original
    # The files themselves are the same bytes whichever database wrote them.
    for name in sorted(p.name for p in (first / "tables").iterdir()):
        assert (first / "tables" / name).read_bytes() == (second / "tables" / name).read_bytes(), name


def test_the_manifest_describes_the_export(tmp_path, sqlite_app):
    seed(sqlite_app)
    invoke(sqlite_app, "data", "export", tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["format"] == "evangelist-network-data" and manifest["version"] == 1
    head = ScriptDirectory(str(Path(__file__).resolve().parents[2] / "migrations")).get_current_head()
    assert manifest["schema_revision"] == head and manifest["source"] == "sqlite"
    tables = {t["name"]: t for t in manifest["tables"]}
    assert "data_version" not in tables  # when pages must be rendered again is not data
    assert tables["municipalities"]["rows"] == 1741
    lines = (tmp_path / "out" / tables["municipalities"]["file"]).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1741
    first = json.loads(lines[0])
    assert set(first) == set(tables["municipalities"]["columns"])
    assert "札幌市" in lines[0]  # text as UTF-8, not \\u escapes


def test_export_refuses_a_folder_that_is_not_empty(tmp_path, sqlite_app):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    result = invoke(sqlite_app, "data", "export", tmp_path / "busy")
    assert result.exit_code == 1
    assert "not an empty folder" in result.output
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"


@pytest.fixture(scope="module")
def seeded_export(tmp_path_factory, migrated_file) -> tuple[Path, Path]:
    """(database, export folder): a seeded SQLite database and its export, made once per
    module; ``exported`` gives each test copies of both."""
    place = tmp_path_factory.mktemp("seeded")
    source = app_on_copy(migrated_file, place / "seeded.db")
    seed(source)
    assert invoke(source, "data", "export", place / "export").exit_code == 0
    with source.app_context():
        _db.engine.dispose()
    return place / "seeded.db", place / "export"


@pytest.fixture
def exported(tmp_path, sqlite_app, seeded_export):
    """An export of the seeded ``sqlite_app`` (its database now holds the seeded rows)."""
    database, folder = seeded_export
    with sqlite_app.app_context():
        _db.engine.dispose()
    copy_sqlite(database, tmp_path / "source.db")
    shutil.copytree(folder, tmp_path / "export")
    return tmp_path / "export"


@pytest.fixture
def empty_app(tmp_path, migrated_file):
    return app_on_copy(migrated_file, tmp_path / "target.db")


def test_import_refuses_a_database_with_rows_and_changes_nothing(exported, empty_app):
    with empty_app.app_context():
        assert empty_app.test_cli_runner().invoke(args=["geo", "load"]).exit_code == 0
    before = every_row(empty_app)
    result = invoke(empty_app, "data", "import", exported)
    assert result.exit_code == 1
    assert "already holds rows: prefectures (47), audit_events (1), municipalities (1741)" in result.output
    assert "--replace" in result.output
    assert every_row(empty_app) == before


def test_replace_swaps_everything_in_one_transaction(exported, empty_app, sqlite_app):
    with empty_app.app_context():
        empty_app.test_cli_runner().invoke(args=["geo", "load"])
    result = invoke(empty_app, "data", "import", exported, "--replace")
    assert result.exit_code == 0, result.output
    assert every_row(empty_app) == every_row(sqlite_app)


def _break_last_table(folder: Path) -> None:
    """Make the last file refer to a visit that does not exist, keeping the checksum right,
    so the import fails only at the database, after every other table was written."""
    manifest = json.loads((folder / "manifest.json").read_text())
    entry = manifest["tables"][-1]
    path = folder / entry["file"]
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows, entry["name"]
    rows[-1]["visit_id"] = 999_999
    data = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows)
    path.write_text(data, encoding="utf-8")
    import hashlib

    entry["sha256"] = hashlib.sha256(data.encode()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_a_failing_row_leaves_the_target_as_it_was(exported, empty_app):
    _break_last_table(exported)
    with empty_app.app_context():
        empty_app.test_cli_runner().invoke(args=["geo", "load"])
    before = every_row(empty_app)
    result = invoke(empty_app, "data", "import", exported, "--replace")
    assert result.exit_code == 1
    assert "tables/visit_topics.jsonl" in result.output and "Nothing was imported" in result.output
    assert every_row(empty_app) == before  # the replaced rows are back, none of the new ones


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda f: (f / "manifest.json").unlink(), "manifest.json is missing"),
        (lambda f: (f / "manifest.json").write_text("{not json"), "is not valid JSON"),
        (lambda f: _edit_manifest(f, version=2), "format version 2 cannot be read"),
        (lambda f: _edit_manifest(f, format="something-else"), "does not describe an export"),
        (lambda f: _edit_manifest(f, schema_revision="0003"), "The export is at schema revision 0003"),
        (lambda f: (f / "tables" / "topics.jsonl").write_text("changed\n"), "does not match its checksum"),
        (lambda f: (f / "tables" / "users.jsonl").unlink(), "its file 'tables/users.jsonl' is missing"),
        (lambda f: _edit_manifest(f, tables=lambda t: [e for e in t if e["name"] != "visits"]),
         "no file for the table(s) visits"),
        (lambda f: _edit_manifest(f, tables=lambda t: [{**e, "columns": e["columns"][1:]} if e["name"] == "topics" else e for e in t]),
         "Table topics: the export's columns differ from this schema's (missing: id; unknown: none)"),
        (lambda f: _edit_manifest(f, tables=lambda t: [{**e, "rows": e["rows"] + 1} if e["name"] == "topics" else e for e in t]),
         "tables/topics.jsonl: 13 rows, but manifest.json says 14"),
    ],
    ids=["no-manifest", "bad-json", "version", "format", "revision", "checksum", "missing-file",
         "missing-table", "columns", "row-count"],
)
def test_a_damaged_export_is_refused_with_what_is_wrong(exported, empty_app, damage, message):
    damage(exported)
    result = invoke(empty_app, "data", "import", exported)
    assert result.exit_code == 1
    assert message in result.output, result.output
    assert not any(every_row(empty_app).values())


def test_a_bad_line_is_named(exported, empty_app):
    path = exported / "tables" / "topics.jsonl"
    lines = path.read_text().splitlines()
    lines[4] = '{"id": 5}'
    _rewrite(exported, "topics", "\n".join(lines) + "\n")
    result = invoke(empty_app, "data", "import", exported)
    assert result.exit_code == 1
    assert "tables/topics.jsonl line 5: its fields are not the table's columns" in result.output


def _rewrite(folder: Path, table: str, text: str) -> None:
    import hashlib

    (folder / "tables" / f"{table}.jsonl").write_text(text, encoding="utf-8")
    _edit_manifest(folder, tables=lambda t: [
        {**e, "sha256": hashlib.sha256(text.encode()).hexdigest()} if e["name"] == table else e for e in t
    ])


def _edit_manifest(folder: Path, **changes) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    for key, value in changes.items():
        manifest[key] = value(manifest[key]) if callable(value) else value
    (folder / "manifest.json").write_text(json.dumps(manifest))


# --- Backup -------------------------------------------------------------------------------

def test_backup_is_a_consistent_copy_taken_while_writers_go_on(tmp_path, sqlite_app):
    seed(sqlite_app)
    source = tmp_path / "source.db"
    stop, started = threading.Event(), threading.Event()
    written = []
    setup = sqlite3.connect(source)
    setup.execute("CREATE TABLE scratch (n INTEGER)")
    setup.commit()
    setup.close()

    def writer():
        conn = sqlite3.connect(source, timeout=5)
        n = 0
        while not stop.is_set():
            with conn:
                conn.execute("INSERT INTO scratch VALUES (?)", (n,))
                conn.execute("UPDATE municipalities SET name_romaji = ? WHERE id = 1", (str(n),))
            written.append(n)
            started.set()
            n += 1
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    started.wait(10)
    try:
        with sqlite_app.app_context():
            result = sqlite_app.test_cli_runner().invoke(args=["data", "backup", str(tmp_path / "backups")])
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output
    [copy] = list((tmp_path / "backups").glob("source-*.db"))
    conn = sqlite3.connect(copy)
    try:
        # Both writes of one transaction are in the copy, or neither: a consistent state.
        last = conn.execute("SELECT MAX(n) FROM scratch").fetchone()[0]
        romaji = conn.execute("SELECT name_romaji FROM municipalities WHERE id = 1").fetchone()[0]
        assert last is not None and romaji == str(last)
        assert conn.execute("SELECT COUNT(*) FROM municipalities").fetchone()[0] == 1741
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()
    assert written, "the writer never ran"


def test_backup_keeps_the_newest(tmp_path, sqlite_app, monkeypatch):
    folder = tmp_path / "backups"
    folder.mkdir()
    for stamp in ("20260101T000000", "20260102T000000", "20260103T000000"):
        (folder / f"source-{stamp}.db").write_bytes(b"old")
    (folder / "unrelated.txt").write_text("keep me")
    with sqlite_app.app_context():
        result = sqlite_app.test_cli_runner().invoke(args=["data", "backup", str(folder), "--keep", "2"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder.iterdir())
    assert "source-20260103T000000.db" in names and "unrelated.txt" in names
    assert "source-20260101T000000.db" not in names and "source-20260102T000000.db" not in names
    assert len([n for n in names if n.endswith(".db")]) == 2


def test_backup_on_postgresql_says_to_use_pg_dump(tmp_path):
    other = create_app("testing", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://ops:secret@db.internal:5432/evn")
    with other.app_context():
        result = other.test_cli_runner().invoke(args=["data", "backup"])
    assert result.exit_code == 1
    assert "pg_dump --format=custom" in result.output
    assert "'postgresql://ops@db.internal:5432/evn'" in result.output
    assert "secret" not in result.output
    assert "pg_restore" in result.output


def test_backup_of_a_database_not_yet_made(tmp_path):
    other = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'none.db'}")
    with other.app_context():
        result = other.test_cli_runner().invoke(args=["data", "backup", str(tmp_path / "b")])
    assert result.exit_code == 1
    assert "There is no database at" in result.output


def test_export_reads_one_snapshot(tmp_path, sqlite_app, monkeypatch):
    """A write that lands while the export is between two tables is not half in it."""
    seed(sqlite_app)
    real_rows = datamove._rows

    def rows_with_a_write_in_between(conn, table):
        yield from real_rows(conn, table)
        if table.name == "municipalities":
            other = sqlite3.connect(tmp_path / "source.db", timeout=5)
            with other:
                other.execute("DELETE FROM visit_topics")
            other.close()

    monkeypatch.setattr(datamove, "_rows", rows_with_a_write_in_between)
    with sqlite_app.app_context():
        datamove.export_database(tmp_path / "snap")
    lines = (tmp_path / "snap" / "tables" / "visit_topics.jsonl").read_text().splitlines()
    assert lines, "the export saw the delete that came after it started"
