"""Routes of the public blueprint."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, jsonify, redirect, render_template, request
from flask_babel import gettext as _

from app.decorators import public
from app.extensions import db
from app.i18n import current_language
from app.models import Municipality
from app.public import bp
from app.public.forms import MunicipalityFilterForm
from app.safe_redirect import safe_next_url
from app.services.geography import MunicipalityFilters, list_prefectures, municipality_search
from app.services.network import network_summary
from evangelists.gazetteer import is_valid_lg_code

ONE_YEAR = 365 * 24 * 3600


@bp.get("/")
@public
def index():
    return render_template("public/index.html", summary=network_summary())


@bp.get("/municipalities")
@public
def municipalities():
    form = MunicipalityFilterForm(list_prefectures(), current_language(), request.args)
    form.validate()
    # A filter with an error is shown next to its field and ignored; the others apply.
    filters = MunicipalityFilters(
        **{name: "" if form[name].errors else (value or "") for name, value in form.data.items()}
    )
    page = request.args.get("page", default=1, type=int)
    results = db.paginate(
        municipality_search(filters),
        page=max(page, 1),
        per_page=current_app.config["MUNICIPALITIES_PER_PAGE"],
        error_out=False,
        count=True,
    )
    return render_template(
        "public/municipalities.html", form=form, results=results, filters=filters
    )


@bp.get("/municipalities/<code>")
@public
def municipality(code: str):
    if not is_valid_lg_code(code):
        abort(404, description=_("%(code)s is not a valid 6-digit local government code.", code=code))
    municipality = db.first_or_404(
        sa.select(Municipality).where(Municipality.code == code),
        description=_("No municipality has the code %(code)s.", code=code),
    )
    return render_template("public/municipality.html", municipality=municipality)


@bp.get("/language/<locale>")
@public
def set_language(locale: str):
    """Remember the chosen language in a cookie and go back where the user was."""
    if locale not in current_app.config["LANGUAGES"]:
        abort(404, description=_("This language is not available."))
    response = redirect(safe_next_url(request.args.get("next"), default="/"))
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
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        current_app.logger.error("health check: database unreachable: %s", error)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
