"""The forms of booked visits: the evangelist offers times (``/me``), the evangelist or a
coordinator moves or cancels a booking (``/bookings/<id>``), the town picks a time (its
status page). Shared by those blueprints, like app/visit_forms.py."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    Form,
    FormField,
    HiddenField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.form_fields import RowList
from app.forms import BaseForm
from app.labels import choices
from app.services.bookings import OfferInput
from evangelists.bookings import ATTENDEES_MAX, MAX_SLOTS, MEETING_URL_MAX, PLACE_MAX, REASON_MAX, SlotInput


class SlotForm(Form):
    """One time: a date and a start and end time, in Japan. A row left empty is skipped."""

    day = DateField(_l("Date"), validators=[Optional()])
    start = TimeField(_l("Start time"), validators=[Optional()])
    end = TimeField(_l("End time"), validators=[Optional()])

    def is_empty(self) -> bool:
        return not (self.day.raw_data and self.day.raw_data[0]) and not (self.start.raw_data and self.start.raw_data[0]) \
            and not (self.end.raw_data and self.end.raw_data[0])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not ok or self.is_empty():
            return ok
        for f, message in ((self.day, _l("Enter the date.")), (self.start, _l("Enter the start time.")),
                           (self.end, _l("Enter the end time."))):
            if f.data is None:
                f.errors = [*f.errors, message]
                ok = False
        if ok and self.end.data <= self.start.data:
            self.end.errors = [*self.end.errors, _l("The end must be after the start.")]
            ok = False
        return ok

    def slot(self) -> SlotInput:
        return SlotInput(self.day.data, self.start.data, self.end.data)


class OfferTimesForm(BaseForm):
    slots = RowList(FormField(SlotForm), min_entries=3, max_entries=MAX_SLOTS)
    mode = RadioField(_l("How"), default="onsite", validators=[DataRequired(message=_l("Choose on site or online."))])
    place = StringField(_l("Place (on site)"), validators=[Optional(), Length(max=PLACE_MAX)],
                        description=_l("For example 市役所 3階 会議室A."))
    meeting_url = StringField(_l("Meeting address (online)"), validators=[Optional(), Length(max=MEETING_URL_MAX)],
                              description=_l("A web address starting with https://"))
    attendees = TextAreaField(_l("Who attends"), validators=[Optional(), Length(max=ATTENDEES_MAX)],
                              render_kw={"rows": 2},
                              description=_l("For example: you, and the town's 情報政策課 (2 people)."))
    submit = SubmitField(_l("Offer these times"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mode.choices = choices("visit_mode")

    def validate_slots(self, field):
        if not any(not entry.form.is_empty() for entry in field.entries):
            raise ValidationError(_l("Offer at least one time."))

    def validate_place(self, field):
        if self.mode.data == "onsite" and not (field.data or "").strip():
            raise ValidationError(_l("Say where the visit takes place."))

    def validate_meeting_url(self, field):
        if self.mode.data == "online":
            url = (field.data or "").strip()
            if not url:
                raise ValidationError(_l("Give the meeting address."))
            if not url.lower().startswith(("https://", "http://")) or " " in url:
                raise ValidationError(_l("Enter a web address starting with https:// or http://"))

    def data_for_service(self) -> OfferInput:
        return OfferInput(
            slots=tuple(entry.form.slot() for entry in self.slots.entries if not entry.form.is_empty()),
            mode=self.mode.data, place=self.place.data or "", meeting_url=self.meeting_url.data or "",
            attendees=self.attendees.data or "",
        )


class MoveBookingForm(BaseForm):
    day = DateField(_l("New date"), validators=[DataRequired(message=_l("Enter the date."))])
    start = TimeField(_l("Start time"), validators=[DataRequired(message=_l("Enter the start time."))])
    end = TimeField(_l("End time"), validators=[DataRequired(message=_l("Enter the end time."))])
    submit = SubmitField(_l("Move the visit"))

    def validate_end(self, field):
        if field.data and self.start.data and field.data <= self.start.data:
            raise ValidationError(_l("The end must be after the start."))

    def slot(self) -> SlotInput:
        return SlotInput(self.day.data, self.start.data, self.end.data)


class CancelBookingForm(BaseForm):
    reason = TextAreaField(
        _l("Why is it cancelled?"),
        validators=[DataRequired(message=_l("Say why, in a few words: everyone involved reads it.")),
                    Length(max=REASON_MAX)],
        render_kw={"rows": 2, "maxlength": REASON_MAX},
    )
    submit = SubmitField(_l("Cancel the visit"))


class PickSlotForm(BaseForm):
    slot = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Book this time"))
