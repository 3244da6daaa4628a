"""``flask`` commands. Each command's help text is its docstring."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Blueprint, current_app
from flask_babel import force_locale

from app.labels import ENCODING_LABELS, KIND_LABELS
from app.messages import account_error_messages, notice_message, problem_message
from app.models.base import utcnow
from app.services import datamove, imports
from app.services import reminders as reminder_service
from app.services import search as search_service
from app.services.accounts import AccountError, create_user, rotate_totp_keys
from app.services.audit import SYSTEM
from app.services.demo import (
    DEMO_PASSWORD,
    DEMO_REGIONS,
    DemoDataExists,
    existing_demo_accounts,
    seed_demo,
)
from app.services.geography import PopulationReport, load_gazetteer, load_population
from app.services.requests import reseal_status_tokens
from app.services.topics import sync_topics
from evangelists.calendar import today_in_japan
from evangelists.errors import Refused
from evangelists.gazetteer import PopulationFileError, load_populations
from evangelists.imports import DUPLICATE_CHOICES, MAX_BYTES
from evangelists.vocabulary import ROLES

bp = Blueprint("cli", __name__, cli_group=None)


@bp.cli.group()
def geo():
    """The national gazetteer: prefectures and municipalities."""


@geo.command("load")
def geo_load():
    """Load or update the 47 prefectures and 1,741 municipalities from the committed CSV.

    Safe to run again: only what differs is written, and a run with nothing to do says so.
    Open-data status and engagement stage are never overwritten. A municipality without a
    population gets its figure from the committed population file; one that has a figure
    keeps it (`flask geo load-population` replaces figures).
    """
    with click.progressbar(length=0, label="municipalities") as bar:

        def progress(items):
            bar.length = len(items)
            for item in items:
                yield item
                bar.update(1)

        report = load_gazetteer(progress=progress)
    if report.changed:
        click.echo(
            f"Prefectures: {report.prefectures_added} added, {report.prefectures_updated} updated. "
            f"Municipalities: {report.municipalities_added} added, "
            f"{report.municipalities_updated} updated."
        )
    else:
        click.echo("Gazetteer already up to date: nothing changed.")
    if report.not_in_gazetteer:
        click.echo(
            f"Kept {len(report.not_in_gazetteer)} municipalities the gazetteer no longer lists: "
            + ", ".join(report.not_in_gazetteer),
            err=True,
        )
    _echo_population(report.population)


@geo.command("load-population")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def geo_load_population(file):
    """Set every municipality's population from FILE, a UTF-8 CSV with the columns code
    (the 5- or 6-digit local government code) and population: the census (国勢調査, e-Stat)
    or the Basic Resident Register (住民基本台帳に基づく人口, 総務省) reduced to those two
    columns. The repository holds no figures (README "Data"); "towns like yours" compares
    population bands only where they are loaded.

    Figures in the file replace the ones loaded before; municipalities the file does not
    name keep theirs. Every line is checked first: a file with any bad line is reported
    with the line numbers and nothing is written (exit status 1). Safe to run again.
    """
    path = file
    try:
        populations = load_populations(path)
    except PopulationFileError as error:
        for line, problem in error.problems:
            click.echo(f"  {f'line {line}' if line else 'file'}: {problem}", err=True)
        click.echo(f"{path}: {_count(len(error.problems), 'problem')}: nothing was changed.", err=True)
        sys.exit(1)
    report = load_population(populations)
    if not report.with_figure and not report.not_in_file:
        raise click.ClickException("No municipalities yet: run `flask geo load` first.")
    click.echo(f"{path}: {_count(len(populations), 'figure')}.")
    _echo_population(report)


def _echo_population(report: PopulationReport) -> None:
    """Say how many municipalities have a population, and which do not."""
    total = report.with_figure + len(report.without_figure)
    if not report.with_figure and not report.set and not report.unknown:
        click.echo(f"Population: none loaded for the {_municipalities(total)} "
                   "(`flask geo load-population FILE` loads a census).")
        return
    click.echo(
        f"Population: {report.with_figure} of {_municipalities(total)} have a figure; "
        + (f"{report.set} set now." if report.set else "nothing changed.")
    )
    kept = sorted(set(report.not_in_file) - set(report.without_figure))
    if kept:
        click.echo(f"Not in the file, kept their figure: {_municipalities(len(kept))}: {_codes(kept)}", err=True)
    if report.without_figure:
        click.echo(f"No population for {_municipalities(len(report.without_figure))}: "
                   f"{_codes(report.without_figure)}", err=True)
    if report.unknown:
        click.echo(f"Skipped {_count(len(report.unknown), 'code')} of the file that name no municipality: "
                   f"{_codes(report.unknown)}", err=True)


def _municipalities(number: int) -> str:
    return f"{number} municipalit" + ("y" if number == 1 else "ies")


def _codes(codes: list[str], shown: int = 50) -> str:
    more = len(codes) - shown
    return ", ".join(codes[:shown]) + (f" and {more} more" if more > 0 else "")


@bp.cli.group()
def search():
    """The staff search box's documents (search_documents and its text index)."""


@search.command("rebuild")
def search_rebuild():
    """Write every search document afresh from the municipalities, requests, evangelists,
    communities and accounts, in one transaction. The services keep them in step; run this
    after writing to those tables by hand (SQL, a restore from elsewhere)."""
    written = search_service.rebuild()
    click.echo("Search documents: " + ", ".join(f"{kind} {n}" for kind, n in written.items()) + ".")


@bp.cli.group()
def topics():
    """The shared topic tags of requests, skills and visits."""


@topics.command("load")
def topics_load():
    """Add missing topic tags and update changed labels. Safe to run again."""
    added, updated = sync_topics()
    if added or updated:
        click.echo(f"Topics: {added} added, {updated} updated.")
    else:
        click.echo("Topics already up to date: nothing changed.")


@bp.cli.group()
def users():
    """User accounts."""


@users.command("create")
@click.option("--email", required=True, help="E-mail address (the sign-in name).")
@click.option("--role", required=True, type=click.Choice(ROLES), help="Role of the new account.")
@click.option("--name", "display_name", default=None, help="Display name (default: the e-mail's local part).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
def users_create(email, role, display_name, password_stdin):
    """Create an account that can sign in at once, e.g. the first admin of a deployment.

    Admins and coordinators set up their second factor at their first sign-in.
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, display_name or email.split("@")[0], role, password)
    except AccountError as error:
        # The CLI speaks English: it is for the people who run the deployment.
        with force_locale("en"):
            raise click.ClickException(" ".join(account_error_messages(error))) from None
    click.echo(f"Created {user.role} {user.email}.")


@bp.cli.group()
def totp():
    """The authenticator (TOTP) secrets, kept encrypted with TOTP_ENCRYPTION_KEYS."""


@totp.command("rotate-key")
def totp_rotate_key():
    """Re-encrypt every stored authenticator secret with the first key of
    TOTP_ENCRYPTION_KEYS, in one transaction, then seal the requests' status links (kept so
    that notices can carry them) with that key too.

    To change the key: put the new key first in TOTP_ENCRYPTION_KEYS and keep the old one
    after it, restart the app, run this command, then remove the old key and restart
    again. If a secret opens with none of the keys, nothing is written and the users
    concerned are named (put the missing key back, or remove their second factor).
    """
    count, broken = rotate_totp_keys()
    if broken:
        raise click.ClickException(
            f"{_count(len(broken), 'authenticator secret')} cannot be decrypted with any key in "
            f"TOTP_ENCRYPTION_KEYS (user ids: {', '.join(map(str, broken))}); nothing was changed."
        )
    click.echo(f"Re-encrypted {_count(count, 'authenticator secret')} with the first key.")
    sealed, unopened = reseal_status_tokens()
    click.echo(f"Sealed {_count(sealed, 'request status link')} again with the first key.")
    if unopened:
        click.echo(
            f"{_count(len(unopened), 'request status link')} could not be opened with any key (request ids: "
            f"{', '.join(map(str, unopened))}); their towns can have a new link mailed from the status page.",
            err=True,
        )


@bp.cli.group()
def demo():
    """Generated demo data for development and trials (never real people)."""


@demo.command("seed")
@click.option("--evangelists", default=300, show_default=True, type=click.IntRange(0, 5000))
@click.option("--communities", default=60, show_default=True, type=click.IntRange(0, 1000))
@click.option("--requests", default=200, show_default=True, type=click.IntRange(0, 5000),
              help="Requests over the programme's last two years, each where its process has reached.")
@click.option("--seed", default=7, show_default=True, type=int, help="Same seed, same data.")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) if data is already there.")
@click.option("--reset", is_flag=True, help="Delete existing network data and accounts first.")
def demo_seed(evangelists, communities, requests, seed, if_empty, reset):
    """Seed a deterministic demo network and the demo accounts.

    Needs the gazetteer and topics (`flask geo load`, `flask topics load`). Refuses to
    mix with existing data unless --reset is given; refuses to run in production.
    """
    if not current_app.config["DEMO_ALLOWED"]:
        raise click.ClickException("Demo data is not allowed under the production configuration.")
    try:
        report = seed_demo(
            evangelists=evangelists,
            communities=communities,
            requests=requests,
            seed=seed,
            replace=reset,
            today=today_in_japan(),
        )
    except DemoDataExists as existing:
        if if_empty:
            click.echo(f"Demo data not seeded: the database already has {existing.describe()}.")
            print_demo_logins(existing_demo_accounts())
            return
        raise click.ClickException(
            f"The database already has {existing.describe()}. "
            "Use --reset to replace everything with demo data."
        ) from None
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Seeded {report.communities} communities, {report.evangelists} evangelists, "
        f"{report.requests} requests; {report.open_data_active} municipalities open-data active."
    )
    print_demo_logins(report.accounts)


def print_demo_logins(accounts) -> None:
    if not accounts:
        return
    click.echo("Demo logins (development only):")
    for role, email in accounts:
        regions = DEMO_REGIONS.get(email)
        who = f"{role} ({', '.join(regions)} only)" if regions else role
        click.echo(f"  {who:<24} {email:<28} password: {DEMO_PASSWORD}")


@bp.cli.command("import")
@click.argument("kind", type=click.Choice(imports.KINDS))
@click.argument("file", type=click.File("rb"))
@click.option("--apply", "write", is_flag=True,
              help="Write the changes (all or nothing). Without it, only check and report.")
@click.option("--duplicates", type=click.Choice(("ask", *DUPLICATE_CHOICES)), default="ask", show_default=True,
              help="Candidates who may already be in the network (same e-mail, or same name, readings and "
                   "community): 'new' imports them as different people, 'skip' leaves their rows out, 'ask' "
                   "lists them and writes nothing while there are any.")
def import_file(kind, file, write, duplicates):
    """Import a CSV FILE of KIND: municipality_status (the national survey: code, status,
    as-of date), communities, or candidates.

    By default a dry run: every problem is reported with its line and column, and what
    would change, and nothing is written. With --apply the file is checked again and, if
    there is no problem at all, every change is written in one transaction. UTF-8 and
    Shift_JIS files are read. Exits with status 1 when the file has problems.
    """
    data = file.read(MAX_BYTES + 1)  # one byte more tells "too large"

    def progress(label, items):
        with click.progressbar(items, label=label) as bar:
            yield from bar

    decisions = imports.Decisions(default=None if duplicates == "ask" else duplicates)
    if write:
        report = imports.apply(None, kind, data, progress=progress, today=today_in_japan(), decisions=decisions)
    else:
        report = imports.dry_run(kind, data, progress=progress, decisions=decisions)
    # The CLI speaks English: it is for the people who run the deployment.
    with force_locale("en"):
        read_as = f", read as {ENCODING_LABELS[report.encoding]}" if report.encoding else ""
        click.echo(f"{KIND_LABELS[kind]}: {_count(report.rows, 'row')}{read_as}.")
        if report.ignored_columns:
            click.echo("Columns not used: " + ", ".join(report.ignored_columns))
        for problem in report.problems:
            where = f"line {problem.line}" if problem.line else "file"
            column = f", {problem.column}" if problem.column else ""
            click.echo(f"  {where}{column}: {problem_message(problem)}", err=True)
        for notice in report.notices:
            where = f"line {notice.line}, {notice.key}: " if notice.line else ""
            click.echo(f"  note: {where}{notice_message(notice)}")
        if report.problems:
            click.echo(f"{_count(len(report.problems), 'problem')}: nothing was changed.", err=True)
            sys.exit(1)
        for duplicate in report.duplicates:
            people = ", ".join(f"#{p.id} {p.label} ({', '.join(p.reasons)})" for p in duplicate.people)
            click.echo(f"  line {duplicate.line}: {duplicate.label} may already be {people}: "
                       + (duplicate.decision or "undecided"))
        if report.needs_decisions:
            click.echo(f"{_count(report.asked, 'row')} may name people already in the network"
                       + (": nothing was written" if write else "")
                       + ". Run again with --duplicates new or --duplicates skip.", err=True)
            if write:
                sys.exit(1)
        for change in report.sample:
            fields = "; ".join(f"{f.field} {_shown(f.before)} -> {_shown(f.after)}" if change.action == "update"
                               else f"{f.field} {_shown(f.after)}" for f in change.fields)
            click.echo(f"  line {change.line}: {change.action} {change.label}: {fields}")
        more = report.created + report.updated - len(report.sample)
        if more:
            click.echo(f"  ... and {_count(more, 'more change')}")
        counts = (f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged"
                  + (f", {report.skipped} skipped" if report.skipped else ""))
        if write:
            click.echo(f"Imported: {counts}.")
        else:
            click.echo(f"Dry run, nothing written: {counts}. Run again with --apply to write.")


@bp.cli.group()
def data():
    """Move the whole database (export, import) and back it up."""


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _files(n: int) -> str:
    return f"{n:,} use case file" + ("" if n == 1 else "s")


@data.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--allow-missing-files", is_flag=True,
              help="Export even if some use case files are missing or damaged: they are left out and listed.")
def data_export(directory, allow_missing_files):
    """Write every table to DIRECTORY (new or empty) in the portable format: a
    manifest.json with the schema revision and checksums, one JSON Lines file per
    table, and the use case files under files/. The copy is one consistent snapshot; the
    app may keep running.

    A use case file missing from the instance folder (or whose bytes do not match its
    SHA-256) stops the export, listing each, unless --allow-missing-files is given.
    The same folder loads into SQLite or PostgreSQL with `flask data import`.
    """
    try:
        report = datamove.export_database(directory, allow_missing_files=allow_missing_files,
                                          progress=_table_progress("written"))
    except datamove.DataMoveError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Exported {report.rows:,} rows at schema revision {report.revision} and "
               f"{_files(report.files)} ({_megabytes(report.file_bytes)}) to {directory}.")
    if report.missing_files:
        click.echo(f"Left out {_files(len(report.missing_files))} (--allow-missing-files):", err=True)
        for line in report.missing_files:
            click.echo(f"  {line}", err=True)


def _table_progress(verb: str):
    def report(table: str, rows: int) -> None:
        if table == "use case files":
            click.echo(f"  {table:<26} {rows:>8,} files {verb}")
        else:
            click.echo(f"  {table:<26} {rows:>8,} rows {verb}")

    return report


@data.command("import")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--replace", is_flag=True,
              help="Delete every row already in this database first (in the same transaction).")
def data_import(directory, replace):
    """Load an export from DIRECTORY into this database (DATABASE_URL), in one
    transaction: everything is imported, or nothing; then put its use case files in the
    instance folder.

    The database must be at the export's schema revision (`flask db upgrade` on a new
    database) and empty, unless --replace is given. Checksums, columns, row counts and
    every file's size and SHA-256 are checked before anything is written. With
    --replace, the files of the replaced rows that the export does not hold are removed
    after the commit.
    """
    try:
        report = datamove.import_database(directory, replace=replace, progress=_table_progress("imported"))
    except datamove.DataMoveError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Imported {report.rows:,} rows at schema revision {report.revision} and "
               f"{_files(report.files)} ({_megabytes(report.file_bytes)}).")
    if report.removed_files:
        click.echo(f"Removed {_files(report.removed_files)} of the replaced rows.")
    if report.missing_files:
        click.echo(f"Warning: {_files(len(report.missing_files))} named by the imported rows "
                   "are not in the instance folder (the export did not hold them); copy them there "
                   "from the old server's instance/use_case_files:", err=True)
        for line in report.missing_files:
            click.echo(f"  {line}", err=True)


@data.command("backup")
@click.argument("destination", required=False, type=click.Path(path_type=Path))
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="Keep only the newest N backups in the folder (each with its files).")
def data_backup(destination, keep):
    """Make a consistent copy of the SQLite database while the app runs (SQLite's online
    backup API), checked with PRAGMA integrity_check, and of the use case files it names
    (in <copy>.files/ beside it: hard links on the same file system, else copies; each
    checked by SHA-256). DESTINATION is a folder (default: instance/backups; the file is
    named with the time) or a file name.

    On PostgreSQL, use pg_dump instead: this command prints the line to run, which also
    copies the use case files. If a file is missing, the command says which, exits with
    status 1 and prunes nothing.
    """
    if datamove.sqlite_path() is None:
        url = current_app.config["SQLALCHEMY_DATABASE_URI"]
        if url.startswith("postgresql"):
            files = datamove.files_dir()
            raise click.ClickException(
                "This database is PostgreSQL: back it up with pg_dump (a consistent copy while the "
                f"app runs), and the use case files, which are in {files} and not in the database, "
                "with rsync before and after it, so the copy holds the file of every row in the dump:\n  "
                + datamove.pg_backup_command(url, files)
                + "\nRestore: stop the app, pg_restore --clean --dbname=... evangelists-STAMP.dump, then "
                f"rsync -a evangelists-STAMP.files/ {files}/"
            )
        raise click.ClickException("Only a SQLite file database can be backed up by this command.")
    destination = destination or Path(current_app.instance_path) / "backups"
    try:
        report = datamove.backup_sqlite(destination, keep=keep)
    except datamove.DataMoveError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up to {report.path} ({_megabytes(report.size)}, integrity check ok).")
    how = (f"{report.linked:,} hard-linked, {report.files - report.linked:,} copied" if report.files else "none")
    click.echo(f"Copied {_files(report.files)} ({_megabytes(report.file_bytes)}; {how}) to "
               f"{report.files_path}, each checked by SHA-256.")
    for old in report.pruned:
        click.echo(f"  removed the older backup {old}")
    if report.missing_files:
        click.echo(f"Error: {_files(len(report.missing_files))} named by the copy could not be backed up; "
                   "no older backup was removed:", err=True)
        for line in report.missing_files:
            click.echo(f"  {line}", err=True)
        sys.exit(1)


@bp.cli.group()
def reminders():
    """Reminders, escalation and the coordinators' morning summary (the worker runs them)."""


@reminders.command("run")
@click.option("--summary", is_flag=True, help="Also write today's morning summaries (on a working day).")
def reminders_run(summary):
    """Write the reminders due now, once each, and print how many of each kind. The
    worker does this every 15 minutes; their mails go through the queue."""
    written = reminder_service.run_reminders()
    for kind, count in written.items():
        click.echo(f"{kind:<22} {count:>5}")
    if summary:
        click.echo(f"{'coordinator_summary':<22} {reminder_service.morning_summary():>5}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _shown(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, tuple):
        return ";".join(value)
    return str(value)


@bp.cli.group()
def notices():
    """The notice outbox and its queue (README "Notices"): see what waits, retry the
    failed mails, or mail what is queued without a worker."""


@notices.command("status")
def notices_status():
    """How many notices are in each mail state, the oldest one still to be mailed, and
    what the queue holds."""
    from app.queue import huey
    from app.services.notice_status import outbox_summary

    summary = outbox_summary()
    notes = {
        "pending": "to be mailed",
        "sending": "a worker is mailing them now",
        "sent": "mailed",
        "failed": "gave up after NOTICE_MAX_ATTEMPTS tries; `flask notices retry-failed` or /admin/notices",
        "digest": "kept for the next daily digest (08:00 in Japan)",
        "none": "not mailed: turned off by the person, or no mail server (MAIL_SERVER)",
    }
    click.echo("Notices by mail state:")
    for state, count in summary.counts.items():
        click.echo(f"  {state:<8} {count:>8,}  {notes[state]}")
    if summary.oldest_pending is not None:
        age = utcnow() - summary.oldest_pending
        click.echo(
            f"Oldest pending: written {summary.oldest_pending:%Y-%m-%d %H:%M:%S} UTC "
            f"({_duration(age.total_seconds())} ago); {summary.waiting_for_retry:,} waiting for a retry."
        )
    else:
        click.echo("Nothing waits to be mailed.")
    if summary.last_failure:
        click.echo(f"Newest failure: {summary.last_failure}")
    try:
        queued, scheduled = huey.pending_count(), huey.scheduled_count()
    except Exception as error:  # noqa: BLE001 - Redis or the SQLite file unavailable
        raise click.ClickException(
            f"The queue ({_queue_name(huey)}) cannot be reached: {type(error).__name__}: {error}"
        ) from None
    click.echo(f"Queue ({_queue_name(huey)}): {_count(queued, 'task')} waiting, {scheduled:,} scheduled (retries).")
    if not current_app.config.get("MAIL_SERVER"):
        click.echo("MAIL_SERVER is not set: notices are listed in the app but not mailed.")


@notices.command("retry-failed")
@click.option("--id", "ids", type=int, multiple=True, help="Only this notice (repeat for several).")
def notices_retry_failed(ids):
    """Queue the failed notices again with a fresh count of tries (as an admin's retry on
    /admin/notices does; recorded in the audit log). The worker mails them, or run
    `flask notices drain`. Each keeps its Message-ID."""
    from app.services import notices as notices_service
    from app.services.notice_status import failed_ids

    wanted = list(ids) or failed_ids()
    if not wanted:
        click.echo("No failed notices: nothing to retry.")
        return
    try:
        queued = notices_service.retry(SYSTEM, wanted)
    except Refused:
        raise click.ClickException(
            f"None of the notices {', '.join(map(str, wanted))} has failed: nothing to retry."
        ) from None
    skipped = sorted(set(wanted) - set(queued))
    click.echo(f"Queued {_count(len(queued), 'failed notice')} again.")
    if skipped:
        click.echo(f"Not failed, left alone: {', '.join(map(str, skipped))}.")


@notices.command("drain")
@click.option("--ahead", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also run the retries due within this many seconds.")
@click.option("--sweep", is_flag=True, help="First queue again the notices the queue lost (as the worker does each minute).")
def notices_drain(ahead, sweep):
    """Mail, in this process, what the queue holds now (and with --ahead the retries due
    soon), without a worker: for a machine where none runs, or to empty the queue by
    hand. A worker running at the same time is harmless: each notice is claimed once."""
    from datetime import timedelta

    from app.queue import huey, queue_deliveries, run_due
    from app.services import notices as notices_service
    from app.services.notice_status import outbox_summary

    if not current_app.config.get("MAIL_SERVER"):
        click.echo("MAIL_SERVER is not set: the notices are marked as not mailed (listed in the app only).")
    if sweep:
        found = notices_service.sweep()
        queue_deliveries(found)
        click.echo(f"Sweep: {_count(len(found), 'lost notice')} queued again.")
    before = outbox_summary().counts
    ran = run_due(ahead=timedelta(seconds=ahead))
    after = outbox_summary().counts
    changes = ", ".join(
        f"{state} {after[state] - before[state]:+,}" for state in after if after[state] != before[state]
    )
    click.echo(f"Ran {_count(ran, 'task')} from the queue ({_queue_name(huey)})" + (f": {changes}." if changes else "."))
    if after["pending"]:
        click.echo(f"{after['pending']:,} notices still pending (retries not yet due, or queued elsewhere).")


def _queue_name(queue) -> str:
    """The queue's kind and place, never its URL (which may hold a password)."""
    storage = queue.storage
    filename = getattr(storage, "filename", None)
    if filename:
        return f"SQLite {filename}"
    return type(storage).__name__.removesuffix("Storage") or "queue"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
