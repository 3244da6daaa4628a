"""bench/bench_library.py at a hundredth of its size, so that the script cannot rot: it
migrates a fresh database, seeds use cases in bulk (the text index kept by the database)
and runs every measurement. No assertion is about time (the figures are in the README)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.conftest import backend_name

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_library.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_library", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def empty_database(request, tmp_path) -> str:
    if backend_name() == "postgresql":
        return request.getfixturevalue("postgres_scratch")
    return f"sqlite:///{tmp_path / 'bench.db'}"


def test_the_library_bench_seeds_and_measures_everything(empty_database):
    bench = load_bench()
    outcome = bench.run(empty_database, count=50, runs=1, quiet=True)
    assert outcome.published + outcome.unpublished == 50 and outcome.published > 30
    assert len(outcome.figures) == 10 and all(f.samples == 1 for f in outcome.figures)
