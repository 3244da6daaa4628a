"""Routes of the public blueprint."""

from __future__ import annotations

import functools
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.decorators import public
from app.extensions import csrf
from app.folium_maps import (
    map_config,
    place_map,
    place_of,
    public_network_map,
    rendered,
)
from app.i18n import CARRY_LENGTH, LANGUAGE_CARRY, current_language
from app.labels import choices
from app.open_data import TABLES, TYPES
from app.page_cache import cached_page
from app.pagination import requested_page
from app.public import bp
from app.public.forms import MunicipalityFilterForm
from app.safe_redirect import safe_next_url
from app.security import same_site_post
from app.services.geography import (
    MunicipalityFilters,
    list_prefectures,
    municipality_at,
    municipality_page,
)
from app.services.health import database_error
from app.services.idea_answers import ideas_by_town
from app.services.maps import communities_near, evangelists_near, prefecture_figures
from app.services.network import (
    PROGRAMME_DATA_LICENCE,
    network_summary,
    programme_figures,
)
from app.services.regions import can_see, scope_of
from app.services.topics import list_topics
from app.services.town_results import results_of
from app.services.visits import timeline_for
from evangelists.coverage import DEFAULT_GAP_KM
from evangelists.gazetteer import is_valid_lg_code

ONE_YEAR = 365 * 24 * 3600
ONE_WEEK = 7 * 24 * 3600
NEARBY_KM = DEFAULT_GAP_KM  # "nearby" on a municipality's page: the coverage radius


@bp.get("/")
@public
@cached_page
def index():
    return render_template("public/index.html", summary=network_summary())


@bp.get("/municipalities")
@public
@cached_page
def municipalities():
    form = MunicipalityFilterForm(list_prefectures(), current_language(), request.args)
    form.validate()
    # A filter with an error is shown next to its field and ignored; the others apply.
    filters = MunicipalityFilters(
        **{name: "" if form[name].errors else (value or "") for name, value in form.data.items()}
    )
    results = municipality_page(filters, page=requested_page(), per_page=current_app.config["MUNICIPALITIES_PER_PAGE"])
    return render_template(
        "public/municipalities.html", form=form, results=results, filters=filters
    )


@bp.get("/municipalities/<code>")
@public
@cached_page
def municipality(code: str):
    if not is_valid_lg_code(code):
        abort(404, description=_("%(code)s is not a valid 6-digit local government code.", code=code))
    municipality = municipality_at(code)
    if municipality is None:
        abort(404, description=_("No municipality has the code %(code)s.", code=code))
    viewer = current_user if current_user.is_authenticated else None
    staff = viewer is not None and viewer.role in ("coordinator", "admin")
    # A regional coordinator sees a town of another region as the public does.
    coordinator = staff and can_see(viewer, municipality)
    if staff and not coordinator:
        viewer = None
    timeline = timeline_for(viewer, municipality.id, requested_page(), current_app.config["TIMELINE_PER_PAGE"])
    communities = communities_near(municipality.lat, municipality.lon, NEARBY_KM)
    # Where evangelists live is personal data: only coordinators see them here (those of
    # their regions, for a regional coordinator).
    evangelists = (evangelists_near(municipality.lat, municipality.lon, NEARBY_KM, scope=scope_of(viewer))
                   if coordinator else [])
    return render_template(
        "public/municipality.html",
        municipality=municipality,
        # What residents asked this town for in the idea box (issue 21): one query.
        town_ideas=ideas_by_town([municipality.id]).get(municipality.id, []),
        # Its public results (issue 22): open data, catalogue, datasets, use cases; two queries.
        results=results_of(municipality),
        nearby_km=int(NEARBY_KM),
        communities=communities,
        evangelists=evangelists,
        timeline=timeline,
        map=rendered(place_map, place_of(municipality), [c.as_point() for c in communities],
                     [e.as_point() for e in evangelists]),
        # Popups here name no prefecture, and topics only as evangelists' skills.
        config=map_config(list_topics() if evangelists else [], [], current_language(), staff=coordinator),
    )


@bp.get("/network")
@public
@cached_page
def network():
    """The public map: open-data adoption and communities by prefecture, no personal data."""
    figures, _updated = prefecture_figures()
    return render_template(
        "public/network.html",
        figures=figures,
        summary=network_summary(),
        map=rendered(public_network_map),
        config=map_config([], [], current_language()),  # the figures carry their own names
    )


@bp.get("/open-data")
@public
@cached_page
def open_data():
    """The programme's own open data: aggregates per prefecture, the files, the licence."""
    figures, updated = programme_figures()
    return render_template("public/open_data.html", figures=figures, updated=updated,
                           licence=PROGRAMME_DATA_LICENCE, tables=TABLES, types=TYPES, choices=choices)


@bp.post("/language/<locale>")
@public
@csrf.exempt  # checked by the browser's own headers instead: see same_site_post
def set_language(locale: str):
    """Remember the chosen language in a cookie and go back where the user was.

    A POST with the page to return to in its body, not a link with ``?next=``: that page
    may be a status or password page whose path holds a secret token, which a query
    string would carry into proxy logs (issue 15.2). Not protected by a CSRF token, which
    lives in the session: every page has this form, and a page that made a session for
    it would be kept by no cache. The browser's Origin / Sec-Fetch-Site say instead
    whether the post came from this site."""
    if not same_site_post():
        abort(400, description=_("The language can only be changed from this site's own pages."))
    if locale not in current_app.config["LANGUAGES"]:
        abort(404, description=_("This language is not available."))
    response = redirect(safe_next_url(request.form.get("next"), default="/"))
    carry = request.form.get("carry", "")
    if carry and len(carry) <= CARRY_LENGTH:
        # A page that shows a secret once (the status link after a request) gets it back
        # for one more showing, in the other language; the page checks it is its own.
        session[LANGUAGE_CARRY] = carry
    response.set_cookie(
        current_app.config["LANGUAGE_COOKIE"],
        locale,
        max_age=ONE_YEAR,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.get("/healthz")
@public
def healthz():
    """Liveness and database check for load balancers: 200 when the database answers."""
    error = database_error()
    if error is not None:
        current_app.logger.error("health check: database unreachable: %s", error)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/favicon.ico")
@public
def favicon():
    """The site's icon where browsers, bookmarks and feed readers look for it unasked.
    Pages link static/favicon.svg themselves (base.html); this is its ICO twin, built from
    it by scripts/build_favicon.py. Public for a week, with an ETag: it is the same for
    everyone (signed-in users get no-store like every answer to them, app/security.py)."""
    response = Response(_favicon_bytes(), mimetype="image/vnd.microsoft.icon")
    response.cache_control.public = True
    response.cache_control.max_age = ONE_WEEK
    response.add_etag()
    return response.make_conditional(request)


@functools.cache
def _favicon_bytes() -> bytes:
    # Read once and kept (3 KB): no file handle per request.
    return (Path(current_app.static_folder) / "favicon.ico").read_bytes()
