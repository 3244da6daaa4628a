"""Forms of the coordinator pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from app.labels import choices


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    display_name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=120)],
        description=_l("As the person wants to be addressed, e.g. 山田 花子."),
    )
    role = SelectField(_l("Role"), default="evangelist")
    submit = SubmitField(_l("Create invitation"))

    def __init__(self, *args, can_invite_staff: bool, **kwargs):
        super().__init__(*args, **kwargs)
        roles = choices("user_role")
        self.role.choices = roles if can_invite_staff else [r for r in roles if r[0] == "evangelist"]
