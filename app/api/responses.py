"""Conditional, compressed JSON responses."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Hashable

from flask import Response, current_app, request

from app.caching import LRUCache
from app.services.maps import Layer

GEOJSON = "application/geo+json"
_GZIP_LEVEL = 6  # level 9 is ~3x slower for 2-3 % less


# The last few compressed bodies by ETag: a repeat without If-None-Match (another user, a
# cleared cache) costs a dictionary lookup instead of compressing again.
_gzip_cache: LRUCache[bytes] = LRUCache(32)
# Each app's encoded layers, by what they show and the state of their rows.
_LAYERS = "evn_encoded_layers"
LAYER_CACHE_SIZE = 32


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def _encoded(layer: Layer) -> bytes:
    return json.dumps(layer.as_geojson(), ensure_ascii=False, separators=(",", ":")).encode()


def _digest(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def geojson_response(layer: Layer, *, shared: bool) -> Response:
    """``layer`` as GeoJSON with ETag/Last-Modified, answering 304 when the client's copy
    is current. ``shared=False`` marks personal data: only the browser may keep it."""
    return conditional_response(_encoded(layer), GEOJSON, layer.updated_at, shared=shared)


def cached_geojson_response(key: Hashable, version: Hashable, build: Callable[[], Layer], *,
                            shared: bool) -> Response:
    """As :func:`geojson_response` for ``build()``, which is called only when this worker
    has not yet encoded the layer ``key`` (the endpoint and its filters) in the state
    ``version``. ``version`` must change whenever anything the layer shows changes: e.g.
    the number of rows and their newest ``updated_at``, which every write moves (ORM and
    Core updates alike set it) and which Last-Modified already stands on. Building and
    encoding the largest layer takes about 20 ms; its version, one aggregate query."""

    def encode() -> tuple[bytes, str, object]:
        layer = build()
        body = _encoded(layer)
        return body, _digest(body), layer.updated_at

    layers = current_app.extensions.setdefault(_LAYERS, LRUCache(LAYER_CACHE_SIZE))
    body, digest, updated_at = layers.get((key, version), encode)
    return conditional_response(body, GEOJSON, updated_at, shared=shared, digest=digest)


def conditional_response(body: bytes, mimetype: str, updated_at, *, shared: bool,
                         digest: str | None = None) -> Response:
    """``body`` with a strong ETag (``digest``, else a hash of the body) and
    Last-Modified, 304 when the client's copy is current, gzip when accepted."""
    digest = digest or _digest(body)
    compress = _accepts_gzip()
    # One strong ETag per representation: the gzip body is a different byte sequence.
    etag = f"{digest}-gz" if compress else digest
    response = Response(mimetype=mimetype)
    response.set_etag(etag)
    if updated_at is not None:
        response.last_modified = updated_at
    response.cache_control.no_cache = True
    if shared:
        response.cache_control.public = True
    else:
        response.cache_control.private = True
        response.vary.add("Cookie")
    response.vary.add("Accept-Encoding")
    response.make_conditional(request)
    if response.status_code == 304:
        return response
    if compress:
        response.set_data(_gzip_cache.get(etag, lambda: gzip.compress(body, _GZIP_LEVEL, mtime=0)))
        response.content_encoding = "gzip"
    else:
        response.set_data(body)
    return response
