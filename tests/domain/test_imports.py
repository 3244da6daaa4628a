"""The import core: decoding, header and cell checks, duplicates, and the plans."""

from __future__ import annotations

from datetime import date

import pytest

from evangelists.imports import (
    CandidateRow,
    CellError,
    CommunityRow,
    CommunityState,
    EvangelistState,
    MunicipalityState,
    SimilarPerson,
    StatusRow,
    candidate_key,
    canonical_code,
    decode,
    name_key,
    parse,
    parse_date,
    plan_candidates,
    plan_communities,
    plan_municipality_status,
)
from evangelists.vocabulary import TOPIC_SLUGS

SAPPORO, CHIYODA, HAKODATE = "011002", "131016", "012025"
KNOWN = {SAPPORO, CHIYODA, HAKODATE}


def status_file(*rows: str, header: str = "code,status,as_of") -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode("utf-8")


def problems(parsed) -> list[tuple[int, str, str]]:
    return [(p.line, p.column, p.code) for p in parsed.problems]


# --- Encodings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, encoding",
    [
        ("団体コード,状態\n".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "団体コード,状態\n".encode(), "utf-8-sig"),
        ("団体コード,状態\n".encode("cp932"), "cp932"),
        ("code,status\n".encode("ascii"), "utf-8"),
    ],
)
def test_utf8_with_or_without_bom_and_shift_jis_are_read_and_named(data, encoding):
    text, found = decode(data)
    assert found == encoding
    assert text.startswith(("団体コード", "code"))


@pytest.mark.parametrize(
    "data, code",
    [
        ("団体コード,状態\n011002,取組済\n".encode("utf-16"), "utf16"),  # with its BOM
        ("code,status\n011002,active\n".encode("utf-16-le"), "encoding"),  # no BOM: NULs
        ("code,status\n".encode("utf-32"), "utf16"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "spreadsheet"),
        (bytes(range(128, 256)) * 4, "encoding"),
        ("団体コード".encode("euc_jp") + b"\xfd\xfe\n", "encoding"),
    ],
)
def test_other_encodings_and_binary_files_are_refused_with_a_clear_code(data, code):
    problem = decode(data)
    assert problem.code == code and problem.line == 0
    parsed = parse("municipality_status", data, known_codes=KNOWN)
    assert problems(parsed) == [(0, "", code)] and parsed.rows == ()


def test_a_shift_jis_survey_file_is_read_whole():
    data = "団体コード,都道府県名,市区町村名,取組状況,基準日\n011002,北海道,札幌市,取組済,2024/3/31\n".encode("cp932")
    parsed = parse("municipality_status", data, known_codes=KNOWN)
    assert parsed.encoding == "cp932" and parsed.ok
    assert parsed.rows == (StatusRow(2, SAPPORO, "active", date(2024, 3, 31)),)
    assert parsed.ignored_columns == ("都道府県名", "市区町村名")


# --- Codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, code",
    [
        ("011002", SAPPORO),
        ("01100", SAPPORO),  # without the check digit
        ("13101", CHIYODA),
        ("０１１００２", SAPPORO),  # full-width digits
        ("１３１０１", CHIYODA),
        (" 131016 ", CHIYODA),
    ],
)
def test_codes_with_or_without_check_digit_and_in_full_width_are_accepted(text, code):
    assert canonical_code(text) == code


@pytest.mark.parametrize(
    "text, problem",
    [
        ("011003", "wrong_check_digit"),
        ("131017", "wrong_check_digit"),
        ("1100", "bad_code"),  # Excel dropped a leading zero
        ("0110020", "bad_code"),
        ("01-100", "bad_code"),
        ("abcde", "bad_code"),
        ("01100.0", "bad_code"),
    ],
)
def test_bad_codes_and_wrong_check_digits_are_problems(text, problem):
    with pytest.raises(CellError) as raised:
        canonical_code(text)
    assert raised.value.code == problem


def test_a_wrong_check_digit_names_the_right_code():
    parsed = parse("municipality_status", status_file("011009,active,2024-03-31"), known_codes=KNOWN)
    (problem,) = parsed.problems
    assert (problem.line, problem.column, problem.code) == (2, "code", "wrong_check_digit")
    assert problem.args == {"value": "011009", "expected": SAPPORO}


# --- Headers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "code,status,as_of",
        "団体コード,取組状況,基準日",
        "全国地方公共団体コード,状態,調査時点",
        "Code,Status,As Of",
        "ＣＯＤＥ,STATUS,as-of",
        "団体コード（6桁）,オープンデータ取組状況,基準日",
    ],
)
def test_headers_are_accepted_in_japanese_or_english(header):
    parsed = parse("municipality_status", status_file("011002,active,2024-03-31", header=header),
                   known_codes=KNOWN)
    assert parsed.ok, parsed.problems
    assert [row.code for row in parsed.rows] == [SAPPORO]


def test_a_title_line_above_the_header_is_skipped_and_lines_stay_true():
    data = "オープンデータ取組済自治体一覧（令和6年3月31日時点）\n\n団体コード,取組状況,基準日\n011002,取組済,2024-03-31\n0110,取組済,2024-03-31\n"
    parsed = parse("municipality_status", data.encode(), known_codes=KNOWN)
    assert problems(parsed) == [(5, "団体コード", "bad_code")]
    assert [row.line for row in parsed.rows] == [4]


def test_missing_required_columns_are_each_named():
    parsed = parse("municipality_status", status_file("011002", header="code"), known_codes=KNOWN)
    assert problems(parsed) == [(1, "status", "missing_column"), (1, "as_of", "missing_column")]
    assert "取組状況" in parsed.problems[0].args["accepted"]


def test_with_a_column_missing_the_other_columns_are_still_checked():
    data = "一覧（令和6年）\n団体コード,取組状況\n011002,取組済\n011009,取組済\n".encode()
    parsed = parse("municipality_status", data, known_codes=KNOWN)
    assert problems(parsed) == [(2, "as_of", "missing_column"), (4, "団体コード", "wrong_check_digit")]
    assert parsed.rows == ()


def test_two_columns_for_the_same_field_are_a_problem():
    parsed = parse("municipality_status", status_file("011002,011002,active,2024-03-31",
                                                      header="code,団体コード,status,as_of"), known_codes=KNOWN)
    assert problems(parsed) == [(1, "団体コード", "duplicate_column")]


@pytest.mark.parametrize(
    "data, code",
    [(b"", "empty"), (b"\n\n", "empty"), (b"code,status,as_of\n", "no_rows")],
)
def test_empty_files_and_files_without_rows_are_problems(data, code):
    assert problems(parse("municipality_status", data, known_codes=KNOWN)) == [(0, "", code)]


def test_a_file_over_the_size_limit_is_refused_before_reading():
    parsed = parse("municipality_status", status_file("011002,active,2024-03-31"), known_codes=KNOWN, max_bytes=10)
    assert problems(parsed) == [(0, "", "too_large")]


def test_a_row_with_more_values_than_columns_is_a_problem():
    parsed = parse("municipality_status", status_file("011002,active,2024-03-31,extra"), known_codes=KNOWN)
    assert problems(parsed) == [(2, "", "too_many_values")]


def test_a_quoted_value_over_two_lines_keeps_later_line_numbers_right():
    data = b'name,municipality_code,description\n"A",011002,"one\ntwo"\nB,99999x,\n'
    parsed = parse("communities", data, known_codes=KNOWN)
    assert problems(parsed) == [(4, "municipality_code", "bad_code")]


# --- Rows --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "row, column, code",
    [
        ("999997,active,2024-03-31", "code", "unknown_municipality"),  # valid check digit, not ours
        ("131024,active,2024-03-31", "code", "unknown_municipality"),
        ("011002,started,2024-03-31", "status", "bad_choice"),
        ("011002,active,31/03/2024", "as_of", "bad_date"),
        ("011002,active,2024-02-30", "as_of", "bad_date"),
        ("011002,,2024-03-31", "status", "required"),
        (",active,2024-03-31", "code", "required"),
    ],
)
def test_each_bad_value_is_reported_with_its_line_and_column(row, column, code):
    parsed = parse("municipality_status", status_file("131016,active,2024-03-31", row), known_codes=KNOWN)
    assert problems(parsed) == [(3, column, code)]
    assert [r.code for r in parsed.rows] == [CHIYODA]


@pytest.mark.parametrize(
    "word, status",
    [("active", "active"), ("Active", "active"), ("取組済", "active"), ("取組済み", "active"),
     ("公開済", "active"), ("○", "active"), ("non_active", "non_active"), ("non-active", "non_active"),
     ("NON ACTIVE", "non_active"), ("未着手", "non_active"), ("未取組", "non_active"), ("×", "non_active")],
)
def test_the_surveys_status_words_map_to_our_two_statuses(word, status):
    parsed = parse("municipality_status", status_file(f"011002,{word},2024-03-31"), known_codes=KNOWN)
    assert parsed.rows[0].status == status


@pytest.mark.parametrize(
    "text",
    ["2024-03-31", "2024/3/31", "2024.03.31", "20240331", "2024年3月31日", "令和6年3月31日", "２０２４／３／３１"],
)
def test_dates_are_read_as_japanese_spreadsheets_write_them(text):
    assert parse_date(text) == date(2024, 3, 31)


def test_the_first_year_of_an_era_is_read():
    assert parse_date("令和元年5月1日") == date(2019, 5, 1)
    assert parse_date("平成31年4月30日") == date(2019, 4, 30)


def test_prefecture_rows_of_the_national_list_are_skipped_with_a_notice():
    parsed = parse("municipality_status", status_file("010006,active,2024-03-31", "011002,active,2024-03-31"),
                   known_codes=KNOWN)
    assert parsed.ok
    assert [row.code for row in parsed.rows] == [SAPPORO]
    assert [(n.line, n.key, n.code) for n in parsed.notices] == [(2, "010006", "prefecture_skipped")]


def test_a_prefecture_code_is_no_home_for_a_community():
    data = b"name,municipality_code\nA,010006\n"
    assert problems(parse("communities", data, known_codes=KNOWN)) == [(2, "municipality_code", "unknown_municipality")]


# --- Duplicates --------------------------------------------------------------------------


def test_a_repeated_row_is_a_duplicate_row_naming_the_first_line():
    parsed = parse("municipality_status",
                   status_file("011002,active,2024-03-31", "131016,active,2024-03-31", "011002,active,2024-03-31"),
                   known_codes=KNOWN)
    assert problems(parsed) == [(4, "code", "duplicate_row")]
    assert parsed.problems[0].args == {"line": 2}


def test_the_same_code_written_two_ways_with_different_values_is_a_duplicate_key():
    parsed = parse("municipality_status", status_file("011002,active,2024-03-31", "01100,未着手,2024-03-31"),
                   known_codes=KNOWN)
    assert problems(parsed) == [(3, "code", "duplicate_key")]


def test_community_names_that_differ_only_in_case_or_width_are_duplicates():
    data = "name,municipality_code\nCode for Sapporo,011002\nＣＯＤＥ ＦＯＲ  SAPPORO,131016\n".encode()
    assert problems(parse("communities", data, known_codes=KNOWN)) == [(3, "name", "duplicate_key")]


def test_the_same_candidate_twice_and_one_e_mail_for_two_people_are_duplicates():
    data = ("family_name,given_name,municipality_code,email\n"
            "山田,花子,011002,hanako@example.jp\n"
            "山田,花子,01100,\n"
            "佐藤,一郎,131016,HANAKO@example.jp\n").encode()
    parsed = parse("candidates", data, known_codes=KNOWN)
    assert problems(parsed) == [(3, "family_name", "duplicate_key"), (4, "email", "duplicate_key")]


# --- Communities and candidates ----------------------------------------------------------


@pytest.mark.parametrize(
    "cells, column, code",
    [
        ("A,011002,ftp://example.jp,,,,", "website", "bad_url"),
        ("A,011002,example.jp,,,,", "website", "bad_url"),
        ("A,011002,,sleeping,,,", "status", "bad_choice"),
        ("A,011002,,,-3,,", "member_count", "bad_number"),
        ("A,011002,,,many,,", "member_count", "bad_number"),
        ("A,011002,,,,not-an-address,", "contact_email", "bad_email"),
        ("A" * 121 + ",011002,,,,,", "name", "too_long"),
        ("A,012026,,,,,", "municipality_code", "wrong_check_digit"),
    ],
)
def test_community_values_are_checked(cells, column, code):
    header = "name,municipality_code,website,status,member_count,contact_email,description"
    parsed = parse("communities", f"{header}\n{cells}\n".encode(), known_codes=KNOWN)
    assert problems(parsed) == [(2, column, code)]


def test_a_community_row_keeps_what_is_given_and_leaves_the_rest_unset():
    data = ("名称,団体コード,ウェブサイト,状態,メンバー数\n"
            "Code for Hakodate,01202,https://hakodate.example.jp/,休止中,\"1,200\"\n").encode("cp932")
    (row,) = parse("communities", data, known_codes=KNOWN).rows
    assert row == CommunityRow(2, "Code for Hakodate", HAKODATE, "https://hakodate.example.jp/", "dormant", 1200)


def test_candidates_skills_are_slugs_in_vocabulary_order_and_the_community_is_matched_loosely():
    data = ("姓,名,団体コード,所属コミュニティ,スキル,メールアドレス\n"
            "山田,花子,011002,code for sapporo,GIS; licensing;gis;,Hanako@Example.JP\n").encode()
    (row,) = parse("candidates", data, known_codes=KNOWN, known_communities=["Code for Sapporo"]).rows
    assert row == CandidateRow(2, "山田", "花子", SAPPORO, "Code for Sapporo", ("licensing", "gis"),
                               "Hanako@example.jp")


@pytest.mark.parametrize(
    "cells, column, code",
    [
        ("山田,花子,011002,,gis;cooking,", "skills", "unknown_topic"),
        ("山田,花子,011002,Code for Nowhere,,", "community", "unknown_community"),
        ("山田,,011002,,,", "given_name", "required"),
        ("山田,花子,011002,,,hanako", "email", "bad_email"),
        ("山田,花子,999997,,,", "municipality_code", "unknown_municipality"),
    ],
)
def test_candidate_values_are_checked(cells, column, code):
    header = "family_name,given_name,municipality_code,community,skills,email"
    parsed = parse("candidates", f"{header}\n{cells}\n".encode(), known_codes=KNOWN,
                   known_communities=["Code for Sapporo"])
    assert problems(parsed) == [(2, column, code)]


def test_a_long_bad_value_is_shortened_in_the_problem():
    parsed = parse("communities", f"name,municipality_code,website\nA,011002,{'x' * 250}\n".encode(), known_codes=KNOWN)
    assert len(parsed.problems[0].args["value"]) == 60


# --- Plans -------------------------------------------------------------------------------


def town(status="non_active", stage="none", since=None, code=SAPPORO):
    return MunicipalityState(code, "札幌市", status, stage, since)


def test_the_survey_makes_a_town_active_from_its_as_of_date_and_moves_its_stage():
    plan = plan_municipality_status([StatusRow(2, SAPPORO, "active", date(2024, 3, 31))],
                                    {SAPPORO: town(stage="requested")})
    (change,) = plan.changes
    assert change.action == "update"
    assert {f.field: (f.before, f.after) for f in change.fields} == {
        "open_data_status": ("non_active", "active"),
        "engagement_stage": ("requested", "active"),
        "open_data_since": (None, date(2024, 3, 31)),
    }


def test_a_town_already_active_keeps_its_earlier_date():
    plan = plan_municipality_status([StatusRow(2, SAPPORO, "active", date(2024, 3, 31))],
                                    {SAPPORO: town("active", "active", date(2019, 4, 1))})
    assert (plan.unchanged, plan.updated) == (1, 0)


def test_an_active_town_without_a_date_gets_the_as_of_date():
    plan = plan_municipality_status([StatusRow(2, SAPPORO, "active", date(2024, 3, 31))],
                                    {SAPPORO: town("active", "active", None)})
    assert plan.changes[0].fields == (plan.changes[0].fields[0],)
    assert plan.changes[0].fields[0].field == "open_data_since"


def test_non_active_in_the_survey_never_downgrades_an_active_town_and_says_so():
    plan = plan_municipality_status([StatusRow(5, SAPPORO, "non_active", date(2024, 3, 31))],
                                    {SAPPORO: town("active", "visited", date(2020, 1, 1))})
    assert (plan.updated, plan.unchanged) == (0, 1)
    (notice,) = plan.notices
    assert (notice.line, notice.code, notice.args["since"]) == (5, "kept_active", date(2020, 1, 1))


def test_non_active_for_a_non_active_town_is_unchanged_without_notice():
    plan = plan_municipality_status([StatusRow(2, SAPPORO, "non_active", date(2024, 3, 31))], {SAPPORO: town()})
    assert (plan.unchanged, plan.notices) == (1, ())


def community(**overrides):
    fields = dict(name="Code for Sapporo", municipality_code=SAPPORO, website=None, status="active",
                  member_count=10, contact_email=None, description="")
    fields.update(overrides)
    return CommunityState(**fields)


def test_communities_are_created_updated_or_left_by_name():
    rows = [
        CommunityRow(2, "code for sapporo", SAPPORO, status="dormant"),
        CommunityRow(3, "Code for Chiyoda", CHIYODA, member_count=5),
        CommunityRow(4, "Code for Hakodate", HAKODATE, member_count=10),
    ]
    current = {name_key("Code for Sapporo"): community(),
               name_key("Code for Hakodate"): community(name="Code for Hakodate", municipality_code=HAKODATE)}
    plan = plan_communities(rows, current)
    assert [(c.action, c.key) for c in plan.changes] == [
        ("update", "Code for Sapporo"), ("create", "Code for Chiyoda"), ("unchanged", "Code for Hakodate"),
    ]
    assert [(f.field, f.before, f.after) for f in plan.changes[0].fields] == [("status", "active", "dormant")]
    assert {f.field: f.after for f in plan.changes[1].fields} == {
        "name": "Code for Chiyoda", "municipality_code": CHIYODA, "member_count": 5,
    }


def test_candidates_are_created_updated_while_candidates_and_otherwise_left_alone():
    rows = [
        CandidateRow(2, "山田", "花子", SAPPORO, "Code for Sapporo", ("gis",), family_name_kana="ヤマダ",
                     given_name_kana="ハナコ"),
        CandidateRow(3, "佐藤", "一郎", CHIYODA, None, ("gis",), "ichiro@example.jp"),
        CandidateRow(4, "鈴木", "次郎", HAKODATE, None, ("gis",)),
        CandidateRow(5, "高橋", "三郎", HAKODATE),
    ]
    current = {
        candidate_key("佐藤", "一郎", CHIYODA): EvangelistState("佐藤", "一郎", CHIYODA, "candidate", None, ("licensing",)),
        candidate_key("鈴木", "次郎", HAKODATE): EvangelistState("鈴木", "次郎", HAKODATE, "active", None, ()),
        candidate_key("高橋", "三郎", HAKODATE): EvangelistState("高橋", "三郎", HAKODATE, "candidate", None, ()),
    }
    plan = plan_candidates(rows, current)
    assert [c.action for c in plan.changes] == ["create", "update", "unchanged", "unchanged"]
    assert [(f.field, f.before, f.after) for f in plan.changes[1].fields] == [("skills", ("licensing",), ("gis",))]
    assert [(n.line, n.code) for n in plan.notices] == [(4, "not_candidate"), (0, "emails_not_stored")]
    assert ("family_name_kana", None, "ヤマダ") in [(f.field, f.before, f.after) for f in plan.changes[0].fields]
    assert plan.problems == ()


def test_a_new_person_needs_a_reading_and_someone_we_have_may_get_one():
    rows = [CandidateRow(2, "山田", "花子", SAPPORO, given_name_kana="ハナコ"),
            CandidateRow(3, "佐藤", "一郎", CHIYODA, family_name_kana="サトウ")]
    current = {candidate_key("佐藤", "一郎", CHIYODA): EvangelistState("佐藤", "一郎", CHIYODA, "candidate", None, ())}
    plan = plan_candidates(rows, current)
    assert [(p.line, p.column, p.code) for p in plan.problems] == [(2, "family_name_kana", "reading_required")]
    assert [(c.line, c.action, [(f.field, f.after) for f in c.fields]) for c in plan.changes] == [
        (3, "update", [("family_name_kana", "サトウ")])]


@pytest.mark.parametrize(("header", "cells", "expected"), [
    ("セイ,メイ", "やまだ,ﾊﾅｺ", ("ヤマダ", "ハナコ")),
    ("family_name_kana,given_name_kana", "ヤマ ダ,", ("ヤマダ", None)),
    ("姓フリガナ,名フリガナ", ",", (None, None)),
])
def test_reading_columns_are_read_as_katakana(header, cells, expected):
    data = f"family_name,given_name,municipality_code,{header}\n山田,花子,011002,{cells}\n"
    (row,) = parse("candidates", data.encode(), known_codes=KNOWN).rows
    assert (row.family_name_kana, row.given_name_kana) == expected


def test_a_reading_that_is_not_kana_is_a_problem_of_its_cell():
    data = "family_name,given_name,municipality_code,セイ,メイ\n山田,花子,011002,山田,hanako\n"
    parsed = parse("candidates", data.encode(), known_codes=KNOWN)
    assert problems(parsed) == [(2, "セイ", "not_kana"), (2, "メイ", "not_kana")]


def test_the_default_topics_are_the_vocabulary():
    data = f"family_name,given_name,municipality_code,skills\nA,B,011002,{';'.join(reversed(TOPIC_SLUGS))}\n"
    (row,) = parse("candidates", data.encode(), known_codes=KNOWN).rows
    assert row.skills == TOPIC_SLUGS


def test_a_new_person_who_may_be_someone_we_have_waits_for_a_decision():
    rows = [CandidateRow(2, "山田", "花子", "013030", family_name_kana="ヤマダ", given_name_kana="ハナコ"),
            CandidateRow(3, "別人", "三郎", "013030", family_name_kana="ベツジン", given_name_kana="サブロウ"),
            CandidateRow(4, "新人", "四郎", "013030", family_name_kana="シンジン", given_name_kana="シロウ")]
    similar = {2: (SimilarPerson(7, "山田 花子", ("name",)),), 3: (SimilarPerson(9, "候補 一郎", ("email",)),)}

    def actions(decisions=None, default=None):
        plan = plan_candidates(rows, {}, similar, decisions, default)
        return [c.action for c in plan.changes], plan

    assert actions()[0] == ["ask", "ask", "create"]
    found, plan = actions({2: "skip"}, "new")
    assert found == ["skip", "create", "create"] and (plan.created, plan.skipped, plan.asked) == (2, 1, 0)
    assert [(d.line, d.decision, [p.id for p in d.people]) for d in plan.duplicates] == [
        (2, "skip", [7]), (3, "new", [9])]
    # A word that is not a choice is no decision.
    assert actions({2: "merge", 3: "new"})[0] == ["ask", "create", "create"]
