"""The domain core must stay plain Python: no Flask, no SQLAlchemy (STYLE.md)."""

import subprocess
import sys
from pathlib import Path

import evangelists

CORE = Path(evangelists.__file__).parent
MODULES = sorted(
    "evangelists." + p.relative_to(CORE).with_suffix("").as_posix().replace("/", ".")
    for p in CORE.rglob("*.py")
    if p.name != "__init__.py"
)


def test_core_has_modules_to_check():
    assert "evangelists.gazetteer" in MODULES and "evangelists.vocabulary" in MODULES


def test_importing_the_whole_core_loads_neither_flask_nor_sqlalchemy():
    code = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'sqlalchemy', 'flask_sqlalchemy', 'app'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
