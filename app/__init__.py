"""The Flask application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from app.decorators import check_access_declared
from config import get_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: str | type | None = None, **overrides) -> Flask:
    """Build the app. ``config`` is a name (``development``, ``testing``, ``production``)
    or a config class; ``overrides`` are set on top (tests use them)."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config_class = config if isinstance(config, type) else get_config(config)
    app.config.from_object(config_class)
    app.config.update(overrides)
    config_class.init_app(app)

    register_request_log(app)  # first, so every later hook and log record has the id
    register_extensions(app)
    register_i18n(app)
    register_auth(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_cli(app)
    register_template_helpers(app)
    register_security_headers(app)
    check_access_declared(app)
    return app


def register_request_log(app: Flask) -> None:
    from app.request_log import init_request_log

    init_request_log(app)


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (every model registered before Alembic looks)
    from app.extensions import csrf, db, limiter, migrate
    from app.page_cache import init_page_cache
    from app.services.search import listen_for_changes

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    init_page_cache(app, db.session.session_factory.class_)
    listen_for_changes(db.session.session_factory.class_)


def register_auth(app: Flask) -> None:
    from app.web import init_login

    init_login(app)


def register_i18n(app: Flask) -> None:
    from app.i18n import init_i18n

    init_i18n(app)


class IdConverter(IntegerConverter):
    """``<id:name>``: a database id in a URL. Digits up to 2**31 - 1, an INTEGER column's
    range on every database: a longer number is a 404, not a query that fails."""

    def __init__(self, url_map) -> None:
        from app.form_fields import MAX_WHOLE_NUMBER

        super().__init__(url_map, max=MAX_WHOLE_NUMBER)


def register_blueprints(app: Flask) -> None:
    """One blueprint per feature, each at the one URL prefix set here; its folder, its
    templates folder and its endpoints carry the same name."""
    app.url_map.converters["id"] = IdConverter
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.apply import bp as apply_bp
    from app.auth import bp as auth_bp
    from app.bookings import bp as bookings_bp
    from app.communities import bp as communities_bp
    from app.coordinator import bp as coordinator_bp
    from app.data import bp as data_bp
    from app.directory import bp as directory_bp
    from app.evangelist import bp as evangelist_bp
    from app.figures import bp as figures_bp
    from app.folium_maps import init_maps
    from app.ideas import bp as ideas_bp
    from app.library import bp as library_bp
    from app.map import bp as map_bp
    from app.notices import bp as notices_bp
    from app.outreach import bp as outreach_bp
    from app.public import bp as public_bp
    from app.recruitment import bp as recruitment_bp
    from app.reports import bp as reports_bp
    from app.support import bp as support_bp
    from app.use_cases import bp as use_cases_bp

    staff = "/coordinator"  # the staff area; its features sit below it
    app.register_blueprint(public_bp)
    app.register_blueprint(support_bp, url_prefix="/request")
    app.register_blueprint(directory_bp, url_prefix="/communities")
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(coordinator_bp, url_prefix=staff)
    app.register_blueprint(communities_bp, url_prefix=f"{staff}/communities")
    app.register_blueprint(recruitment_bp, url_prefix=f"{staff}/recruitment")
    app.register_blueprint(reports_bp, url_prefix=f"{staff}/reports")
    app.register_blueprint(data_bp, url_prefix=f"{staff}/data")
    app.register_blueprint(outreach_bp, url_prefix=f"{staff}/outreach")
    app.register_blueprint(evangelist_bp, url_prefix="/me")
    app.register_blueprint(use_cases_bp, url_prefix="/use-cases")
    app.register_blueprint(bookings_bp, url_prefix="/bookings")
    app.register_blueprint(map_bp, url_prefix="/map")
    app.register_blueprint(notices_bp, url_prefix="/notices")
    app.register_blueprint(ideas_bp, url_prefix="/ideas")
    app.register_blueprint(figures_bp, url_prefix="/figures")
    app.register_blueprint(library_bp, url_prefix="/cases")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(apply_bp, url_prefix="/apply")
    init_maps(app)  # folium's CDN asset URLs -> static/vendor, before any map renders


def register_errorhandlers(app: Flask) -> None:
    from app.errors import init_errors

    init_errors(app)


def register_cli(app: Flask) -> None:
    from app.cli import bp as cli_bp

    app.register_blueprint(cli_bp)


def register_security_headers(app: Flask) -> None:
    from app.security import init_security

    init_security(app)


def register_template_helpers(app: Flask) -> None:
    from app.templating import init_templating

    init_templating(app)
