"""The town's status page at every stage of its request (issue 17, point 1): it says an
evangelist is decided only once the evangelist has *accepted* — a coordinator's proposal
still reads "we are finding an evangelist" — and then names them by family name with
"伝道師" / "Evangelist", never by the given name."""

from __future__ import annotations

import re

import pytest

from app.models import User
from app.services.matching import respond
from app.services.requests import hash_token
from tests.factories import make_assignment, make_community, make_evangelist, make_request

TOKEN = "town-status-token-for-the-stages-0123456789abcdef"
FINDING_JA, FINDING_EN = "担当の伝道師を調整しています", "We are finding an evangelist for you."
DECIDED_JA, DECIDED_EN = "担当の伝道師が決まりました", "An evangelist is assigned and will contact you."
NAMED_JA, NAMED_EN = "山田 伝道師", "Evangelist 山田"

# (request status, the evangelist's assignment or None, what the town reads in English,
#  the step marked current, whether the evangelist is named)
STAGES = {
    "submitted": ("new", None, "Received: a coordinator will look at it soon.", "New", False),
    "triaged": ("triaged", None, FINDING_EN, "Triaged", False),
    "proposed": ("assigned", "proposed", FINDING_EN, "Triaged", False),
    "accepted": ("assigned", "accepted", DECIDED_EN, "Evangelist assigned", True),
    "scheduled": ("scheduled", "accepted", "A visit is scheduled.", "Visit scheduled", True),
    "completed": ("completed", "completed", "Completed. Thank you for working with us.", "Completed", True),
    "evangelist declined, back to the queue": ("triaged", "declined", FINDING_EN, "Triaged", False),
    "proposed again after a follow-up": ("assigned", "proposed", FINDING_EN, "Triaged", False),
    "not taken on": ("declined", None, "Declined.", None, False),
}


@pytest.fixture
def evangelist(db, towns):
    community = make_community(municipality=towns["sapporo"], name="Code for 当別")
    return make_evangelist(family_name="山田", given_name="花子", home_municipality=towns["sapporo"],
                           home_community=community)


def request_at(stage: str, towns, evangelist):
    status, assignment, *_ = STAGES[stage]
    req = make_request(municipality=towns["tobetsu"], status=status, token_hash=hash_token(TOKEN),
                       decline_reason="対象外" if status == "declined" else None)
    if stage == "proposed again after a follow-up":
        make_assignment(request=req, evangelist=evangelist, status="completed")
    if assignment:
        make_assignment(request=req, evangelist=evangelist, status=assignment)
    return req


def page(client, language: str) -> str:
    client.set_cookie("lang", language)
    response = client.get(f"/request/status/{TOKEN}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def stage_card(html: str) -> str:
    return html.split('id="stage-heading"')[1].split("</section>")[0]


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_in_english(client, db, towns, evangelist, stage):
    _status, _assignment, words, current, named = STAGES[stage]
    request_at(stage, towns, evangelist)
    db.session.commit()
    card = stage_card(page(client, "en"))
    assert words in card
    assert (DECIDED_EN in card) == (stage == "accepted")
    assert (NAMED_EN in card) == named
    assert ("Code for 当別" in card) == named
    assert "花子" not in card  # the given name never
    if current:
        marked = re.search(r'<li[^>]*aria-current="step"[^>]*>(.*?)</li>', card, re.S).group(1)
        assert marked.strip().endswith(current)


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_in_japanese(client, db, towns, evangelist, stage):
    _status, _assignment, _words, _current, named = STAGES[stage]
    request_at(stage, towns, evangelist)
    db.session.commit()
    html = page(client, "ja")
    card = stage_card(html)
    assert (FINDING_JA in card) == (STAGES[stage][2] == FINDING_EN)
    assert (DECIDED_JA in card) == (stage == "accepted")
    assert (NAMED_JA in card) == named
    assert "花子" not in html


def test_the_page_changes_only_when_the_evangelist_accepts(client, db, towns, evangelist):
    req = request_at("proposed", towns, evangelist)
    db.session.commit()
    before = stage_card(page(client, "ja"))
    assert FINDING_JA in before and DECIDED_JA not in before and "山田" not in before

    assignment = req.assignments[0]
    respond(db.session.get(User, evangelist.user_id), assignment, accept=True)
    after = stage_card(page(client, "ja"))
    assert DECIDED_JA in after and NAMED_JA in after and FINDING_JA not in after


def test_a_declined_proposal_goes_back_to_finding_without_a_name(client, db, towns, evangelist):
    req = request_at("proposed", towns, evangelist)
    db.session.commit()
    respond(db.session.get(User, evangelist.user_id), req.assignments[0], accept=False, reason="日程が合わない")
    card = stage_card(page(client, "en"))
    assert FINDING_EN in card and "山田" not in card and "日程" not in card


@pytest.mark.parametrize(("language", "line"), [
    ("ja", "担当：山田 伝道師（Code for 当別）"), ("en", "Your evangelist: Evangelist 山田 (Code for 当別)"),
])
def test_the_evangelists_community_is_bracketed_as_the_language_writes_it(client, db, towns, evangelist,
                                                                          language, line):
    request_at("accepted", towns, evangelist)
    db.session.commit()
    assert line in stage_card(page(client, language))


def test_a_hostile_community_name_is_shown_as_text_on_the_status_page(client, db, towns, evangelist):
    evangelist.home_community.name = "<script>x</script>{{7*7}}"
    request_at("accepted", towns, evangelist)
    db.session.commit()
    card = stage_card(page(client, "ja"))
    assert "（&lt;script&gt;x&lt;/script&gt;{{7*7}}）" in card and "<script>x" not in card
