"""The dashboard's tables as rows of values, for its CSV downloads: each table on its own,
and all of them as one long table (table, row, column, value). Headers are in the
reader's language; numbers are plain numbers (no thousands separators, shares in per cent
to one decimal) so that a spreadsheet reads them as numbers; a group of fewer than three
people is written "<3" as on the page."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask_babel import format_decimal
from flask_babel import gettext as _

from app.labels import label
from app.services.reports import Dashboard
from evangelists.reports import SMALL_CELL
from evangelists.vocabulary import AGE_BANDS, GENDERS

BOM = "\ufeff"  # as app/services/exports.py: Excel then reads the file as UTF-8
# A cell starting with one of these is a formula to a spreadsheet: such text gets a
# leading apostrophe, as in app/services/exports.py.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    id: str  # also the CSV's name: dashboard-<id>-….csv
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _small(value: int | None) -> Cell:
    return f"<{SMALL_CELL}" if value is None else value


def dashboard_tables(f: Dashboard, *, lang: str, month_label: Callable, quarter_label: Callable,
                     fiscal_year_label: Callable, funnel_step_label: Callable,
                     load_bucket_label: Callable, outreach=None) -> tuple[Table, ...]:
    """Every table of the dashboard, in page order (``outreach``: the outreach funnel,
    ``app.services.outreach.funnel``)."""
    def pref(ja: str, en: str) -> str:
        return ja if lang == "ja" else en

    od, rq, gap, dv = f.open_data, f.requests, f.gap, f.diversity
    km = format_decimal(gap.radius_km, "#,##0")
    modes = [mode for mode, _n in f.visits.by_mode]
    timeline = ([(_("Before records"), od.before_records, od.before_records)] if od.before_records else []) + [
        (quarter_label(p.start), p.added, p.cumulative) for p in od.timeline
    ]
    tables = [
        Table("open-data-timeline", _("Municipalities publishing open data over time"),
              (_("Quarter"), _("Started"), _("Total at the end of the quarter")), tuple(timeline)),
        Table("open-data-prefectures", _("Open data by prefecture"),
              (_("Prefecture"), _("Municipalities"), _("Publishing open data"), _("Share (%)")),
              tuple((pref(p.name_ja, p.name_en), p.municipalities, p.active, _percent(p.share))
                    for p in od.prefectures)
              + ((_("Total"), od.municipalities, od.active, _percent(od.share)),)),
        Table("requests-open", _("Open requests by status"), (_("Status"), _("Requests")),
              tuple((label("request_status", s), n) for s, n in rq.open_by_status)
              + ((_("Open in all"), rq.open_total),)),
        Table("requests-days", _("How long help takes"),
              (_("From the request"), _("Median days"), _("Requests counted")),
              ((_("To the first assignment"), rq.to_assignment.value, rq.to_assignment.n),
               (_("To the first visit"), rq.to_visit.value, rq.to_visit.n))),
        Table("fiscal-years", _("By fiscal year"),
              (_("Fiscal year"), _("Requests received"), *(label("visit_mode", m) for m in modes), _("Visits"),
               _("Outcomes"), _("Datasets"), _("Started publishing open data")),
              tuple((fiscal_year_label(r.year), r.requests, *(n for _m, n in r.visits_by_mode), r.visits,
                     r.outcomes, r.datasets, r.open_data_started) for r in f.fiscal_years)),
        Table("visits-months", _("Visits per month"),
              (_("Month"), *(label("visit_mode", m) for m in modes), _("Total")),
              tuple((month_label(m.month), *(n for _m, n in m.by_mode), m.total) for m in f.visits.months)
              + ((_("Total"), *(n for _m, n in f.visits.by_mode), f.visits.total),)),
        Table("outcomes", _("Outcomes by type"), (_("Outcome"), _("Recorded"), _("Datasets")),
              tuple((label("outcome_type", o.type), o.outcomes, o.datasets) for o in f.outcomes.by_type)
              + ((_("Total"), f.outcomes.total, f.outcomes.datasets),)),
        Table("funnel", _("From request to open data"), (_("Step"), _("Requests"), _("Of requests received (%)")),
              tuple((funnel_step_label(step), n, _percent(n / f.funnel.requests if f.funnel.requests else None))
                    for step, n in f.funnel.steps)),
        Table("load", _("Evangelist load"), (_("Capacity in use"), _("Active evangelists")),
              tuple((load_bucket_label(key), n) for key, n in f.load.buckets)),
        Table("gap-prefectures", _("Coverage gap by prefecture"),
              (_("Prefecture"), _("Not publishing yet"), _("Beyond %(km)s km", km=km)),
              tuple((pref(p.name_ja, p.name_en), p.non_active, p.gap) for p in gap.prefectures)
              + ((_("Total"), gap.non_active, len(gap.places)),)),
        Table("gap-places", _("The municipalities in the gap, farthest first"),
              (_("Municipality"), _("Municipality code"), _("Prefecture"), _("Nearest active evangelist (km)")),
              tuple((p.name if lang == "ja" or not p.name_romaji else p.name_romaji, p.code,
                     pref(p.prefecture_ja, p.prefecture_en),
                     None if p.distance_km is None else round(p.distance_km)) for p in gap.places)),
        Table("diversity", _("Active evangelists by age band and gender"),
              (_("Age band"), *(label("gender", g) for g in GENDERS)),
              tuple((label("age_band", a), *(_small(dv.count(a, g)) for g in GENDERS)) for a in AGE_BANDS)
              + ((_("Did not give both"), _small(dv.not_said), *([""] * (len(GENDERS) - 1))),)),
        Table("prefectures-covered", _("Prefectures with an active evangelist"),
              (_("Prefectures"), _("Number"), _("Share (%)")),
              ((_("With an active evangelist"), dv.prefectures_covered, _percent(dv.prefecture_share)),
               (_("Without one"), dv.prefectures - dv.prefectures_covered,
                _percent(None if dv.prefecture_share is None else 1 - dv.prefecture_share)))),
    ]
    if outreach is not None:
        words = {"contacted": _("Contacted"), "interested": _("Interested"), "request": _("Became a request"),
                 "active": _("Publishing open data since")}
        tables.append(Table("outreach-funnel", _("Outreach to towns that have not asked"), (_("Step"), _("Cases")),
                            tuple((words[step], n) for step, n in outreach.steps)))
    return tuple(tables)


TABLE_IDS = ("open-data-timeline", "open-data-prefectures", "requests-open", "requests-days", "fiscal-years",
             "visits-months", "outcomes", "funnel", "load", "gap-prefectures", "gap-places", "diversity",
             "prefectures-covered", "outreach-funnel")


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Cell]]) -> str:
    """The CSV of one header and its rows, starting with the BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_cell(h) for h in header])
    writer.writerows([_cell(v) for v in row] for row in rows)
    return BOM + buffer.getvalue()


def table_csv(table: Table) -> str:
    return csv_text(table.header, table.rows)


def whole_csv(tables: Iterable[Table]) -> str:
    """Every table as one long table: which table, which row (its first cell), which
    column (its header) and the value."""
    rows = [
        (t.title, row[0], column, value)
        for t in tables for row in t.rows for column, value in zip(t.header[1:], row[1:], strict=True)
    ]
    return csv_text((_("Table"), _("Row"), _("Column"), _("Value")), rows)
