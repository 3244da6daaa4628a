"""The house rules of STYLE.md, checked on the import graph instead of remembered.

Imports flow one way — factory -> blueprints -> services -> core and models — and never back:

- the core (``evangelists/``) imports nothing of ``app`` (nor Flask or SQLAlchemy: see
  ``tests/domain/test_core_is_framework_free.py``, which imports it for real);
- a model imports no service and no blueprint;
- a service imports no blueprint and touches none of the request-bound globals
  (``request``, ``session``, ``g``, ``flash``, ``current_user``): it is given what it needs;
- a blueprint imports no other blueprint (shared helpers live in shared web modules);
- only ``app/services/`` commits.

Each rule is read from the source with :mod:`ast`, so a violation is reported with its file
and line before anything runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
CORE = ROOT / "evangelists"

REQUEST_GLOBALS = {"request", "session", "g", "flash", "current_user"}


@dataclass(frozen=True)
class Import:
    module: str  # the absolute module imported from (``a.b`` for ``from a.b import c``)
    names: tuple[str, ...]  # the names taken from it (empty for ``import a.b``)
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "translations" not in p.parts)


def imports_of(path: Path) -> Iterator[Import]:
    return imports_in(
        path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py"
    )


def imports_in(source: str, module: str, *, is_package: bool = False) -> Iterator[Import]:
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names = tuple(alias.name for alias in node.names)
            yield Import(module, names, node.lineno)
            # ``from app import services`` imports the module app.services too.
            for name in names:
                yield Import(f"{module}.{name}", (), node.lineno)


def blueprint_packages() -> set[str]:
    """Every module of ``app/`` that makes a Blueprint: the feature folders, and cli.py
    (a blueprint of commands)."""
    found = set()
    for path in python_files(APP):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Blueprint"
            ):
                found.add(module_name(path))
    return found


BLUEPRINTS = blueprint_packages()


def blueprint_of(module: str) -> str | None:
    """The blueprint (package or module) that ``module`` belongs to, if any."""
    for name in BLUEPRINTS:
        if module == name or module.startswith(name + "."):
            return name
    return None


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_the_rules_see_the_house():
    assert {"app.public", "app.coordinator", "app.api", "app.cli"} <= BLUEPRINTS
    assert len(python_files(APP / "services")) > 10
    assert len(python_files(CORE)) > 10


def test_the_core_imports_nothing_of_the_app():
    bad = [
        f"{where(path, imp.line)} imports {imp.module}"
        for path in python_files(CORE)
        for imp in imports_of(path)
        if imp.module.split(".")[0] in {"app", "flask", "flask_sqlalchemy", "sqlalchemy", "config"}
    ]
    assert not bad, "\n" + "\n".join(bad)


def test_models_import_no_service_and_no_blueprint():
    bad = [
        f"{where(path, imp.line)} imports {imp.module}"
        for path in python_files(APP / "models")
        for imp in imports_of(path)
        if in_package(imp.module, "app.services") or blueprint_of(imp.module)
    ]
    assert not bad, "\n" + "\n".join(bad)


def test_services_import_no_blueprint():
    bad = [
        f"{where(path, imp.line)} imports {imp.module}"
        for path in python_files(APP / "services")
        for imp in imports_of(path)
        if blueprint_of(imp.module)
    ]
    assert not bad, "\n" + "\n".join(bad)


def request_globals_used(path: Path) -> list[str]:
    return globals_in(path.read_text(encoding="utf-8"), module_name(path), str(path.relative_to(ROOT)))


def globals_in(source: str, module: str, label: str) -> list[str]:
    tree = ast.parse(source)
    found = []
    for imp in imports_in(source, module):
        if imp.module in {"flask", "flask_login"}:
            found += [f"{label}:{imp.line} imports {n}" for n in imp.names if n in REQUEST_GLOBALS]
    for node in ast.walk(tree):
        # flask.request, flask.session... reached through the module
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in {"flask", "flask_login"}
            and node.attr in REQUEST_GLOBALS
        ):
            found.append(f"{label}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def test_services_touch_no_request_bound_global():
    bad = [found for path in python_files(APP / "services") for found in request_globals_used(path)]
    assert not bad, "\n" + "\n".join(bad)


def test_no_blueprint_imports_another():
    bad = []
    for path in python_files(APP):
        own = blueprint_of(module_name(path))
        if own is None:
            continue
        for imp in imports_of(path):
            other = blueprint_of(imp.module)
            if other is not None and other != own:
                bad.append(f"{where(path, imp.line)} ({own}) imports {imp.module}")
    assert not bad, "\n" + "\n".join(bad)


def commits_in(path: Path) -> list[str]:
    return commits_in_source(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))


def commits_in_source(source: str, label: str) -> list[str]:
    tree = ast.parse(source)
    return [
        f"{label}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]


def test_only_services_commit():
    bad = [
        found
        for path in python_files(APP)
        if not in_package(module_name(path), "app.services")
        for found in commits_in(path)
    ]
    assert not bad, "\n" + "\n".join(bad)


# The checks themselves must be able to fail: each one given a small module that breaks it.
@pytest.mark.parametrize(
    ("module", "source", "check"),
    [
        ("evangelists._probe", "from app.models import User\n", "core"),
        ("app.models._probe", "from app.services import accounts\n", "models"),
        ("app.models._probe", "from ..services.accounts import User\n", "models"),
        ("app.services._probe", "from app.public.routes import index\n", "services"),
        ("app.services._probe", "from flask import request\n", "globals"),
        ("app.services._probe", "import flask\nflask.session.clear()\n", "globals"),
        ("app.admin._probe", "from app.public import forms\n", "blueprints"),
        ("app.admin._probe", "from ..coordinator.routes import home\n", "blueprints"),
        ("app._probe", "from app.extensions import db\ndb.session.commit()\n", "commits"),
    ],
)
def test_each_rule_catches_what_it_forbids(module, source, check):
    imports = list(imports_in(source, module))
    if check == "core":
        found = [i for i in imports if i.module.split(".")[0] == "app"]
    elif check == "models":
        found = [i for i in imports if in_package(i.module, "app.services")]
    elif check == "services":
        found = [i for i in imports if blueprint_of(i.module)]
    elif check == "globals":
        found = globals_in(source, module, module)
    elif check == "blueprints":
        own = blueprint_of(module)
        found = [i for i in imports if blueprint_of(i.module) not in {None, own}]
    else:
        found = commits_in_source(source, module)
    assert found, f"the {check} rule missed {source!r}"


def test_a_blueprints_own_imports_are_allowed():
    own = blueprint_of("app.admin.routes")
    imports = list(imports_in("from app.admin.forms import X\nfrom . import bp\n", "app.admin.routes"))
    assert [i for i in imports if blueprint_of(i.module) not in {None, own}] == []
