"""Leaflet maps built with folium, working on a closed network and under the app's CSP.

How a map gets onto a page:

* folium builds the skeleton: the Leaflet map, the configured tile layer, one layer per
  kind of data (:class:`DataLayer`) and the layer control. Nothing of the data is in the
  map's script: each ``DataLayer`` names a GeoJSON URL that ``static/js/maps.js`` fetches
  once and draws (popups and legend counts included), so the page stays small and
  cacheable and a 1,741-point layer costs the browser one request. The layers that grow
  with the programme (``viewport=True``: communities, evangelists, requests) are fetched
  for the map's view instead, again after each move, and arrive as server-made clusters
  when the view holds more points than a response may carry (evangelists/viewport.py). The small maps' few
  points travel beside the script, in a ``<script type="application/json">`` block that
  the page template writes with ``tojson`` (``RenderedMap.data``).
* Data must never reach branca: it compiles every element's rendered script as a new
  Jinja template (``MacroElement.render`` wraps it in a new branca ``Element`` built
  from that text), so a name such as ``{{7*7}}`` in a map script was evaluated on the
  server (README "Security notes for developers"). :class:`DataLayer` refuses template markers in what it hands to folium,
  and :func:`render_map` takes each script as the first render wrote it, without the
  second render that evaluated it.
* :func:`render_map` splits folium's output into the asset links (served from
  ``static/vendor``, never a CDN), the map ``<div>`` and the inline script. The page
  template puts the script in a ``<script nonce="...">``: folium writes inline JavaScript
  with random element ids and has no nonce support, and adding a per-request nonce to the
  one tag the template writes keeps the strict policy (no 'unsafe-inline') everywhere else.
  folium's header (a viewport meta that blocks zooming, ``<style>`` blocks sizing the map,
  Leaflet switches) is left out on purpose: ``static/css/app.css`` sizes ``.folium-map``.
* Leaflet's own controls speak English and its scale shows miles: the page's words for
  them travel in ``data-map-config`` (``controls``, translated here) and
  ``EvnMaps.localize`` (static/js/maps.js) puts them on the zoom buttons, the layer
  toggle, the popups' close button and the credit, and adds a metric-only scale
  (``control_scale`` stays off: folium's would show miles too).
* :func:`rendered` remembers what :func:`render_map` made (5–10 ms a map), per app, keyed
  on everything the map is built from: the builder's arguments (filters, and for the
  small maps the points themselves), the language and the script root. Nothing
  per-request is inside (the nonce is the template's), so a map can be served again.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass

import folium
import xyzservices
from branca.element import CssLink, Element, JavascriptLink
from flask import Flask, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.plugins import MarkerCluster
from folium.template import Template
from markupsafe import Markup, escape

from app.caching import LRUCache
from app.labels import labels_in

# Every asset folium or a plugin we use would load from a CDN, by folium's own name for
# it, and the vendored file that replaces it (static/vendor/README.md says where each
# comes from). A name missing here stops start-up, so a folium upgrade that adds an asset
# cannot quietly put a CDN URL back into the pages.
VENDORED = {
    "leaflet": "leaflet/leaflet.js",
    "jquery": "jquery/jquery.min.js",
    "bootstrap": "bootstrap/js/bootstrap.bundle.min.js",
    "awesome_markers": "leaflet.awesome-markers/leaflet.awesome-markers.js",
    "leaflet_css": "leaflet/leaflet.css",
    "bootstrap_css": "bootstrap/css/bootstrap.min.css",
    "glyphicons_css": "bootstrap3-glyphicons/css/bootstrap3-glyphicons.min.css",
    "awesome_markers_font_css": "fontawesome-free/css/all.min.css",
    "awesome_markers_css": "leaflet.awesome-markers/leaflet.awesome-markers.css",
    "markerclusterjs": "leaflet.markercluster/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/MarkerCluster.Default.css",
}
# Only adds .fa-rotate-N classes for folium.Icon(angle=N); not on npm (static/vendor/README.md).
NOT_VENDORED = {"awesome_rotate_css"}
FOLIUM_CLASSES = (folium.Map, MarkerCluster)

JAPAN_BOUNDS = ((24.0, 122.9), (45.6, 146.0))  # Yonaguni to Nemuro, Hateruma to Wakkanai


def _vendored(pairs, base: str, owner: type) -> list[tuple[str, str]]:
    out = []
    for name, _url in pairs:
        if name in NOT_VENDORED:
            continue
        if name not in VENDORED:
            raise RuntimeError(
                f"{owner.__name__} asks for the asset {name!r}, which is not vendored: add it "
                "to scripts/vendor_assets.py and VENDORED in app/folium_maps.py"
            )
        out.append((name, base + VENDORED[name]))
    return out


def init_maps(app: Flask) -> None:
    """Point every folium asset at static/vendor. Class-level, so once per process is
    enough; doing it again (another app in the same process) gives the same lists.
    Also gives the app its cache of rendered maps (:func:`rendered`)."""
    base = f"{app.static_url_path.rstrip('/')}/vendor/"
    for cls in FOLIUM_CLASSES:
        cls.default_js = _vendored(cls.default_js, base, cls)
        cls.default_css = _vendored(cls.default_css, base, cls)
    app.extensions[_CACHE] = LRUCache(MAP_CACHE_SIZE)


class AppMap(folium.Map):
    """A folium map whose page already has Bootstrap: only Leaflet's own files are added
    (a second bootstrap.bundle.js would bind every navbar toggle twice)."""

    def __init__(self, *args, label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_js = [p for p in folium.Map.default_js if p[0] == "leaflet"]
        self.default_css = [p for p in folium.Map.default_css if p[0] == "leaflet_css"]
        self.label = label


class DataLayer(JSCSSMixin, Layer):
    """A layer drawn by static/js/maps.js from GeoJSON: fetched from ``url`` the first
    time the layer is shown, or given as ``data`` for small maps. ``data`` stays out of
    the script: :func:`render_map` hands it to the page, which writes it in a JSON block
    whose id the layer's spec names.

    ``kind`` selects how features are drawn (see ``KINDS`` in maps.js); ``cluster`` groups
    dense point layers with Leaflet.markercluster.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = EvnMaps.layer({{ this.spec|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, key: str, kind: str, name: str, *, url: str | None = None,
                 data: dict | None = None, cluster: bool = False, show: bool = True,
                 control: bool = True, **options):
        super().__init__(name=name, overlay=True, control=control, show=show)
        if (url is None) == (data is None):
            raise ValueError("a DataLayer needs exactly one of url and data")
        self.data = data
        source = {"url": url} if data is None else {"data": data_block_id(key)}
        self.spec = {"key": key, "kind": kind, "cluster": cluster, **source, **options}
        refuse_template_markers({"name": name, "spec": self.spec})
        static = current_app.static_url_path.rstrip("/")
        self.default_js = [("evn_maps", f"{static}/js/maps.js")]
        self.default_css = []
        if cluster:
            self.default_js = MarkerCluster.default_js + self.default_js
            self.default_css = list(MarkerCluster.default_css)


def data_block_id(key: str) -> str:
    """The id of the ``<script type="application/json">`` that holds a layer's data."""
    return f"map-data-{key}"


TEMPLATE_MARKERS = ("{{", "{%", "{#")


def refuse_template_markers(value) -> None:
    """Raise if ``value`` (as JSON) carries Jinja syntax: branca compiles what it is given
    as template source, so only our own words and numbers may go in, never data."""
    text = json.dumps(value, ensure_ascii=False)
    if any(marker in text for marker in TEMPLATE_MARKERS):
        raise ValueError(f"template syntax in what a map hands to folium: {text[:200]}")


def layer_name(text: str, swatch: str) -> str:
    """A layer control entry: Leaflet inserts names as HTML, so the text is escaped and
    the swatch (a CSS class, no inline style) is our own markup."""
    return str(Markup('<span class="map-swatch map-swatch-{}" aria-hidden="true"></span> {}').format(swatch, text))


@functools.lru_cache(maxsize=4)
def _tile_provider(url: str, attribution: str) -> xyzservices.TileProvider:
    """Given a plain URL, folium searches every xyzservices provider by name on each map
    (about 5 ms, a quarter of /map's render); a ready TileProvider skips that."""
    return xyzservices.TileProvider(name="tiles", url=url, attribution=attribution, html_attribution=attribution)


def new_map(label: str, *, bounds=JAPAN_BOUNDS, zoom_control: bool = True) -> AppMap:
    """A map of ``bounds`` with the configured tiles and the bundled prefecture outlines
    underneath them (so Japan shows even when no tile loads)."""
    config = current_app.config
    m = AppMap(
        location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
        zoom_start=5, tiles=None, prefer_canvas=True, control_scale=False,
        zoom_control=zoom_control, label=label, min_zoom=4, zoom_snap=0.25, zoom_delta=0.5,
    )
    folium.TileLayer(
        tiles=_tile_provider(config["MAP_TILE_URL"], config["MAP_TILE_ATTRIBUTION"]),
        name="tiles", control=False, max_zoom=18, max_native_zoom=18,
    ).add_to(m)
    DataLayer("outlines", "outlines", "outlines", control=False,
              url=url_for("static", filename="geo/prefectures.geojson")).add_to(m)
    m.fit_bounds([list(bounds[0]), list(bounds[1])])
    return m


@dataclass(frozen=True)
class RenderedMap:
    """What a template needs: ``assets`` for the head, ``html`` where the map goes,
    ``script`` to put in ``<script nonce="{{ csp_nonce() }}">`` after the assets, and
    ``data``, the small maps' GeoJSON by block id, for ``<script type="application/json">``
    blocks written with ``tojson`` (templates/_map.html)."""

    assets: Markup
    html: Markup
    script: Markup
    label: str
    name: str  # the map's JavaScript variable
    data: tuple[tuple[str, dict], ...] = ()


def _first_render(element: Element) -> str:
    """The text that branca's render wrote for one element of the figure's script.

    ``MacroElement.render`` wraps that text in a new branca ``Element``, whose
    constructor compiles it as a template; rendering the figure's script (as ``Figure.render`` does with its own
    template, which is why :func:`render_map` renders only the figure's children) would
    evaluate it. The text is taken as it was written instead. Anything else in the script is a
    change in branca that this function must be taught about, not guessed at."""
    if type(element) is not Element or element._template_str is None:
        raise RuntimeError(f"unexpected {type(element).__name__} in the map's script: see _first_render")
    return str(element._template_str)


def render_map(m: AppMap) -> RenderedMap:
    root = m.get_root()
    # What Figure.render does, without its own template: that renders the figure's
    # script, i.e. evaluates each element's script text as Jinja a second time.
    for child in root._children.values():
        child.render()
    links = []
    for child in root.header._children.values():
        if isinstance(child, JavascriptLink):
            links.append(Markup('<script src="{}"></script>').format(child.url))
        elif isinstance(child, CssLink):
            links.append(Markup('<link rel="stylesheet" href="{}">').format(child.url))
        # Anything else in folium's header is its own page scaffolding (see module doc).
    html = Markup('<div class="folium-map" id="{}" role="region" aria-label="{}"></div>').format(
        m.get_name(), m.label
    )
    script = "\n".join(_first_render(child) for child in root.script._children.values())
    data = tuple((layer.spec["data"], layer.data) for layer in _layers(m) if layer.data is not None)
    return RenderedMap(
        assets=Markup("\n".join(links)),
        html=html,
        script=Markup(script),
        label=escape(m.label),
        name=m.get_name(),
        data=data,
    )


def _layers(element: Element):
    for child in element._children.values():
        if isinstance(child, DataLayer):
            yield child
        yield from _layers(child)


# --- remembering rendered maps ----------------------------------------------------------

_CACHE = "evn_rendered_maps"
MAP_CACHE_SIZE = 256  # a few KB each: the map pages' filter combinations and recent small maps


def _plain(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, frozenset):  # a regional coordinator's regions
        return sorted(value)
    raise TypeError(f"{type(value).__name__} cannot be part of a map's cache key; pass plain values")


def _recent(kind: str, args: tuple, make: Callable):
    """``make()``, or what it gave before for the same ``kind``, arguments, language and
    script root (URLs start with it) in this app (whose config holds the tiles)."""
    key = (kind, str(get_locale()), request.script_root,
           json.dumps(args, sort_keys=True, ensure_ascii=False, default=_plain))
    return current_app.extensions[_CACHE].get(key, make)


def rendered(builder: Callable[..., AppMap], *args) -> RenderedMap:
    """``render_map(builder(*args))``, remembered. ``args`` must be plain data (strings,
    numbers, tuples, lists, dicts, frozen dataclasses of those): they are the cache key,
    so a map is built again whenever anything it shows changes, and never shown for other
    data. The builder may use the language, the app's config and ``url_for``, nothing else."""
    return _recent(builder.__name__, args, lambda: render_map(builder(*args)))


# --- what the browser needs to label popups -------------------------------------------


def map_config(topics, prefectures, locale: str, *, staff: bool = False) -> dict:
    """The ``data-map-config`` of a map page: labels of every vocabulary a popup shows,
    the popup phrases, and URL patterns (``__ID__`` is replaced in the browser). Its
    fixed parts are shared between calls: read it, don't change it.

    ``staff``: the viewer is a coordinator or admin, so evangelists' popups link to their
    record (/coordinator/recruitment/<id>); other pages get no such pattern, so no link."""
    ja = locale == "ja"
    fixed = _recent("map_config", (locale,), lambda: _fixed_map_config(locale))
    urls = fixed["urls"]
    if staff:
        urls = {**urls, "evangelist": url_for("recruitment.evangelist", evangelist_id=0).replace("/0", "/__ID__"),
                "outreach": url_for("outreach.case", case_id=0).replace("/0", "/__ID__")}
    return {
        **fixed,
        "urls": urls,
        "labels": {
            **fixed["labels"],
            "topic": {t.slug: t.name_ja if ja else t.name_en for t in topics},
            "prefecture": {p.code: p.name_ja if ja else p.name_en for p in prefectures},
        },
    }


def _fixed_map_config(locale: str) -> dict:
    """What :func:`map_config` holds whatever the data: the same for every page in one
    language (a hundred translated strings, about 1 ms)."""
    return {
        "lang": locale,
        "labels": labels_in(locale),
        # Leaflet's own controls, relabelled by EvnMaps.localize (the scale is metric only).
        "controls": {
            "zoom_in": _("Zoom in"),
            "zoom_out": _("Zoom out"),
            "layers": _("Layers"),
            "close_popup": _("Close popup"),
            "leaflet_title": _("A JavaScript library for interactive maps"),
            "outlines_credit": _("Prefecture outlines: National Land Numerical Information "
                                 "(administrative areas), MLIT, processed"),
        },
        "urls": {
            "municipality": url_for("public.municipality", code="__ID__"),
            "community_page": url_for("directory.community", community_id=0).replace("/0", "/__ID__"),
            "request": url_for("coordinator.request_detail", request_id=0).replace("/0", "/__ID__"),
            "municipalities_in": url_for("public.municipalities", prefecture="__ID__"),
        },
        "text": {
            "prefecture": _("Prefecture"),
            "open_data": _("Open data"),
            "stage": _("Engagement stage"),
            "status": _("Status"),
            "open_page": _("Open its page"),
            "open_place": _("Open the municipality's page"),
            "open_community": _("Open the community's page"),
            "open_request": _("Open the request"),
            "open_outreach": _("Open the outreach case"),
            "next_date": _("Next date"),
            "open_evangelist": _("Open the evangelist's record"),
            "municipalities_link": _("List its municipalities"),
            "adoption": _("{active} of {total} municipalities ({rate})"),
            "communities": _("Active communities"),
            "nearest": _("Nearest active evangelist"),
            "no_evangelist": _("No active evangelist"),
            "km": _("{km} km"),
            "based_in": _("Based in"),
            "members": _("Members"),
            "website": _("Website"),
            "skills": _("Skills"),
            "load": _("Assignments"),
            "slots": _("{used} of {capacity} slots in use"),
            "radius": _("Travels up to"),
            "online": _("online advice possible"),
            "topics": _("Topics"),
            "mode": _("Preferred mode"),
            "received": _("Received"),
            "distance": _("Distance"),
            "why": _("Why"),
            "cluster": _("{count} here: zoom in to see them"),
            "load_failed": _("The layer “{layer}” could not be loaded ({error}). Reload the page to try again."),
        },
    }


# --- the maps of the app --------------------------------------------------------------


def _api_url(endpoint: str, **params) -> str:
    return url_for(endpoint, **{k: v for k, v in params.items() if v not in (None, "")})


def network_map(filters, shown: tuple[str, ...], bounds=None) -> AppMap:
    """/map: every layer a coordinator needs, filtered; ``shown`` are the overlays on."""
    m = new_map(_("Map of the network"), bounds=bounds or JAPAN_BOUNDS)
    f = filters
    km = int(f.gap_km)
    # A regional coordinator's map asks every layer for their regions only (the staff
    # layers keep to them anyway; the public ones are told).
    region = ",".join(sorted(f.regions)) if f.regions is not None else None
    layers = [
        ("choropleth", "choropleth", _("Open-data adoption by prefecture"), "choropleth",
         dict(url=url_for("static", filename="geo/prefectures.geojson"), figures=url_for("api.prefectures"))),
        ("municipalities", "municipalities", _("Municipalities by engagement stage"), "municipality",
         dict(url=_api_url("api.municipalities", prefecture=f.prefecture, stage=f.stage, region=region))),
        ("gap", "gap", _("Coverage gap: non-active, over %(km)s km from an evangelist", km=km), "gap",
         dict(url=_api_url("api.coverage_gap", prefecture=f.prefecture, stage=f.stage, topic=f.topic, km=km,
                           region=region),
              list="gap-list")),
        # These three grow with the programme: fetched for the view (bbox, zoom) and
        # clustered by the server when the view holds many (maps.js viewportLayer).
        ("communities", "communities", _("Active communities"), "community",
         dict(url=_api_url("api.communities", prefecture=f.prefecture, status="active", region=region), cluster=True,
              viewport=True, pin="community")),
        ("evangelists", "evangelists", _("Active evangelists"), "evangelist",
         dict(url=_api_url("api.evangelists", prefecture=f.prefecture, topic=f.topic, region=region), cluster=True,
              viewport=True, pin="evangelist")),
        ("requests", "requests", _("Open requests"), "request",
         dict(url=_api_url("api.requests", prefecture=f.prefecture, topic=f.topic, status=f.status, region=region),
              cluster=True, viewport=True, pin="request")),
        # Towns the programme went to before they asked (app/services/outreach.py).
        ("outreach", "outreach", _("Outreach cases under way"), "outreach",
         dict(url=_api_url("api.outreach", prefecture=f.prefecture))),
    ]
    for key, kind, title, swatch, options in layers:
        DataLayer(key, kind, layer_name(title, swatch), show=key in shown, track=True, title=title,
                  **options).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def public_network_map() -> AppMap:
    """/network: aggregates by prefecture only, nothing about any person."""
    m = new_map(_("Map of open data adoption and communities by prefecture"))
    figures = url_for("api.prefectures")
    DataLayer("choropleth", "choropleth", layer_name(_("Open-data adoption by prefecture"), "choropleth"),
              url=url_for("static", filename="geo/prefectures.geojson"), figures=figures,
              title=_("Open-data adoption by prefecture")).add_to(m)
    DataLayer("community_totals", "community_totals", layer_name(_("Active communities per prefecture"), "community"),
              url=figures, title=_("Active communities per prefecture")).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def _points(rows) -> dict:
    """Inline GeoJSON for a small map: ``rows`` are (id, lat, lon, properties)."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": fid, "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
         "properties": props}
        for fid, lat, lon, props in rows
    ]}


def _around(lat: float, lon: float, points, min_span: float = 0.25):
    lats = [lat, *(p[1] for p in points)]
    lons = [lon, *(p[2] for p in points)]
    pad_lat = max(min_span - (max(lats) - min(lats)), 0) / 2 + 0.02
    pad_lon = max(min_span - (max(lons) - min(lons)), 0) / 2 + 0.02
    return ((min(lats) - pad_lat, min(lons) - pad_lon), (max(lats) + pad_lat, max(lons) + pad_lon))


def place_of(municipality) -> tuple:
    """A municipality as the small maps need it: (code, lat, lon, properties)."""
    return (municipality.code, municipality.lat, municipality.lon,
            {"name": municipality.name, "romaji": municipality.name_romaji})


def place_map(place: tuple, communities, evangelists) -> AppMap:
    """A municipality's page: where it is (``place_of``), and the communities (and, for
    coordinators, evangelists) near it. ``communities``/``evangelists`` are (id, lat, lon,
    properties)."""
    _code, lat, lon, properties = place
    name = properties["name"]
    m = new_map(_("Map of %(name)s and its surroundings", name=name),
                bounds=_around(lat, lon, [*communities, *evangelists]))
    DataLayer("place", "place", "place", data=_points([place]), control=False).add_to(m)
    if communities:
        DataLayer("communities", "communities", layer_name(_("Communities nearby"), "community"),
                  data=_points(communities)).add_to(m)
    if evangelists:
        DataLayer("evangelists", "evangelists", layer_name(_("Active evangelists nearby"), "evangelist"),
                  data=_points(evangelists)).add_to(m)
    if communities or evangelists:
        folium.LayerControl(collapsed=True).add_to(m)
    return m


def community_map(point: tuple) -> AppMap:
    """A community's page: a small map of where it meets. ``point`` is (id, lat, lon,
    {"name": ...}); the name reaches the page only as the map's escaped label and as JSON
    data, never as script."""
    _id, lat, lon, properties = point
    m = new_map(_("Map of %(name)s", name=properties["name"]), bounds=_around(lat, lon, []))
    DataLayer("place", "place", "place", data=_points([point]), control=False).add_to(m)
    return m


def directory_map(communities) -> AppMap:
    """The public community directory: the communities of the page shown, each at its
    municipality's office (``communities``: (id, lat, lon, properties), public fields
    only); Japan when there are none."""
    bounds = JAPAN_BOUNDS
    if communities:
        first = communities[0]
        bounds = _around(first[1], first[2], communities[1:], min_span=1.0)
    m = new_map(_("Map of the communities in the directory"), bounds=bounds)
    if communities:
        DataLayer("communities", "communities", layer_name(_("Communities in the directory"), "community"),
                  data=_points(communities), cluster=True, control=False).add_to(m)
    return m


def suggestion_map(place: tuple, suggestions) -> AppMap:
    """A request's page: its municipality (``place_of``) and its top suggested
    evangelists, numbered by rank and joined to it by a line. ``suggestions`` are (id,
    lat, lon, properties)."""
    _code, lat, lon, properties = place
    m = new_map(_("Map of the request and its suggested evangelists"), bounds=_around(lat, lon, suggestions))
    DataLayer("place", "place", "place", data=_points([place]), control=False).add_to(m)
    DataLayer("suggestions", "suggestions", layer_name(_("Suggested evangelists"), "suggestion"),
              data=_points(suggestions), origin=[lat, lon], control=False).add_to(m)
    return m
