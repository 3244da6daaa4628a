"""The forms of the open dialogue: a theme (coordinators), a dialogue profile, an idea, a
comment, a vote, and the idea list's filters."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.form_fields import CheckboxesField, FilterSelectField, RowList
from app.forms import BaseForm, set_place_choices
from app.labels import label
from evangelists import ideas as rules
from evangelists.calendar import PROGRAMME_ZONE
from evangelists.limits import WEBSITE_MAX, read_id
from evangelists.vocabulary import AGE_BANDS, GENDERS, REGIONS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _choices(vocabulary: str, values, empty: str | None = None) -> list[tuple[str, str]]:
    head = [("", empty)] if empty is not None else []
    return head + [(v, label(vocabulary, v)) for v in values]


class HoneypotMixin:
    """A field people leave empty and bots fill (rendered out of sight, skipped by Tab)."""

    website = StringField(_l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})


class JapanDateTimeField(DateTimeLocalField):
    """A date and time typed in Japan time; ``data`` is aware UTC."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", [DATETIME_FORMAT, "%Y-%m-%d %H:%M"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and self.data.tzinfo is None:
            self.data = self.data.replace(tzinfo=PROGRAMME_ZONE).astimezone(UTC)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, datetime):
            return self.data.astimezone(PROGRAMME_ZONE).replace(tzinfo=None).isoformat(timespec="minutes")
        return ""


class MaterialForm(BaseForm):
    class Meta:
        csrf = False

    label = StringField(_l("Title of the material"), validators=[Optional(), Length(max=rules.MATERIAL_LABEL_MAX)])
    url = StringField(_l("Web address"), validators=[Optional(), Length(max=WEBSITE_MAX)],
                      render_kw={"inputmode": "url", "placeholder": "https://"})

    def validate_url(self, field):
        parts = urlsplit(field.data.strip())
        if parts.scheme.lower() not in ("https", "http") or not parts.netloc:
            raise ValidationError(_("Enter a web address starting with https:// or http://."))

    def validate_label(self, field):
        if self.url.data and not (field.data or "").strip():
            raise ValidationError(_("Give the material a title."))


class ThemeForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Give the theme a title.")),
                                                 Length(max=rules.THEME_TITLE_MAX)])
    title_reading = StringField(_l("Reading of the title (optional)"),
                                validators=[Optional(), Length(max=rules.THEME_READING_MAX)],
                                description=_l("In hiragana; shown as furigana above the title."),
                                render_kw={"lang": "ja"})
    description = TextAreaField(_l("Description"), validators=[
        DataRequired(message=_l("Say what ideas the theme asks for.")), Length(max=rules.THEME_DESCRIPTION_MAX)],
        description=_l("Plain text; web addresses become links."), render_kw={"rows": 6})
    opens_at = JapanDateTimeField(_l("Open from"), validators=[InputRequired(message=_l("Enter when the theme opens."))],
                                  description=_l("Japan time."))
    closes_at = JapanDateTimeField(_l("Open until"),
                                   validators=[InputRequired(message=_l("Enter when the theme closes."))],
                                   description=_l("Japan time. After this, the theme can be read, not added to."))
    scope = SelectField(_l("Who it is for"), default="national")
    region = SelectField(_l("Region"), default="")
    prefecture = SelectField(_l("Prefecture"), default="")
    municipality = StringField(_l("Municipality code"), validators=[Length(max=6)],
                               description=_l("The 6-digit local government code, e.g. 011002."),
                               render_kw={"inputmode": "numeric", "autocomplete": "off"})
    hold_first_posts = BooleanField(_l("Hold a new participant’s first post for review"))
    materials = RowList(FormField(MaterialForm), min_entries=3, max_entries=rules.MATERIALS_MAX)
    save = SubmitField(_l("Save the theme"))

    def __init__(self, *args, prefectures, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope.choices = _choices("idea_theme_scope", rules.THEME_SCOPES)
        self.region.choices = _choices("region", REGIONS, _("Choose…"))
        self.prefecture.choices = [("", _("Choose…"))] + [(p.code, p.name_ja) for p in prefectures]

    def validate_closes_at(self, field):
        if field.data and self.opens_at.data and field.data <= self.opens_at.data:
            raise ValidationError(_("The end of the period must be after its start."))

    def validate_region(self, field):
        if self.scope.data == "region" and not field.data:
            raise ValidationError(_("Choose the region."))

    def validate_prefecture(self, field):
        if self.scope.data == "prefecture" and not field.data:
            raise ValidationError(_("Choose the prefecture."))

    def validate_municipality(self, field):
        if self.scope.data == "municipality" and not (field.data or "").strip():
            raise ValidationError(_("Enter the municipality’s code."))


class ProfileForm(BaseForm):
    handle = StringField(
        _l("Display name"),
        validators=[DataRequired(message=_l("Choose a display name.")), Length(max=rules.HANDLE_MAX)],
        description=_l("Shown with everything you post. Not your real name: other participants never see it, "
                       "nor your e-mail address."),
        render_kw={"autocomplete": "nickname", "maxlength": rules.HANDLE_MAX})
    voice = RadioField(_l("You take part as"), validators=[InputRequired(message=_l("Choose how you take part."))],
                       description=_l("Shown with your posts; the lists can be filtered by it."))
    prefecture = SelectField(_l("Prefecture where you live or work (optional)"), validators=[Optional()])
    age_band = SelectField(_l("Age band (optional)"), validators=[Optional()])
    gender = SelectField(_l("Gender (optional)"), validators=[Optional()])
    save = SubmitField(_l("Save"))

    def __init__(self, *args, prefectures, **kwargs):
        super().__init__(*args, **kwargs)
        self.voice.choices = _choices("idea_voice", rules.VOICES)
        self.prefecture.choices = [("", _("Prefer not to say"))] + [(p.code, p.name_ja) for p in prefectures]
        self.age_band.choices = _choices("age_band", AGE_BANDS, _("Prefer not to say"))
        self.gender.choices = _choices("gender", GENDERS, _("Prefer not to say"))


class IdeaForm(HoneypotMixin, BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Give your idea a title.")),
                                                 Length(max=rules.IDEA_TITLE_MAX)],
                        render_kw={"maxlength": rules.IDEA_TITLE_MAX})
    body = TextAreaField(_l("Your idea"), validators=[DataRequired(message=_l("Write your idea.")),
                                                      Length(max=rules.IDEA_BODY_MAX)],
                         description=_l("Plain text; web addresses become links. Do not write anyone’s personal "
                                        "data."),
                         render_kw={"rows": 8, "maxlength": rules.IDEA_BODY_MAX})
    # The place picker of the request form (app/forms.py set_place_choices): optional here,
    # for "data we want this town to publish".
    prefecture = SelectField(_l("Prefecture (optional)"), default="")
    municipality = SelectField(
        _l("Municipality (optional)"), default="",
        description=_l("For data you want one town to publish. After choosing the prefecture, the list shows its "
                       "municipalities."))
    topics = CheckboxesField(_l("Topics (optional)"), validators=[Optional()])
    post = SubmitField(_l("Post the idea"))

    def __init__(self, *args, topics, prefectures, municipalities, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.topics.choices = topics
        set_place_choices(self, prefectures, municipalities, locale)
        self.prefecture.choices[0] = ("", _("None"))
        self.municipality.choices[0] = ("", _("None") if municipalities else _("Choose the prefecture first"))

    def validate_topics(self, field):
        if field.data and len(field.data) > rules.IDEA_TAGS_MAX:
            raise ValidationError(_("Choose at most %(limit)s topics.", limit=rules.IDEA_TAGS_MAX))


class CommentForm(HoneypotMixin, BaseForm):
    stance = RadioField(_l("Your stance"), validators=[InputRequired(message=_l("Choose agree, disagree or neutral."))])
    body = TextAreaField(_l("Comment"), validators=[DataRequired(message=_l("Write your comment.")),
                                                    Length(max=rules.COMMENT_MAX)],
                         render_kw={"rows": 4, "maxlength": rules.COMMENT_MAX})
    parent = HiddenField()
    post = SubmitField(_l("Post the comment"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stance.choices = _choices("idea_stance", rules.STANCES)

    def validate_parent(self, field):
        if field.data and read_id(field.data) is None:
            raise ValidationError(_("Reload the page and answer again."))


class VoteForm(BaseForm):
    vote = SelectField(choices=[(v, v) for v in (*rules.VOTE_VALUES, "withdraw")],
                       validators=[DataRequired()])


class IdeaFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search the ideas"), validators=[Optional(), Length(max=rules.IDEA_QUERY_MAX)],
                    render_kw={"type": "search", "maxlength": rules.IDEA_QUERY_MAX})
    sort = FilterSelectField(_l("Order"), default="new", validators=[Optional()])
    voice = FilterSelectField(_l("Voice"), default="", validators=[Optional()])
    topic = FilterSelectField(_l("Topic"), default="", validators=[Optional()])
    status = FilterSelectField(_l("Answer"), default="", validators=[Optional()])
    municipality = StringField(_l("Municipality code"), validators=[Optional(), Length(max=6)],
                               render_kw={"inputmode": "numeric"})

    def __init__(self, *args, topics, **kwargs):
        super().__init__(*args, **kwargs)
        self.sort.choices = _choices("idea_sort", rules.SORTS)
        self.voice.choices = _choices("idea_voice", rules.VOICES, _("Every voice"))
        self.topic.choices = [("", _("Every topic"))] + topics
        self.status.choices = _choices("idea_status", rules.IDEA_STATUSES, _("Any answer"))

    def validate_municipality(self, field):
        if field.data and not (field.data.isdigit() and len(field.data) == 6):
            raise ValidationError(_("Enter a 6-digit municipality code, e.g. 011002."))
