"""/figures: what the programme achieved in each fiscal year (年度), for anyone to cite.

The page shows four figures, each as a chart drawn by static/js/dashboard.js from a JSON
spec in a ``data-chart`` attribute (no inline script: strict CSP) and as a table, which is
the source of truth; each figure is defined in a note. The table is also offered as CSV
(UTF-8 with a BOM) and JSON under the programme's open-data licence (PDL 1.0).
"""

from __future__ import annotations

import csv
import io
import json

from flask import Response, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _

from app.decorators import public
from app.figures import bp
from app.labels import label
from app.links import external_url
from app.page_cache import cached_page
from app.services.fiscal_figures import COLUMNS, LICENCE, FiscalFigures, fiscal_figures, rows
from app.templating import format_day, format_fiscal_year
from evangelists.calendar import today_in_japan
from evangelists.vocabulary import ACTIVATING_OUTCOMES

FILE_STEM = "evangelist-network-fiscal-years"


def year_label(year: int, in_progress: bool = False) -> str:
    """A fiscal year in the page's language, "2026年度（令和8年度）" / "FY2026 (Reiwa 8)";
    the current one marked as in progress."""
    text = format_fiscal_year(year)
    return _("%(year)s, in progress", year=text) if in_progress else text


def _quoted(value: str) -> str:
    return _("“%(label)s”", label=value)


def notes(figures: FiscalFigures) -> list[dict]:
    """The definition of each figure, and of the years and the day they are counted to, in
    the page's language: ``id`` (the note's anchor), ``title``, ``text``."""
    activating = _(" or ").join(_quoted(label("outcome_type", t)) for t in ACTIVATING_OUTCOMES)
    return [
        {"id": "note-towns", "title": _("Municipalities that became open-data active through the programme"),
         "text": _("A municipality is counted once, in the fiscal year of the day its first outcome %(outcomes)s "
                   "was achieved, as an evangelist recorded it after a visit; later outcomes of the same kind do "
                   "not count it again. Not counted: municipalities that already published open data before the "
                   "programme’s first such outcome or visit there (active on their own, as the national survey "
                   "on open data records them), and municipalities the survey reports as active without such an "
                   "outcome.", outcomes=activating)},
        {"id": "note-visits", "title": _("Visits and municipalities visited"),
         "text": _("Advisory visits (on site and online) that evangelists logged, counted in the fiscal year of "
                   "the day of the visit. Municipalities visited counts a municipality once a year however many "
                   "visits it had; its cumulative total counts each municipality once, in the year of its first "
                   "visit, so it is not the sum of the years. Not counted: visits booked but not logged.")},
        {"id": "note-datasets", "title": _("Datasets published"),
         "text": _("The sum of the numbers of datasets given on the outcomes %(outcome)s recorded after visits, "
                   "counted in the fiscal year of the day each outcome was achieved. Not counted: datasets a "
                   "municipality published without such an outcome.",
                   outcome=_quoted(label("outcome_type", "datasets_published")))},
        {"id": "note-use-cases", "title": _("Use cases published"),
         "text": _("Use cases in the public library, counted in the fiscal year of the day in Japan they were "
                   "published, which is after the municipality agreed to their text. Not counted: drafts, use "
                   "cases waiting for the municipality’s agreement, and use cases withdrawn since (a withdrawn "
                   "use case leaves the year it was counted in).")},
        {"id": "note-years", "title": _("Fiscal years and days"),
         "text": _("A fiscal year runs from 1 April to 31 March and is named by the year of its April, with its "
                   "Japanese era year: %(example)s runs from 1 April %(first)s to 31 March %(next)s. Everything "
                   "counts on its day in Japan (JST, UTC+9): a use case published at 15:30 UTC on 31 March was "
                   "published at 00:30 on 1 April in Japan and counts in the new fiscal year. The table starts in "
                   "the fiscal year of the programme’s first request or visit.",
                   example=format_fiscal_year(figures.current.year), first=figures.current.year,
                   next=figures.current.year + 1)},
        {"id": "note-as-of", "title": _("As of"),
         "text": _("Counted up to and including %(day)s; anything dated later is not counted yet, so the current "
                   "fiscal year is in progress. The figures of past years can change when a record is corrected "
                   "or a use case is withdrawn. Totals only: nothing here is about a person.",
                   day=format_day(figures.today, era=True))},
    ]


def _chart(labels: list[str], datasets: list[tuple[str, list[int]]]) -> dict:
    """What static/js/dashboard.js needs to draw a bar chart: translated labels, raw
    numbers (the script formats them for the page's language)."""
    return {"type": "bar", "horizontal": False, "stacked": False, "format": "number", "labels": labels,
            "datasets": [{"label": name, "data": data} for name, data in datasets]}


def chart_specs(figures: FiscalFigures) -> dict[str, dict]:
    """One chart per figure, keyed by its section's id; the same numbers as its table."""
    labels = [year_label(y.year, y.in_progress) for y in figures.years]

    def series(figure: str) -> list[int]:
        return [y.value(figure) for y in figures.years]

    return {
        "towns": _chart(labels, [(_("Became open-data active"), series("towns_activated"))]),
        "visits": _chart(labels, [(_("Visits"), series("visits")),
                                  (_("Municipalities visited"), series("towns_visited"))]),
        "datasets": _chart(labels, [(_("Datasets published"), series("datasets"))]),
        "use-cases": _chart(labels, [(_("Use cases published"), series("use_cases"))]),
    }


@bp.get("")
@public
@cached_page
def fiscal_years():
    figures = fiscal_figures(today_in_japan())
    return render_template("figures/fiscal_years.html", figures=figures, charts=chart_specs(figures),
                           notes=notes(figures), year_label=year_label, licence=LICENCE, columns=COLUMNS)


def _both_labels(year: int) -> tuple[str, str]:
    return format_fiscal_year(year, locale="ja"), format_fiscal_year(year, locale="en")


def _file(body: bytes, mimetype: str, suffix: str) -> Response:
    """``body`` with a strong ETag (304 when the reader's copy is current), the licence in
    a ``Link`` header, and a file name of the day."""
    response = Response(body, mimetype=mimetype)
    response.cache_control.public = True
    response.cache_control.no_cache = True
    response.add_etag()
    response.headers["Link"] = f'<{LICENCE["url_ja"]}>; rel="license"'
    response.headers["Content-Disposition"] = f'attachment; filename="{FILE_STEM}.{suffix}"'
    return response.make_conditional(request)


@bp.get("/fiscal-years.csv")
@public
def fiscal_years_csv():
    """The table as CSV: UTF-8 with a BOM (so Excel in Japan opens it), one row per fiscal
    year, oldest first, the column names of COLUMNS."""
    figures = fiscal_figures(today_in_japan())
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({**row, "in_progress": int(row["in_progress"])} for row in rows(figures, _both_labels))
    return _file(("\ufeff" + out.getvalue()).encode(), "text/csv", "csv")


@bp.get("/fiscal-years.json")
@public
def fiscal_years_json():
    """The table as JSON with its licence, the day it is counted to, and each figure's
    definition in Japanese and English."""
    figures = fiscal_figures(today_in_japan())
    definitions = {}
    for locale in ("ja", "en"):
        with force_locale(locale):
            definitions[locale] = [{"id": n["id"], "title": str(n["title"]), "text": str(n["text"])}
                                   for n in notes(figures)]
    body = json.dumps({
        "title": "Evangelist Network: the open data evangelist programme by fiscal year",
        "title_ja": "伝道師ネットワーク：オープンデータ伝道師の取組の年度別実績",
        "source": external_url("figures.fiscal_years"),
        "as_of": figures.today.isoformat(),
        "license": LICENCE,
        "columns": list(COLUMNS),
        "rows": rows(figures, _both_labels),
        "definitions": definitions,
    }, ensure_ascii=False, separators=(",", ":")).encode()
    return _file(body, "application/json", "json")
