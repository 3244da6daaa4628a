"""The visit report form: the evangelist files it (``/me``), a coordinator corrects it
(``/coordinator/visits/<id>``)."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import NumberInput

from app.form_fields import BoundedIntegerField, CheckboxesField, RowList
from app.forms import BaseForm
from app.labels import choices
from app.services.visits import OutcomeInput, VisitInput
from evangelists.calendar import day_in_japan, today_in_japan
from evangelists.limits import MAX_VISIT_MINUTES

OUTCOME_ROWS = 3  # blank rows offered per visit; a visit rarely achieves more at once


class OutcomeForm(Form):
    """One outcome row of the visit form; a row without a type is simply not saved."""

    type = SelectField(_l("What changed"), validators=[Optional(strip_whitespace=False)])
    count = BoundedIntegerField(
        _l("How many datasets"),
        validators=[Optional(), NumberRange(min=1, max=100_000, message=_l("Enter a number from 1 upwards."))],
        widget=NumberInput(min=1, step=1),
    )
    evidence_url = URLField(
        _l("Evidence (web address)"),
        validators=[Optional(), Length(max=500),
                    URL(require_tld=True, message=_l("Enter a full web address starting with https://"))],
        description=_l("For example the catalog page or the published policy."),
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        # Not a validate_count: Optional() ends the field's chain when it is empty.
        if self.type.data == "datasets_published" and not self.count.data and not self.count.errors:
            self.count.errors = [*self.count.errors, _l("Say how many datasets were published.")]
            ok = False
        return ok

    def validate_evidence_url(self, field):
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError(_l("Enter a full web address starting with https://"))


class VisitForm(BaseForm):
    visited_on = DateField(
        _l("Date of the visit"), default=today_in_japan,
        validators=[DataRequired(message=_l("Enter the date of the visit."))],
    )
    mode = RadioField(_l("How"), default="onsite",
                      validators=[DataRequired(message=_l("Choose on site or online."))])
    duration_minutes = BoundedIntegerField(
        _l("Duration (minutes)"), default=90,
        validators=[InputRequired(message=_l("Enter how long it took, in minutes.")),
                    NumberRange(min=1, max=MAX_VISIT_MINUTES, message=_l("Between 1 and %(max)s minutes.",
                                                                          max=format(MAX_VISIT_MINUTES, ",")))],
        widget=NumberInput(min=1, max=MAX_VISIT_MINUTES, step=5),
    )
    attendee_count = BoundedIntegerField(
        _l("Attendees"), default=0,
        validators=[InputRequired(message=_l("Enter how many people attended (0 if none).")),
                    NumberRange(min=0, max=10_000, message=_l("Enter 0 or more."))],
        widget=NumberInput(min=0, step=1),
    )
    attendee_departments = StringField(
        _l("Departments that attended"), validators=[Optional(), Length(max=300)],
        description=_l("For example 情報政策課, 企画課."),
    )
    topics = CheckboxesField(_l("Topics covered"), validators=[Optional()])
    summary = TextAreaField(
        _l("Summary"), validators=[DataRequired(message=_l("Write a few words about the visit.")), Length(max=4000)],
        render_kw={"rows": 4},
    )
    next_steps = TextAreaField(_l("Next steps"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
    outcomes = RowList(FormField(OutcomeForm), min_entries=OUTCOME_ROWS, max_entries=10)
    submit = SubmitField(_l("Save the visit"))

    def __init__(self, topics, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ja = get_locale().language == "ja"
        self.topics.choices = [(t.slug, t.name_ja if ja else t.name_en) for t in topics]
        self.mode.choices = choices("visit_mode")
        outcome_choices = [("", str(_l("— none —")))] + choices("outcome_type")
        for row in self.outcomes:
            row.form.type.choices = outcome_choices

    def validate_visited_on(self, field):
        if field.data and field.data > today_in_japan() + timedelta(days=1):
            raise ValidationError(_l("The visit cannot be in the future."))

    def data_for_service(self) -> VisitInput:
        return VisitInput(
            visited_on=self.visited_on.data,
            mode=self.mode.data,
            duration_minutes=self.duration_minutes.data,
            attendee_count=self.attendee_count.data,
            attendee_departments=self.attendee_departments.data or "",
            topics=tuple(self.topics.data or ()),
            summary=self.summary.data,
            next_steps=self.next_steps.data or "",
            outcomes=tuple(
                OutcomeInput(type=row.type.data, count=row.count.data,
                             evidence_url=row.evidence_url.data or None, note=row.note.data or "")
                for row in (entry.form for entry in self.outcomes) if row.type.data
            ),
        )

    def start_from_booking(self, booking) -> None:
        """Fill the date, mode, length and attendees from the booked visit (a GET only)."""
        self.visited_on.data = day_in_japan(booking.starts_at)
        self.mode.data = booking.mode
        self.duration_minutes.data = max(1, min(MAX_VISIT_MINUTES,
                                                int((booking.ends_at - booking.starts_at).total_seconds() // 60)))
        self.attendee_departments.data = (booking.attendees or "")[:300]

    @classmethod
    def for_visit(cls, topics, visit):
        """The form filled from a stored visit, with a blank row to add an outcome."""
        form = cls(topics, data={
            "visited_on": visit.visited_on, "mode": visit.mode, "duration_minutes": visit.duration_minutes,
            "attendee_count": visit.attendee_count, "attendee_departments": visit.attendee_departments,
            "summary": visit.summary, "next_steps": visit.next_steps,
            "topics": [t.slug for t in visit.topics],
            "outcomes": [
                {"type": o.type, "count": o.count, "evidence_url": o.evidence_url or "", "note": o.note}
                for o in visit.outcomes
            ] + [{}] * max(1, OUTCOME_ROWS - len(visit.outcomes)),
        })
        return form
