"""Loading the national gazetteer and searching municipalities."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from app.extensions import db
from app.models import Municipality, Prefecture
from app.services.audit import record_event
from app.services.pages import Page, page_of
from evangelists.gazetteer import (
    POPULATION_CSV,
    MunicipalityRecord,
    PrefectureRecord,
    is_prefecture_code,
    load_municipalities,
    load_populations,
    load_prefectures,
)
from evangelists.text import VARIANT_FOLDS, fold_variants, normalize_query, to_katakana

PREFECTURE_FIELDS = ("name_ja", "name_kana", "name_en", "region")
# Gazetteer fields only: open-data status and engagement stage belong to the programme
# and are never overwritten by a reload.
MUNICIPALITY_FIELDS = ("name", "name_kana", "name_romaji", "kind", "lat", "lon")


@dataclass
class PopulationReport:
    """What setting the municipalities' populations did."""

    # Municipalities whose population this run wrote (new or different figures).
    set: int = 0
    # Municipalities that have a figure after the run.
    with_figure: int = 0
    # Codes of municipalities the file gives no figure for (they keep what they had) ...
    not_in_file: list[str] = field(default_factory=list)
    # ... and of those left with no figure at all.
    without_figure: list[str] = field(default_factory=list)
    # Codes in the file that name no municipality of the database (a ward, a prefecture).
    unknown: list[str] = field(default_factory=list)


@dataclass
class LoadReport:
    """What a gazetteer load did."""

    prefectures_added: int = 0
    prefectures_updated: int = 0
    municipalities_added: int = 0
    municipalities_updated: int = 0
    # Codes in the database that the gazetteer no longer lists (e.g. after a merger).
    # They are kept, since requests and visits may point at them, and reported.
    not_in_gazetteer: list[str] = field(default_factory=list)
    # The populations the load filled in where a municipality had none.
    population: PopulationReport = field(default_factory=PopulationReport)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.prefectures_added,
                self.prefectures_updated,
                self.municipalities_added,
                self.municipalities_updated,
                self.population.set,
            )
        )


def _identity(items: Iterable) -> Iterable:
    return items


def load_gazetteer(
    prefectures: list[PrefectureRecord] | None = None,
    municipalities: list[MunicipalityRecord] | None = None,
    populations: dict[str, int] | None = None,
    *,
    progress: Callable[[Iterable], Iterable] = _identity,
) -> LoadReport:
    """Insert or update prefectures and municipalities from the committed gazetteer, and
    give every municipality without a population its figure from ``populations`` (default:
    the committed file, ``evangelists/data/municipality_population.csv``, when it is
    there). A figure already set is kept, so the newer census an operator loaded with
    ``load_population`` survives the load that every start runs.

    Idempotent: a second run with the same data changes nothing and reports so.
    ``progress`` wraps the municipality iteration (the CLI passes a progress bar).
    """
    prefectures = load_prefectures() if prefectures is None else prefectures
    municipalities = load_municipalities() if municipalities is None else municipalities
    if populations is None:
        populations = load_populations() if POPULATION_CSV.exists() else {}
    report = LoadReport()

    existing_prefs = {p.code: p for p in db.session.scalars(sa.select(Prefecture))}
    for record in prefectures:
        row = existing_prefs.get(record.code)
        if row is None:
            row = Prefecture(code=record.code)
            db.session.add(row)
            existing_prefs[record.code] = row
            report.prefectures_added += 1
        if _apply(row, record, PREFECTURE_FIELDS) and row.id is not None:
            report.prefectures_updated += 1
    db.session.flush()

    existing = {m.code: m for m in db.session.scalars(sa.select(Municipality))}
    seen = set()
    for record in progress(municipalities):
        seen.add(record.code)
        prefecture = existing_prefs.get(record.prefecture_code)
        if prefecture is None:
            raise ValueError(
                f"municipality {record.code} {record.name} names prefecture "
                f"{record.prefecture_code}, which the gazetteer does not list"
            )
        row = existing.get(record.code)
        if row is None:
            row = Municipality(code=record.code, prefecture_id=prefecture.id)
            db.session.add(row)
            existing[record.code] = row
            report.municipalities_added += 1
            _apply(row, record, MUNICIPALITY_FIELDS)
            continue
        changed = _apply(row, record, MUNICIPALITY_FIELDS)
        if row.prefecture_id != prefecture.id:
            row.prefecture_id = prefecture.id
            changed = True
        report.municipalities_updated += changed
    report.not_in_gazetteer = sorted(set(existing) - seen)
    report.population = _set_populations(existing, populations, overwrite=False)

    if report.changed:
        record_event(
            None,
            "gazetteer.loaded",
            "gazetteer",
            after={
                "prefectures_added": report.prefectures_added,
                "prefectures_updated": report.prefectures_updated,
                "municipalities_added": report.municipalities_added,
                "municipalities_updated": report.municipalities_updated,
                "populations_set": report.population.set,
            },
        )
        db.session.commit()
    else:
        db.session.rollback()
    return report


def _set_populations(
    rows: dict[str, Municipality], populations: dict[str, int], *, overwrite: bool
) -> PopulationReport:
    """Write ``populations`` onto the municipality ``rows`` (code -> row): every figure when
    ``overwrite``, otherwise only where a municipality has none yet. No commit."""
    report = PopulationReport(unknown=sorted(set(populations) - set(rows)))
    for code in sorted(rows):
        row, figure = rows[code], populations.get(code)
        if figure is None:
            report.not_in_file.append(code)
        elif row.population != figure and (overwrite or row.population is None):
            row.population = figure
            report.set += 1
        if row.population is None:
            report.without_figure.append(code)
        else:
            report.with_figure += 1
    return report


def load_population(populations: dict[str, int]) -> PopulationReport:
    """Set every municipality's population to its figure in ``populations`` (code ->
    residents, as ``evangelists.gazetteer.read_populations`` reads a file), overwriting what
    the municipality had: a newer census replaces an older one. Municipalities the file
    does not name keep their figure and are reported, as are codes that name none.

    All or nothing, in one transaction; idempotent: a second run writes nothing.
    """
    rows = {m.code: m for m in db.session.scalars(sa.select(Municipality))}
    report = _set_populations(rows, populations, overwrite=True)
    if report.set:
        record_event(None, "gazetteer.population_loaded", "gazetteer", after={"count": report.set})
        db.session.commit()
    else:
        db.session.rollback()
    return report


def _apply(row, record, fields: tuple[str, ...]) -> bool:
    """Copy ``fields`` from ``record`` onto ``row``; True if anything differed."""
    changed = False
    for name in fields:
        value = getattr(record, name)
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


@dataclass(frozen=True)
class MunicipalityFilters:
    """What the municipality list is filtered by; empty strings mean "any"."""

    q: str = ""
    prefecture: str = ""
    open_data_status: str = ""
    engagement_stage: str = ""
    kind: str = ""


def folded(column):
    """``column`` with the variant characters folded as ``evangelists.text.fold_variants``
    folds a query: nested REPLACE, the same on SQLite and PostgreSQL, so 梼原 finds 檮原町
    (stored as the national code list writes it) and 檮原 finds it too."""
    for variant, folded_form in VARIANT_FOLDS:
        column = sa.func.replace(column, variant, folded_form)
    return column


def municipality_search(filters: MunicipalityFilters) -> sa.Select:
    """A SELECT of municipalities (with their prefecture loaded) matching ``filters``.

    ``q`` finds a municipality by part of its kanji name (variant characters folded, see
    ``evangelists.text.VARIANT_FOLDS``), its reading in hiragana or katakana, its romaji, or
    the start of its 5- or 6-digit code.
    """
    stmt = (
        sa.select(Municipality)
        .join(Municipality.prefecture)
        .options(contains_eager(Municipality.prefecture))
        .order_by(Municipality.code)
    )
    query = normalize_query(filters.q)
    if query:
        conditions = [
            # Names by their folded variants: 梼原 finds 檮原町, 桧原 finds 檜原村.
            folded(Municipality.name).contains(fold_variants(query), autoescape=True),
            Municipality.name_kana.contains(to_katakana(query).replace(" ", ""), autoescape=True),
            Municipality.name_romaji.icontains(query, autoescape=True),
            Prefecture.name_ja.contains(query, autoescape=True),
        ]
        if query.isdigit():
            conditions.append(Municipality.code.startswith(query, autoescape=True))
        stmt = stmt.where(sa.or_(*conditions))
    if filters.prefecture:
        stmt = stmt.where(Prefecture.code == filters.prefecture)
    if filters.open_data_status:
        stmt = stmt.where(Municipality.open_data_status == filters.open_data_status)
    if filters.engagement_stage:
        stmt = stmt.where(Municipality.engagement_stage == filters.engagement_stage)
    if filters.kind:
        stmt = stmt.where(Municipality.kind == filters.kind)
    return stmt


def municipality_page(filters: MunicipalityFilters, *, page: int, per_page: int) -> Page:
    """Page ``page`` of ``municipality_search``."""
    return page_of(municipality_search(filters), page, per_page)


def municipality_at(code: str) -> Municipality | None:
    """The municipality with local government code ``code``, its prefecture loaded."""
    return db.session.scalar(
        sa.select(Municipality).where(Municipality.code == code).options(joinedload(Municipality.prefecture))
    )


def list_prefectures() -> list[Prefecture]:
    return list(db.session.scalars(sa.select(Prefecture).order_by(Prefecture.code)))


def municipalities_of(prefecture_code: str | None) -> list[Municipality]:
    """The municipalities of one prefecture, by code order, for a prefecture → municipality
    picker (one query; none without a prefecture, or for anything but a prefecture's two
    ASCII digits, which is how a hand-made post can send it)."""
    if not is_prefecture_code(prefecture_code):
        return []
    return list(
        db.session.scalars(
            sa.select(Municipality)
            .join(Municipality.prefecture)
            .where(Prefecture.code == prefecture_code)
            .order_by(Municipality.code)
        )
    )
