"""Forms of the coordinator pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from app.form_fields import BoundedIntegerField
from app.forms import BaseForm
from app.labels import choices
from evangelists.limits import DISPLAY_NAME_MAX, EMAIL_MAX, PERSON_QUERY_MAX, SEND_BACK_REASON_MAX
from evangelists.search import QUERY_MAX as SEARCH_QUERY_MAX


class InviteForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=EMAIL_MAX)])
    display_name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=DISPLAY_NAME_MAX)],
        description=_l("As the person wants to be addressed, e.g. 山田 花子."),
    )
    role = SelectField(_l("Role"), default="evangelist")
    submit = SubmitField(_l("Create invitation"))

    def __init__(self, *args, can_invite_staff: bool, **kwargs):
        super().__init__(*args, **kwargs)
        roles = [r for r in choices("user_role") if r[0] != "participant"]  # participants sign up themselves
        self.role.choices = roles if can_invite_staff else [r for r in roles if r[0] == "evangelist"]


class QueueFilterForm(BaseForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional(strip_whitespace=False)])
    prefecture = SelectField(_l("Prefecture"), validators=[Optional(strip_whitespace=False)])
    topic = SelectField(_l("Topic"), validators=[Optional(strip_whitespace=False)])
    owner = SelectField(_l("Owner"), validators=[Optional(strip_whitespace=False)],
                        choices=[("", _l("Anyone")), ("mine", _l("Mine")), ("mine_or_none", _l("Mine and nobody’s")),
                                 ("none", _l("Nobody yet"))])

    def __init__(self, *args, prefectures, topics, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        ja = locale == "ja"
        any_choice = [("", str(_l("Open (all)")))]
        self.status.choices = any_choice + choices("request_status")
        self.prefecture.choices = [("", str(_l("Any")))] + [(p.code, p.name_ja if ja else p.name_en) for p in prefectures]
        self.topic.choices = [("", str(_l("Any")))] + [(t.slug, t.name_ja if ja else t.name_en) for t in topics]


class OwnerForm(BaseForm):
    """Who owns a request: any active coordinator or admin, or nobody."""

    owner = SelectField(_l("Owner"), validators=[Optional(strip_whitespace=False)])
    submit = SubmitField(_l("Change owner"))

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = [("", str(_l("Nobody")))] + [(str(u.id), u.display_name) for u in staff]


class BulkForm(BaseForm):
    """One action on the ticked requests (``ids``, read by the view) or on every request
    matching the queue's filters (``all_matching``): a first post shows what will happen,
    a second one from that review page (``confirmed`` and its one-time ``run``, read by
    the view, never fields of this form: a form shown again keeps no confirmation) does it."""

    action = RadioField(_l("What to do"), choices=[
        ("triage", _l("Mark as triaged")),
        ("decline", _l("Decline, with one reason for all")),
        ("message", _l("Send one message to each municipality")),
        ("owner", _l("Set the owner")),
    ], validators=[DataRequired(message=_l("Choose what to do with the requests."))])
    reason = TextAreaField(_l("Reason, shown to each municipality"), validators=[Length(max=1000)],
                           render_kw={"rows": 2})
    body = TextAreaField(_l("Message to each municipality"), validators=[Length(max=2000)],
                         description=_l("Each municipality reads it on its own status page."), render_kw={"rows": 3})
    owner = SelectField(_l("Owner"), validators=[Optional(strip_whitespace=False)])
    all_matching = BooleanField(_l("All the requests that match the filters"))
    submit = SubmitField(_l("Continue"))

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = [("", str(_l("Nobody")))] + [(str(u.id), u.display_name) for u in staff]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.action.data == "decline" and not (self.reason.data or "").strip():
            self.reason.errors = [*self.reason.errors, str(_l("Give the municipalities a reason."))]
            valid = False
        if self.action.data == "message" and not (self.body.data or "").strip():
            self.body.errors = [*self.body.errors, str(_l("Write a message first."))]
            valid = False
        return valid


class DeclineForm(BaseForm):
    reason = TextAreaField(
        _l("Reason, shown to the municipality"),
        validators=[DataRequired(message=_l("Give the municipality a reason.")), Length(max=1000)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Decline the request"))


class ReplyForm(BaseForm):
    body = TextAreaField(
        _l("Message to the municipality"),
        validators=[DataRequired(message=_l("Write a message first.")), Length(max=2000)],
        description=_l("The municipality reads it on its status page."),
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Send message"))


class NoteForm(BaseForm):
    body = TextAreaField(
        _l("Internal note"),
        validators=[DataRequired(message=_l("Write the note first.")), Length(max=2000)],
        description=_l("Only coordinators and admins see it: never the municipality, nor the evangelist."),
        render_kw={"rows": 3, "maxlength": 2000},
    )


class RejectAdditionForm(BaseForm):
    reason = TextAreaField(
        _l("Reason (optional, for coordinators only)"),
        validators=[Optional(), Length(max=1000)],
        description=_l("The municipality never sees a rejected addition."),
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Reject"))


class AssignForm(BaseForm):
    """Propose one evangelist: the first post shows what will happen, the second (with
    ``confirmed``) does it."""

    evangelist_id = BoundedIntegerField(validators=[DataRequired()])
    confirmed = HiddenField()
    submit = SubmitField(_l("Assign"))


class PersonSearchForm(BaseForm):
    """The request page's search for anyone in the network (GET, no CSRF)."""

    class Meta:
        csrf = False

    who = SearchField(
        _l("Find anyone by name or reading"), validators=[Optional(), Length(max=PERSON_QUERY_MAX)],
        description=_l("Kanji, kana or romaji, e.g. 山田, やまだ or yamada."),
        render_kw={"maxlength": PERSON_QUERY_MAX, "autocomplete": "off"},
    )


class SendBackForm(BaseForm):
    """Move a request back (the lifecycle's back moves), with a reason and a confirmation."""

    target = SelectField(_l("Send back to"))
    reason = TextAreaField(
        _l("Why it goes back"),
        validators=[DataRequired(message=_l("Say why the request goes back.")), Length(max=SEND_BACK_REASON_MAX)],
        description=_l("Kept in the history; the evangelist whose assignment ends is told."),
        render_kw={"rows": 2},
    )
    confirm = BooleanField(
        _l("I understand: the current assignment is cancelled and the request waits in the queue again."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Send back"))


class StaffSearchForm(BaseForm):
    """The navbar's search box and the results page's (GET, no CSRF)."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Search"), validators=[Optional(), Length(max=SEARCH_QUERY_MAX)],
        description=_l("A town, a request number (#123), a person's name in kanji, kana or romaji, "
                       "a community, an e-mail address."),
    )
