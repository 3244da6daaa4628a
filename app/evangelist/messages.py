"""``/me/assignments/<id>/messages``: the assigned evangelist's thread with the town.

The thread is the one the town reads on its status page; the town sees the evangelist's
messages signed with the family name and 伝道師, never the full name or e-mail. The
coordinators' internal notes are not here.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.decorators import role_required
from app.evangelist import bp
from app.evangelist.access import my_assignment
from app.evangelist.forms import ThreadMessageForm
from app.messages import flash_refusal
from app.services.dialogue import DialogueRefused, can_write, thread_of, write_to_town
from app.web import client_address
from evangelists.lifecycle import TransitionRefused


@bp.route("/assignments/<id:assignment_id>/messages", methods=["GET", "POST"])
@role_required("evangelist")
def messages(assignment_id: int):
    assignment = my_assignment(assignment_id)
    try:
        thread = thread_of(current_user, assignment)
    except DialogueRefused as refused:
        flash_refusal(refused)
        return redirect(url_for("evangelist.home"))
    writable = can_write(assignment)
    form = ThreadMessageForm()
    if form.is_submitted() and not writable:
        flash(_("This request is closed, so messages can no longer be added."), "warning")
        return redirect(url_for("evangelist.messages", assignment_id=assignment.id))
    if form.validate_on_submit():
        try:
            write_to_town(current_user, assignment, form.body.data.strip(), address=client_address())
        except DialogueRefused as refused:
            flash_refusal(refused)
        except TransitionRefused:
            flash(_("This request is closed, so messages can no longer be added."), "warning")
        else:
            flash(_("Message sent. The municipality gets it by e-mail, signed “%(signature)s”.",
                    signature=_("Evangelist %(family_name)s", family_name=assignment.evangelist.family_name)),
                  "success")
        return redirect(url_for("evangelist.messages", assignment_id=assignment.id, _anchor="latest"))
    return render_template(
        "evangelist/messages.html", assignment=assignment, req=assignment.request, thread=thread,
        form=form, writable=writable,
    ), (422 if form.errors else 200)
