"""Forms of the admin pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SearchField, SelectField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from app.form_fields import CheckboxesField, FilterDateField
from app.forms import BaseForm
from app.labels import choices
from evangelists.limits import EMAIL_MAX


class RoleForm(BaseForm):
    """A work account's role. Not offered for the idea box's participants, nor to make
    one: they signed up themselves (app/services/accounts.py change_role)."""

    role = SelectField(_l("Role"))
    submit = SubmitField(_l("Change role"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [c for c in choices("user_role") if c[0] != "participant"]


class RegionsForm(BaseForm):
    regions = CheckboxesField(
        _l("Regions"),
        description=_l("Tick none for a national coordinator, who sees the whole country. "
                       "A regional coordinator sees and acts on the requests, evangelists, "
                       "communities and outreach of the ticked regions only."),
    )
    submit = SubmitField(_l("Save regions"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions.choices = choices("region")


class UserFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = SearchField(_l("E-mail or name"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), validators=[Optional(strip_whitespace=False)])
    status = SelectField(_l("Status"), validators=[Optional(strip_whitespace=False)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [("", str(_l("Any")))] + choices("user_role")
        self.status.choices = [("", str(_l("Any")))] + choices("user_status")


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False

    actor = SearchField(_l("Actor (name or e-mail)"), validators=[Optional(), Length(max=EMAIL_MAX)])
    action = SearchField(_l("Action"), validators=[Optional(), Length(max=60)],
                         description=_l("For example auth.sign_in_failed or user.role_changed."))
    since = FilterDateField(_l("From"), validators=[Optional()])
    until = FilterDateField(_l("Until"), validators=[Optional()])


class MergeForm(BaseForm):
    """The confirmation of a merge: the two people and the review's one-time value."""

    keep = HiddenField(validators=[DataRequired()])
    duplicate = HiddenField(validators=[DataRequired()])
    nonce = HiddenField(validators=[DataRequired(), Length(max=64)])
    submit = SubmitField(_l("Merge the two records"))
