"""/ideas results: the dialogue's figures and participation, per theme and overall, a
theme's printable results, and the ideas as open data (CSV / JSON, PDL 1.0). Public.

Also counts the dialogue's viewers and page views (``app.services.idea_views``): after
every public page of the dialogue is answered, cached or not (the page cache serves from
inside the view, so this hook runs for kept pages too). The results pages show view
counts and so are never kept by the page cache."""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.decorators import public
from app.extensions import db
from app.i18n import current_language
from app.ideas import bp
from app.labels import label
from app.models.system import has_unsaved_writes
from app.services import idea_results, idea_views
from app.services import ideas as service
from app.services.topics import list_topics
from evangelists.calendar import today_in_japan
from evangelists.ideas import IDEA_STATUSES, SMALL_GROUP, VOICES
from evangelists.vocabulary import AGE_BANDS, GENDERS

FORMATS = ("labels", "codes")
OPEN_DATA_TYPES = ("csv", "json")

# The dialogue's pages counted as viewed (GET answered 200; robots and HEAD left out).
COUNTED = frozenset({"ideas.index", "ideas.theme", "ideas.idea", "ideas.results", "ideas.theme_results",
                     "ideas.theme_results_print"})

HEADERS = {
    "idea_id": _l("Idea number"),
    "theme_id": _l("Theme number"),
    "theme_title": _l("Theme"),
    "title": _l("Title"),
    "body": _l("Idea"),
    "voice": _l("Voice"),
    "municipality_code": _l("Municipality code"),
    "municipality_name": _l("Municipality"),
    "topics": _l("Topics"),
    "status": _l("Status"),
    "answer": _l("Official answer"),
    "answered_on": _l("Answered on"),
    "agree": _l("Agree"),
    "disagree": _l("Disagree"),
    "comments": _l("Comments"),
    "posted_on": _l("Posted on"),
    "url": _l("Address (URL)"),
}


@bp.after_request
def _count_view(response):
    """Count a page view and the day's viewer; a failure is logged, never shown."""
    if (request.method != "GET" or response.status_code != 200 or request.endpoint not in COUNTED
            or idea_views.is_robot(request.headers.get("User-Agent"))):
        return response
    if has_unsaved_writes(db.session()):
        # Never in production (these pages only read); in a test that has flushed rows
        # without committing, SQLite's write lock is this session's, and the counter
        # would wait for it.
        return response
    args = request.view_args or {}
    try:
        idea_views.count_view(address=request.remote_addr or "", user_agent=request.headers.get("User-Agent", ""),
                              theme_id=args.get("theme_id"), idea_id=args.get("idea_id"))
    except Exception:  # noqa: BLE001 - counting must never break the page
        current_app.logger.exception("could not count a view of %s", request.path)
    return response


def _chart(results: idea_results.Results) -> dict:
    """The age band × gender chart's spec for static/js/dashboard.js: one bar series per
    gender that has a shown group; hidden groups are gaps (null)."""
    datasets = []
    for gender in GENDERS:
        data = [results.age_gender.count(age, gender) for age in AGE_BANDS]
        if any(value for value in data):
            datasets.append({"label": label("gender", gender), "data": data})
    return {"type": "bar", "labels": [label("age_band", a) for a in AGE_BANDS], "datasets": datasets,
            "format": "number"}


def _page(results: idea_results.Results, *, theme=None, printing: bool = False):
    return render_template(
        "ideas/results/results.html", r=results, theme=theme, printing=printing, chart=_chart(results),
        lang=current_language(), age_bands=AGE_BANDS, genders=GENDERS, voices=VOICES, small=SMALL_GROUP,
        today=today_in_japan(), licence_url=idea_results.LICENCE_URL,
        phase=service.phase_of(theme) if theme is not None else None)


def _theme_or_404(theme_id: int):
    theme = service.get_theme(theme_id)
    if theme is None:
        abort(404, description=_("No theme has the number %(id)s.", id=theme_id))
    return theme


@bp.get("/results")
@public
def results():
    """The whole dialogue's figures and participation (not kept by the page cache: the
    view counts change with every reader)."""
    return _page(idea_results.overall_results())


@bp.get("/themes/<id:theme_id>/results")
@public
def theme_results(theme_id: int):
    theme = _theme_or_404(theme_id)
    return _page(idea_results.theme_results(theme.id), theme=theme)


@bp.get("/themes/<id:theme_id>/results/print")
@public
def theme_results_print(theme_id: int):
    """The theme's results laid out for A4 paper, for the committee: the chart as an
    image the printer keeps, every table, no navigation."""
    theme = _theme_or_404(theme_id)
    return _page(idea_results.theme_results(theme.id), theme=theme, printing=True)


# -- open data ------------------------------------------------------------------------------


def _style() -> str:
    style = (request.args.get("format") or "labels").replace("\x00", "")
    if style not in FORMATS:
        abort(400, description=_("The format “%(value)s” does not exist: use “labels” (headers and words for "
                                 "people) or “codes” (column names and codes for other systems).", value=style))
    return style


def _open_data(theme_id: int | None, kind: str, title: str):
    if kind not in OPEN_DATA_TYPES:
        abort(404, description=_("Open data comes as “csv” or “json”, not “%(kind)s”.", kind=kind))
    # Everything the rows need from this request is worked out now: the response streams
    # them on a connection of its own after the request's context is gone.
    base = url_for("ideas.index", _external=True)
    rows = idea_results.open_data_rows(theme_id, lambda idea_id: f"{base}/{idea_id}")
    stem = f"ideas-theme-{theme_id}" if theme_id else "ideas"
    today = today_in_japan()
    if kind == "json":
        source = (url_for("ideas.theme_results", theme_id=theme_id, _external=True) if theme_id
                  else url_for("ideas.results", _external=True))
        chunks = idea_results.open_data_json(rows, idea_results.licence_metadata(title, source, today))
        response = Response(chunks, mimetype="application/json")
    else:
        header = present = None
        if _style() == "labels":
            header = {column: str(text) for column, text in HEADERS.items()}
            ja = current_language() == "ja"
            names = {t.slug: (t.name_ja if ja else t.name_en) for t in list_topics()}
            voice_words = {v: label("idea_voice", v) for v in VOICES}
            status_words = {s: label("idea_status", s) for s in IDEA_STATUSES}
            present = {"voice": lambda v: voice_words.get(v, v), "status": lambda v: status_words.get(v, v),
                       "topics": lambda slugs: "; ".join(names.get(s, s) for s in slugs)}
        chunks = idea_results.open_data_csv(rows, header=header, present=present)
        response = Response(chunks, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}-{today.isoformat()}.{kind}"'
    response.headers["X-License"] = idea_results.LICENCE
    return response


@bp.get("/open-data.<kind>")
@public
def open_data(kind: str):
    """Every shown idea with its counts and answer, under PDL 1.0: ``open-data.csv``
    (``?format=codes`` for column names and codes) or ``open-data.json``."""
    return _open_data(None, kind, _("Idea box: every theme"))


@bp.get("/themes/<id:theme_id>/open-data.<kind>")
@public
def theme_open_data(theme_id: int, kind: str):
    theme = _theme_or_404(theme_id)
    return _open_data(theme.id, kind, theme.title)
