"""Forms of the evangelist's pages (the visit report form is shared: app/visit_forms.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms import BaseForm


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
