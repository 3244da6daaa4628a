"""app/messages.py: one catalogue words every refusal and report code."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.messages import MESSAGES, account_error_messages, message, refusal_message
from app.services.accounts import AccountError
from app.services.applications import ApplicationRefused
from app.services.communities import CommunityRefused, LocationRefused
from app.services.evangelists import ProfileRefused
from app.services.notices import NoticeRefused
from app.services.recruitment import RecruitmentRefused
from app.services.visits import VisitRefused
from evangelists.errors import Refused
from evangelists.lifecycle import TransitionRefused

REFUSALS = (TransitionRefused, ProfileRefused, VisitRefused, RecruitmentRefused, LocationRefused,
            CommunityRefused, AccountError, NoticeRefused, ApplicationRefused)


@pytest.fixture
def english(app):
    with force_locale("en"):
        yield


def test_every_refusal_is_a_refused_with_its_own_scope():
    assert all(issubclass(kind, Refused) for kind in REFUSALS)
    scopes = [kind.scope for kind in REFUSALS]
    assert all(scopes) and len(set(scopes)) == len(scopes)


def test_the_old_value_errors_still_are_value_errors():
    """Callers that caught ValueError before still catch the same refusals."""
    assert all(issubclass(kind, ValueError)
               for kind in (ProfileRefused, RecruitmentRefused, LocationRefused, CommunityRefused))
    assert not issubclass(TransitionRefused, ValueError) and not issubclass(VisitRefused, ValueError)


def test_a_transition_refusal_reads_as_before(english):
    refused = TransitionRefused("request", "completed", "triaged", "closed")
    assert str(refused) == "request: completed -> triaged refused (closed)"
    assert (refused.machine, refused.current, refused.target, refused.field) == ("request", "completed", "triaged",
                                                                                 "status")
    assert refusal_message(refused) == "The request is closed; its status can no longer change."


def test_a_scope_words_a_reason_its_own_way_and_shares_the_rest(english):
    assert refusal_message(ProfileRefused("languages", "required")) == "Choose at least one language."
    assert refusal_message(CommunityRefused("name", "required")) == "Fill in this field."
    assert refusal_message(CommunityRefused("status", "unchanged")) == "The community already has this status."
    assert message("transition", "unchanged") == "The request already has this status."
    assert refusal_message(VisitRefused("future_date")) == "The visit cannot be in the future."
    assert refusal_message(CommunityRefused("since", "future_date")) == "The date cannot be in the future."


def test_an_application_words_its_links_and_shares_the_rest(english):
    assert refusal_message(ApplicationRefused("token", "link_expired")).startswith("This confirmation link has expired")
    assert refusal_message(ApplicationRefused("consent", "consent_required")) == "Agree to the privacy notice to apply."
    assert refusal_message(ApplicationRefused("capacity", "out_of_range")) == "This value is outside the allowed range."


def test_a_code_without_words_of_its_own_reads_choose_from_the_list(english):
    assert refusal_message(LocationRefused("location", "unknown_source")) == "Choose from the list."


def test_account_errors_and_password_problems(english):
    assert account_error_messages(AccountError("email_taken")) == ["An account with this e-mail address already exists."]
    assert account_error_messages(AccountError("weak_password", "too_short", "common")) == [
        "Use at least 12 characters.", "This password is on a list of common passwords; choose another."]
    error = AccountError("link_used")
    assert (error.code, error.reason, error.field, error.args) == ("link_used", "link_used", None, ("link_used",))


def test_report_codes_fill_in_their_values(english):
    assert message("import", "too_long", max=50) == "Too long: at most 50 characters."
    assert message("filter", "too_long", parameter="q") == "The filter “q” is too long."
    assert message("notice", "not_candidate", status=None) == "Already in the network (): left as it is."


def test_every_message_is_written_once():
    msgids = [m._args[0] for m in MESSAGES.values()]  # flask_babel's LazyString keeps its msgid there
    assert len(set(msgids)) == len(msgids)
