"""Optional geocoding of typed addresses (geopy), off unless ``GEOCODER`` is set.

The national gazetteer already places every community and evangelist at their
municipality's office; a geocoder only refines that. Geocoding services fail and rate-limit
(FIELD-NOTES: "Geocoding fails or hits rate limits"), so:

* each call goes through geopy's ``RateLimiter`` (at least ``GEOCODER_MIN_DELAY_SECONDS``,
  1 s by default, between calls: Nominatim's usage policy) without retries, so a form
  never hangs on a dead service;
* the same pace holds across every worker and server: a shared gate in the rate-limit
  storage (``RATELIMIT_STORAGE_URI``: Redis when there are several workers) lets one
  call through per ``GEOCODER_MIN_DELAY_SECONDS``; a call that cannot get through within
  ``GEOCODER_TIMEOUT`` fails as "busy" instead of waiting on;
* answers (a place or "nothing found") are cached in this process by normalised address,
  so the same address is never asked twice; errors are not cached, the next try may work;
* a failure raises :class:`GeocodingFailed`, which the caller turns into a message.

Tests never reach a real service: they put a fake in ``app.extensions["geocoder"]``
(anything callable as ``geocoder(address) -> (lat, lon) | None``).
"""

from __future__ import annotations

import math
import time
import unicodedata
from collections.abc import Callable
from typing import Protocol

from flask import Flask, current_app

from app.caching import LRUCache

EXTENSION_KEY = "geocoder"
CACHE_SIZE = 2048


class GeocodingFailed(Exception):
    """The geocoding service could not answer (timeout, unavailable, refused)."""


class Geocoder(Protocol):
    def __call__(self, address: str) -> tuple[float, float] | None: ...


def normalize_address(address: str) -> str:
    """The cache key: NFKC (full-width digits and letters become ASCII), spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", address).split())


class CachingGeocoder:
    """Wraps a ``lookup(address) -> (lat, lon) | None`` with an in-process LRU cache.

    ``lookup`` may raise :class:`GeocodingFailed`; that answer is not cached.
    """

    def __init__(self, lookup: Callable[[str], tuple[float, float] | None], size: int = CACHE_SIZE):
        self._lookup = lookup
        self._cache: LRUCache[tuple[float, float] | None] = LRUCache(size)

    def __call__(self, address: str) -> tuple[float, float] | None:
        key = normalize_address(address)
        if not key:
            return None
        return self._cache.get(key, lambda: self._lookup(key))

    def cached(self, address: str) -> bool:
        return normalize_address(address) in self._cache


class SharedGate:
    """At most one call per ``seconds`` among everyone using the same ``storage`` (a
    ``limits`` storage: Redis shared by every worker, or memory within one process)."""

    def __init__(self, storage, seconds: float, *, max_wait: float,
                 sleep: Callable[[float], None] = time.sleep, key: str = "geocoder"):
        from limits import RateLimitItemPerSecond
        from limits.strategies import MovingWindowRateLimiter

        self._limiter = MovingWindowRateLimiter(storage)
        self._item = RateLimitItemPerSecond(1, max(1, math.ceil(seconds)))
        self._max_wait = max_wait
        self._sleep = sleep
        self._key = key

    def wait(self) -> None:
        """Return when this caller may go; raise GeocodingFailed after ``max_wait``."""
        waited = 0.0
        while not self._limiter.hit(self._item, self._key):
            if waited >= self._max_wait:
                raise GeocodingFailed("the geocoding service is busy: too many lookups at once")
            self._sleep(0.1)
            waited += 0.1


def shared_gate(config) -> SharedGate:
    from limits.storage import storage_from_string

    return SharedGate(
        storage_from_string(config.get("RATELIMIT_STORAGE_URI") or "memory://"),
        float(config["GEOCODER_MIN_DELAY_SECONDS"]),
        max_wait=float(config["GEOCODER_TIMEOUT"]),
    )


def nominatim_lookup(config) -> Callable[[str], tuple[float, float] | None]:
    """A rate-limited Nominatim lookup restricted to Japan (no network until called)."""
    from geopy.exc import GeopyError
    from geopy.extra.rate_limiter import RateLimiter
    from geopy.geocoders import Nominatim

    service = Nominatim(
        user_agent=config["GEOCODER_USER_AGENT"],
        domain=config["GEOCODER_DOMAIN"],
        timeout=config["GEOCODER_TIMEOUT"],
    )
    limited = RateLimiter(
        service.geocode,
        min_delay_seconds=max(1.0, float(config["GEOCODER_MIN_DELAY_SECONDS"])),
        max_retries=0,
        swallow_exceptions=False,
    )

    gate = shared_gate(config)

    def lookup(address: str) -> tuple[float, float] | None:
        gate.wait()
        try:
            location = limited(address, exactly_one=True, country_codes="jp", language="ja")
        except GeopyError as error:
            raise GeocodingFailed(str(error)) from error
        if location is None:
            return None
        return float(location.latitude), float(location.longitude)

    lookup.rate_limiter = limited  # for tests and introspection
    lookup.gate = gate
    return lookup


BACKENDS = {"nominatim": nominatim_lookup}


def make_geocoder(config) -> CachingGeocoder | None:
    """The geocoder that ``config`` asks for, or None when ``GEOCODER`` is empty."""
    name = (config.get("GEOCODER") or "").strip().lower()
    if not name:
        return None
    if name not in BACKENDS:
        raise RuntimeError(f"Unknown GEOCODER {name!r}: choose one of {', '.join(sorted(BACKENDS))}, or leave it empty.")
    return CachingGeocoder(BACKENDS[name](config))


def get_geocoder(app: Flask | None = None) -> Geocoder | None:
    """The app's geocoder, made on first use and kept for the process (so its cache and
    its rate limit are shared by every request); None when geocoding is off."""
    app = app or current_app._get_current_object()
    if EXTENSION_KEY not in app.extensions:
        app.extensions.setdefault(EXTENSION_KEY, make_geocoder(app.config))
    return app.extensions[EXTENSION_KEY]
