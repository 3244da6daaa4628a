"""bench/bench_dialogue.py at a thousandth of its size, so that the script cannot rot: it
migrates a fresh database, seeds the dialogue in bulk with counters that match the rows,
and runs every measurement once or twice. No assertion is about time (the figures are in
the README); on PostgreSQL it runs on a scratch database of its own (the seeding uses
COPY there)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.conftest import backend_name

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_dialogue.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_dialogue", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def empty_database(request, tmp_path) -> str:
    if backend_name() == "postgresql":
        return request.getfixturevalue("postgres_scratch")
    return f"sqlite:///{tmp_path / 'bench.db'}"


def test_the_dialogue_bench_seeds_consistent_data_and_measures_everything(empty_database):
    bench = load_bench()
    outcome = bench.run(empty_database, scale=0.001, runs=2, quiet=True)
    assert outcome.problems == []
    rows = outcome.seeded.rows
    assert rows["users"] == rows["idea_profiles"] == 73
    assert (rows["ideas"], rows["idea_comments"], rows["idea_votes"]) == (79, 380, 690)
    measured = [f.what for f in outcome.figures]
    for sort in ("new", "agreed", "discussed", "trending"):
        assert f"theme list, {sort}, page 1" in measured
        assert f"theme list, {sort}, page 50" in measured
    assert any(what.startswith("idea with") for what in measured)
    assert {"search, 2 characters", "search, 3+ characters"} <= set(measured)
    assert any(what.startswith("vote") for what in measured)
    assert all(f.samples >= 1 and f.p95 >= f.median >= 0 for f in outcome.figures)
