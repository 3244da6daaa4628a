"""Forms of the use cases' staff pages (the town's answer is in app/support/forms.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    FormField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app.form_fields import CheckboxesField, RowList, WholeNumberField
from app.forms import BaseForm
from app.i18n import current_language
from app.labels import label
from app.services.use_cases import UseCaseInput
from evangelists.limits import read_id
from evangelists.use_case_files import ACCEPT
from evangelists.use_cases import (
    LINK_LABEL_MAX,
    LINKS_MAX,
    POPULATION_BANDS,
    URL_MAX,
    USE_CASE_KINDS,
    USE_CASE_SHORT_MAX,
    USE_CASE_TEXT_MAX,
    USE_CASE_TITLE_MAX,
)

DATASETS_MAX = 100_000


def _web_address(text: str) -> bool:
    parts = urlsplit(text.strip())
    return parts.scheme.lower() in ("https", "http") and bool(parts.netloc)


def _text(label_text, description=None, rows=5):
    return TextAreaField(label_text, validators=[Optional(), Length(max=USE_CASE_TEXT_MAX)],
                         description=description, render_kw={"rows": rows, "maxlength": USE_CASE_TEXT_MAX})


class LinkForm(BaseForm):
    class Meta:
        csrf = False

    label = StringField(_l("Title of the link"), validators=[Optional(), Length(max=LINK_LABEL_MAX)],
                        render_kw={"maxlength": LINK_LABEL_MAX})
    url = StringField(_l("Web address"), validators=[Optional(), Length(max=URL_MAX)],
                      render_kw={"inputmode": "url", "placeholder": "https://", "maxlength": URL_MAX})

    def validate_url(self, field):
        if field.data and field.data.strip() and not _web_address(field.data):
            raise ValidationError(_("Enter a web address starting with https:// or http://."))

    def validate_label(self, field):
        if (field.data or "").strip() and not (self.url.data or "").strip():
            raise ValidationError(_("Give the link its web address, or clear its title."))


class UseCaseForm(BaseForm):
    kind = RadioField(_l("Kind"), default="story", validators=[DataRequired(message=_l("Choose the kind."))])
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Give the use case a title.")),
                                                 Length(max=USE_CASE_TITLE_MAX)],
                        description=_l("What a town looking for ideas should read first, e.g. "
                                       "“Shelters and AEDs published as open data in three months”."),
                        render_kw={"maxlength": USE_CASE_TITLE_MAX})
    starting_point = _text(_l("Starting point"), _l("Where the town stood before: who worked on open data, "
                                                    "what was hard."))
    what_was_done = _text(_l("What was done"), _l("The steps, in order: workshops, datasets chosen, tools, "
                                                  "decisions."), rows=8)
    results = _text(_l("Results"), _l("The datasets and services that came out of it."))
    catalogue_url = StringField(_l("Data catalogue"), validators=[Optional(), Length(max=URL_MAX)],
                                description=_l("The web address of the town’s open data catalogue, if it has one."),
                                render_kw={"inputmode": "url", "placeholder": "https://", "maxlength": URL_MAX})
    datasets = WholeNumberField(_l("Datasets published"), validators=[
        Optional(), NumberRange(min=0, max=DATASETS_MAX, message=_l("Enter a whole number from 0 to 100,000."))],
        render_kw={"inputmode": "numeric"})
    people = StringField(_l("People involved"), validators=[Optional(), Length(max=USE_CASE_SHORT_MAX)],
                         description=_l("Departments and roles, not names, e.g. “Information policy division, "
                                        "two staff; a local civic tech group”."),
                         render_kw={"maxlength": USE_CASE_SHORT_MAX})
    time_taken = StringField(_l("Time it took"), validators=[Optional(), Length(max=USE_CASE_SHORT_MAX)],
                             description=_l("e.g. “Three months, two workshops”."),
                             render_kw={"maxlength": USE_CASE_SHORT_MAX})
    advice = _text(_l("Advice to other towns"), _l("What the town would tell a town starting out."))
    population_band = SelectField(_l("Population"), default="",
                                  description=_l("Filled in from the town’s population when it is known."))
    topics = CheckboxesField(_l("Topics"), validate_choice=False)
    community = SelectField(_l("Community"), default="",
                            description=_l("For “Widening participation”: the community that widened who takes "
                                           "part, if there is one."))
    links = RowList(FormField(LinkForm), min_entries=2, max_entries=LINKS_MAX)
    files = MultipleFileField(_l("Attach files"), render_kw={"accept": ACCEPT})
    remove_files = SelectMultipleField(_l("Files to remove"), choices=[], validate_choice=False)
    version = HiddenField()
    save = SubmitField(_l("Save"))

    def __init__(self, *args, topics=(), communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k, label("use_case_kind", k)) for k in USE_CASE_KINDS]
        self.population_band.choices = [("", _("Unknown"))] + [(b, label("population_band", b))
                                                               for b in POPULATION_BANDS]
        japanese = current_language() == "ja"
        self.topics.choices = [(t.slug, t.name_ja if japanese else t.name_en) for t in topics]
        self.community.choices = [("", _("None"))] + [(str(c.id), c.name) for c in communities]

    def validate_catalogue_url(self, field):
        if field.data and field.data.strip() and not _web_address(field.data):
            raise ValidationError(_("Enter a web address starting with https:// or http://."))

    def validate_topics(self, field):
        known = {value for value, _label in self.topics.choices}
        if any(value not in known for value in field.data or []):
            raise ValidationError(_("Choose topics from the list."))

    def validate_community(self, field):
        if field.data and field.data not in {value for value, _label in self.community.choices}:
            raise ValidationError(_("Choose a community from the list."))

    def fill_rows(self) -> None:
        """One or two empty link rows below the saved ones, to add links without a script."""
        while len(self.links.entries) < 2:
            self.links.append_entry()
        if all((entry.form.url.data or "").strip() for entry in self.links.entries) and \
                len(self.links.entries) < LINKS_MAX:
            self.links.append_entry()

    def as_input(self) -> UseCaseInput:
        links = tuple(((entry.form.label.data or "").strip(), (entry.form.url.data or "").strip())
                      for entry in self.links.entries if (entry.form.url.data or "").strip())
        kind = self.kind.data if self.kind.data in USE_CASE_KINDS else "story"
        return UseCaseInput(
            title=self.title.data or "", kind=kind, starting_point=self.starting_point.data or "",
            what_was_done=self.what_was_done.data or "", results=self.results.data or "",
            catalogue_url=(self.catalogue_url.data or "").strip() or None, datasets=self.datasets.data,
            people=self.people.data or "", time_taken=self.time_taken.data or "", advice=self.advice.data or "",
            population_band=self.population_band.data or None, topics=tuple(self.topics.data or ()),
            links=links, community_id=read_id(self.community.data) if kind == "participation" else None)

    def removing(self) -> list[int]:
        return [i for i in (read_id(v) for v in self.remove_files.data or []) if i is not None]

    def posted_version(self) -> int | None:
        return read_id(self.version.data)


def form_data_of(data: UseCaseInput) -> dict:
    """A saved use case as the edit form's ``data``."""
    return {
        "kind": data.kind, "title": data.title, "starting_point": data.starting_point,
        "what_was_done": data.what_was_done, "results": data.results, "catalogue_url": data.catalogue_url or "",
        "datasets": data.datasets, "people": data.people, "time_taken": data.time_taken, "advice": data.advice,
        "population_band": data.population_band or "", "topics": list(data.topics),
        "community": str(data.community_id) if data.community_id else "",
        "links": [{"label": label_text, "url": url} for label_text, url in data.links],
    }


class UseCaseMoveForm(BaseForm):
    """One move of the use case (the button says which), on the version the page showed."""

    action = HiddenField()
    version = HiddenField()
    note = TextAreaField(_l("Note to the author (optional)"), validators=[Optional(), Length(max=2000)],
                         render_kw={"rows": 2, "maxlength": 2000})
    submit = SubmitField()

    def posted_version(self) -> int | None:
        return read_id(self.version.data)


class DraftForm(BaseForm):
    """"Write a use case" from a completed request: one value, so a double click makes one."""

    nonce = HiddenField()
    submit = SubmitField(_l("Write a use case"))
