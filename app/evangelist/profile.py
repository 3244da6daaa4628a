"""``/me/profile``: the signed-in evangelist keeps their own profile up to date.

There is no id in the URL: the page only ever shows and saves the row linked to the
signed-in account.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.decorators import role_required
from app.evangelist import bp
from app.evangelist.profile_forms import ProfileForm
from app.i18n import current_language
from app.messages import show_refusal
from app.models import Evangelist
from app.services.evangelists import (
    SELF_SERVICE_STATUSES,
    ProfileRefused,
    current_pause,
    profile_of,
    update_profile,
)
from app.services.geography import list_prefectures, municipalities_of
from app.services.topics import list_topics
from app.web import client_address
from evangelists.calendar import today_in_japan

FORM_FIELD = {"home_municipality": "municipality"}


def _form(evangelist: Evangelist) -> ProfileForm:
    """The form: on GET filled from the stored profile, on POST from what was sent (the
    municipality list follows the prefecture that was sent)."""
    town = evangelist.home_municipality
    posted = request.method == "POST"
    prefecture_code = request.form.get("prefecture") if posted else town.prefecture.code
    data = None
    if not posted:
        radius = evangelist.travel_radius_km
        data = {
            "family_name_kana": evangelist.family_name_kana,
            "given_name_kana": evangelist.given_name_kana,
            "prefecture": town.prefecture.code,
            "municipality": town.code,
            "skills": [t.slug for t in evangelist.skills],
            "capacity": evangelist.capacity,
            "travel_radius_km": int(radius) if radius == int(radius) else radius,
            "online_ok": evangelist.online_ok,
            "languages": list(evangelist.languages or ()),
            "age_band": evangelist.age_band or "",
            "gender": evangelist.gender or "",
            "paused_until": current_pause(evangelist, today_in_japan()),
        }
    return ProfileForm(
        data=data,
        prefectures=list_prefectures(),
        municipalities=municipalities_of(prefecture_code),
        topics=list_topics(),
        locale=current_language(),
        can_pause=evangelist.status in SELF_SERVICE_STATUSES,
    )


def _page(evangelist: Evangelist | None, form: ProfileForm | None = None, **context):
    return render_template("evangelist/profile.html", evangelist=evangelist, form=form, today=today_in_japan(),
                           **context)


@bp.route("/profile", methods=["GET", "POST"])
@role_required("evangelist")
def profile():
    evangelist = profile_of(current_user)
    if evangelist is None:
        return _page(None)
    form = _form(evangelist)
    if request.method == "GET":
        return _page(evangelist, form)
    if request.form.get("action") == "prefecture":
        # Without JavaScript, choosing the prefecture reloads the form with its
        # municipalities; everything typed so far comes back unchanged.
        return _page(evangelist, form, focus="municipality")
    if not form.validate_on_submit():
        return _page(evangelist, form), 422
    try:
        changed = update_profile(current_user, evangelist, form.changes(), address=client_address(),
                                 today=today_in_japan())
    except ProfileRefused as refused:
        # The form's own checks normally catch these first (the data changed between the
        # page load and the save, or a value slipped past the form).
        show_refusal(form, refused, field=FORM_FIELD.get(refused.field, refused.field), elsewhere="flash")
        return _page(evangelist, form), 422
    flash(_("Your profile is saved.") if changed else _("Nothing to save: your profile was already like this."),
          "success" if changed else "info")
    return redirect(url_for("evangelist.profile"))
