"""One clock (issue 16, point 3): the programme's zone, "today" and "now" come from
evangelists/calendar.py only.

Every Python file of the project is read as a syntax tree and refused, with file:line, when it
* reads the server's day or local time: ``today`` of ``date`` or ``datetime``,
  ``datetime.utcnow``, ``datetime.now`` without a zone;
* defines a time zone of its own: ``ZoneInfo(...)``, ``timezone(timedelta(hours=9))``,
  ``pytz.timezone(...)`` or the zone's key as a string.
evangelists/calendar.py alone may do the last two (it is where the zone lives). Use
``today_in_japan()``, ``now_in_japan()``, ``utc_now()`` or ``PROGRAMME_ZONE`` instead.
"""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from evangelists import calendar

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("app", "evangelists", "bench", "scripts", "tests", "config.py", "wsgi.py", "gunicorn.conf.py")
CLOCK_MODULE = ROOT / "evangelists" / "calendar.py"
ZONE_KEY = calendar.PROGRAMME_ZONE_KEY
TODAY = "to" "day"  # spelt apart, so that `git grep` for the call finds none here


def _files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(p for p in sorted(path.rglob("*.py")) if "__pycache__" not in p.parts)
    return files


def _name(node: ast.AST) -> str:
    """``a.b.c`` -> "a.b.c" (names and attributes only); anything else: ""."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _name(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def _module_level_today(tree: ast.Module, node: ast.AST) -> bool:
    """``TODAY = date.<today>()`` written at module level (suite-speed's fixtures remove them)."""
    return any(
        isinstance(stmt, ast.Assign) and stmt.value is node
        and [getattr(t, "id", None) for t in stmt.targets] == ["TODAY"]
        for stmt in tree.body
    )


def problems_in(path: Path, root: Path = ROOT) -> list[str]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    where = path.relative_to(root).as_posix()
    is_clock = path.resolve() == CLOCK_MODULE
    calls = {id(node.func): node for node in ast.walk(tree) if isinstance(node, ast.Call)}
    found: list[str] = []

    def say(node: ast.AST, text: str) -> None:
        found.append(f"{where}:{node.lineno}: {text}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            name = _name(node)
            last_two = ".".join(name.split(".")[-2:])
            if last_two in (f"date.{TODAY}", f"datetime.{TODAY}"):
                call = calls.get(id(node))
                if call is not None and _module_level_today(tree, call) and where.startswith("tests/"):
                    say(node, f"{last_two}() at import: module-level TODAY (suite-speed turns it into "
                              "a fixture); use today_in_japan() inside the test")
                else:
                    say(node, f"{last_two}: the server's day; use evangelists.calendar.today_in_japan()")
            elif last_two == "datetime.utcnow":
                say(node, "datetime.utcnow(): naive; use evangelists.calendar.utc_now()")
            elif last_two == "datetime.now":
                call = calls.get(id(node))
                if call is None or not (call.args or any(k.arg == "tz" for k in call.keywords)):
                    say(node, "datetime.now() without a zone: the server's local time; "
                              "use evangelists.calendar.now_in_japan() or utc_now()")
        if is_clock:
            continue
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name.split(".")[-1] == "ZoneInfo":
                say(node, "ZoneInfo(...): a time zone defined outside evangelists/calendar.py; "
                          "use evangelists.calendar.PROGRAMME_ZONE")
            elif name in ("pytz.timezone",):
                say(node, "pytz.timezone(...): use evangelists.calendar.PROGRAMME_ZONE")
            elif name.split(".")[-1] == "timezone" and node.args and isinstance(node.args[0], ast.Call):
                say(node, "timezone(timedelta(...)): a fixed offset standing for Japan; "
                          "use evangelists.calendar.PROGRAMME_ZONE")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip() == ZONE_KEY:
            say(node, f'"{ZONE_KEY}": the zone\'s key lives in evangelists/calendar.py (PROGRAMME_ZONE_KEY)')
    return found


def test_the_programme_clock_is_read_only_through_evangelists_calendar():
    found = [problem for path in _files() for problem in problems_in(path)]
    assert not found, (
        "The programme's clock and zone come from evangelists/calendar.py only "
        "(today_in_japan(), now_in_japan(), utc_now(), PROGRAMME_ZONE):\n  " + "\n  ".join(found)
    )


@pytest.mark.parametrize(("source", "expected"), [
    (f"from datetime import date\nx = date.{TODAY}()\n", f"date.{TODAY}"),
    (f"import datetime\nx = datetime.date.{TODAY}()\n", f"date.{TODAY}"),
    (f"from datetime import date\nfield = dict(default=date.{TODAY})\n", f"date.{TODAY}"),
    ("from datetime import datetime\nx = datetime.now()\n", "without a zone"),
    ("from datetime import datetime\nx = datetime.utcnow()\n", "utcnow"),
    (f"from datetime import datetime\nx = datetime.{TODAY}()\n", f"datetime.{TODAY}"),
    (f'from zoneinfo import ZoneInfo\nJST = ZoneInfo("{ZONE_KEY}")\n', "ZoneInfo"),
    ("from datetime import timedelta, timezone\nJST = timezone(timedelta(hours=9))\n", "fixed offset"),
    (f'ZONE = "{ZONE_KEY}"\n', "the zone's key"),
    (f"from datetime import date\nTODAY = date.{TODAY}()\n", "module-level TODAY"),
])
def test_the_check_finds_each_way_round_the_clock(tmp_path, source, expected):
    folder = tmp_path / "tests"
    folder.mkdir()
    (folder / "sample.py").write_text(source, encoding="utf-8")
    found = problems_in(folder / "sample.py", root=tmp_path)
    line = source.count("\n")  # the offending line is the last one
    assert found and all(f.startswith(f"tests/sample.py:{line}: ") for f in found), found
    assert any(expected in f for f in found), found


@pytest.mark.parametrize("source", [
    "from datetime import UTC, datetime\nx = datetime.now(UTC)\n",
    "from datetime import UTC, datetime\nx = datetime.now(tz=UTC)\n",
    f'"""Days are Japanese days, in {ZONE_KEY}."""\n',
    "from evangelists.calendar import today_in_japan\nx = today_in_japan()\n",
])
def test_the_check_lets_the_programme_clock_through(tmp_path, source):
    (tmp_path / "ok.py").write_text(source, encoding="utf-8")
    assert problems_in(tmp_path / "ok.py", root=tmp_path) == []


# The clock itself: Japan's day at a moment when the server's (UTC) day is the day before.
JAPAN_1AM = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 2026-12-02 01:00 JST


def test_today_is_japans_day_while_utc_is_still_on_the_day_before():
    assert JAPAN_1AM.date() == date(2026, 12, 1)
    assert calendar.today_in_japan(JAPAN_1AM) == date(2026, 12, 2)
    assert calendar.now_in_japan(JAPAN_1AM).hour == 1
    assert calendar.day_in_japan(JAPAN_1AM) == date(2026, 12, 2)
    assert calendar.start_of_day_in_japan(date(2026, 12, 2)) == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def test_without_now_the_functions_read_the_one_clock(monkeypatch):
    monkeypatch.setattr(calendar, "utc_now", lambda: JAPAN_1AM)
    assert calendar.today_in_japan() == date(2026, 12, 2)
    assert calendar.now_in_japan() == JAPAN_1AM


def test_config_takes_the_zone_from_the_calendar():
    from config import Config

    assert Config.BABEL_DEFAULT_TIMEZONE == calendar.PROGRAMME_ZONE_KEY == calendar.PROGRAMME_ZONE.key
