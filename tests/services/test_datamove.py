"""`flask data export / import / backup`: the portable format, its round trip between
SQLite and PostgreSQL, its refusals, and the SQLite online backup."""

from __future__ import annotations

import hashlib
import json
import secrets
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
from app.models import Evangelist, UseCase, UseCaseAttachment, User
from app.services import datamove


def new_app(url: str, instance: Path | None = None):
    """Another app on its own database, migrated to the current revision; its instance
    folder (where use case files live) is ``instance``, or beside a SQLite file."""
    other = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    _own_instance(other, url, instance)
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
    other = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{target}")
    _own_instance(other, f"sqlite:///{target}", None)
    return other


def _own_instance(app, url: str, instance: Path | None) -> None:
    if instance is None and url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///"))
        instance = database.with_name(f"{database.stem}-instance")
    if instance is not None:
        app.instance_path = str(instance)


def files_of(app) -> dict[str, bytes]:
    """The use case files in the app's instance folder, by name."""
    folder = Path(app.instance_path) / "use_case_files"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


def attach(app, contents: list[bytes]) -> list[UseCaseAttachment]:
    """A file with each of ``contents`` on the seeded use cases (two at most per use
    case), stored as the app stores them: the bytes in the instance folder, the row naming them."""
    with app.app_context():
        use_cases = list(_db.session.scalars(sa.select(UseCase).order_by(UseCase.id)))
        assert use_cases, "the demo seed made no use case"
        folder = Path(app.instance_path) / "use_case_files"
        folder.mkdir(parents=True, exist_ok=True)
        made = []
        for n, data in enumerate(contents):
            name = secrets.token_hex(16)
            (folder / name).write_bytes(data)
            attachment = UseCaseAttachment(
                use_case_id=use_cases[(n // 2) % len(use_cases)].id, filename=f"資料 {n}.pdf", stored_name=name,
                content_type="application/pdf", size=len(data), sha256=hashlib.sha256(data).hexdigest())
            _db.session.add(attachment)
            made.append(attachment)
        _db.session.commit()
        for attachment in made:
            _db.session.refresh(attachment)
            _db.session.expunge(attachment)
        return made


def pdf(n: int) -> bytes:
    """A small PDF that differs by ``n`` (every byte value in it, to catch text-mode copies)."""
    return b"%PDF-1.7\n" + bytes(range(256)) * (n + 1) + f"\n%{n}\n%%EOF\n".encode()


@pytest.fixture
def sqlite_app(tmp_path, migrated_file):
    return app_on_copy(migrated_file, tmp_path / "source.db")


def test_round_trip_sqlite_to_postgresql_to_sqlite_keeps_every_row(tmp_path, sqlite_app, postgres_scratch):
    seed(sqlite_app)
    attach(sqlite_app, [pdf(n) for n in range(3)])
    original = every_row(sqlite_app)
    assert sum(map(len, original.values())) > 2000
    original_files = files_of(sqlite_app)
    assert len(original_files) == 3 and len(original["use_case_attachments"]) == 3

    first = tmp_path / "from-sqlite"
    result = invoke(sqlite_app, "data", "export", first)
    assert result.exit_code == 0, result.output
    assert "Exported" in result.output and "3 use case files" in result.output
    manifest = json.loads((first / "manifest.json").read_text())
    assert sorted(f["path"] for f in manifest["files"]) == sorted(f"files/use_case_files/{n}" for n in original_files)

    pg_app = new_app(postgres_scratch, tmp_path / "pg-instance")
    result = invoke(pg_app, "data", "import", first)
    assert result.exit_code == 0, result.output
    assert "3 use case files" in result.output
    assert every_row(pg_app) == original
    assert files_of(pg_app) == original_files

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
    assert files_of(back) == original_files
    # The files themselves are the same bytes whichever database wrote them.
    for name in sorted(p.name for p in (first / "tables").iterdir()):
        assert (first / "tables" / name).read_bytes() == (second / "tables" / name).read_bytes(), name
    first_manifest, second_manifest = (json.loads((f / "manifest.json").read_text()) for f in (first, second))
    assert first_manifest["files"] == second_manifest["files"]


def test_the_manifest_describes_the_export(tmp_path, sqlite_app):
    seed(sqlite_app)
    invoke(sqlite_app, "data", "export", tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["format"] == "evangelist-network-data" and manifest["version"] == 2
    assert manifest["files"] == [] and manifest["missing_files"] == []  # the demo's use cases have no files
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


def _break_last_table(folder: Path) -> str:
    """Make the last file whose rows name a visit refer to a visit that does not exist,
    keeping the checksum right, so the import fails only at the database, after nearly
    every other table was written. Returns that file's name."""
    manifest = json.loads((folder / "manifest.json").read_text())
    entry = [e for e in manifest["tables"] if "visit_id" in e["columns"] and e["rows"]][-1]
    path = folder / entry["file"]
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[-1]["visit_id"] = 999_999
    data = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows)
    path.write_text(data, encoding="utf-8")
    entry["sha256"] = hashlib.sha256(data.encode()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return entry["file"]


def test_a_failing_row_leaves_the_target_as_it_was(exported, empty_app):
    broken = _break_last_table(exported)
    with empty_app.app_context():
        empty_app.test_cli_runner().invoke(args=["geo", "load"])
    before = every_row(empty_app)
    result = invoke(empty_app, "data", "import", exported, "--replace")
    assert result.exit_code == 1
    assert f"{broken}: a row in lines" in result.output and "Nothing was imported" in result.output
    assert every_row(empty_app) == before  # the replaced rows are back, none of the new ones


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda f: (f / "manifest.json").unlink(), "manifest.json is missing"),
        (lambda f: (f / "manifest.json").write_text("{not json"), "is not valid JSON"),
        (lambda f: _edit_manifest(f, version=3), "format version 3 cannot be read"),
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


# --- Use case files ---------------------------------------------------------------------

@pytest.fixture
def with_files(tmp_path, sqlite_app, seeded_export):
    """The seeded ``sqlite_app`` with three use case files; returns their rows."""
    database, _folder = seeded_export
    with sqlite_app.app_context():
        _db.engine.dispose()
    copy_sqlite(database, tmp_path / "source.db")
    return attach(sqlite_app, [pdf(n) for n in range(3)])


def _nothing_in(app) -> bool:
    """No row and no file (not even a half-written one) in ``app``."""
    folder = Path(app.instance_path) / "use_case_files"
    return not any(every_row(app).values()) and not (folder.is_dir() and any(folder.iterdir()))


def test_export_refuses_a_missing_or_damaged_file_and_names_it(tmp_path, sqlite_app, with_files):
    gone, damaged, _fine = with_files
    folder = Path(sqlite_app.instance_path) / "use_case_files"
    (folder / gone.stored_name).unlink()
    (folder / damaged.stored_name).write_bytes(b"%PDF-1.7 something else")
    result = invoke(sqlite_app, "data", "export", tmp_path / "out")
    assert result.exit_code == 1
    assert "2 files of the use cases cannot be exported" in result.output
    assert (f"use case {gone.use_case_id}, file '資料 0.pdf' (attachment {gone.id}, stored as {gone.stored_name}): "
            f"{folder / gone.stored_name} is missing") in result.output
    assert f"file '資料 1.pdf' (attachment {damaged.id}, stored as {damaged.stored_name}): " in result.output
    assert "is damaged" in result.output and "--allow-missing-files" in result.output
    assert not (tmp_path / "out").exists()  # nothing half-written is left


def test_allow_missing_files_exports_without_them_and_the_import_lists_them(tmp_path, sqlite_app, with_files,
                                                                            empty_app):
    gone, *kept = with_files
    (Path(sqlite_app.instance_path) / "use_case_files" / gone.stored_name).unlink()
    result = invoke(sqlite_app, "data", "export", tmp_path / "out", "--allow-missing-files")
    assert result.exit_code == 0, result.output
    assert "2 use case files" in result.output
    assert "Left out 1 use case file (--allow-missing-files):" in result.output
    assert f"attachment {gone.id}, stored as {gone.stored_name}" in result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [m["stored_name"] for m in manifest["missing_files"]] == [gone.stored_name]
    assert len(manifest["files"]) == 2

    result = invoke(empty_app, "data", "import", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert sorted(files_of(empty_app)) == sorted(a.stored_name for a in kept)
    assert "Warning: 1 use case file named by the imported rows are not in the instance folder" in result.output
    assert f"use case {gone.use_case_id}, file '資料 0.pdf' (attachment {gone.id})" in result.output


def _tamper(folder: Path, attachment, data: bytes | None) -> None:
    path = folder / "files" / "use_case_files" / attachment.stored_name
    if data is None:
        path.unlink()
    else:
        path.write_bytes(data)


def test_an_import_with_a_tampered_or_missing_file_writes_nothing(tmp_path, sqlite_app, with_files, empty_app):
    assert invoke(sqlite_app, "data", "export", tmp_path / "out").exit_code == 0
    changed, gone, same_size = with_files
    _tamper(tmp_path / "out", changed, b"%PDF-1.7 not the file")
    _tamper(tmp_path / "out", gone, None)
    # Same length, one byte changed: only the SHA-256 tells.
    data = (tmp_path / "out" / "files" / "use_case_files" / same_size.stored_name).read_bytes()
    _tamper(tmp_path / "out", same_size, data[:-2] + b"X\n")
    result = invoke(empty_app, "data", "import", tmp_path / "out")
    assert result.exit_code == 1
    assert "3 files of the export cannot be used, so nothing was imported" in result.output
    assert f"files/use_case_files/{changed.stored_name} (use case {changed.use_case_id}, file '資料 0.pdf'): " \
           f"21 bytes, but its row says {changed.size}" in result.output
    assert f"files/use_case_files/{gone.stored_name} (use case {gone.use_case_id}, file '資料 1.pdf'): missing from" \
        in result.output
    assert f"{same_size.stored_name} (use case {same_size.use_case_id}, file '資料 2.pdf'): does not match its " \
           "SHA-256" in result.output
    assert _nothing_in(empty_app)


def test_a_file_the_manifest_misdescribes_or_a_row_without_its_file_is_refused(tmp_path, sqlite_app, with_files,
                                                                                empty_app):
    assert invoke(sqlite_app, "data", "export", tmp_path / "out").exit_code == 0
    first, second, _third = with_files
    _edit_manifest(tmp_path / "out", files=lambda files: [
        {**f, "path": "files/use_case_files/../../../etc/passwd"} if f["path"].endswith(first.stored_name) else f
        for f in files if not f["path"].endswith(second.stored_name)])
    result = invoke(empty_app, "data", "import", tmp_path / "out")
    assert result.exit_code == 1
    assert "files/use_case_files/../../../etc/passwd: not a path this application writes" in result.output
    assert (f"use case {second.use_case_id}, file '資料 1.pdf' (attachment {second.id}): manifest.json lists no "
            f"file files/use_case_files/{second.stored_name} for it") in result.output
    assert _nothing_in(empty_app)


def test_a_failing_row_leaves_no_file_behind(tmp_path, sqlite_app, with_files, empty_app):
    assert invoke(sqlite_app, "data", "export", tmp_path / "out").exit_code == 0
    _break_last_table(tmp_path / "out")
    result = invoke(empty_app, "data", "import", tmp_path / "out")
    assert result.exit_code == 1 and "Nothing was imported" in result.output
    assert _nothing_in(empty_app)


def test_replace_puts_the_new_files_and_removes_the_replaced_ones_after_the_commit(tmp_path, sqlite_app,
                                                                                    with_files, empty_app):
    assert invoke(sqlite_app, "data", "export", tmp_path / "out").exit_code == 0
    imported = {a.stored_name for a in with_files}
    # The target: the same seeded data, with a file of its own and a stray file no row names.
    with empty_app.app_context():
        _db.engine.dispose()
    copy_sqlite(tmp_path / "source.db", tmp_path / "target.db")
    folder = Path(empty_app.instance_path) / "use_case_files"
    folder.mkdir(parents=True)
    with sqlite_app.app_context():
        _db.engine.dispose()
    [own] = attach(empty_app, [b"%PDF-1.7 only in the target"])
    shutil.copy(Path(sqlite_app.instance_path) / "use_case_files" / with_files[0].stored_name, folder)
    (folder / "stray").write_bytes(b"not ours to judge")

    result = invoke(empty_app, "data", "import", tmp_path / "out", "--replace")
    assert result.exit_code == 0, result.output
    assert "Removed 1 use case file of the replaced rows." in result.output
    assert set(files_of(empty_app)) == imported | {"stray"}
    assert files_of(empty_app) == {**files_of(sqlite_app), "stray": b"not ours to judge"}
    assert not (folder / own.stored_name).exists()
    assert every_row(empty_app) == every_row(sqlite_app)


def test_a_refused_replace_keeps_the_old_files(tmp_path, sqlite_app, with_files, empty_app):
    assert invoke(sqlite_app, "data", "export", tmp_path / "out").exit_code == 0
    _break_last_table(tmp_path / "out")
    with empty_app.app_context():
        _db.engine.dispose()
    copy_sqlite(tmp_path / "source.db", tmp_path / "target.db")
    [own] = attach(empty_app, [b"%PDF-1.7 only in the target"])
    before_rows, before_files = every_row(empty_app), files_of(empty_app)
    result = invoke(empty_app, "data", "import", tmp_path / "out", "--replace")
    assert result.exit_code == 1
    assert every_row(empty_app) == before_rows
    assert files_of(empty_app) == before_files == {own.stored_name: b"%PDF-1.7 only in the target"}


def _as_version_1(folder: Path) -> None:
    """What `flask data export` wrote before it carried the files."""
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["version"] = 1
    del manifest["files"], manifest["missing_files"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    shutil.rmtree(folder / "files", ignore_errors=True)


def test_an_export_of_version_1_still_imports(exported, empty_app):
    _as_version_1(exported)
    result = invoke(empty_app, "data", "import", exported)
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    assert every_row(empty_app) == every_row(create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{exported.parent / 'source.db'}"))


def test_an_export_of_version_1_with_use_case_files_says_which_files_to_copy(tmp_path, sqlite_app, with_files,
                                                                               empty_app):
    assert invoke(sqlite_app, "data", "export", tmp_path / "out").exit_code == 0
    _as_version_1(tmp_path / "out")
    result = invoke(empty_app, "data", "import", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert every_row(empty_app) == every_row(sqlite_app)
    assert "Warning: 3 use case files named by the imported rows are not in the instance folder" in result.output
    for attachment in with_files:
        assert f"(attachment {attachment.id}): " in result.output


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


def test_backup_copies_the_files_its_copy_names_and_checks_them(tmp_path, sqlite_app, seeded_export):
    database, _folder = seeded_export
    with sqlite_app.app_context():
        _db.engine.dispose()
    copy_sqlite(database, tmp_path / "source.db")
    made = attach(sqlite_app, [pdf(n) for n in range(3)])
    live = Path(sqlite_app.instance_path) / "use_case_files"
    (live / "0123abcd").write_bytes(b"a file no row names")
    with sqlite_app.app_context():
        result = sqlite_app.test_cli_runner().invoke(args=["data", "backup", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    assert "Copied 3 use case files (" in result.output and "3 hard-linked, 0 copied" in result.output
    [copy] = (tmp_path / "backups").glob("source-*.db")
    files = copy.with_name(f"{copy.stem}.files")
    assert str(files) in result.output
    assert {p.name: p.read_bytes() for p in files.iterdir()} == {a.stored_name: pdf(n) for n, a in enumerate(made)}
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == sorted([copy.name, files.name])


def test_backup_copies_when_it_cannot_link(tmp_path, sqlite_app, with_files, monkeypatch):
    def no_links(source, target):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(datamove.os, "link", no_links)
    with sqlite_app.app_context():
        result = sqlite_app.test_cli_runner().invoke(args=["data", "backup", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    assert "Copied 3 use case files" in result.output and "0 hard-linked, 3 copied" in result.output
    [files] = (tmp_path / "backups").glob("source-*.files")
    assert all(p.stat().st_nlink == 1 for p in files.iterdir()) and len(list(files.iterdir())) == 3


def test_a_file_removed_while_the_database_is_copied_is_still_in_the_backup(tmp_path, sqlite_app, with_files,
                                                                             monkeypatch):
    """The row is in the copy, the app deletes it and then its file before the files are
    checked: the file was taken before the copy, so the backup has it."""
    doomed = with_files[0]
    real = datamove._backup_attachments

    def rows_then_delete(conn):
        rows = real(conn)
        other = sqlite3.connect(tmp_path / "source.db", timeout=5)
        with other:
            other.execute("DELETE FROM use_case_attachments WHERE id = ?", (doomed.id,))
        other.close()
        (Path(sqlite_app.instance_path) / "use_case_files" / doomed.stored_name).unlink()
        return rows

    monkeypatch.setattr(datamove, "_backup_attachments", rows_then_delete)
    with sqlite_app.app_context():
        result = sqlite_app.test_cli_runner().invoke(args=["data", "backup", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    [files] = (tmp_path / "backups").glob("source-*.files")
    assert (files / doomed.stored_name).read_bytes() == pdf(0)


def test_backup_names_a_missing_file_and_prunes_nothing(tmp_path, sqlite_app, with_files):
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "source-20260101T000000.db").write_bytes(b"old")
    gone = with_files[1]
    (Path(sqlite_app.instance_path) / "use_case_files" / gone.stored_name).unlink()
    with sqlite_app.app_context():
        result = sqlite_app.test_cli_runner().invoke(args=["data", "backup", str(folder), "--keep", "1"])
    assert result.exit_code == 1
    assert "Copied 2 use case files" in result.output
    assert "Error: 1 use case file named by the copy could not be backed up; no older backup was removed" \
        in result.output
    assert f"use case {gone.use_case_id}, file '資料 1.pdf' (attachment {gone.id}): " in result.output
    assert (folder / "source-20260101T000000.db").exists()


def test_backup_prunes_each_copy_with_its_files(tmp_path, sqlite_app, with_files):
    folder = tmp_path / "backups"
    folder.mkdir()
    for stamp in ("20260101T000000", "20260102T000000"):
        (folder / f"source-{stamp}.db").write_bytes(b"old")
        (folder / f"source-{stamp}.files").mkdir()
        (folder / f"source-{stamp}.files" / "0123abcd").write_bytes(b"old file")
    with sqlite_app.app_context():
        result = sqlite_app.test_cli_runner().invoke(args=["data", "backup", str(folder), "--keep", "2"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder.iterdir())
    assert names[:2] == ["source-20260102T000000.db", "source-20260102T000000.files"]
    assert "source-20260101T000000.db" not in names and "source-20260101T000000.files" not in names
    assert f"removed the older backup {folder / 'source-20260101T000000.files'}" in result.output
    assert len(names) == 4


def test_backup_on_postgresql_says_to_use_pg_dump(tmp_path):
    other = create_app("testing", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://ops:secret@db.internal:5432/evn")
    with other.app_context():
        result = other.test_cli_runner().invoke(args=["data", "backup"])
    assert result.exit_code == 1
    assert "pg_dump --format=custom" in result.output
    assert "'postgresql://ops@db.internal:5432/evn'" in result.output
    assert "secret" not in result.output
    assert "pg_restore" in result.output
    files = Path(other.instance_path) / "use_case_files"
    assert (f"mkdir -p {files} && rsync -a {files}/ evangelists-$STAMP.files/ && pg_dump --format=custom --file=evangelists-$STAMP.dump "
            f"'postgresql://ops@db.internal:5432/evn' && rsync -a {files}/ evangelists-$STAMP.files/") in result.output


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
