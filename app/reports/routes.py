"""/coordinator/reports: what the programme has reached, in charts and tables, for a
region or prefecture and a fiscal year; each table and the whole as CSV; and a printable
page (A4)."""

from __future__ import annotations

from babel.dates import format_skeleton
from flask import Response, abort, render_template, request
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.decorators import role_required
from app.i18n import current_language
from app.labels import label
from app.page_cache import cached_page
from app.reports import bp
from app.reports.forms import DashboardFilterForm
from app.reports.tables import TABLE_IDS, dashboard_tables, table_csv, whole_csv
from app.services.geography import list_prefectures
from app.services.outreach import funnel as outreach_funnel
from app.services.regions import RegionScope, scope_of
from app.services.reports import VISIT_MONTHS, Dashboard, Scope, kept_dashboard, scope_for
from app.templating import format_fiscal_year
from evangelists import fiscal
from evangelists.calendar import today_in_japan
from evangelists.reports import SMALL_CELL
from evangelists.vocabulary import AGE_BANDS, GENDERS

STAFF = ("coordinator", "admin")
# The fiscal years the selector offers when there is no data to go by: these many back.
FISCAL_YEARS_OFFERED = 6


def allowed_regions() -> frozenset[str] | None:
    """The regions the signed-in person may see: None for every one (a regional
    coordinator's, ``app/services/regions.py``). The one place the dashboard asks."""
    return scope_of(current_user).regions


def fiscal_year_label(year: int) -> str:
    return format_fiscal_year(year, locale=current_language())


def _read_filter() -> tuple[DashboardFilterForm, Scope | None]:
    """The filter form from the query string and the scope it asks for; None when a
    value is wrong (each error is on its field)."""
    current = fiscal.fiscal_year(today_in_japan())
    years = range(current, current - FISCAL_YEARS_OFFERED, -1)
    form = DashboardFilterForm(request.args, prefectures=list_prefectures(), fiscal_years=years,
                               fiscal_year_label=fiscal_year_label, locale=current_language(),
                               regions=allowed_regions())
    if not form.validate():
        return form, None
    scope = scope_for(region=form.region_code, prefecture=form.prefecture_code,
                      fiscal_year=form.fiscal_year, regions=form.allowed)
    return form, scope


def _months() -> int:
    return 24 if request.args.get("months") == "24" else VISIT_MONTHS[0]


def _figures(scope: Scope) -> Dashboard:
    return kept_dashboard(today_in_japan(), months=_months(), scope=scope)


def _offered_years(figures: Dashboard) -> list[int]:
    """The fiscal years to choose from: every one the figures have, newest first."""
    return [row.year for row in reversed(figures.fiscal_years)]


def _page(template: str, *, printing: bool = False):
    form, scope = _read_filter()
    lang = current_language()
    if scope is None:
        return render_template("reports/dashboard.html", form=form, f=None, lang=lang, printing=False,
                               filter_args={}), 400
    figures = _figures(scope)
    form.offer_years(_offered_years(figures))
    return render_template(
        template,
        form=form,
        f=figures,
        printing=printing,
        charts=chart_specs(figures, lang),
        months=_months(),
        month_choices=VISIT_MONTHS,
        lang=lang,
        scope_place=place_label(form, scope),
        filter_args=filter_args(scope, form),
        table_ids=TABLE_IDS,
        small_cell=SMALL_CELL,
        age_bands=AGE_BANDS,
        genders=GENDERS,
        month_label=month_label,
        quarter_label=quarter_label,
        fiscal_year_label=fiscal_year_label,
        funnel_step_label=funnel_step_label,
        load_bucket_label=load_bucket_label,
        outreach_funnel=_outreach(scope),
    )


def _outreach(scope: Scope):
    """The outreach funnel under the dashboard's filter: its regions (already within the
    viewer's), prefecture and fiscal year (cases opened in it)."""
    regions = scope.regions if scope.regions is not None else scope_of(current_user).regions
    return outreach_funnel(RegionScope(regions), prefecture=scope.prefecture,
                           opened=fiscal.moment_bounds(scope.fiscal_year) if scope.fiscal_year else None)


@bp.get("")
@role_required(*STAFF)
@cached_page
def dashboard():
    """Every figure of the dashboard for ``?region=``, ``?prefecture=`` and ``?fy=`` (a
    fiscal year; all years without); ``?months=24`` shows two years of visits when no
    fiscal year is chosen. A wrong value: 400, the form with the error on its field."""
    return _page("reports/dashboard.html")


@bp.get("/print")
@role_required(*STAFF)
@cached_page
def printable():
    """The same figures laid out for A4 paper: every chart (drawn as an image the
    printer keeps) and every table, without the page's navigation."""
    return _page("reports/dashboard.html", printing=True)


@bp.get("/<table>.csv")
@role_required(*STAFF)
def download(table: str):
    """``dashboard.csv``: every figure as one long table; ``<table id>.csv``: one table.
    UTF-8 with a BOM, headers in the reader's language, the filter in the file name."""
    if table != "dashboard" and table not in TABLE_IDS:
        abort(404, description=_("There is no table called “%(name)s” on the dashboard.", name=table))
    form, scope = _read_filter()
    if scope is None:
        problems = " ".join(f"{form[name].label.text}: {' '.join(errors)}" for name, errors in form.errors.items())
        abort(400, description=problems)
    figures = _figures(scope)
    tables = dashboard_tables(figures, lang=current_language(), month_label=month_label, quarter_label=quarter_label,
                              fiscal_year_label=fiscal_year_label, funnel_step_label=funnel_step_label,
                              load_bucket_label=load_bucket_label, outreach=_outreach(scope))
    if table == "dashboard":
        text = whole_csv(tables)
    else:
        text = table_csv(next(t for t in tables if t.id == table))
    response = Response(text, mimetype="text/csv")
    name = csv_name(table, scope, form)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    # Staff figures of one session: kept in no cache on the way.
    response.headers["Cache-Control"] = "no-store"
    return response


def _place_slug(scope: Scope, form: DashboardFilterForm) -> str:
    """The place in a file name: a prefecture's English name, the regions, or "japan"."""
    if scope.prefecture is not None:
        prefecture = form.prefectures[scope.prefecture]
        slug = "".join(c for c in prefecture.name_en.lower() if c.isascii() and c.isalnum())
        return f"{scope.prefecture}-{slug}" if slug else scope.prefecture
    if scope.regions is not None:
        return "-".join(r for r in form.visible_regions if r in scope.regions) or "none"
    return "japan"


def csv_name(table: str, scope: Scope, form: DashboardFilterForm) -> str:
    """``dashboard-fy2026-kanto.csv``, ``dashboard-visits-months-all-years-13-tokyo.csv``."""
    years = f"fy{scope.fiscal_year}" if scope.fiscal_year is not None else "all-years"
    what = "dashboard" if table == "dashboard" else f"dashboard-{table}"
    return f"{what}-{years}-{_place_slug(scope, form)}.csv"


def filter_args(scope: Scope, form: DashboardFilterForm) -> dict[str, str]:
    """The query arguments that give this scope (for the CSV and print links)."""
    args = {}
    if form.region_code:
        args["region"] = form.region_code
    if scope.prefecture:
        args["prefecture"] = scope.prefecture
    if scope.fiscal_year is not None:
        args["fy"] = str(scope.fiscal_year)
    if request.args.get("months") == "24" and scope.fiscal_year is None:
        args["months"] = "24"
    return args


def place_label(form: DashboardFilterForm, scope: Scope) -> str:
    """What the figures cover, in words: "Tokyo (Kanto)", "Kanto", "All of Japan"."""
    if scope.prefecture is not None:
        return _("%(prefecture)s (%(region)s)", prefecture=form.prefecture_name[scope.prefecture],
                 region=label("region", form.region_of[scope.prefecture]))
    if scope.regions is not None:
        return ", ".join(label("region", r) for r in form.visible_regions if r in scope.regions)
    return _("All of Japan")


def month_label(first_day) -> str:
    """A month in the page's language: 2026年5月, May 2026."""
    return format_skeleton("yMMM", first_day, locale=get_locale())


def quarter_label(first_day) -> str:
    """A quarter in the page's language: 2026/Q2, Q2 2026."""
    return format_skeleton("yQQQ", first_day, locale=get_locale())


def _prefecture_name(lang: str, name_ja: str, name_en: str) -> str:
    return name_ja if lang == "ja" else name_en


def _chart(kind: str, labels: list, datasets: list[tuple[str, list]], *, horizontal: bool = False,
           stacked: bool = False, number_format: str = "number", maximum: float | None = None,
           colours: list[int] | None = None) -> dict:
    """What static/js/dashboard.js needs to draw one chart. Labels are already
    translated; values are raw numbers (the script formats them for the page's language)
    and None where a value is hidden or missing."""
    spec = {
        "type": kind,
        "horizontal": horizontal,
        "stacked": stacked,
        "format": number_format,
        "labels": labels,
        "datasets": [{"label": name, "data": data} for name, data in datasets],
    }
    if maximum is not None:
        spec["max"] = maximum
    if colours is not None:  # indices into the script's palette, one per dataset
        spec["colours"] = colours
    return spec


def chart_specs(f: Dashboard, lang: str) -> dict[str, dict]:
    """One chart spec per figure, keyed by the id of its place on the page."""
    # The fiscal-year chart starts at the first year with a request, visit or outcome
    # (open-data starts, in the table, may go back many years before the programme).
    years = f.fiscal_years
    busy = [i for i, r in enumerate(years) if r.requests or r.visits or r.outcomes]
    years = years[busy[0]:] if busy else years[-1:]
    od = f.open_data
    timeline_labels = [quarter_label(p.start) for p in od.timeline]
    timeline_values = [p.cumulative for p in od.timeline]
    if od.before_records:  # also when no start is dated at all: then it is the only point
        timeline_labels.insert(0, _("Before records"))
        timeline_values.insert(0, od.before_records)
    gap_rows = [p for p in f.gap.prefectures if p.non_active]
    km = format_decimal(f.gap.radius_km, "#,##0")
    diversity = f.diversity
    return {
        "open-data-timeline": _chart(
            "line", timeline_labels,
            [(_("Municipalities publishing open data"), timeline_values)],
        ),
        "open-data-prefectures": _chart(
            "bar", [_prefecture_name(lang, p.name_ja, p.name_en) for p in od.prefectures],
            [(_("Share publishing open data"), [p.share for p in od.prefectures])],
            horizontal=True, number_format="percent", maximum=1,
        ),
        "requests-open": _chart(
            "bar", [label("request_status", s) for s, _n in f.requests.open_by_status],
            [(_("Open requests"), [n for _s, n in f.requests.open_by_status])],
        ),
        "requests-days": _chart(
            "bar", [_("To the first assignment"), _("To the first visit")],
            [(_("Median days"), [f.requests.to_assignment.value, f.requests.to_visit.value])],
            horizontal=True, number_format="days",
        ),
        "fiscal-years": _chart(
            "bar", [fiscal_year_label(r.year) for r in years],
            [(_("Requests received"), [r.requests for r in years]),
             (_("Visits"), [r.visits for r in years]),
             (_("Outcomes"), [r.outcomes for r in years])],
        ),
        "visits-months": _chart(
            "bar", [month_label(m.month) for m in f.visits.months],
            [(label("visit_mode", mode), [dict(m.by_mode)[mode] for m in f.visits.months])
             for mode, _n in f.visits.by_mode],
            stacked=True,
        ),
        "outcomes": _chart(
            "bar", [label("outcome_type", o.type) for o in f.outcomes.by_type],
            [(_("Outcomes"), [o.outcomes for o in f.outcomes.by_type])],
            horizontal=True,
        ),
        "funnel": _chart(
            "bar", [funnel_step_label(step) for step, _n in f.funnel.steps],
            [(_("Requests"), [n for _s, n in f.funnel.steps])],
            horizontal=True,
        ),
        "load": _chart(
            "bar", [load_bucket_label(key) for key, _n in f.load.buckets],
            [(_("Active evangelists"), [n for _k, n in f.load.buckets])],
            horizontal=True,
        ),
        "gap-prefectures": _chart(
            "bar", [_prefecture_name(lang, p.name_ja, p.name_en) for p in gap_rows],
            [(_("Beyond %(km)s km", km=km), [p.gap for p in gap_rows]),
             (_("Within %(km)s km", km=km), [p.non_active - p.gap for p in gap_rows])],
            horizontal=True, stacked=True, colours=[1, 0],
        ),
        "diversity": _chart(
            "bar", [label("age_band", a) for a in AGE_BANDS],
            [(label("gender", g), [diversity.count(a, g) for a in AGE_BANDS]) for g in GENDERS],
        ),
        "prefectures-covered": _chart(
            "bar", [_("With an active evangelist"), _("Without one")],
            [(_("Prefectures"), [diversity.prefectures_covered,
                                 diversity.prefectures - diversity.prefectures_covered])],
            horizontal=True,
        ),
    }


def funnel_step_label(step: str) -> str:
    return {
        "requests": _("Requests received"),
        "visited": _("Visited at least once"),
        "active": _("Municipality publishes open data now"),
    }[step]


def load_bucket_label(key: str) -> str:
    return {
        "none": _("No active assignment"),
        "under_half": _("%(low)s–%(high)s of capacity", low=format_percent(0.01), high=format_percent(0.49)),
        "half_or_more": _("%(low)s–%(high)s of capacity", low=format_percent(0.5), high=format_percent(0.99)),
        "full": _("Full"),
        "over": _("Over capacity"),
    }[key]
