"""Conditional, compressed JSON responses."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict

from flask import Response, request

from app.services.maps import Layer

GEOJSON = "application/geo+json"
_GZIP_LEVEL = 6  # level 9 is ~3x slower for 2-3 % less


class _GzipCache:
    """The last few compressed bodies by ETag: a repeat without If-None-Match (another
    user, a cleared cache) costs a dictionary lookup instead of compressing again."""

    def __init__(self, size: int = 32) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, etag: str, body: bytes) -> bytes:
        with self._lock:
            if etag in self._items:
                self._items.move_to_end(etag)
                return self._items[etag]
        packed = gzip.compress(body, _GZIP_LEVEL, mtime=0)
        with self._lock:
            self._items[etag] = packed
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return packed


_gzip_cache = _GzipCache()


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def geojson_response(layer: Layer, *, shared: bool) -> Response:
    """``layer`` as GeoJSON with ETag/Last-Modified, answering 304 when the client's copy
    is current. ``shared=False`` marks personal data: only the browser may keep it."""
    body = json.dumps(layer.as_geojson(), ensure_ascii=False, separators=(",", ":")).encode()
    return conditional_response(body, GEOJSON, layer.updated_at, shared=shared)


def conditional_response(body: bytes, mimetype: str, updated_at, *, shared: bool) -> Response:
    """``body`` with a strong ETag and Last-Modified, 304 when the client's copy is
    current, gzip when accepted."""
    digest = hashlib.blake2b(body, digest_size=16).hexdigest()
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
        response.set_data(_gzip_cache.get(etag, body))
        response.content_encoding = "gzip"
    else:
        response.set_data(body)
    return response
