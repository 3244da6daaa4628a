"""GeoJSON endpoints for the maps.

Each answers with a strong ETag (a hash of the body) and Last-Modified (the newest
``updated_at`` among the rows shown), ``Cache-Control: no-cache`` (the browser keeps the
body and revalidates, so a repeat costs a 304 and no transfer), and gzip when the client
accepts it. Access follows the people a layer shows: municipalities, communities and
prefecture figures are public; evangelists (personal data), requests, outreach cases and the coverage
gap (derived from evangelists' homes) are for coordinators only.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date

from flask import abort, jsonify, request
from flask_login import current_user

from app.api import bp
from app.api.responses import (
    cached_geojson_response,
    conditional_response,
    geojson_response,
)
from app.decorators import public, role_required
from app.i18n import current_language
from app.links import external_url
from app.map_filters import MapFilterForm
from app.open_data import MUNICIPALITY_COLUMNS, PREFECTURE_COLUMNS, in_order, names
from app.services import maps
from app.services.exports import BOM, cell
from app.services.geography import list_prefectures
from app.services.maps import MapFilters
from app.services.network import (
    PROGRAMME_DATA_LICENCE,
    open_data_rows,
    programme_figures,
)
from app.services.regions import scope_of
from app.services.topics import list_topics
from app.services.town_results import municipality_open_data
from app.services.versioned import current_version, until_data_changes
from evangelists.viewport import Viewport, ViewportError, parse_viewport

# Which parameters each endpoint understands, and the vocabulary of its ``status``.
# ``bbox`` and ``zoom`` (the viewport) are read by the point layers that grow with the
# programme: see evangelists/viewport.py.
VIEWPORT = {"bbox", "zoom"}
_ENDPOINTS = {
    "municipalities": ({"prefecture", "stage", "status", "region"}, "open_data_status"),
    "communities": ({"prefecture", "status", "region"} | VIEWPORT, "community_status"),
    "evangelists": ({"prefecture", "topic", "status", "region"} | VIEWPORT, "evangelist_status"),
    "requests": ({"prefecture", "topic", "status", "region"} | VIEWPORT, "request_status"),
    "coverage_gap": ({"prefecture", "topic", "stage", "km", "region"}, "request_status"),
    "outreach": ({"prefecture", "status"}, "outreach_status"),
}


def _filters(endpoint: str) -> MapFilters:
    """The query string validated by the map's own form; 400 naming each bad parameter."""
    return _query(endpoint)[0]


def _query(endpoint: str) -> tuple[MapFilters, Viewport]:
    """The filters and (for the point layers) the viewport; 400 naming each bad parameter."""
    accepted, status_vocabulary = _ENDPOINTS[endpoint]
    unknown = sorted(set(request.args) - accepted)
    form = MapFilterForm(
        list_prefectures(), list_topics(), current_language(), status_vocabulary,
        formdata=request.args,
    )
    form.validate()
    problems = {}
    for name, message in form.error_messages().items():
        if name not in accepted:
            continue
        allowed = [value for value, _label in getattr(form[name], "choices", None) or [] if value]
        # The page's wording ("this filter was ignored") is not true here: the call is refused.
        problems[name] = f"{request.args[name]!r} is not one of: {', '.join(allowed)}" if allowed else message
    for name in unknown:
        problems[name] = f"unknown parameter; this endpoint accepts: {', '.join(sorted(accepted))}"
    viewport = Viewport()
    if accepted >= VIEWPORT:
        try:
            viewport = parse_viewport(request.args.get("bbox"), request.args.get("zoom"))
        except ViewportError as error:
            problems[error.parameter] = error.message
    if problems:
        response = jsonify(error="Bad Request", message="Some query parameters are not valid.",
                           parameters=problems)
        response.status_code = 400
        abort(response)
    return form.filters(), viewport


def _versioned(key, build, *, shared: bool):
    """``build()``'s layer, encoded once per data version for ``key`` (the endpoint, its
    filters and viewport); built afresh while this session holds uncommitted writes."""
    version = current_version()
    if version is None:
        return geojson_response(build(), shared=shared)
    return cached_geojson_response(key, ("data", version), build, shared=shared)


@bp.get("/municipalities")
@public
def municipalities():
    """All municipalities as points: code, names, prefecture, kind, open-data status and
    engagement stage. Filters: prefecture, stage, status (open-data status), region
    (regional blocks, comma-separated)."""
    filters = _filters("municipalities")
    # The largest layer, fetched by every map page: encoded once per state of its rows.
    return cached_geojson_response(("municipalities", filters), maps.municipality_layer_version(filters),
                                   lambda: maps.municipality_layer(filters), shared=True)


@bp.get("/communities")
@public
def communities():
    """Civic-tech communities (no contact details). Filters: prefecture, status, region;
    viewport:
    bbox, zoom (clusters when the view holds more than it may show)."""
    filters, viewport = _query("communities")
    return _versioned(("communities", filters, viewport), lambda: maps.community_layer(filters, viewport),
                      shared=True)


@bp.get("/prefectures")
@public
def prefectures():
    """Per-prefecture aggregates (no geometry): municipalities, open-data adoption rate,
    active communities. The outlines are the static file static/geo/prefectures.geojson."""
    if request.args:
        abort(400, description="This endpoint takes no parameters.")
    return _versioned(("prefectures",), maps.prefecture_layer, shared=True)


@bp.get("/evangelists")
@role_required("coordinator", "admin")
def evangelists():
    """Evangelists at their home base, with skills and load (a regional coordinator's
    regions only). Filters: prefecture, topic, region,
    status (default active); viewport: bbox, zoom."""
    filters, viewport = _query("evangelists")
    filters = replace(filters, regions=scope_of(current_user).narrowed_to(filters.regions))
    return _versioned(("evangelists", filters, viewport), lambda: maps.evangelist_layer(filters, viewport),
                      shared=False)


@bp.get("/requests")
@role_required("coordinator", "admin")
def requests():
    """Support requests at their municipality (a regional coordinator's regions only).
    Filters: prefecture, topic, region, status (default:
    every open status); viewport: bbox, zoom."""
    filters, viewport = _query("requests")
    filters = replace(filters, regions=scope_of(current_user).narrowed_to(filters.regions))
    return _versioned(("requests", filters, viewport), lambda: maps.request_layer(filters, viewport),
                      shared=False)


@bp.get("/coverage-gap")
@role_required("coordinator", "admin")
def coverage_gap():
    """Non-active municipalities farther than ``km`` (default 50) from the nearest active
    evangelist, farthest first. Filters: prefecture, stage, topic (evangelists' skill), km,
    region."""
    filters = _filters("coverage_gap")
    filters = replace(filters, regions=scope_of(current_user).narrowed_to(filters.regions))
    # Compares every non-active town with every active evangelist: once per data version.
    return _versioned(("coverage_gap", filters), lambda: maps.coverage_gap_layer(filters), shared=False)


@bp.get("/outreach")
@role_required("coordinator", "admin")
def outreach():
    """Open outreach cases at their municipality, of the caller's regions only. Filters:
    prefecture, status (an outreach case status)."""
    filters = _filters("outreach")
    scope = scope_of(current_user)
    regions = None if scope.regions is None else tuple(sorted(scope.regions))
    return _versioned(("outreach", filters, regions), lambda: maps.outreach_layer(filters, scope), shared=False)


# --- the programme's open data ----------------------------------------------------------
# Each table's columns are app.open_data's (the files, the dictionary on /open-data and
# the test that lists them read the same tuple). Public, cached by the browser and any
# shared cache with a strong ETag (a hash of the body) and Last-Modified, revalidated
# every time (no-cache); gzip when accepted.

_TITLES = {
    "prefectures": "Evangelist Network: the open data evangelist programme by prefecture",
    "municipalities": "Evangelist Network: the open data evangelist programme by municipality",
}


def _licence_link(response):
    response.headers["Link"] = f'<{PROGRAMME_DATA_LICENCE["url_ja"]}>; rel="license"'
    return response


def _no_parameters() -> None:
    if request.args:
        abort(400, description="This endpoint takes no parameters.")


def _json_value(value):
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a value of the open data")


def _json_body(table: str, columns, rows: list[dict]) -> bytes:
    return json.dumps({
        "title": _TITLES[table],
        "license": PROGRAMME_DATA_LICENCE,
        "source": external_url("public.open_data"),
        "dictionary": external_url("public.open_data", _anchor=f"dictionary-{table}"),
        "columns": list(names(columns)),
        "rows": in_order(rows, columns),
    }, ensure_ascii=False, separators=(",", ":"), default=_json_value).encode()


def _csv_body(columns, rows: list[dict]) -> bytes:
    """UTF-8 with a BOM (so Excel in Japan opens it), CRLF, cells as the exports write
    them (ISO dates, true/false, empty for none, a leading formula character defused)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names(columns))
    writer.writerows([cell(v) for v in row.values()] for row in in_order(rows, columns))
    return (BOM + out.getvalue()).encode()


def _csv_response(body: bytes, updated, table: str):
    response = conditional_response(body, "text/csv", updated, shared=True)
    response.headers["Content-Disposition"] = f'attachment; filename="evangelist-network-{table}.csv"'
    return _licence_link(response)


@bp.get("/open-data/prefectures.json")
@public
def open_data_json():
    """Aggregates per prefecture (municipalities, open-data active, active communities,
    visits) with the licence; no personal data."""
    _no_parameters()
    figures, updated = programme_figures()
    body = _json_body("prefectures", PREFECTURE_COLUMNS, open_data_rows(figures))
    return _licence_link(conditional_response(body, "application/json", updated, shared=True))


@bp.get("/open-data/prefectures.csv")
@public
def open_data_csv():
    """The same figures as CSV (UTF-8 with a BOM, so Excel in Japan opens it)."""
    _no_parameters()
    figures, updated = programme_figures()
    return _csv_response(_csv_body(PREFECTURE_COLUMNS, open_data_rows(figures)), updated, "prefectures")


def _municipality_file(kind: str) -> tuple[bytes, object]:
    """Every municipality's row, encoded once per data version (about 1,741 rows)."""
    def build():
        rows, updated = municipality_open_data()
        body = (_json_body("municipalities", MUNICIPALITY_COLUMNS, rows) if kind == "json"
                else _csv_body(MUNICIPALITY_COLUMNS, rows))
        return body, updated
    return until_data_changes(("open_data_municipalities", kind), build)


@bp.get("/open-data/municipalities.json")
@public
def open_data_municipalities_json():
    """Per municipality: code, names, prefecture, kind, engagement stage, open-data
    active since (and whether through the programme), datasets published through the
    programme, published use cases; with the licence. No personal data."""
    _no_parameters()
    body, updated = _municipality_file("json")
    return _licence_link(conditional_response(body, "application/json", updated, shared=True))


@bp.get("/open-data/municipalities.csv")
@public
def open_data_municipalities_csv():
    """The same rows as CSV (UTF-8 with a BOM)."""
    _no_parameters()
    body, updated = _municipality_file("csv")
    return _csv_response(body, updated, "municipalities")
