"""Configuration classes, read from the environment.

``APP_CONFIG`` picks the class (``development`` by default, ``testing``, ``production``).
Values that depend on the instance folder (the default SQLite file, the development secret
key) are filled in by ``init_app`` once the app knows where its instance folder is.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from evangelists.calendar import PROGRAMME_ZONE_KEY

GSI_STANDARD_TILES = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
GSI_ATTRIBUTION = (
    '<a href="https://maps.gsi.go.jp/development/ichiran.html" '
    'target="_blank" rel="noopener">地理院タイル</a>'
)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Development and tests encrypt TOTP secrets with this published, therefore worthless, key;
# production refuses to start with it (or without TOTP_ENCRYPTION_KEYS).
INSECURE_DEVELOPMENT_TOTP_KEY = "insecure-development-totp-key-not-secret-never-use-in-production"
# Shortest key production accepts: a long random string, e.g. secrets.token_urlsafe(32).
MIN_TOTP_KEY_LENGTH = 32


def parse_keys(value: str | None) -> tuple[str, ...]:
    """The keys in a comma-separated key list such as TOTP_ENCRYPTION_KEYS, in order."""
    return tuple(key.strip() for key in (value or "").split(",") if key.strip())


def _env_list(name: str) -> list[str]:
    """A comma-separated setting as a list, blanks dropped."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def public_base_url(value: str) -> str:
    """``value`` (PUBLIC_BASE_URL) checked and without a trailing slash: http(s), a host,
    perhaps a port and a path prefix; no user, query or fragment. Raises ValueError
    saying what is wrong."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL with a host name, e.g. https://evangelists.example.go.jp")
    if parts.username or parts.password or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"{value!r} may hold only a scheme, a host, a port and a path")
    try:
        parts.port  # noqa: B018  (reading the port is what validates it)
    except ValueError:
        raise ValueError(f"{value!r} has an invalid port") from None
    if any(c.isspace() for c in value):
        raise ValueError(f"{value!r} contains white space")
    return value.rstrip("/")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_RECORD_QUERIES = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    LANGUAGES = ("ja", "en")
    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = PROGRAMME_ZONE_KEY  # the programme's zone: evangelists/calendar.py
    # Compiled catalogues live in app/translations (see Makefile: `translations`).
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).parent / "app" / "translations")
    LANGUAGE_COOKIE = "lang"

    # Sign-in (issue 3). Sessions are not permanent, so Flask-Login's "strong" protection
    # really applies; "remember me" is off by default and lasts at most 30 days.
    SESSION_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # A pending second-factor step expires after this many seconds.
    MFA_PENDING_SECONDS = 600
    INVITATION_MAX_AGE = timedelta(days=7)
    RESET_MAX_AGE = timedelta(days=1)
    # The idea box's self-registration (app/ideas/participants.py): how long the link that
    # confirms a participant's e-mail address works, how many registrations one client
    # address may send, and after how many days a registration never confirmed is removed
    # (the queue's daily sweep_unverified_participants, or `flask ideas remove-unverified`).
    IDEAS_VERIFY_MAX_AGE = timedelta(days=2)
    IDEAS_REGISTER_PER_ADDRESS = os.environ.get("IDEAS_REGISTER_PER_ADDRESS", "5 per hour")
    IDEAS_UNVERIFIED_DAYS = int(os.environ.get("IDEAS_UNVERIFIED_DAYS", "7"))
    # Applications to become an evangelist one client address may send (each mails someone;
    # a form sent back with a mistake does not count).
    APPLY_PER_ADDRESS = os.environ.get("APPLY_PER_ADDRESS", "10 per hour")
    # Ideas, comments and replies one client address may post (the services also limit each
    # person: app/services/ideas.py POSTS_PER_HOUR, IDEAS_PER_HOUR).
    IDEAS_POSTS_PER_ADDRESS = os.environ.get("IDEAS_POSTS_PER_ADDRESS", "60 per hour")
    # Where the rate limits count. memory:// counts in each worker process on its own, so
    # with several workers an attacker gets a limit per worker: production refuses that
    # (check_rate_limit_storage, run by gunicorn.conf.py). Use redis://host:6379/0.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Failed sign-ins counted per account and per client address.
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes")
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 15 minutes")
    SECOND_FACTOR_LIMIT = os.environ.get("SECOND_FACTOR_LIMIT", "5 per 15 minutes")
    # Keys of the authenticator secrets kept in the database (app/secrets_at_rest.py):
    # comma-separated, the first encrypts, all decrypt. Required in production.
    TOTP_ENCRYPTION_KEYS = os.environ.get("TOTP_ENCRYPTION_KEYS")
    # Every link the app writes into a mail (password links, request notices), and the
    # private status link it shows, starts with this: the site's address as its users
    # reach it, e.g. https://evangelists.example.go.jp (a path prefix may follow). Never
    # taken from the request's Host, which the sender of the request chooses (issue 15).
    # Production refuses to start without it; elsewhere it defaults to the local address.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").strip()
    DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    # Host names the app answers to besides PUBLIC_BASE_URL's (comma-separated, e.g. a
    # second name or the address a load balancer checks /healthz on; ".example.jp" takes
    # every subdomain). A request for any other host is refused with 400.
    TRUSTED_HOSTS = _env_list("TRUSTED_HOSTS")
    # Development and tests also answer on the local machine's names.
    LOCAL_HOSTS: tuple[str, ...] = ()
    # How many reverse proxies in front set X-Forwarded-For/-Proto (0: none). Without
    # this, behind a proxy every client has the proxy's address and shares its limits.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "evangelists@localhost")
    # Where replies to notices go (a coordinators' shared mailbox); unset: MAIL_SENDER.
    MAIL_REPLY_TO = os.environ.get("MAIL_REPLY_TO", "")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "15"))

    # Notices (app/services/notices.py, README "Notices"). The queue is QUEUE_URL (read by
    # app/queue.py, which the worker imports without the app): unset, a SQLite file in
    # instance/; redis://... in production. A failed mail is tried again after
    # NOTICE_RETRY_DELAY seconds, doubled each time up to NOTICE_RETRY_MAX_DELAY, and
    # marked failed after NOTICE_MAX_ATTEMPTS tries (about 2 hours with the defaults).
    # The sweep queues pending notices older than NOTICE_SWEEP_AFTER seconds again.
    NOTICE_MAX_ATTEMPTS = int(os.environ.get("NOTICE_MAX_ATTEMPTS", "8"))
    NOTICE_RETRY_DELAY = int(os.environ.get("NOTICE_RETRY_DELAY", "60"))
    NOTICE_RETRY_MAX_DELAY = int(os.environ.get("NOTICE_RETRY_MAX_DELAY", "3600"))
    NOTICE_SWEEP_AFTER = int(os.environ.get("NOTICE_SWEEP_AFTER", "300"))

    # CSV exports (app/services/export_jobs.py): one with more rows than
    # EXPORT_BACKGROUND_ROWS is prepared by the queue's worker and downloaded when ready,
    # instead of streaming while the coordinator waits (0: always stream). At about 50,000
    # rows a second, the default streams for at most a few seconds. The files are kept in
    # EXPORT_FOLDER (unset: instance/exports/, on the machine that runs the worker and the
    # web server) for EXPORT_KEEP_DAYS days.
    EXPORT_BACKGROUND_ROWS = int(os.environ.get("EXPORT_BACKGROUND_ROWS", "100000"))
    EXPORT_FOLDER = os.environ.get("EXPORT_FOLDER", "")
    EXPORT_KEEP_DAYS = int(os.environ.get("EXPORT_KEEP_DAYS", "7"))

    # Reminders and escalation (app/services/reminders.py), checked by the worker every
    # 15 minutes. Working days are Japan's (evangelists/workdays.py: no weekends, national
    # holidays or 12/29-1/3). A new request not triaged after REMINDER_TRIAGE_WORKING_DAYS
    # -> the coordinators; a proposal unanswered for REMINDER_PROPOSAL_DAYS (calendar
    # days) -> the evangelist, for ESCALATE_PROPOSAL_DAYS -> the proposing coordinator (the
    # proposal stays open: the coordinator decides); accepted with no booked visit after
    # REMINDER_BOOKING_WORKING_DAYS -> the evangelist and the coordinator.
    REMINDER_TRIAGE_WORKING_DAYS = int(os.environ.get("REMINDER_TRIAGE_WORKING_DAYS", "2"))
    REMINDER_PROPOSAL_DAYS = int(os.environ.get("REMINDER_PROPOSAL_DAYS", "3"))
    ESCALATE_PROPOSAL_DAYS = int(os.environ.get("ESCALATE_PROPOSAL_DAYS", "5"))
    REMINDER_BOOKING_WORKING_DAYS = int(os.environ.get("REMINDER_BOOKING_WORKING_DAYS", "10"))
    # The day before a booked visit, from this hour in Japan: the evangelist and the town.
    REMINDER_VISIT_FROM_HOUR = int(os.environ.get("REMINDER_VISIT_FROM_HOUR", "9"))
    # The coordinators' summary, each working-day morning at this time in Japan (HH:MM).
    # Read once when the worker starts (the queue's schedule is fixed then).
    MORNING_SUMMARY_AT = os.environ.get("MORNING_SUMMARY_AT", "08:30")

    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = 3600 * 8

    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", GSI_STANDARD_TILES)
    MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", GSI_ATTRIBUTION)

    # Geocoding of typed addresses (app/geocoding.py): off unless GEOCODER names a service
    # ("nominatim"). Without it, locations come from the municipality or are typed by hand.
    GEOCODER = os.environ.get("GEOCODER", "")
    # Nominatim's usage policy asks for an identifying user agent and at most 1 request/s;
    # GEOCODER_DOMAIN can point at a Nominatim of your own on a closed network.
    GEOCODER_USER_AGENT = os.environ.get("GEOCODER_USER_AGENT", "evangelist-network")
    GEOCODER_DOMAIN = os.environ.get("GEOCODER_DOMAIN", "nominatim.openstreetmap.org")
    GEOCODER_TIMEOUT = float(os.environ.get("GEOCODER_TIMEOUT", "10"))
    GEOCODER_MIN_DELAY_SECONDS = float(os.environ.get("GEOCODER_MIN_DELAY_SECONDS", "1"))

    # argon2id parameters for passwords (app/services/accounts.py): RFC 9106's "low memory"
    # profile, argon2-cffi's defaults (3 passes over 64 MiB, 4 lanes; about 140 ms a hash).
    # Hashes made with other parameters are re-made at the next sign-in.
    PASSWORD_HASH_TIME_COST = 3
    PASSWORD_HASH_MEMORY_COST = 64 * 1024  # KiB
    PASSWORD_HASH_PARALLELISM = 4

    MUNICIPALITIES_PER_PAGE = 50
    TIMELINE_PER_PAGE = 50  # steps of a municipality's timeline per page
    # Rendered pages kept per worker until the data changes (app/page_cache.py): at most
    # this many bytes of page bodies in memory per worker; 0 turns the cache off.
    PAGE_CACHE_BYTES = int(os.environ.get("PAGE_CACHE_BYTES", str(16 * 1024 * 1024)))
    DEMO_ALLOWED = True
    PRODUCTION = False

    # Logs (app/request_log.py): "json" (one object per line) or "text"; REQUEST_LOG adds
    # one record per request with its id, route, status and duration.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    REQUEST_LOG = _env_bool("REQUEST_LOG", False)

    # Files of a use case (issue 22): at most this many bytes each, and this many files per
    # use case (app/services/use_cases.py; the edit page raises the body limit for itself).
    USE_CASE_FILE_MAX_BYTES = int(os.environ.get("USE_CASE_FILE_MAX_BYTES", str(10 * 1024 * 1024)))
    USE_CASE_FILES_MAX = int(os.environ.get("USE_CASE_FILES_MAX", "10"))
    # No request body may be larger than this (413); the CSV import raises it for its own
    # two views (app/data/routes.py). Forms are a few kB.
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Strict-Transport-Security on responses served over HTTPS (as the proxy reports it,
    # see PROXY_COUNT); 0 turns it off. Never sent over plain HTTP, so a closed network
    # without TLS keeps working.
    HSTS_MAX_AGE = int(os.environ.get("HSTS_MAX_AGE", str(365 * 24 * 3600)))
    HSTS_INCLUDE_SUBDOMAINS = _env_bool("HSTS_INCLUDE_SUBDOMAINS", False)

    @classmethod
    def init_app(cls, app) -> None:
        """Fill in the settings that need the instance folder."""
        instance = Path(app.instance_path)
        if not app.config.get("SQLALCHEMY_DATABASE_URI"):
            instance.mkdir(parents=True, exist_ok=True)
            app.config["SQLALCHEMY_DATABASE_URI"] = sqlite_url(instance / "evangelists.db")
        cls.init_public_address(app)
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        if uri.startswith("postgresql://"):
            # Plain postgresql:// means psycopg2, which we do not ship; psycopg 3 is meant.
            app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgresql://"):]


    @classmethod
    def init_public_address(cls, app) -> None:
        """Check PUBLIC_BASE_URL (or fill in the default) and derive the trusted hosts
        from it: its own host, TRUSTED_HOSTS and, outside production, the local names."""
        base = app.config.get("PUBLIC_BASE_URL") or cls.DEFAULT_PUBLIC_BASE_URL
        if not base:
            raise RuntimeError(
                "PUBLIC_BASE_URL is not set. Production refuses to start without it: every "
                "link in a mail is built from it, never from the request's Host header. Set it "
                "to the address users reach the site at, e.g. "
                "PUBLIC_BASE_URL=https://evangelists.example.go.jp."
            )
        try:
            base = public_base_url(base)
        except ValueError as error:
            raise RuntimeError(f"PUBLIC_BASE_URL cannot be used: {error}.") from None
        app.config["PUBLIC_BASE_URL"] = base
        extra = app.config.get("TRUSTED_HOSTS") or []
        if isinstance(extra, str):
            extra = [extra]
        hosts = [urlsplit(base).hostname, *extra, *cls.LOCAL_HOSTS]
        app.config["TRUSTED_HOSTS"] = list(dict.fromkeys(h.lower() for h in hosts))


PASSWORD_HASH_SETTINGS = ("PASSWORD_HASH_TIME_COST", "PASSWORD_HASH_MEMORY_COST", "PASSWORD_HASH_PARALLELISM")


def real_password_hashing() -> dict[str, int]:
    """The argon2id settings of development and production, for an app built with the test
    configuration that must hash as they do (bench/sign_in.py, bench/load.py)."""
    return {name: getattr(Config, name) for name in PASSWORD_HASH_SETTINGS}


class DevelopmentConfig(Config):
    DEBUG = False  # `make run` serves with the reloader off; set FLASK_DEBUG=1 to debug.
    TOTP_ENCRYPTION_KEYS = Config.TOTP_ENCRYPTION_KEYS or INSECURE_DEVELOPMENT_TOTP_KEY
    LOCAL_HOSTS = ("127.0.0.1", "localhost")

    @classmethod
    def init_app(cls, app) -> None:
        super().init_app(app)
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"
    TOTP_ENCRYPTION_KEYS = INSECURE_DEVELOPMENT_TOTP_KEY
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL")
    WTF_CSRF_ENABLED = False
    # The test client asks for "localhost"; browser tests serve on 127.0.0.1.
    PUBLIC_BASE_URL = "http://localhost"
    LOCAL_HOSTS = ("127.0.0.1", "localhost")
    # Tests never reach a geocoding service, whatever the environment says: they inject a fake.
    GEOCODER = ""
    # Nor a mail server: the mail tests start one on loopback (tests/mailbox.py).
    MAIL_SERVER = None
    # Cheap password hashes (1 pass over 8 KiB), so signing in costs the suite microseconds;
    # tests/test_config.py holds the real parameters of the other configurations.
    PASSWORD_HASH_TIME_COST = 1
    PASSWORD_HASH_MEMORY_COST = 8
    PASSWORD_HASH_PARALLELISM = 1

    @classmethod
    def init_app(cls, app) -> None:
        # Never fall back to the developer's instance database from a test.
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config.get("SQLALCHEMY_DATABASE_URI") or "sqlite://"
        super().init_app(app)


class ProductionConfig(Config):
    PRODUCTION = True
    DEMO_ALLOWED = False
    DEFAULT_PUBLIC_BASE_URL = ""  # required: see init_public_address
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    REQUEST_LOG = _env_bool("REQUEST_LOG", True)
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    @classmethod
    def init_app(cls, app) -> None:
        if not app.config.get("SECRET_KEY"):
            raise RuntimeError(
                "SECRET_KEY is not set. Production refuses to start without one: "
                "set SECRET_KEY in the environment to a long random string, e.g. "
                "python -c 'import secrets; print(secrets.token_hex(32))'."
            )
        _check_totp_keys(app.config.get("TOTP_ENCRYPTION_KEYS"))
        super().init_app(app)


def _check_totp_keys(value: str | None) -> None:
    """Refuse production keys that are missing, published or short (never SECRET_KEY instead)."""
    keys = parse_keys(value)
    advice = ("set TOTP_ENCRYPTION_KEYS in the environment to a long random string, e.g. "
              "python -c 'import secrets; print(secrets.token_urlsafe(32))' (README \"Key rotation\").")
    if not keys:
        raise RuntimeError(
            "TOTP_ENCRYPTION_KEYS is not set. Production refuses to start without the key that "
            "encrypts the second-factor secrets: " + advice
        )
    if INSECURE_DEVELOPMENT_TOTP_KEY in keys:
        raise RuntimeError("TOTP_ENCRYPTION_KEYS holds the published development key: " + advice)
    if any(len(key) < MIN_TOTP_KEY_LENGTH for key in keys):
        raise RuntimeError(
            f"TOTP_ENCRYPTION_KEYS: every key needs at least {MIN_TOTP_KEY_LENGTH} characters; " + advice
        )


def check_rate_limit_storage(config: Mapping, workers: int, warn: Callable[[str], object]) -> None:
    """Refuse production served by several worker processes that would each keep their
    own rate-limit counters (memory://): every worker would allow a client the whole
    limit, so with 8 workers 5 wrong passwords become 40. Raises RuntimeError naming the
    setting; one worker on memory:// is allowed, with a ``warn``-ing (a restart resets
    the counters). Called where the worker count is known: gunicorn.conf.py."""
    uri = (config.get("RATELIMIT_STORAGE_URI") or "memory://").strip()
    if not config.get("PRODUCTION") or not config.get("RATELIMIT_ENABLED", True) or not uri.startswith("memory:"):
        return
    if workers > 1:
        raise RuntimeError(
            f"RATELIMIT_STORAGE_URI is {uri!r} with {workers} worker processes: each would count "
            "failed sign-ins on its own, and the limits would allow that many times as many "
            "guesses. Production refuses to start so. Set RATELIMIT_STORAGE_URI to a store the "
            "workers share, e.g. redis://127.0.0.1:6379/0, or run one worker (WEB_CONCURRENCY=1)."
        )
    warn(
        f"RATELIMIT_STORAGE_URI is {uri!r}: the one worker counts in its own memory, and a "
        "restart forgets the counts. Use redis://... before adding workers or servers."
    )


def _instance_secret(instance: Path) -> str:
    """Return the development secret key kept in the instance folder, creating it once."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> type[Config]:
    """Return the configuration class called ``name`` (default: ``$APP_CONFIG`` or development)."""
    name = name or os.environ.get("APP_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"Unknown APP_CONFIG {name!r}: choose one of {', '.join(sorted(CONFIGS))}."
        ) from None
