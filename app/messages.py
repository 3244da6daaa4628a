"""Every reason code in words, once: what the site says when the core or a service says no.

Services and the core raise ``evangelists.errors.Refused`` (a ``field``, a ``reason`` code,
a ``scope`` naming the use case) and report import problems, notices and export filter
errors as codes; this catalogue turns them into translated messages for the pages and
for ``flask`` commands. A key is ``"reason"`` (the same words wherever it comes from) or
``"scope.reason"`` (the words of one use case); ``message`` takes the scoped words first,
then the shared ones, then "Choose from the list." for a code without words of its own
(``unknown_source``, for instance).
"""

from __future__ import annotations

from flask import flash
from flask_babel import lazy_gettext as _l

from evangelists.errors import Refused
from evangelists.limits import FIRST_FILTER_DATE, LAST_FILTER_DATE

MESSAGES = {
    # Form refusals shared by communities, locations, recruitment and the profile. Most are
    # caught by the forms first; these cover what only the database can tell (a name taken
    # meanwhile, a geocoder's answer) or what changed between loading and saving the page.
    "required": _l("Fill in this field."),
    "too_long": _l("This is too long."),
    "unknown": _l("Choose from the list."),
    "out_of_range": _l("This value is outside the allowed range."),
    "name_taken": _l("Another community already has this name. Choose another name, or edit that community."),
    "bad_website": _l("Enter a web address starting with https:// or http://, e.g. https://www.code4sapporo.org."),
    "future_date": _l("The date cannot be in the future."),
    "address_required": _l("Enter the address to look up."),
    "geocoder_off": _l("Looking up addresses is not set up on this site. Choose another position, or type "
                       "the latitude and longitude."),
    "not_found": _l("No place in Japan was found for this address. Check it, or type the latitude and longitude."),
    "geocoder_failed": _l("The geocoding service did not answer, so nothing was saved. Try again later, or type "
                          "the latitude and longitude."),
    "date_required": _l("Enter the date of the appointment."),
    "email_required": _l("Enter the e-mail address the invitation goes to."),
    "bad_email": _l("This is not an e-mail address, e.g. name@example.jp."),
    "email_taken": _l("An account with this e-mail address already exists. Use another address, or ask an admin."),
    "account_deactivated": _l("This account is deactivated. Ask an admin to reactivate it first."),
    "past_date": _l("Choose today or a later date, or leave it empty."),
    "status_locked": _l("Only a coordinator can change your status."),
    "community.unchanged": _l("The community already has this status."),
    # A community's registration (app.services.community_registrations.RegistrationRefused).
    "community_registration.consent_required": _l("Tick the box to agree to the public listing: without it the "
                                                  "community cannot be listed."),
    "community_registration.not_pending": _l("This registration was already decided; nothing was changed."),
    "community_registration.name_taken": _l("A community of this name already exists: merge the registration "
                                            "into it, or decline it."),
    "community_registration.link_invalid": _l("This confirmation link does not work: it was used already, or part "
                                              "of it is missing. If you have not confirmed the registration yet, "
                                              "check that you copied all of the link, or register again."),
    "community_registration.link_expired": _l("This confirmation link has expired and the registration was not "
                                              "sent to the coordinators. Please fill in the form again."),
    "recruitment.decision_required": _l("They hold open assignments: choose what happens to them first."),
    "profile.required": _l("Choose at least one language."),
    "not_kana": _l("Enter the reading (フリガナ) in katakana or hiragana."),
    "reading_required": _l("Enter the reading (フリガナ) of the name."),
    # Why a status change was refused (evangelists.lifecycle reasons).
    "transition.unknown_status": _l("That status does not exist."),
    "transition.unchanged": _l("The request already has this status."),
    "transition.closed": _l("The request is closed; its status can no longer change."),
    "transition.not_allowed": _l("The request cannot move to that status from where it is now."),
    "transition.backward": _l("That would move the request back. Use “Send back”, with a reason."),
    # A request a coordinator records for a town (app.services.requests.IntakeRefused).
    "intake.contact_required": _l("Give an e-mail address or a phone number, so the town can be reached."),
    "intake.too_old": _l("The day the town asked can be at most a year ago."),
    "intake.future_date": _l("The day the town asked cannot be in the future."),
    # Visits (app.services.visits.VisitRefused).
    "visit.not_yours": _l("That visit or assignment is not yours."),
    "visit.not_accepted": _l("Visits can be logged only for an assignment you have accepted."),
    "visit.future_date": _l("The visit cannot be in the future."),
    "visit.window_closed": _l("Visits can be changed for 14 days after they are logged. Ask a coordinator to correct it."),
    "visit.no_visit": _l("Log at least one visit before marking the assignment completed."),
    # One action on many requests (app.services.bulk.BulkRefused).
    "bulk.nothing_chosen": _l("Tick at least one request, or choose every request that matches the filters."),
    "bulk.too_many": _l("%(count)s requests are too many for one action (at most %(limit)s). Narrow the filters."),
    "bulk.unknown_request": _l("No request has the number %(number)s. Reload the list and choose again."),
    # Merging two records of one person (app.services.merge.MergeRefused).
    "merge.same_person": _l("That is the same record twice. Choose two different records of one person."),
    "merge.unknown": _l("No evangelist or candidate has the number %(number)s (already merged or deleted?). "
                        "Search again."),
    "merge.same_request": _l("Both records hold an open assignment to the same request (%(requests)s). Withdraw "
                             "or cancel one of them on the request's page, then merge."),
    "merge.kept_not_working": _l("The duplicate holds open assignments but the record kept is not active: keep "
                                 "the other record instead, or close those assignments first."),
    "merge.own_account": _l("Both records have an account and the duplicate's is yours: you cannot deactivate "
                            "your own account. Ask another admin, or keep the other record."),
    "merge.conflict": _l("Someone changed these records while they were being merged: nothing was merged. "
                         "Review the merge again."),
    # The open dialogue (app.services.ideas.IdeaRefused and the services beside it).
    "ideas.not_open": _l("This theme is not open for ideas now: it can be read, not added to."),
    "ideas.profile_required": _l("Choose a display name and your voice before you post."),
    "ideas.withdrawn": _l("This account has left the idea box."),
    "ideas.taken": _l("Someone else already uses this display name. Choose another."),
    "ideas.too_short": _l("A display name needs at least 2 characters."),
    "ideas.characters": _l("Use letters, digits, spaces and - _ ・ ー . only (no e-mail address)."),
    "ideas.reserved": _l("This display name is kept for the programme. Choose another."),
    "ideas.too_many": _l("Choose at most %(limit)s topics."),
    "ideas.not_top_level": _l("Replies go one level deep: answer the comment itself."),
    "ideas.other_idea": _l("That comment does not belong to this idea. Reload the page."),
    "ideas.not_shown": _l("This idea is not shown, so it cannot be voted on or commented."),
    "ideas.too_many_posts": _l("You have posted %(limit)s times in the last hour. Please wait a little before "
                               "posting again; what you wrote is kept below."),
    "ideas.too_many_ideas": _l("You have posted %(limit)s ideas in the last hour. Please wait a little before "
                               "posting another; what you wrote is kept below."),
    "ideas.order": _l("The end of the period must be after its start."),
    "ideas.outside_scope": _l("This theme is about another area: choose a municipality inside it."),
    "ideas.too_long": _l("This is too long (at most %(limit)s characters)."),
    # Reports and moderation decisions (app.services.moderation.ModerationRefused).
    "moderation.already_reported": _l("You have already reported this post. Thank you: a moderator will look at it."),
    "moderation.not_reportable": _l("This post is not shown, so it cannot be reported."),
    "moderation.not_found": _l("That post no longer exists. Reload the page."),
    "moderation.not_possible": _l("Someone has already decided on this post: the queue now shows where it stands."),
    "moderation.article_required": _l("Choose the article of the terms the post breaks (1 to %(limit)s)."),
    "moderation.too_long": _l("The note is too long (at most %(limit)s characters)."),
    # Official answers to ideas (app.services.idea_answers.AnswerRefused).
    "idea_answer.too_long": _l("The answer is too long (at most %(limit)s characters)."),
    "idea_answer.answer_required": _l("Write the answer: it tells the participants why."),
    "idea_answer.not_answerable": _l("Only an idea that is shown can be answered."),
    "idea_answer.unchanged": _l("The idea already has this status and answer: nothing was changed."),
    # Outreach to a town that has not asked (app.services.outreach.OutreachRefused).
    "outreach.already_active": _l("%(town)s already publishes open data: there is no need to reach out."),
    "outreach.has_case": _l("%(town)s already has an open outreach case (number %(case)s)."),
    "outreach.has_request": _l("%(town)s already has an open request (number %(number)s): work on it there."),
    "outreach.out_of_region": _l("This municipality is outside your regions."),
    "outreach.closed": _l("This outreach case is closed; it can no longer change."),
    "outreach.not_staff": _l("Only an active coordinator or admin can own a case. Choose someone from the list."),
    "outreach.contact_required": _l("Log a contact with the person’s name and a phone number or e-mail address "
                                    "first: the request needs someone at the town to reach."),
    "outreach.before_contact": _l("The next date cannot be before the day of the contact."),
    "outreach.not_yours": _l("You are not the evangelist asked to reach out for this case."),
    "outreach.nothing_chosen": _l("Tick at least one municipality."),
    "outreach.no_case_chosen": _l("Tick at least one case."),
    "outreach.too_many_cases": _l("%(count)s cases are too many for one action (at most %(limit)s)."),
    "outreach.unknown_case": _l("No outreach case of your regions has the number %(number)s. Reload the list and "
                                "choose again."),
    "outreach.unknown_action": _l("Choose what to do with the ticked cases."),
    "outreach.reason_required": _l("Say why the cases are closed."),
    "outreach.owner_elsewhere": _l("That coordinator’s regions do not include this town: give its case to someone "
                                   "whose regions do, or to a national coordinator."),
    "outreach.too_many": _l("%(count)s municipalities are too many for one action (at most %(limit)s)."),
    "outreach.unknown_municipality": _l("No municipality has the code %(code)s. Reload the list and choose again."),
    # The owner of a request (app.services.ownership.OwnerRefused).
    "owner.not_staff": _l("Only an active coordinator or admin can own a request. Choose someone from the list."),
    "owner.outside_regions": _l("That coordinator works in other regions than this town's. Choose someone whose "
                                "regions include it, or a national coordinator."),
    "owner.unchanged": _l("This person already owns the request."),
    # A town's feedback on its closed request (app.services.feedback.FeedbackRefused).
    "feedback.not_completed": _l("Feedback can be given once the request is closed as done."),
    "feedback.already_answered": _l("Your municipality has already answered this question. Thank you; the first answer is kept."),
    # The evangelist's thread with the town (app.services.dialogue.DialogueRefused).
    "dialogue.not_yours": _l("That assignment is not yours."),
    "dialogue.not_accepted": _l("The messages with the municipality open once you have accepted the assignment."),
    # Booked visits (evangelists.bookings.BookingRefused).
    "booking.end_not_after_start": _l("The end must be after the start."),
    "booking.in_the_past": _l("This time has already passed (Japan time). Choose a later one."),
    "booking.no_slots": _l("Offer at least one time."),
    "booking.too_many_slots": _l("Offer at most %(most)s times."),
    "booking.same_slot_twice": _l("The same time is offered twice."),
    "booking.place_required": _l("Say where the visit takes place."),
    "booking.meeting_url_required": _l("Give the meeting address."),
    "booking.bad_meeting_url": _l("Enter a web address starting with https:// or http://"),
    "booking.reason_required": _l("Say why, in a few words: everyone involved reads it."),
    "booking.not_yours": _l("Only the visit's evangelist or a coordinator can change it."),
    "booking.not_accepted": _l("Times can be offered only for an assignment you have accepted."),
    "booking.already_booked": _l("The town already booked a time: move or cancel that visit instead."),
    "booking.no_such_slot": _l("That time is no longer offered. Pick one of the times shown."),
    "booking.not_offered": _l("A time was already booked, or the offer was withdrawn. The page now shows where it stands."),
    "booking.slot_passed": _l("That time has already passed. Pick a later one, or ask for other times."),
    "booking.not_booked": _l("Only a booked visit can be moved."),
    "booking.unchanged": _l("The visit is already at that time."),
    # Accounts (app.services.accounts.AccountError) and the password policy's problems.
    "account.wrong_current_password": _l("The current password is not correct."),
    "account.link_expired": _l("This link has expired. Ask your coordinator for a new one, or request a new reset link."),
    "account.link_used": _l("This link has already been used, or a newer link replaced it. Sign in, or ask for a new link."),
    "account.link_invalid": _l("This link is not valid. Check that you copied all of it."),
    # A public application to become an evangelist (app/services/applications.py).
    "application.link_invalid": _l("This confirmation link does not work: it was used already, or part of it is "
                                   "missing. If you have not confirmed your application yet, check that you copied "
                                   "all of the link, or apply again."),
    "application.link_expired": _l("This confirmation link has expired and the application was not sent. Please "
                                   "fill in the form again."),
    "application.consent_required": _l("Agree to the privacy notice to apply."),
    "application.not_allowed": _l("This application was decided already."),
    "account.email_taken": _l("An account with this e-mail address already exists."),
    "account.unknown_role": _l("Unknown role."),
    "account.only_admins_invite_staff": _l("Only admins can invite coordinators and admins."),
    "account.cannot_change_own_role": _l("You cannot change your own role; ask another admin."),
    "account.participant_role_fixed": _l("A participant of the idea box signed up on their own and keeps that "
                                         "role; invite the person with a work address instead."),
    "account.no_profile": _l("You have no idea box profile, so there is nothing to leave."),
    "account.cannot_deactivate_self": _l("You cannot deactivate your own account; ask another admin."),
    "account.wrong_code": _l("That code is not right. Check the time on your phone and try the newest code."),
    "password.too_short": _l("Use at least 12 characters."),
    "password.too_long": _l("Use at most 128 characters."),
    "password.common": _l("This password is on a list of common passwords; choose another."),
    "password.contains_email": _l("Do not use your e-mail address in the password."),
    "password.contains_name": _l("Do not use your name in the password."),
    "password.repetitive": _l("Avoid repeated characters and simple sequences such as abcd or 1234."),
    # What an import reports (evangelists.imports: Problem and Notice codes).
    "import.too_large": _l("The file is larger than %(limit_mb)s MB. Split it into smaller files."),
    "import.utf16": _l("The file is %(encoding)s text, which is not read here. Save it as “CSV UTF-8” (or CSV in Shift_JIS) and upload it again."),
    "import.spreadsheet": _l("This is an Excel workbook, not a CSV file. In Excel, use Save As and choose “CSV UTF-8 (comma delimited)”."),
    "import.encoding": _l("The file is neither UTF-8 nor Shift_JIS text. Save it as “CSV UTF-8” and upload it again."),
    "import.malformed": _l("The CSV cannot be read from here on (a quote that is never closed?)."),
    "import.empty": _l("The file is empty."),
    "import.no_rows": _l("The file has a header but no rows."),
    "import.missing_column": _l("This column is missing. Headers accepted for it: %(accepted)s."),
    "import.duplicate_column": _l("This column means the same as “%(other)s”. Keep one of them."),
    "import.too_many_values": _l("The row has %(got)s values but the header has %(expected)s columns."),
    "import.required": _l("A value is required."),
    "import.bad_code": _l("“%(value)s” is not a local government code: give 6 digits, or 5 without the check digit, keeping leading zeros (e.g. 011002)."),
    "import.wrong_check_digit": _l("The check digit of %(value)s is wrong: with these first five digits the code is %(expected)s."),
    "import.unknown_municipality": _l("No municipality has the code %(code)s."),
    "import.bad_choice": _l("“%(value)s” is not one of the accepted values (%(allowed)s)."),
    "import.bad_date": _l("“%(value)s” is not a date. Write it as 2024-03-31, 2024/3/31 or 2024年3月31日."),
    "import.bad_number": _l("“%(value)s” is not a whole number of 0 or more."),
    "import.bad_email": _l("“%(value)s” is not an e-mail address."),
    "import.bad_url": _l("“%(value)s” is not a web address starting with http:// or https://."),
    "import.too_long": _l("Too long: at most %(max)s characters."),
    "import.unknown_topic": _l("“%(value)s” is not a topic tag. Use the tags listed on the import page, separated by ;."),
    "import.unknown_community": _l("No community is called “%(value)s”. Import or create the community first."),
    "import.not_kana": _l("“%(value)s” is not a reading: write it in katakana or hiragana."),
    "import.reading_required": _l("%(name)s is new: give the reading (フリガナ) of their name in katakana or hiragana."),
    "import.duplicate_row": _l("The same row is already on line %(line)s."),
    "import.duplicate_key": _l("Line %(line)s already has this, with different values."),
    "import.outside_regions": _l("%(code)s is outside your regions: a national coordinator or the coordinator of "
                                 "that region can import this row."),
    "import.community_elsewhere": _l("A community of this name is in another region: a national coordinator can "
                                     "import this row."),
    "import.conflict": _l("Someone changed the same data while the import was being written. Nothing was imported; check the file again."),
    "notice.prefecture_skipped": _l("A prefecture, not a municipality: skipped."),
    "notice.kept_active": _l("The survey says not started, but we have it as open-data active since %(since)s: kept active, not downgraded."),
    "notice.kept_active_undated": _l("The survey says not started, but we have it as open-data active: kept active, not downgraded."),
    "notice.not_candidate": _l("Already in the network (%(status)s): left as it is."),
    "notice.emails_not_stored": _l("%(count)s e-mail addresses were checked but not stored: the network has no place for a candidate’s address yet."),
    # Notices (app.services.notices.NoticeRefused).
    "mailing.not_failed": _l("None of these notices has failed (any more): nothing was sent again."),
    "mailing.security_kind": _l("Security notices are always mailed at once; this cannot be changed."),
    # Use cases (app.services.use_cases.UseCaseRefused).
    "use_case.not_completed": _l("A use case can be written only from a completed request."),
    "use_case.not_yours": _l("Only the evangelist who served this request, or a coordinator of its region, can do "
                             "this."),
    "use_case.not_allowed": _l("The use case cannot be moved this way from where it is now. Reload the page to see "
                               "where it stands."),
    "use_case.not_editable": _l("This use case cannot be edited now: it is with the town, published or withdrawn "
                                "(a coordinator recalls it first), or no longer a draft of yours."),
    "use_case.conflict": _l("Someone else saved this use case while you were editing it. Nothing of yours was "
                            "saved: your text is still in the form. Compare it with the saved text shown below, "
                            "then save again to replace it."),
    "use_case.no_town": _l("This use case has no request, so there is no status page to send it to."),
    "use_case.message_required": _l("Write what should be changed."),
    "use_case.agreement_required": _l("Tick the box to agree that this text is published."),
    "use_case.text_changed": _l("The text of the use case changed since you opened this page, so your answer was not "
                                "recorded. Read it again below, then answer."),
    # A use case's files (evangelists.use_case_files.FileRefused).
    "use_case_file.no_name": _l("A file without a name cannot be attached. Rename it and try again."),
    "use_case_file.path_characters": _l("“%(name)s”: a file name cannot contain /, \\ or “..”. Rename the file "
                                        "and attach it again."),
    "use_case_file.control_characters": _l("“%(name)s”: the file name contains control characters. Rename the "
                                           "file and attach it again."),
    "use_case_file.leading_dot": _l("“%(name)s”: a file name cannot start with a dot. Rename the file and attach "
                                    "it again."),
    "use_case_file.name_too_long": _l("“%(name)s”: the file name is longer than %(limit)s characters. Shorten it "
                                      "and attach it again."),
    "use_case_file.not_allowed": _l("“%(name)s”: files of type “%(extension)s” cannot be attached. Allowed: PDF, "
                                    "PPTX, DOCX, XLSX, ODP, ODT, ODS, PNG, JPEG, CSV and TXT."),
    "use_case_file.empty": _l("“%(name)s” is empty."),
    "use_case_file.too_large": _l("“%(name)s” is larger than %(limit)s, the most a file may have."),
    "use_case_file.content_mismatch": _l("“%(name)s” is not a %(extension)s file inside, though its name says so. "
                                         "Save it again from the program that made it."),
    "use_case_file.not_utf8": _l("“%(name)s” is not UTF-8 text. Save it as UTF-8 (CSV UTF-8) and attach it again."),
    "use_case_file.nul_in_text": _l("“%(name)s” holds NUL characters, so it is not a text file."),
    "use_case_file.too_many": _l("“%(name)s” was not attached: a use case can have at most %(limit)s files. Remove "
                                 "one first."),
    # An export's filters (app.services.exports.BadFilter).
    "filter.unknown_parameter": _l("The export has no filter called “%(parameter)s”."),
    "filter.bad_choice": _l("The filter “%(parameter)s” cannot be “%(value)s”."),
    "filter.bad_date": _l("The filter “%(parameter)s” needs a date written as YYYY-MM-DD, not “%(value)s”."),
    "filter.date_range": _l("The filter “%(parameter)s” needs a date between %(first)s and %(last)s, not “%(value)s”."),
    "filter.date_order": _l("The filter “%(parameter)s” (%(value)s) is before “from”."),
    "filter.too_long": _l("The filter “%(parameter)s” is too long."),
}

FALLBACK = "unknown"


def _fill(template, params) -> str:
    if not params:
        return str(template)
    return str(template) % {k: ("" if v is None else v) for k, v in params.items()}


def message(scope: str, reason: str, **params) -> str:
    """The words for ``reason`` in ``scope``, with ``params`` filled in (None as empty)."""
    key = next((k for k in (f"{scope}.{reason}", reason) if k in MESSAGES), FALLBACK)
    return _fill(MESSAGES[key], params)


def refusal_message(refused: Refused) -> str:
    """The words for a refusal."""
    return message(refused.scope, refused.reason, **refused.params)


def show_refusal(form, refused: Refused, *, field: str | None = None, text: str | None = None,
                 elsewhere: str = "form") -> None:
    """Put a refusal's message (or ``text``) next to its form field (``field`` if the
    form calls it otherwise). A form without that visible field shows it above the form
    (``elsewhere="form"``) or as a flash (``elsewhere="flash"``)."""
    name = field or refused.field
    text = text or refusal_message(refused)
    if name and name in form and form[name].type != "HiddenField":
        form[name].errors = [*form[name].errors, text]
    elif elsewhere == "flash":
        flash(text, "error")
    else:
        form.form_errors.append(text)


def flash_refusal(refused: Refused) -> None:
    flash(refusal_message(refused), "error")


def account_error_messages(error) -> list[str]:
    """What to tell the user about an ``AccountError``, one message per line."""
    if error.code == "weak_password":
        return password_messages(error.details)
    return [message("account", error.code)]


def password_messages(problems) -> list[str]:
    """The password policy's problems (``evangelists.passwords`` codes) in words."""
    return [message("password", p) for p in problems]


def problem_message(problem) -> str:
    """An import's ``Problem`` in words."""
    return message("import", problem.code, **problem.args)


def notice_message(notice) -> str:
    """An import's ``Notice`` in words."""
    code = notice.code
    if code == "kept_active" and notice.args.get("since") is None:
        code = "kept_active_undated"
    return message("notice", code, **notice.args)


def filter_message(error) -> str:
    """The sentence for an ``app.services.exports.BadFilter``."""
    return message("filter", error.code, parameter=error.parameter, value=error.value,
                   first=FIRST_FILTER_DATE.isoformat(), last=LAST_FILTER_DATE.isoformat())
