"""One word for one thing: a status word names the state of one kind of thing only.

"活動中" used to mean an active community, an evangelist in service, an account that can
sign in and a town that publishes after support; "未接触" was shown for towns such as
札幌市 that publish open data on their own. Each kind of thing now has its own words."""

import pytest
import sqlalchemy as sa

from app.labels import LABELS, labels_in
from app.models import Municipality

# The vocabularies that say what state something is in, one per kind of thing (a town has
# two: its open data and its relation to the programme).
STATUS_VOCABULARIES = ("open_data_status", "engagement_stage", "community_status", "evangelist_status",
                       "user_status", "request_status", "assignment_status", "addition_status",
                       "booking_status", "application_status")


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_no_two_status_vocabularies_share_a_word(app, locale):
    with app.test_request_context():
        labels = labels_in(locale)
    seen: dict[str, str] = {}
    for vocabulary in STATUS_VOCABULARIES:
        assert vocabulary in LABELS
        for value, text in labels[vocabulary].items():
            where = f"{vocabulary}.{value}"
            assert text not in seen, f"{text!r} is used by {seen[text]} and {where}"
            seen[text] = where


def test_each_kind_of_thing_has_its_own_word_in_japanese(app):
    with app.test_request_context():
        ja = labels_in("ja")
    assert ja["community_status"]["active"] == "活動中"
    assert ja["evangelist_status"]["active"] == "稼働中"
    assert ja["user_status"]["active"] == "利用可能"
    assert ja["engagement_stage"]["active"] == "公開開始"
    assert ja["community_status"]["dormant"] != ja["evangelist_status"]["paused"]
    # "未接触" says what is true: no request and no outreach case (an open case is "働きかけ中").
    assert ja["engagement_stage"]["none"] == "未接触"
    assert ja["engagement_stage"]["outreach"] == "働きかけ中"


def town_facts(client, code: str) -> str:
    html = client.get(f"/municipalities/{code}").get_data(as_text=True)
    return html.split('<dl class="row mb-0 facts">', 1)[1].split("</dl>", 1)[0]


@pytest.mark.parametrize(
    ("open_data", "stage", "shown", "not_shown"),
    [
        # 札幌市 publishes on its own, never asked and was never approached.
        ("active", "none", ("オープンデータ公開済み", "未接触"), ("未着手", "活動中")),
        ("non_active", "none", ("未着手", "未接触"), ("働きかけ中",)),
        ("non_active", "outreach", ("未着手", "働きかけ中"), ("未接触",)),
        ("non_active", "requested", ("未着手", "支援依頼あり"), ()),
        ("non_active", "assigned", ("未着手", "伝道師が担当"), ()),
        ("non_active", "visited", ("未着手", "訪問済み"), ()),
        ("active", "active", ("オープンデータ公開済み", "公開開始"), ("活動中",)),
    ],
)
def test_a_towns_page_says_what_is_true_of_it(client, db, gazetteer, open_data, stage, shown, not_shown):
    db.session.execute(sa.update(Municipality).where(Municipality.code == "011002")
                       .values(open_data_status=open_data, engagement_stage=stage))
    db.session.commit()
    facts = town_facts(client, "011002")
    for word in shown:
        assert word in facts
    for word in not_shown:
        assert word not in facts


@pytest.mark.parametrize(("stage", "takes_part"), [
    ("none", False), ("requested", True), ("assigned", True), ("visited", True),
    ("active", False),  # the survey alone sets it: no sign the town took part
])
def test_the_public_page_says_the_town_takes_part_only_when_it_asked(client, db, gazetteer, stage, takes_part):
    db.session.execute(sa.update(Municipality).where(Municipality.code == "011002")
                       .values(open_data_status="active" if stage == "active" else "non_active",
                               engagement_stage=stage))
    db.session.commit()
    html = client.get("/municipalities/011002").get_data(as_text=True)
    assert ("オープンデータ伝道師の取組に参加しています" in html) is takes_part


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_an_unconfirmed_registration_and_an_unconfirmed_application_have_their_own_words(app, locale):
    with app.test_request_context():
        labels = labels_in(locale)
    registration = labels["community_registration_status"]
    assert registration["unconfirmed"] != labels["application_status"]["unconfirmed"]
    assert len(set(registration.values())) == len(registration)
