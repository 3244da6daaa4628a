"""The forms of moderation and official answers: a report of a post, a coordinator's
decision on a post, an idea's status and answer."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.forms import BaseForm
from app.labels import label
from app.services.moderation import ACTIONS, NAMES_ARTICLE, NOTE_MAX
from evangelists import ideas as rules


class ReportForm(BaseForm):
    reason = RadioField(_l("Why should a moderator look at this post?"),
                        validators=[InputRequired(message=_l("Choose why you report this post."))])
    note = TextAreaField(_l("Anything the moderators should know (optional)"),
                         validators=[Optional(), Length(max=rules.REPORT_NOTE_MAX)],
                         description=_l("Only the moderators read it."),
                         render_kw={"rows": 2, "maxlength": rules.REPORT_NOTE_MAX})
    # The comment reported; empty for the idea itself.
    comment = HiddenField()
    send = SubmitField(_l("Send the report"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [(r, label("idea_report_reason", r)) for r in rules.REPORT_REASONS]

    def validate_comment(self, field):
        if field.data and not field.data.isdigit():
            raise ValidationError(_("Reload the page and report again."))


def article_choices() -> list[tuple[str, str]]:
    return [("", _("Choose…"))] + [
        (str(n), _("Article %(number)s: %(title)s", number=n, title=article_title(n)))
        for n in range(1, rules.TERMS_ARTICLES + 1)]


def article_title(number: int) -> str:
    from app.ideas.moderation import ARTICLES

    return str(ARTICLES[number - 1][0])


class ModerationForm(BaseForm):
    # "idea-12" or "comment-34": the post decided on.
    target = HiddenField(validators=[InputRequired()])
    action = SelectField(_l("Decision"), validators=[InputRequired(message=_l("Choose what to do with the post."))])
    article = SelectField(_l("Article of the terms it breaks"), validators=[Optional()],
                          description=_l("Shown publicly with the post and in the moderation log."))
    note = TextAreaField(_l("Public note (optional)"), validators=[Optional(), Length(max=NOTE_MAX)],
                         description=_l("Shown publicly in the moderation log. Do not repeat the post's text."),
                         render_kw={"rows": 2, "maxlength": NOTE_MAX})
    decide = SubmitField(_l("Decide"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [(a, label("idea_moderation_decision", a)) for a in ACTIONS]
        self.article.choices = article_choices()

    def validate_target(self, field):
        kind, _sep, number = (field.data or "").partition("-")
        if kind not in ("idea", "comment") or not number.isdigit() or len(number) > 18:
            raise ValidationError(_("Reload the queue and decide again."))

    def validate_article(self, field):
        if self.action.data in NAMES_ARTICLE and not field.data:
            raise ValidationError(_("Choose the article of the terms the post breaks."))

    def post(self) -> tuple[str, int]:
        kind, _sep, number = self.target.data.partition("-")
        return kind, int(number)


class AnswerForm(BaseForm):
    status = SelectField(_l("Status"), validators=[InputRequired(message=_l("Choose the idea's status."))])
    answer = TextAreaField(_l("Official answer"), validators=[Optional(), Length(max=rules.ANSWER_MAX)],
                           description=_l("Public, on the idea's page. Plain text; web addresses become links. "
                                          "Everyone who posted, voted or commented is notified."),
                           render_kw={"rows": 5, "maxlength": rules.ANSWER_MAX},
                           # Not "answer": that is the id of the section around this form
                           # (the notices link to /ideas/<id>#answer), and a second one
                           # would take the label away from the text box.
                           id="answer-text")
    save = SubmitField(_l("Publish the answer"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [(s, label("idea_status", s)) for s in rules.IDEA_STATUSES]

    def validate_answer(self, field):
        if self.status.data and self.status.data != "received" and not (field.data or "").strip():
            raise ValidationError(_("Write the answer: it tells the participants why."))
