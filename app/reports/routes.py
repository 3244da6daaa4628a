"""/coordinator/reports: what the programme has reached, in charts and tables."""

from __future__ import annotations

from babel.dates import format_skeleton
from flask import render_template, request
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.decorators import role_required
from app.i18n import current_language
from app.labels import label
from app.page_cache import cached_page
from app.reports import bp
from app.services.outreach import funnel as outreach_funnel
from app.services.regions import scope_of
from app.services.reports import VISIT_MONTHS, Dashboard, kept_dashboard
from evangelists.calendar import today_in_japan
from evangelists.reports import SMALL_CELL
from evangelists.vocabulary import AGE_BANDS, GENDERS


@bp.get("")
@role_required("coordinator", "admin")
@cached_page
def dashboard():
    """Every figure of the dashboard; ``?months=24`` shows two years of visits."""
    months = 24 if request.args.get("months") == "24" else VISIT_MONTHS[0]
    figures = kept_dashboard(today_in_japan(), months=months)
    lang = current_language()
    return render_template(
        "reports/dashboard.html",
        f=figures,
        charts=chart_specs(figures, lang),
        months=months,
        month_choices=VISIT_MONTHS,
        lang=lang,
        small_cell=SMALL_CELL,
        age_bands=AGE_BANDS,
        genders=GENDERS,
        month_label=month_label,
        quarter_label=quarter_label,
        funnel_step_label=funnel_step_label,
        load_bucket_label=load_bucket_label,
        outreach_funnel=outreach_funnel(scope_of(current_user)),
    )


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
