"""The base of every form of the app, and what several blueprints' forms share: the
button-only ActionForm, the prefecture → municipality picker, the position fields, and
showing a service's refusal next to its field."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import SubmitField
from wtforms.validators import ValidationError

from app.geocoding import get_geocoder
from app.messages import show_refusal
from app.services.communities import (
    LAT_RANGE,
    LON_RANGE,
    LocationInput,
    LocationRefused,
)
from app.services.geography import list_prefectures, municipalities_of
from app.services.regions import scope_of
from evangelists.errors import Refused


class BaseForm(FlaskForm):
    """A FlaskForm that reads only what a browser's form sends.

    - A JSON body is not form input: no page posts JSON, and Flask-WTF would hand its
      lists and objects to fields that expect text (or fail on a body that is not an
      object). The form then reads as if nothing was posted.
    - NUL characters are taken out of every value. No keyboard types one, and PostgreSQL
      cannot store one in text: the statement that saves or searches it would fail.
    - A multipart part without a name (werkzeug files it under the key None) is dropped:
      no field has that name, and WTForms' row lists fail on a key that is not text.
    """

    class Meta:
        def wrap_formdata(self, form, formdata):
            # Flask-WTF's marker for "read the request" is the only formdata without getlist.
            if formdata is not None and not hasattr(formdata, "getlist") and request and request.is_json:
                formdata = None
            formdata = super().wrap_formdata(form, formdata)
            if formdata is None:
                return None
            pairs = list(formdata.items(multi=True))
            if not any((isinstance(value, str) and "\x00" in value) or not isinstance(key, str)
                       for key, value in pairs):
                return formdata
            return MultiDict([(key, value.replace("\x00", "") if isinstance(value, str) else value)
                              for key, value in pairs if isinstance(key, str)])


class ActionForm(BaseForm):
    """A button that only carries the CSRF token (sign out, renew codes...)."""

    submit = SubmitField()


def set_place_choices(form, prefectures, municipalities, locale: str) -> None:
    """Fill a form's ``prefecture`` and ``municipality`` selects (the no-JavaScript
    prefecture → municipality picker shared by the request form and the profile)."""
    ja = locale == "ja"
    form.prefecture.choices = [("", _("Choose…"))] + [(p.code, p.name_ja if ja else p.name_en) for p in prefectures]
    form.municipality.choices = [("", _("Choose…") if municipalities else _("Choose the prefecture first"))] + [
        (m.code, m.name if ja else f"{m.name} ({m.name_romaji})" if m.name_romaji else m.name)
        for m in municipalities
    ]


def readable_date(form, field):
    if getattr(field, "unreadable", False):
        raise ValidationError(_("Enter a date like 2030-04-01."))


def choice_values(field) -> set[str]:
    return {value for value, _label in field.choices}


# Numbers shown in the messages, written once ("20", "46").
_LAT_LOW, _LAT_HIGH = (format(n, "g") for n in LAT_RANGE)
_LON_LOW, _LON_HIGH = (format(n, "g") for n in LON_RANGE)
LAT_MESSAGE = _l("Enter a latitude from %(low)s to %(high)s (Japan), e.g. 35.6812.", low=_LAT_LOW, high=_LAT_HIGH)
LON_MESSAGE = _l("Enter a longitude from %(low)s to %(high)s (Japan), e.g. 139.7671.", low=_LON_LOW, high=_LON_HIGH)


class PlaceMixin:
    """The prefecture → municipality picker and the location choice shared by the forms."""

    def validate_municipality(self, field):
        if field.data and field.data not in choice_values(field):
            raise ValidationError(_("Choose a municipality of the chosen prefecture."))

    def validate_location(self, field):
        if field.data not in choice_values(field):
            raise ValidationError(_("Choose from the list."))

    def _coordinate(self, field, low_high, message):
        if self.location.data != "manual":
            return
        if getattr(field, "unreadable", False) or field.data is None:
            raise ValidationError(message)
        if not low_high[0] <= field.data <= low_high[1]:
            raise ValidationError(message)

    def validate_lat(self, field):
        self._coordinate(field, LAT_RANGE, LAT_MESSAGE)

    def validate_lon(self, field):
        self._coordinate(field, LON_RANGE, LON_MESSAGE)

    def location_input(self, address: str = "") -> LocationInput:
        manual = self.location.data == "manual"
        return LocationInput(
            source=self.location.data,
            lat=self.lat.data if manual else None,
            lon=self.lon.data if manual else None,
            address=address,
        )


def location_choices(geocoding: bool, address_label) -> list[tuple[str, str]]:
    options = [("municipality", str(_l("At the municipality's office (default)")))]
    if geocoding:
        options.append(("geocoded", str(address_label)))
    options.append(("manual", str(_l("At the latitude and longitude typed below"))))
    return options


def show_place_refusal(form, refused: Refused) -> None:
    """Put a service's refusal next to its field (or above the form if it has no such
    visible field); a coordinate out of range is worded with the form's range."""
    text = None
    if isinstance(refused, LocationRefused) and refused.reason in ("required", "outside_japan"):
        text = str(LAT_MESSAGE if refused.field == "lat" else LON_MESSAGE)
    show_refusal(form, refused, text=text)


def place_codes(prefecture_code: str | None):
    """What the place picker of a staff form lists for the prefecture that was sent or
    stored."""
    return staff_prefectures(), municipalities_of(prefecture_code)


def staff_prefectures() -> list:
    """The prefectures a staff page offers: a regional coordinator's regions' only (their
    lists hold nothing elsewhere, and they record nothing there)."""
    scope = scope_of(current_user)
    prefectures = list_prefectures()
    return prefectures if scope.national else [p for p in prefectures if scope.covers(p.region)]


def geocoding_offered(current_source: str | None = None) -> bool:
    """Offer "look the address up" when a geocoder is configured, or when the row was
    geocoded before (its position is kept while the address stays the same)."""
    return get_geocoder() is not None or current_source == "geocoded"
