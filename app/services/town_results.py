"""A municipality's public results (issue 22, point 3), read from the database: for its
page (two queries) and for the programme's per-municipality open data (two grouped
queries over every town, kept until the data changes). Aggregates only: no person, no
contact, no visit's text. The arithmetic is ``evangelists.town_results``."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Assignment,
    Municipality,
    Outcome,
    Prefecture,
    SupportRequest,
    UseCase,
    Visit,
)
from app.services.versioned import until_data_changes
from evangelists import town_results as core
from evangelists.use_cases import PUBLIC_STATUSES
from evangelists.vocabulary import ACTIVATING_OUTCOMES

# Published use cases listed on a town's page, newest first (the rest are counted).
USE_CASES_LISTED = 20
DATASETS = "datasets_published"
_COUNTED = (DATASETS, *ACTIVATING_OUTCOMES)


def _activating():
    return Outcome.type.in_(ACTIVATING_OUTCOMES)


def _outcome_figures():
    """(datasets, first activating outcome achieved, first visit recording one) as
    aggregate columns over outcomes joined to their visit's request."""
    return (
        sa.func.sum(sa.case((Outcome.type == DATASETS, Outcome.count))).label("datasets"),
        sa.func.min(sa.case((_activating(), Outcome.achieved_on))).label("first_achieved"),
        sa.func.min(sa.case((_activating(), Visit.visited_on))).label("first_visited"),
    )


def _of_requests(stmt: sa.Select) -> sa.Select:
    """``stmt`` over outcomes joined to the visit, assignment and request they belong to
    (the request's municipality is the town the outcome is in)."""
    return (stmt.select_from(Outcome)
            .join(Visit, Visit.id == Outcome.visit_id)
            .join(Assignment, Assignment.id == Visit.assignment_id)
            .join(SupportRequest, SupportRequest.id == Assignment.request_id)
            .where(Outcome.type.in_(_COUNTED)))


def _is_web(column) -> sa.ColumnElement[bool]:
    lowered = sa.func.lower(column)
    return sa.or_(lowered.like("http://%"), lowered.like("https://%"))


def results_of(town: Municipality) -> core.TownResults:
    """``town``'s results for its public page, in two queries: the outcomes of its
    requests' visits (aggregated, with the newest catalogue address an outcome gives) and
    its published use cases."""
    newest_catalogue = _of_requests(sa.select(Outcome.evidence_url)).where(
        SupportRequest.municipality_id == town.id, Outcome.type == "catalog_launched",
        Outcome.evidence_url.is_not(None), _is_web(Outcome.evidence_url),
    ).order_by(Outcome.achieved_on.desc(), Outcome.id.desc()).limit(1).scalar_subquery()
    figures = db.session.execute(
        _of_requests(sa.select(*_outcome_figures(), newest_catalogue.label("catalogue")))
        .where(SupportRequest.municipality_id == town.id)
    ).one()
    rows = db.session.execute(
        sa.select(UseCase.id, UseCase.title, UseCase.published_at, UseCase.catalogue_url,
                  sa.func.count().over().label("total"))
        .where(UseCase.municipality_id == town.id, UseCase.status.in_(PUBLIC_STATUSES),
               UseCase.published_at.is_not(None))
        .order_by(UseCase.published_at.desc(), UseCase.id.desc())
        .limit(USE_CASES_LISTED)
    ).all()
    return core.town_results(
        status=town.open_data_status, since=town.open_data_since,
        first_achieved=_day(figures.first_achieved), first_visited=_day(figures.first_visited),
        datasets=figures.datasets,
        catalogue_candidates=[figures.catalogue, *(r.catalogue_url for r in rows)],
        use_cases=[core.PublishedUseCase(r.id, r.title, r.published_at) for r in rows],
        published_total=rows[0].total if rows else 0,
    )


def municipality_open_data() -> tuple[list[dict], datetime | None]:
    """Every municipality's row of the programme's open data, by code, and the newest
    change behind them (for Last-Modified). Kept until the data changes."""
    return until_data_changes("municipality_open_data", _municipality_open_data)


def _municipality_open_data() -> tuple[list[dict], datetime | None]:
    town = SupportRequest.municipality_id
    outcomes = _of_requests(sa.select(town.label("town_id"), *_outcome_figures())).group_by(town).subquery()
    cases = (sa.select(UseCase.municipality_id.label("town_id"), sa.func.count(UseCase.id).label("use_cases"))
             .where(UseCase.status.in_(PUBLIC_STATUSES)).group_by(UseCase.municipality_id).subquery())
    m = Municipality
    rows = db.session.execute(
        sa.select(m.code, m.name, m.name_romaji, Prefecture.code.label("prefecture_code"), m.kind,
                  m.engagement_stage, m.open_data_status, m.open_data_since, outcomes.c.datasets,
                  outcomes.c.first_achieved, outcomes.c.first_visited, cases.c.use_cases)
        .join(Prefecture, Prefecture.id == m.prefecture_id)
        .outerjoin(outcomes, outcomes.c.town_id == m.id)
        .outerjoin(cases, cases.c.town_id == m.id)
        .order_by(m.code)
    ).all()
    newest = db.session.execute(sa.select(
        sa.select(sa.func.max(Municipality.updated_at)).scalar_subquery(),
        sa.select(sa.func.max(Outcome.updated_at)).scalar_subquery(),
        sa.select(sa.func.max(UseCase.updated_at)).scalar_subquery(),
    )).one()
    stamps = [s for s in newest if s is not None]
    return [_row(r) for r in rows], max(stamps) if stamps else None


def _row(r) -> dict:
    origin = core.open_data_origin(r.open_data_status, r.open_data_since, _day(r.first_achieved),
                                   _day(r.first_visited))
    return {
        "municipality_code": r.code, "name_ja": r.name, "name_romaji": r.name_romaji or "",
        "prefecture_code": r.prefecture_code, "kind": r.kind, "engagement_stage": r.engagement_stage,
        "open_data_active_since": r.open_data_since if origin is not None else None,
        "open_data_through_programme": None if origin is None else origin == core.PROGRAMME,
        "datasets_published": int(r.datasets or 0), "use_cases_published": int(r.use_cases or 0),
    }


def _day(value) -> date | None:
    """A day from an aggregate: a date, or its ISO text where a database gives text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
