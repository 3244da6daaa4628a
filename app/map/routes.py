"""/map: the coordinators' map of the whole network."""

from __future__ import annotations

from dataclasses import replace

from flask import render_template, request
from flask_login import current_user

from app.decorators import role_required
from app.folium_maps import map_config, network_map, rendered
from app.forms import staff_prefectures
from app.i18n import current_language
from app.map import bp
from app.map_filters import MapFilterForm, parse_layers
from app.page_cache import cached_page
from app.services.maps import prefecture_bounds, region_bounds
from app.services.regions import scope_of
from app.services.topics import list_topics


@bp.get("")
@role_required("coordinator", "admin")
@cached_page
def network():
    """The map, filtered by the query string. A bad filter is named next to its field and
    ignored; the rest of the view still applies."""
    prefectures, topics, locale = staff_prefectures(), list_topics(), current_language()
    form = MapFilterForm(prefectures, topics, locale, formdata=request.args)
    form.validate()
    filters = form.filters()
    filters = replace(filters, regions=scope_of(current_user).narrowed_to(filters.regions))
    shown, layers_error = parse_layers(request.args.get("layers"))
    bounds = None
    # A prefecture chosen, or a regional coordinator's regions: the map opens on them.
    box = (prefecture_bounds(filters.prefecture) if filters.prefecture
           else region_bounds(filters.regions) if filters.regions else None)
    if box is not None:
        south, west, north, east = box
        bounds = ((south - 0.1, west - 0.1), (north + 0.1, east + 0.1))
    return render_template(
        "map/network.html",
        form=form,
        filters=filters,
        shown=shown,
        layers_error=layers_error,
        map=rendered(network_map, filters, shown, bounds),
        config=map_config(topics, prefectures, locale, staff=True),
    )
