/*
 * Draws the data layers of the app's folium maps (app/folium_maps.py).
 *
 * folium writes one `EvnMaps.layer(spec)` call per layer into the page; this file turns
 * the spec into a Leaflet layer, fetches its GeoJSON the first time the layer is shown
 * (each URL once per page), and builds markers and popups with DOM calls only: no inline
 * styles, no HTML strings from data, so the strict Content-Security-Policy holds and a
 * community called "<b>" stays text.
 *
 * The page gives what popups need in `data-map-config` on the `.map-frame` element:
 * {lang, urls: {municipality, request, municipalities_in, evangelist (staff pages only)},
 *  labels: {...}, text: {...}, controls: {...}}. `localize(map)` puts `controls`' words on
 * Leaflet's own buttons and adds a kilometre-only scale.
 */
(function () {
  "use strict";

  var config = null;
  function cfg() {
    if (!config) {
      var holder = document.querySelector("[data-map-config]");
      config = holder ? JSON.parse(holder.getAttribute("data-map-config")) : {};
      config.labels = config.labels || {};
      config.text = config.text || {};
      config.urls = config.urls || {};
    }
    return config;
  }

  // --- small helpers ------------------------------------------------------------------

  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "className") node.className = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    for (var i = 2; i < arguments.length; i++) {
      if (arguments[i] !== null && arguments[i] !== undefined) node.appendChild(arguments[i]);
    }
    return node;
  }

  function say(key, values) {
    var text = cfg().text[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  }

  function label(vocabulary, value) {
    var table = cfg().labels[vocabulary] || {};
    return table[value] || value;
  }

  function placeName(p, jaKey, romajiKey) {
    var ja = p[jaKey || "name"], romaji = p[romajiKey || "romaji"];
    return cfg().lang === "ja" || !romaji ? ja : romaji + " (" + ja + ")";
  }

  function url(pattern, value) {
    return (cfg().urls[pattern] || "").replace("__ID__", encodeURIComponent(value));
  }

  function number(n) {
    return new Intl.NumberFormat(cfg().lang === "ja" ? "ja-JP" : "en-GB").format(n);
  }

  function percent(rate) {
    return new Intl.NumberFormat(cfg().lang === "ja" ? "ja-JP" : "en-GB",
      { style: "percent", maximumFractionDigits: 0 }).format(rate);
  }

  // A popup: a heading, then definition rows, then links.
  function card(title, rows, links) {
    var box = el("div", { className: "map-popup" }, el("h3", { className: "h6 mb-1", text: title }));
    if (rows.length) {
      var dl = el("dl", { className: "mb-1" });
      rows.forEach(function (row) {
        if (row[1] === null || row[1] === undefined || row[1] === "") return;
        dl.appendChild(el("dt", { text: row[0] }));
        dl.appendChild(el("dd", { text: row[1] }));
      });
      box.appendChild(dl);
    }
    (links || []).forEach(function (link) {
      if (!link || !link[1]) return;
      var a = el("a", { href: link[1], text: link[0], className: "d-block" });
      if (link[2]) { a.setAttribute("rel", "noopener noreferrer external"); a.setAttribute("target", "_blank"); }
      box.appendChild(a);
    });
    return box;
  }

  function pin(kind, text) {
    return L.divIcon({
      className: "map-pin map-pin-" + kind,
      html: text ? "<span>" + String(text).replace(/[^0-9]/g, "") + "</span>" : "",
      iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -10]
    });
  }

  function latLng(feature) {
    var c = feature.geometry.coordinates;
    return L.latLng(c[1], c[0]);
  }

  var fetched = {};
  function fetchJSON(address) {
    if (!fetched[address]) {
      fetched[address] = fetch(address, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status + " " + response.statusText);
          return response.json();
        });
    }
    return fetched[address];
  }

  function announce(key, count, extra) {
    document.querySelectorAll('[data-layer-count="' + key + '"]').forEach(function (node) {
      node.textContent = number(count);
    });
    document.dispatchEvent(new CustomEvent("evn:layer-loaded", { detail: { key: key, count: count, extra: extra || {} } }));
  }

  function failed(spec, error) {
    var box = document.getElementById("map-status");
    var message = say("load_failed", { layer: spec.title || spec.key, error: error.message });
    if (box) {
      box.appendChild(el("div", { className: "alert alert-warning mb-2", text: message }));
    }
    if (window.console) console.error(message);
  }

  // --- how each kind of feature is drawn ----------------------------------------------

  var STAGE_COLOURS = {
    none: "#6c757d", outreach: "#20c997", requested: "#d63384", assigned: "#fd7e14", visited: "#0d6efd", active: "#198754"
  };
  var RATE_BINS = [0.5, 0.7, 0.85, 0.95];
  var RATE_COLOURS = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];

  function rateColour(rate) {
    var i = 0;
    while (i < RATE_BINS.length && rate >= RATE_BINS[i]) i++;
    return RATE_COLOURS[i];
  }

  var KINDS = {
    // Land in white on a sea-blue background, in a pane *under* the tiles: the outlines
    // show Japan when no tile loads (closed networks) and disappear under tiles that do.
    outlines: function (data, group) {
      var map = group._map;
      if (!map.getPane("evn-outlines")) {
        var pane = map.createPane("evn-outlines");
        pane.style.zIndex = 150;
        pane.style.pointerEvents = "none";
      }
      L.geoJSON(data, {
        pane: "evn-outlines", interactive: false,
        style: { color: "#868e96", weight: 1, fillColor: "#ffffff", fillOpacity: 1 }
      }).addTo(group);
      return data.features.length;
    },

    choropleth: function (data, group, spec) {
      return fetchJSON(spec.figures).then(function (figures) {
        var byCode = {};
        figures.features.forEach(function (f) { byCode[f.properties.code] = f.properties; });
        L.geoJSON(data, {
          style: function (feature) {
            var f = byCode[feature.properties.code];
            return { color: "#495057", weight: 1, fillOpacity: 0.7,
                     fillColor: f ? rateColour(f.rate) : "#ffffff" };
          },
          onEachFeature: function (feature, layer) {
            var f = byCode[feature.properties.code];
            if (!f) return;
            layer.bindPopup(function () {
              return card(cfg().lang === "ja" ? f.name : f.name_en, [
                [say("open_data"), say("adoption", { active: number(f.open_data_active),
                  total: number(f.municipalities), rate: percent(f.rate) })],
                [say("communities"), number(f.communities)]
              ], [[say("municipalities_link"), url("municipalities_in", f.code)]]);
            });
          }
        }).addTo(group);
        return data.features.length;
      });
    },

    community_totals: function (data, group) {
      var drawn = 0;
      data.features.forEach(function (f) {
        var p = f.properties;
        if (!f.geometry || !p.communities) return;
        drawn++;
        L.circleMarker(latLng(f), {
          radius: 5 + Math.sqrt(p.communities) * 4, color: "#0a3d62", weight: 2,
          fillColor: "#f6b93b", fillOpacity: 0.85
        }).bindPopup(function () {
          return card(cfg().lang === "ja" ? p.name : p.name_en, [
            [say("communities"), number(p.communities)],
            [say("open_data"), say("adoption", { active: number(p.open_data_active),
              total: number(p.municipalities), rate: percent(p.rate) })]
          ], [[say("municipalities_link"), url("municipalities_in", p.code)]]);
        }).addTo(group);
      });
      return drawn;
    },

    municipalities: function (data, group) {
      var markers = data.features.map(function (f) {
        var p = f.properties, quiet = p.od === "active";
        // Non-active municipalities are larger with a dark ring, so they stand out.
        return L.circleMarker(latLng(f), {
          radius: quiet ? 3.5 : 6, weight: quiet ? 1 : 2.5, color: quiet ? "#ffffff" : "#212529",
          fillColor: STAGE_COLOURS[p.stage] || "#6c757d", fillOpacity: quiet ? 0.75 : 0.95
        }).bindPopup(function () {
          return card(placeName(p), [
            [say("prefecture"), label("prefecture", p.pref)],
            [say("open_data"), label("open_data_status", p.od)],
            [say("stage"), label("engagement_stage", p.stage)]
          ], [[say("open_page"), url("municipality", p.code)]]);
        });
      });
      markers.forEach(function (m) { group.addLayer(m); });
      return markers.length;
    },

    gap: function (data, group, spec) {
      var list = spec.list ? document.getElementById(spec.list) : null;
      if (list) list.textContent = "";
      data.features.forEach(function (f) {
        var p = f.properties;
        var distance = p.km === null ? say("no_evangelist") : say("km", { km: number(p.km) });
        L.circleMarker(latLng(f), {
          radius: 10, weight: 3, color: "#dc3545", dashArray: "4 3", fill: false
        }).bindPopup(function () {
          return card(placeName(p), [[say("nearest"), distance],
            [say("stage"), label("engagement_stage", p.stage)]],
            [[say("open_page"), url("municipality", p.code)]]);
        }).addTo(group);
        if (list) {
          list.appendChild(el("tr", {},
            el("td", {}, el("a", { href: url("municipality", p.code), text: placeName(p) })),
            el("td", { className: "text-end", text: distance })));
        }
      });
      return data.features.length;
    },

    communities: function (data, group) { return addAll(data, group, MARKERS.communities); },
    evangelists: function (data, group) { return addAll(data, group, MARKERS.evangelists); },
    requests: function (data, group) { return addAll(data, group, MARKERS.requests); },
    outreach: function (data, group) { return addAll(data, group, MARKERS.outreach); },

    // Small maps: one place, and ranked suggestions joined to it by a line.
    place: function (data, group) {
      data.features.forEach(function (f) {
        var p = f.properties;
        L.marker(latLng(f), { icon: pin("place"), title: placeName(p), alt: placeName(p), keyboard: true })
          .bindPopup(function () { return card(placeName(p), [], []); }).addTo(group);
      });
      return data.features.length;
    },

    suggestions: function (data, group, spec) {
      var origin = L.latLng(spec.origin[0], spec.origin[1]);
      data.features.forEach(function (f) {
        var p = f.properties, at = latLng(f);
        L.polyline([origin, at], { color: "#0d6efd", weight: 1.5, opacity: 0.6, dashArray: "5 4", interactive: false }).addTo(group);
        L.marker(at, { icon: pin("suggestion", p.rank), title: p.rank + ". " + p.name, alt: p.rank + ". " + p.name })
          .bindPopup(function () {
            return card(p.rank + ". " + p.name, [
              [say("based_in"), placeName(p, "place", "place_romaji")],
              [say("distance"), say("km", { km: number(p.km) })],
              [say("why"), p.reasons]
            ], []);
          }).addTo(group);
      });
      return data.features.length;
    }
  };

  // One marker per point of the layers that can be large (drawn whole on the small maps,
  // by viewport on /map: see viewportLayer).
  var MARKERS = {
    communities: function (f) {
      var p = f.properties;
      return L.marker(latLng(f), { icon: pin("community"), title: p.name, alt: p.name })
        .bindPopup(function () {
          return card(p.name, [
            [say("based_in"), placeName(p, "place", "place_romaji")],
            [say("status"), label("community_status", p.status)],
            [say("members"), p.members ? number(p.members) : null]
          ], [
            // Only communities listed in the public directory have a page to open.
            [say("open_community"), p.public && f.id !== undefined && f.id !== null ? url("community_page", f.id) : null],
            [say("website"), p.website, true],
            [say("open_place"), url("municipality", p.code)]
          ]);
        });
    },

    evangelists: function (f) {
      var p = f.properties;
      return L.marker(latLng(f), { icon: pin("evangelist"), title: p.name, alt: p.name })
        .bindPopup(function () {
          return card(p.name, [
            [say("based_in"), placeName(p, "place", "place_romaji")],
            [say("skills"), p.skills.map(function (s) { return label("topic", s); }).join(" · ")],
            [say("load"), say("slots", { used: p.load, capacity: p.capacity })],
            [say("radius"), say("km", { km: number(p.radius) }) + (p.online ? " · " + say("online") : "")]
          ], [
            // Only staff pages get the pattern (map_config(staff=True)); elsewhere no link.
            [say("open_evangelist"), cfg().urls.evangelist && f.id !== undefined && f.id !== null ? url("evangelist", f.id) : null],
            [say("open_place"), url("municipality", p.code)]
          ]);
        });
    },

    requests: function (f) {
      var p = f.properties;
      return L.marker(latLng(f), { icon: pin("request"), title: placeName(p), alt: placeName(p) })
        .bindPopup(function () {
          return card(placeName(p), [
            [say("status"), label("request_status", p.status)],
            [say("topics"), p.topics.map(function (s) { return label("topic", s); }).join(" · ")],
            [say("mode"), label("request_mode", p.mode)],
            [say("received"), p.received]
          ], [[say("open_request"), url("request", f.id)]]);
        });
    },

    // An open outreach case at its town (staff map only: the case link needs its pattern).
    outreach: function (f) {
      var p = f.properties;
      return L.marker(latLng(f), { icon: pin("outreach"), title: placeName(p), alt: placeName(p) })
        .bindPopup(function () {
          return card(placeName(p), [
            [say("status"), label("outreach_status", p.status)],
            [say("next_date"), p.next]
          ], [[say("open_outreach"), cfg().urls.outreach && f.id !== undefined && f.id !== null ? url("outreach", f.id) : null],
              [say("open_place"), url("municipality", p.code)]]);
        });
    }
  };

  function addLayers(group, layers) {
    if (group.addLayers) group.addLayers(layers);
    else layers.forEach(function (m) { group.addLayer(m); });
  }

  function removeLayers(group, layers) {
    if (group.removeLayers) group.removeLayers(layers);
    else layers.forEach(function (m) { group.removeLayer(m); });
  }

  function addAll(data, group, make) {
    var markers = data.features.map(make);
    addLayers(group, markers);
    return markers.length;
  }

  // A cluster made by the server (evangelists/viewport.py): a circle of the layer's colour
  // with its count, sized by it; a click (or Enter) zooms to the box around its points.
  function clusterMarker(f, kind, map) {
    var p = f.properties, size = Math.round(20 + Math.min(Math.log10(p.count), 4) * 7);
    var count = el("span", { text: p.count > 9999 ? Math.round(p.count / 1000) + "k" : String(p.count) });
    count.style.lineHeight = (size - 4) + "px";  // CSSOM, which the CSP allows (no style attribute)
    var title = say("cluster", { count: number(p.count) });
    // The layers' clusters of one place would cover each other: communities sit to its
    // left, requests to its right, evangelists on it.
    var anchor = { community: [size + 3, size / 2], request: [-3, size / 2] }[kind] || [size / 2, size / 2];
    var marker = L.marker(latLng(f), {
      icon: L.divIcon({ className: "map-pin map-cluster map-pin-" + kind, html: count,
                        iconSize: [size, size], iconAnchor: anchor }),
      title: title, alt: title, keyboard: true, riseOnHover: true
    });
    function zoomIn() {
      var b = p.bbox, target = map.getZoom() + 2;
      if (b && (b[2] - b[0] > 1e-4 || b[3] - b[1] > 1e-4)) {
        var box = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
        target = Math.max(Math.min(map.getBoundsZoom(box.pad(0.1)), map.getZoom() + 4), map.getZoom() + 1);
        map.setView(box.getCenter(), target);
      } else {
        map.setView(latLng(f), target);
      }
    }
    marker.on("click", zoomIn);
    marker.on("keypress", function (e) {  // Leaflet turns Enter on a marker into keypress, not click
      if (e.originalEvent && e.originalEvent.keyCode === 13) zoomIn();
    });
    return marker;
  }

  // --- layers -------------------------------------------------------------------------

  function makeGroup(spec) {
    if (spec.cluster && L.markerClusterGroup) {
      return L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 45 });
    }
    return L.featureGroup();
  }

  // A small map's points, from the page's <script type="application/json" id="...">
  // (never from the map's own script: see app/folium_maps.py).
  function inlineData(id) {
    return new Promise(function (resolve) {
      var block = document.getElementById(id);
      resolve(JSON.parse(block.textContent));
    });
  }

  // --- layers bounded by the viewport (spec.viewport) --------------------------------
  //
  // The layer asks for what the map shows: `bbox=west,south,east,north&zoom=N`, the view
  // padded by a fifth and snapped outward to half-tile steps (so small moves ask the same
  // URL, or nothing). The server answers with points (at most a few hundred) or, when the
  // view holds more, with clusters (evangelists/viewport.py). It asks again after the map
  // moves or zooms (debounced), cancels a request the map has moved on from, and draws
  // only what changed. Once an answer holds every point of the layer (not clustered, not
  // capped, none outside the box), nothing more is asked.

  var VIEW_DEBOUNCE_MS = 200;

  function withQuery(address, params) {
    return address + (address.indexOf("?") === -1 ? "?" : "&") + params;
  }

  function viewOf(map) {
    var zoom = Math.max(0, Math.min(20, Math.round(map.getZoom())));
    var b = map.getBounds().pad(0.2);
    var step = 360 / Math.pow(2, zoom) / 2;
    function down(v) { return Math.floor(v / step) * step; }
    function up(v) { return Math.ceil(v / step) * step; }
    var box = [Math.max(-180, down(b.getWest())), Math.max(-90, down(b.getSouth())),
               Math.min(180, up(b.getEast())), Math.min(90, up(b.getNorth()))];
    if (!(box[0] < box[2] && box[1] < box[3])) return null;
    return { zoom: zoom, box: box,
             query: "bbox=" + box.map(function (v) { return String(Math.round(v * 1e4) / 1e4); }).join(",") + "&zoom=" + zoom };
  }

  function covers(view, bounds, zoom) {
    return view && view.zoom === zoom && view.box[0] <= bounds.getWest() && view.box[1] <= bounds.getSouth() &&
      view.box[2] >= bounds.getEast() && view.box[3] >= bounds.getNorth();
  }

  function viewportLayer(spec) {
    var group = L.featureGroup();
    var clusters = L.featureGroup();
    var points = makeGroup(spec);
    group.addLayer(clusters);
    group.addLayer(points);
    if (spec.track) group.evnKey = spec.key;
    var map = null, asked = null, controller = null, timer = null, complete = false, drawn = {};

    function draw(data) {
      var next = {}, added = { c: [], p: [] };
      data.features.forEach(function (f) {
        var cluster = !!(f.properties && f.properties.cluster);
        var id = (cluster ? "c" : "p") + f.id;
        if (drawn[id]) { next[id] = drawn[id]; return; }
        next[id] = cluster ? clusterMarker(f, spec.pin, map) : MARKERS[spec.kind](f);
        next[id].evnCluster = cluster;
        added[cluster ? "c" : "p"].push(next[id]);
      });
      var gone = { c: [], p: [] };
      Object.keys(drawn).forEach(function (id) {
        if (!next[id]) gone[drawn[id].evnCluster ? "c" : "p"].push(drawn[id]);
      });
      removeLayers(clusters, gone.c);
      removeLayers(points, gone.p);
      addLayers(clusters, added.c);
      addLayers(points, added.p);
      drawn = next;
    }

    function refresh() {
      timer = null;
      if (!map || complete) return;
      var zoom = Math.max(0, Math.min(20, Math.round(map.getZoom())));
      if (covers(asked, map.getBounds(), zoom)) return;
      var view = viewOf(map);
      if (!view) return;
      if (controller) controller.abort();
      var mine = controller = window.AbortController ? new AbortController() : null;
      asked = view;
      fetch(withQuery(spec.url, view.query), {
        credentials: "same-origin", signal: mine ? mine.signal : undefined,
        headers: { Accept: "application/geo+json, application/json" }
      })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status + " " + response.statusText);
          return response.json();
        })
        .then(function (data) {
          if (mine !== controller || !map) return;  // the map has moved on, or the layer is off
          controller = null;
          draw(data);
          complete = !data.clustered && !data.capped && data.in_view === data.total;
          group.fire("evn:drawn", { data: data });
          announce(spec.key, data.total === undefined ? data.features.length : data.total, data);
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") return;
          if (mine === controller) { controller = null; asked = null; }
          failed(spec, error);
        });
    }

    function moved() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(refresh, VIEW_DEBOUNCE_MS);
    }

    group.on("add", function () {
      map = group._map;
      map.on("moveend", moved);
      // After the page's own script has set the first view (fitBounds follows the layers).
      if (timer) clearTimeout(timer);
      timer = setTimeout(refresh, 0);
    });
    group.on("remove", function () {
      if (map) map.off("moveend", moved);
      if (timer) clearTimeout(timer);
      if (controller) controller.abort();
      controller = null; timer = null; map = null;
      asked = null;  // what was drawn stays in the group; the next view asks again
    });
    return group;
  }

  function layer(spec) {
    if (spec.viewport && spec.url) return viewportLayer(spec);
    var group = makeGroup(spec);
    if (spec.track) group.evnKey = spec.key;
    var loaded = false;
    function load() {
      if (loaded) return;
      loaded = true;
      var source = spec.data ? inlineData(spec.data) : fetchJSON(spec.url);
      source
        .then(function (data) { return Promise.resolve(KINDS[spec.kind](data, group, spec)).then(function (count) { return [count, data]; }); })
        .then(function (result) {
          announce(spec.key, result[0], result[1]);
          if (spec.fit && group.getBounds && group.getLayers().length && group._map) {
            group._map.fitBounds(group.getBounds().pad(0.15), { maxZoom: 11 });
          }
        })
        .catch(function (error) { loaded = false; failed(spec, error); });
    }
    group.on("add", load);
    return group;
  }

  // Keep the shown overlays in the address (?layers=...) and in the filter form, so a
  // view can be shared or bookmarked and survives changing a filter.
  function trackLayers(map) {
    var shown = {};
    function sync() {
      var keys = Object.keys(shown).filter(function (k) { return shown[k]; }).sort();
      var value = keys.join(",");
      var input = document.querySelector("input[name=layers]");
      if (input) input.value = value;
      if (window.history && window.history.replaceState) {
        var address = new URL(window.location.href);
        address.searchParams.set("layers", value);
        window.history.replaceState(null, "", address.toString());
      }
    }
    map.on("overlayadd", function (e) { if (e.layer.evnKey) { shown[e.layer.evnKey] = true; sync(); } });
    map.on("overlayremove", function (e) { if (e.layer.evnKey) { shown[e.layer.evnKey] = false; sync(); } });
    map.eachLayer(function (l) { if (l.evnKey) shown[l.evnKey] = true; });
  }

  // Leaflet's controls carry English words ("Zoom in", "Layers", "Close popup", the credit's
  // title) and its scale shows miles too. Put the page's own words on them (from
  // data-map-config's "controls", translated on the server) and show kilometres only.
  function localize(map) {
    var words = cfg().controls || {};
    var container = map.getContainer();
    if (map.zoomControl) {
      var position = map.zoomControl.getPosition();
      map.removeControl(map.zoomControl);
      map.zoomControl = L.control.zoom({
        position: position,
        zoomInTitle: words.zoom_in || "Zoom in",
        zoomOutTitle: words.zoom_out || "Zoom out"
      }).addTo(map);
      // Leaflet writes the title; the buttons' accessible names follow it.
      container.querySelectorAll(".leaflet-control-zoom a").forEach(function (a) {
        a.setAttribute("aria-label", a.getAttribute("title"));
      });
    }
    L.control.scale({ metric: true, imperial: false }).addTo(map);
    container.querySelectorAll(".leaflet-control-layers-toggle").forEach(function (toggle) {
      toggle.setAttribute("title", words.layers || "Layers");
      toggle.setAttribute("aria-label", words.layers || "Layers");
    });
    if (map.attributionControl) {
      var credit = el("a", { href: "https://leafletjs.com", title: words.leaflet_title || "", text: "Leaflet" });
      var holder = el("span", {}, credit);
      map.attributionControl.setPrefix(holder.innerHTML);
      if (words.outlines_credit) {
        map.attributionControl.addAttribution(el("span", {}, document.createTextNode(words.outlines_credit)).innerHTML);
      }
    }
    map.on("popupopen", function (e) {
      var close = e.popup.getElement() && e.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close && words.close_popup) {
        close.setAttribute("aria-label", words.close_popup);
        close.setAttribute("title", words.close_popup);
      }
    });
  }

  window.EvnMaps = { layer: layer, trackLayers: trackLayers, localize: localize, fetchJSON: fetchJSON };
})();
