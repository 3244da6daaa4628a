"""Forms of the evangelist's pages (the visit report form is shared: app/visit_forms.py)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.forms import BaseForm
from app.labels import label
from evangelists.limits import OUTREACH_TEXT_MAX
from evangelists.vocabulary import OUTREACH_CHANNELS


class DeclineAssignmentForm(BaseForm):
    reason = TextAreaField(
        _l("Why can't you take it?"),
        validators=[DataRequired(message=_l("Tell the coordinators why, in a few words.")), Length(max=500)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Decline"))


class ThreadMessageForm(BaseForm):
    body = TextAreaField(
        _l("Message to the municipality"),
        validators=[DataRequired(message=_l("Write a message first.")), Length(max=2000)],
        description=_l("The municipality reads it on its status page and gets it by e-mail; the coordinators "
                       "see it too."),
        render_kw={"rows": 4, "maxlength": 2000},
    )
    submit = SubmitField(_l("Send message"))


class HelperNoteForm(BaseForm):
    """The evangelist asked to reach out: what they did."""

    reached_out = BooleanField(_l("I reached out to the town"))
    channel = SelectField(_l("Contact method"), validators=[DataRequired(message=_l("Choose how you reached the town."))])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=OUTREACH_TEXT_MAX)],
                         render_kw={"rows": 2, "maxlength": OUTREACH_TEXT_MAX})
    send = SubmitField(_l("Send to the coordinators"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = [("", _("Choose…"))] + [(c, label("outreach_channel", c)) for c in OUTREACH_CHANNELS]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # The note is optional on its own (Optional() ends its checks when empty).
        if not (self.note.data or "").strip() and not self.reached_out.data:
            self.note.errors = [*self.note.errors, _("Tick “I reached out to the town” or write a note.")]
            valid = False
        return valid
