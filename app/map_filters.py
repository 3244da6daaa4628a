"""The map's filters, read from the query string.

One form serves the /map page (errors shown next to each field, the bad filter ignored)
and the /api/v1 GeoJSON endpoints (errors answered as 400 with the parameter named), so
both accept exactly the same values.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import NumberRange, Optional, ValidationError
from wtforms.widgets import NumberInput

from app.form_fields import BoundedIntegerField, FilterSelectField
from app.forms import BaseForm
from app.labels import choices
from app.services.maps import MapFilters
from evangelists.coverage import DEFAULT_GAP_KM, MAX_GAP_KM, MIN_GAP_KM
from evangelists.vocabulary import REGIONS

# The overlays of /map, in drawing order (later ones on top).
LAYERS = ("choropleth", "municipalities", "gap", "communities", "evangelists", "requests", "outreach")
DEFAULT_LAYERS = ("municipalities", "gap", "communities", "evangelists", "requests", "outreach")


class MapFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET view changes nothing

    prefecture = FilterSelectField(_l("Prefecture"), validators=[Optional(strip_whitespace=False)])
    topic = FilterSelectField(_l("Topic"), validators=[Optional(strip_whitespace=False)])
    stage = FilterSelectField(_l("Engagement stage"), validators=[Optional(strip_whitespace=False)])
    status = FilterSelectField(_l("Request status"), validators=[Optional(strip_whitespace=False)])
    # Regional blocks, comma-separated (``tohoku,kanto``): a regional coordinator's map
    # asks the public community layer for their regions only.
    region = StringField(_l("Regions"), validators=[Optional()])
    km = BoundedIntegerField(
        _l("Coverage gap distance (km)"),
        default=int(DEFAULT_GAP_KM),
        validators=[Optional(), NumberRange(min=int(MIN_GAP_KM), max=int(MAX_GAP_KM))],
        widget=NumberInput(min=int(MIN_GAP_KM), max=int(MAX_GAP_KM), step=1),
        description=_l("Non-active municipalities farther than this from every active evangelist."),
    )

    def __init__(self, prefectures, topics, locale: str, status_vocabulary: str = "request_status",
                 *args, **kwargs):
        super().__init__(*args, **kwargs)
        ja = locale == "ja"
        any_choice = [("", str(_l("Any")))]
        self.prefecture.choices = any_choice + [(p.code, p.name_ja if ja else p.name_en) for p in prefectures]
        self.topic.choices = any_choice + [(t.slug, t.name_ja if ja else t.name_en) for t in topics]
        self.stage.choices = any_choice + choices("engagement_stage")
        self.status.choices = any_choice + choices(status_vocabulary)

    def validate_region(self, field):
        unknown = [code for code in self.region_codes() if code not in REGIONS]
        if unknown:
            raise ValidationError(_("“%(value)s” is not a region: use %(codes)s, separated by commas.",
                                    value=unknown[0], codes=", ".join(REGIONS)))

    def region_codes(self) -> list[str]:
        return [code.strip() for code in (self.region.data or "").split(",") if code.strip()]

    def filters(self) -> MapFilters:
        """The valid filters, leaving out (ignoring) any field that has an error."""
        def ok(field):
            return field.data if field.data not in (None, "") and not field.errors else None

        km = ok(self.km)
        return MapFilters(
            prefecture=ok(self.prefecture),
            topic=ok(self.topic),
            stage=ok(self.stage),
            status=ok(self.status),
            gap_km=float(km) if km is not None else DEFAULT_GAP_KM,
            regions=frozenset(self.region_codes()) if ok(self.region) else None,
        )

    def error_messages(self) -> dict[str, str]:
        """{parameter: first error}: what an API client is told."""
        return {name: str(errors[0]) for name, errors in self.errors.items() if errors}


def parse_layers(value: str | None) -> tuple[tuple[str, ...], str | None]:
    """The overlays named in ``?layers=a,b`` (default: all but the choropleth), and an
    error message naming any unknown one (those are left out)."""
    if value is None:
        return DEFAULT_LAYERS, None
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in LAYERS]
    chosen = tuple(n for n in LAYERS if n in names)
    if unknown:
        return chosen, _("Unknown layer “%(name)s” in the link was left out.", name=unknown[0])
    return chosen, None

