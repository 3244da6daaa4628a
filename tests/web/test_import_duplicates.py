"""Issue 20, point 6 (duplicates) on import: a candidates file naming someone who may
already be in the network (same e-mail, or same name, readings and community, under
another home municipality) shows the match on the check page and asks; nothing is
imported as a second person until the coordinator chooses, per row or for all."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Evangelist
from app.services import imports
from app.services.recruitment import NominationInput, nominate
from evangelists.duplicates import Index, Someone, match_reasons
from tests.factories import make_community, make_evangelist
from tests.web.test_data_web import apply_token, upload

HOSTILE = "<script>alert(1)</script>{{7*7}}{{"
HEADER = "family_name,given_name,セイ,メイ,municipality_code,community,email\n"


@pytest.fixture
def scene(db, towns, make_account):
    """Hanako, active in Sapporo with Code for Sapporo and an account; Ichiro, a
    candidate whose nomination recorded his address."""
    c4s = make_community(name="Code for Sapporo", municipality=towns["sapporo"])
    account = make_account("evangelist", email="hanako@example.jp")
    hanako = make_evangelist(user=account, family_name="山田", given_name="花子", family_name_kana="ヤマダ",
                             given_name_kana="ハナコ", home_municipality=towns["sapporo"], home_community=c4s)
    coordinator = make_account("coordinator")
    db.session.commit()
    ichiro = nominate(coordinator, NominationInput(
        family_name="候補", given_name="一郎", family_name_kana="コウホ", given_name_kana="イチロウ",
        municipality_code="011002", email="ichiro@example.jp"))
    return hanako, ichiro


# Line 2: Hanako under another home town (name, readings, community); line 3: someone new
# with Ichiro's address; line 4: someone new.
FILE = (HEADER
        + "山田,花子,やまだ,はなこ,013030,Code for Sapporo,\n"
        + "別人,三郎,べつじん,さぶろう,013030,,ICHIRO@example.jp\n"
        + "新人,四郎,しんじん,しろう,013030,,\n")


def people(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Evangelist))


def named(db, family: str) -> list[Evangelist]:
    return list(db.session.scalars(sa.select(Evangelist).where(Evangelist.family_name == family)))


# --- The rule ------------------------------------------------------------------------------


def test_the_rule_matches_an_address_in_any_case_or_name_readings_and_community():
    base = Someone("山田", "花子", "ヤマダ", "ハナコ", 1, frozenset({"a@example.jp"}), id=7)
    assert match_reasons(Someone("山田", "花子", "ヤマダ", "ハナコ", 1), base) == ("name",)
    assert match_reasons(Someone("x", "y", "エックス", "ワイ", None, frozenset({"A@EXAMPLE.JP"})), base) == ("email",)
    assert match_reasons(Someone("山田", " 花子", "ヤマダ", "ハナコ", 1, frozenset({"a@example.jp"})), base) == (
        "email", "name")
    assert match_reasons(Someone("山田", "花子", "ヤマダ", "ハナコ", 2), base) == ()  # another community
    assert match_reasons(Someone("山田", "花子", "ヤマタ", "ハナコ", 1), base) == ()  # another reading
    assert match_reasons(Someone("山田", "花子", "", "", 1), Someone("山田", "花子", "", "", 1, id=8)) == ()
    index = Index([base, Someone("山田", "花子", "ヤマダ", "ハナコ", 1, id=3)])
    assert [m.person_id for m in index.matches(Someone("山田", "花子", "ヤマダ", "ハナコ", 1))] == [3, 7]
    assert [m.person_id for m in index.matches(Someone("山田", "花子", "ヤマダ", "ハナコ", 1), limit=1)] == [3]


# --- The service ---------------------------------------------------------------------------


def test_a_check_lists_each_possible_match_with_line_person_and_reason(db, scene):
    hanako, ichiro = scene
    report = imports.dry_run("candidates", FILE.encode())
    assert report.ok and report.needs_decisions and (report.created, report.asked) == (1, 2)
    found = {d.line: [(p.id, p.label, p.reasons) for p in d.people] for d in report.duplicates}
    assert found == {2: [(hanako.id, "山田 花子", ("name",))], 3: [(ichiro.id, "候補 一郎", ("email",))]}


def test_nothing_is_written_while_a_row_is_undecided(db, scene):
    before = people(db)
    report = imports.apply(None, "candidates", FILE.encode())
    assert not report.applied and report.needs_decisions and people(db) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "import.applied")) == 0
    # Deciding one row is not enough.
    report = imports.apply(None, "candidates", FILE.encode(), decisions=imports.Decisions({2: "skip"}))
    assert not report.applied and report.asked == 1 and people(db) == before


def test_new_imports_them_as_different_people_and_skip_leaves_the_rows_out(db, scene):
    hanako, _ichiro = scene
    before = people(db)
    report = imports.apply(None, "candidates", FILE.encode(),
                           decisions=imports.Decisions({3: "skip"}, default="new"))
    assert report.applied and (report.created, report.skipped, report.asked) == (2, 1, 0)
    assert people(db) == before + 2
    assert [p.home_municipality.code for p in named(db, "山田")] == ["011002", "013030"]
    assert named(db, "別人") == [] and len(named(db, "新人")) == 1
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "import.applied"))
    assert (event.after["imported_as_new"], event.after["left_out"]) == ([2], [3])
    assert event.after["matched_people"] == sorted([hanako.id, scene[1].id])


def test_the_same_name_and_town_is_still_an_update_not_a_question(db, scene):
    _hanako, ichiro = scene
    report = imports.dry_run("candidates", (HEADER + "候補,一郎,,,011002,Code for Sapporo,\n").encode())
    assert report.duplicates == () and report.updated == 1 and not report.needs_decisions


def test_the_same_name_in_another_community_is_someone_else(db, scene):
    report = imports.dry_run("candidates", (HEADER + "山田,花子,やまだ,はなこ,013030,,\n").encode())
    assert report.duplicates == () and report.created == 1


def test_someone_added_since_the_check_is_asked_about_at_apply(db, scene, towns):
    data = (HEADER + "田中,五郎,たなか,ごろう,013030,,\n").encode()
    assert imports.dry_run("candidates", data).duplicates == ()
    make_evangelist(family_name="田中", given_name="五郎", family_name_kana="タナカ", given_name_kana="ゴロウ",
                    home_municipality=towns["aomori"])
    db.session.commit()
    before = people(db)
    report = imports.apply(None, "candidates", data)
    assert not report.applied and report.needs_decisions and people(db) == before


# --- The pages -----------------------------------------------------------------------------


def test_the_check_page_shows_the_matches_and_asks(coordinator_client, db, scene):
    hanako, ichiro = scene
    coordinator_client.set_cookie("lang", "ja")
    html = upload(coordinator_client, "candidates", FILE.encode(), filename="people.csv").get_data(as_text=True)
    assert "すでにネットワークにいるかもしれない人" in html
    assert f'href="/coordinator/recruitment/{hanako.id}"' in html and f'href="/coordinator/recruitment/{ichiro.id}"' in html
    assert "同じ氏名・フリガナ・コミュニティ" in html and "同じメールアドレス" in html
    assert 'name="duplicate-2"' in html and 'name="duplicate-3"' in html and 'name="duplicate-4"' not in html
    assert 'name="duplicates-all"' in html and "別の人として取り込む" in html and "この行は取り込まない" in html
    assert 'id="row-2"' in html and "2行目" in html


def test_applying_without_a_choice_keeps_the_page_and_says_which_rows(coordinator_client, db, scene):
    coordinator_client.set_cookie("lang", "en")
    token = apply_token(upload(coordinator_client, "candidates", FILE.encode()).get_data(as_text=True))
    before = people(db)
    answer = coordinator_client.post("/coordinator/data/import/apply", data={"token": token, "duplicate-2": "new"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and people(db) == before
    assert "choose what to do with the row marked below" in html
    # The choice made is kept; the row without one is marked; the file travels on.
    assert re.search(r'<option value="new" selected>', html)
    assert 'id="duplicate-3" aria-describedby="duplicate-3-error"' in html
    assert 'aria-describedby="duplicate-2-error"' not in html
    assert apply_token(html)
    done = coordinator_client.post("/coordinator/data/import/apply",
                                   data={"token": apply_token(html), "duplicate-2": "new", "duplicate-3": "skip"})
    assert done.status_code == 302 and people(db) == before + 2


def test_a_choice_that_is_not_one_is_refused_and_nothing_written(coordinator_client, db, scene):
    coordinator_client.set_cookie("lang", "en")
    token = apply_token(upload(coordinator_client, "candidates", FILE.encode()).get_data(as_text=True))
    before = people(db)
    answer = coordinator_client.post("/coordinator/data/import/apply",
                                     data={"token": token, "duplicates-all": "merge", "duplicate-x": "new"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and people(db) == before
    assert 'id="duplicates-all-error"' in html and "This is not one of the choices." in html


def test_one_choice_for_all_rows(coordinator_client, db, scene):
    token = apply_token(upload(coordinator_client, "candidates", FILE.encode()).get_data(as_text=True))
    before = people(db)
    done = coordinator_client.post("/coordinator/data/import/apply", data={"token": token, "duplicates-all": "skip"})
    assert done.status_code == 302 and people(db) == before + 1 and len(named(db, "新人")) == 1


def test_a_hostile_name_in_a_match_shows_as_text(coordinator_client, db, towns):
    make_evangelist(family_name=HOSTILE, given_name="x", family_name_kana="アク", given_name_kana="イ",
                    home_municipality=towns["sapporo"])
    db.session.commit()
    data = f"{HEADER}\"{HOSTILE}\",x,あく,い,013030,,\n".encode()
    html = upload(coordinator_client, "candidates", data).get_data(as_text=True)
    assert 'name="duplicate-2"' in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}{{" in html


# --- The command line ----------------------------------------------------------------------


def test_the_cli_lists_the_matches_and_writes_nothing_until_told(runner, db, scene, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(FILE, encoding="utf-8")
    before = people(db)
    result = runner.invoke(args=["import", "candidates", str(path), "--apply"])
    assert result.exit_code == 1 and "line 2: 山田 花子 may already be" in result.output
    assert "--duplicates new" in result.output and people(db) == before
    result = runner.invoke(args=["import", "candidates", str(path), "--apply", "--duplicates", "skip"])
    assert result.exit_code == 0, result.output
    assert people(db) == before + 1
