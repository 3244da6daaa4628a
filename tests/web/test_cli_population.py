"""`flask geo load-population [FILE]`: an operator loads a newer census. Figures replace the
old ones, a bad file is refused with its line numbers and nothing written, a second run
writes nothing, and the municipalities without a figure are listed."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import AuditEvent, Municipality
from app.services.geography import load_gazetteer, load_population
from evangelists.gazetteer import load_municipalities, load_prefectures
from evangelists.use_cases import population_band

SAPPORO, NAIE, SHINSHINOTSU = "011002", "014249", "013048"


def small_gazetteer(*codes: str) -> None:
    """Only the municipalities ``codes``, none with a population."""
    records = [r for r in load_municipalities() if r.code in codes]
    load_gazetteer(load_prefectures(), records, populations={})


def populations(db) -> dict[str, int | None]:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(Municipality.code, Municipality.population)).all())


def events(db) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "gazetteer.population_loaded")
    )


def write(tmp_path, text: str, name: str = "census.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_file_sets_the_figures_and_a_second_run_writes_nothing(runner, db, tmp_path):
    small_gazetteer(SAPPORO, NAIE, SHINSHINOTSU)
    census = write(tmp_path, f"code,name,population\n{SAPPORO},札幌市,1973395\n01424,奈井江町,\"5,291\"\n"
                             f"{SHINSHINOTSU},新篠津村,2840\n")
    first = runner.invoke(args=["geo", "load-population", census])
    assert first.exit_code == 0, first.output
    assert "Population: 3 of 3 municipalities have a figure; 3 set now." in first.output
    assert populations(db) == {SAPPORO: 1_973_395, NAIE: 5_291, SHINSHINOTSU: 2_840}
    assert [population_band(populations(db)[code]) for code in (SAPPORO, NAIE, SHINSHINOTSU)] == [
        "300k_plus", "under_10k", "under_10k"]

    second = runner.invoke(args=["geo", "load-population", census])
    assert second.exit_code == 0, second.output
    assert "Population: 3 of 3 municipalities have a figure; nothing changed." in second.output
    assert events(db) == 1


def test_a_newer_file_replaces_the_figures_it_names_and_keeps_the_others(runner, db, tmp_path):
    small_gazetteer(SAPPORO, NAIE, SHINSHINOTSU)
    runner.invoke(args=["geo", "load-population",
                        write(tmp_path, f"code,population\n{SAPPORO},1\n{NAIE},2\n{SHINSHINOTSU},3\n", "old.csv")])
    result = runner.invoke(args=["geo", "load-population",
                                 write(tmp_path, f"code,population\n{SAPPORO},1960668\n011011,241244\n")])
    assert result.exit_code == 0, result.output
    assert populations(db) == {SAPPORO: 1_960_668, NAIE: 2, SHINSHINOTSU: 3}
    assert "Population: 3 of 3 municipalities have a figure; 1 set now." in result.output
    assert f"Not in the file, kept their figure: 2 municipalities: {SHINSHINOTSU}, {NAIE}" in result.output
    # 札幌市中央区: a ward, which the gazetteer folds into its city.
    assert "Skipped 1 code of the file that name no municipality: 011011" in result.output


def test_municipalities_left_without_a_figure_are_listed(runner, db, tmp_path):
    small_gazetteer(SAPPORO, NAIE, SHINSHINOTSU)
    result = runner.invoke(args=["geo", "load-population", write(tmp_path, f"code,population\n{SAPPORO},1960668\n")])
    assert result.exit_code == 0, result.output
    assert "Population: 1 of 3 municipalities have a figure; 1 set now." in result.output
    assert f"No population for 2 municipalities: {SHINSHINOTSU}, {NAIE}" in result.output


def test_a_bad_file_is_refused_with_its_line_numbers_and_nothing_is_written(runner, db, tmp_path):
    small_gazetteer(SAPPORO, NAIE, SHINSHINOTSU)
    bad = write(tmp_path, f"code,population\n{SAPPORO},1960668\n014240,5090\n{SHINSHINOTSU},about 3000\n")
    result = runner.invoke(args=["geo", "load-population", bad])
    assert result.exit_code == 1
    assert "line 3: code '014240' is not a local government code" in result.output
    assert "line 4: population 'about 3000' of 013048 is not a whole number" in result.output
    assert "2 problems: nothing was changed." in result.output
    assert populations(db) == {SAPPORO: None, NAIE: None, SHINSHINOTSU: None}
    assert events(db) == 0


def test_a_missing_file_is_said_by_its_name(runner, db, tmp_path):
    result = runner.invoke(args=["geo", "load-population", str(tmp_path / "nowhere.csv")])
    assert result.exit_code == 2
    assert "nowhere.csv" in result.output and "does not exist" in result.output


def test_before_the_gazetteer_there_is_nothing_to_set(runner, db, tmp_path):
    result = runner.invoke(args=["geo", "load-population", write(tmp_path, f"code,population\n{SAPPORO},1\n")])
    assert result.exit_code == 1
    assert "run `flask geo load` first" in result.output


def test_the_gazetteer_load_fills_only_municipalities_without_a_figure(db):
    small_gazetteer(SAPPORO, NAIE)
    load_population({SAPPORO: 1_973_395})
    records = [r for r in load_municipalities() if r.code in (SAPPORO, NAIE, SHINSHINOTSU)]
    report = load_gazetteer(load_prefectures(), records, populations={SAPPORO: 1, NAIE: 5_090})
    assert (report.municipalities_added, report.population.set) == (1, 1)
    assert report.population.without_figure == [SHINSHINOTSU]
    # The newer figure an operator loaded survives the load every start runs.
    assert populations(db) == {SAPPORO: 1_973_395, NAIE: 5_090, SHINSHINOTSU: None}
    again = load_gazetteer(load_prefectures(), records, populations={SAPPORO: 1, NAIE: 5_090})
    assert not again.changed

