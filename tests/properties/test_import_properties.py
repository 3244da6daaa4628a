"""CSV import: no file makes anything but the import's own report, a file with any problem
changes nothing, and valid rows are imported as they were written.

Files are arbitrary bytes (with BOMs and spreadsheet signatures), or CSV text with random
headers in Japanese and English, random cells, delimiters, quoting and line ends, encoded
as UTF-8, UTF-8 with BOM, Shift_JIS, UTF-16 or Latin-1, sometimes cut in the middle of a
character or with a huge line. They go through the core (``evangelists.imports.parse``),
the service (``app.services.imports``), the upload and apply pages and ``flask import``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa
from flask_login import login_user
from hypothesis import assume, given
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.data import routes as data_routes
from app.models import Community, CommunityStatusChange, Evangelist, Municipality
from app.services import imports
from app.services.topics import sync_topics
from evangelists import imports as core
from evangelists.vocabulary import TOPIC_SLUGS
from tests.factories import make_community, make_municipality, make_prefecture
from tests.properties.conftest import examples, snapshot
from tests.properties.strategies import JAPANESE, nasty_text

# Municipalities of the tests: valid 6-digit codes, and the first five digits of each.
TOWNS = {
    "011002": "札幌市", "012025": "函館市", "012033": "小樽市", "131016": "千代田区", "131024": "中央区",
    "141003": "横浜市", "472018": "那覇市",
}
PREFECTURE_ROW = "010006"  # 北海道 itself: the survey lists it, the import skips it
COMMUNITY = "Code for Sapporo"

FULL_WIDTH = str.maketrans("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                           "０１２３４５６７８９ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ"
                           "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ")


# --- Writing files ---------------------------------------------------------------------------


def headers_for(kind: str) -> st.SearchStrategy[dict[str, str]]:
    """A header for each column of ``kind``: its name or an alias, as people write them."""
    def written(column: core.Column) -> st.SearchStrategy[str]:
        return st.sampled_from((column.name, *column.aliases)).flatmap(lambda name: st.sampled_from(
            [name, name.upper(), name.translate(FULL_WIDTH), f" {name} ", f"{name}（必須）"]))

    return st.fixed_dictionaries({column.name: written(column) for column in core.COLUMNS[kind]})


def code_cell(code: str) -> st.SearchStrategy[str]:
    """A municipality's code as spreadsheets write it: 6 digits, the first 5, full width."""
    return st.sampled_from([code, code[:5], code.translate(FULL_WIDTH), code[:5].translate(FULL_WIDTH)])


@st.composite
def csv_file(draw, header: list[str], rows: list[list[str]], *, encodings=("utf-8", "utf-8-sig", "cp932")) -> bytes:
    """``header`` and ``rows`` as CSV in one of ``encodings`` (Shift_JIS only when the text
    has it and cannot be taken for UTF-8), with a random quoting and line end."""
    out = io.StringIO()
    # Minimal quoting quotes a cell holding a line break of the line terminator only: a
    # lone "\r" in a file of "\n" lines would end the row.
    quoting, ending = draw(st.sampled_from([(csv.QUOTE_MINIMAL, "\r\n"), (csv.QUOTE_ALL, "\r\n"),
                                            (csv.QUOTE_ALL, "\n")]))
    writer = csv.writer(out, quoting=quoting, lineterminator=ending)
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    encoding = draw(st.sampled_from(encodings))
    if encoding == "cp932":
        try:
            data = text.encode("cp932")
            data.decode("utf-8")
        except UnicodeEncodeError:
            encoding = "utf-8"
        except UnicodeDecodeError:
            return data
        else:
            # Valid UTF-8 too: read as such (the same bytes if ASCII, a different text if not).
            encoding = "utf-8"
    return text.encode(encoding)


CELL_VALUES = st.one_of(
    nasty_text(),
    st.sampled_from([*TOWNS, *(c[:5] for c in TOWNS), "011003", "99999", PREFECTURE_ROW, "取組済", "未着手", "○", "×",
                     "active", "dormant", "活動中", "2024/3/31", "令和6年3月31日", "平成31年4月30日", "2024-02-30",
                     "https://example.jp", "a@example.jp", "12", "1,000", "gis;licensing", "gis;;unknown",
                     COMMUNITY, "\"", "\"\"", "a\"b", "\r", "\n"]),
)
HEADER_WORDS = st.one_of(
    st.sampled_from(sorted({alias for columns in core.COLUMNS.values() for column in columns
                            for alias in (column.name, *column.aliases)})),
    st.sampled_from(["市区町村名", "都道府県", "備考", "No.", "", " ", "名称（団体名）", "コード\ufeff"]),
    nasty_text(12),
)
BOMS = (b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


@st.composite
def any_file(draw) -> bytes:
    """Bytes that may or may not be a CSV file."""
    how = draw(st.sampled_from(["bytes", "text", "text", "text"]))
    if how == "bytes":
        return draw(st.sampled_from(BOMS)) + draw(st.binary(max_size=400))
    width = draw(st.integers(0, 8))
    header = draw(st.lists(HEADER_WORDS, min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(CELL_VALUES, max_size=width + 2), max_size=6))
    text = draw(st.sampled_from([",", ";", "\t", "|"])).join(header) + "\n"
    for row in rows:
        text += ",".join(f'"{cell}"' if draw(st.booleans()) else cell for cell in row)
        text += draw(st.sampled_from(["\n", "\r\n", "\r", ""]))
    if draw(st.booleans()):
        text += "x" * draw(st.sampled_from([1000, 70_000, 200_000])) + "\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932", "utf-16", "latin-1"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]  # cut anywhere, mid-character too
    return data


KNOWN_CODES = frozenset(TOWNS)


def check_report(parsed_or_report, data: bytes) -> None:
    """What the import says is its own: known codes, lines in the file, short values."""
    lines = data.count(b"\n") + data.count(b"\r") + 1
    for problem in parsed_or_report.problems:
        assert problem.code in core.PROBLEM_CODES
        assert 0 <= problem.line <= lines
        # A cell's value is shortened in the report: one huge cell, not a huge page.
        assert len(str(problem.args.get("value", ""))) <= 60
    for notice in parsed_or_report.notices:
        assert notice.code in core.NOTICE_CODES


# --- The core: parse -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", core.KINDS)
@examples(100)
@given(data=any_file(), max_bytes=st.sampled_from([core.MAX_BYTES, core.MAX_BYTES, 100]))
def test_parse_never_raises_and_says_what_is_wrong_in_its_own_terms(kind, data, max_bytes):
    parsed = core.parse(kind, data, known_codes=KNOWN_CODES, known_communities=[COMMUNITY], max_bytes=max_bytes)
    check_report(parsed, data)
    assert parsed.ok == (not parsed.problems)
    assert len(parsed.rows) <= parsed.row_count
    assert parsed.encoding in (None, core.UTF8, core.UTF8_BOM, core.SHIFT_JIS)
    if len(data) > max_bytes:
        assert [p.code for p in parsed.problems] == ["too_large"]


def community_rows() -> st.SearchStrategy[list[core.CommunityRow]]:
    name = st.text(st.sampled_from(JAPANESE.replace("\u3000", "") + "abcXYZ019 -&'\"/"), min_size=1, max_size=40)
    row = st.builds(
        core.CommunityRow,
        line=st.just(0),
        name=name.map(str.strip).filter(bool),
        municipality_code=st.sampled_from(sorted(TOWNS)),
        website=st.none() | st.integers(0, 999).map(lambda n: f"https://code{n}.example.jp/about?x=1#top"),
        status=st.none() | st.sampled_from(["active", "dormant"]),
        member_count=st.none() | st.integers(0, 1_000_000),
        contact_email=st.none() | st.integers(0, 999).map(lambda n: f"team.{n}@example.jp"),
        description=st.none() | st.text(st.sampled_from(JAPANESE + "abc,\"\n\r\t 1"), max_size=200).map(str.strip)
        .filter(bool),
    )
    return st.lists(row, min_size=1, max_size=6, unique_by=lambda r: core.name_key(r.name))


def candidate_rows() -> st.SearchStrategy[list[core.CandidateRow]]:
    name = st.text(st.sampled_from("山田花子佐藤太郎髙﨑𠮷ヤマダタロウabc ・-"), min_size=1, max_size=10).map(str.strip).filter(bool)
    row = st.builds(
        core.CandidateRow,
        line=st.just(0),
        family_name=name,
        given_name=name,
        municipality_code=st.sampled_from(sorted(TOWNS)),
        community=st.none() | st.just(COMMUNITY),
        skills=st.none() | st.lists(st.sampled_from(TOPIC_SLUGS), min_size=1, max_size=4, unique=True).map(
            lambda slugs: tuple(s for s in TOPIC_SLUGS if s in slugs)),
        email=st.none() | st.integers(0, 999).map(lambda n: f"person.{n}@example.jp"),
        family_name_kana=reading(),
        given_name_kana=reading(),
    )
    return st.lists(row, min_size=1, max_size=6, unique_by=(
        lambda r: core.candidate_key(r.family_name, r.given_name, r.municipality_code),
        lambda r: r.email or object()))


def reading() -> st.SearchStrategy[str]:
    """A reading as stored: full-width katakana (a new person must have one)."""
    return st.text(st.sampled_from("アイウエオカガキャッシジュョンヴー"), min_size=1, max_size=8)


def reading_cell(kana: str) -> st.SearchStrategy[str]:
    """A reading as someone may type it: katakana, hiragana, with spaces."""
    hiragana = "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in kana)
    return st.sampled_from([kana, hiragana, f" {kana[:1]}　{kana[1:]} "])


def status_rows() -> st.SearchStrategy[list[core.StatusRow]]:
    row = st.builds(core.StatusRow, line=st.just(0), code=st.sampled_from(sorted(TOWNS)),
                    status=st.sampled_from(["active", "non_active"]),
                    as_of=st.dates(min_value=date(1989, 1, 8), max_value=date(2030, 12, 31)))
    return st.lists(row, min_size=1, max_size=6, unique_by=lambda r: r.code)


def status_word(status: str) -> st.SearchStrategy[str]:
    options = [w for w, value in core.OPEN_DATA_STATUS_WORDS.items() if value == status]
    return st.sampled_from(options).flatmap(lambda w: st.sampled_from([w, w.upper(), w.translate(FULL_WIDTH)]))


def community_status_word(status: str) -> st.SearchStrategy[str]:
    return st.sampled_from([w for w, value in core.COMMUNITY_STATUS_WORDS.items() if value == status]).flatmap(
        lambda w: st.sampled_from([w, w.upper(), f" {w} "]))


def date_cell(day: date) -> st.SearchStrategy[str]:
    options = [day.isoformat(), f"{day.year}/{day.month}/{day.day}", f"{day.year}.{day.month:02d}.{day.day:02d}",
               day.strftime("%Y%m%d"), f"{day.year}年{day.month}月{day.day}日",
               day.isoformat().translate(FULL_WIDTH)]
    if day >= date(2019, 5, 1):
        year = day.year - 2018
        options.append(f"令和{'元' if year == 1 else year}年{day.month}月{day.day}日")
    elif day <= date(2019, 4, 30):
        options.append(f"平成{day.year - 1988}年{day.month}月{day.day}日")
    return st.sampled_from(options)


def number_cell(n: int) -> st.SearchStrategy[str]:
    return st.sampled_from([str(n), f"{n:,}", str(n).translate(FULL_WIDTH), f" {n} "])


def skills_cell(slugs: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.permutations(list(slugs)).flatmap(lambda order: st.sampled_from(
        [";".join(order), "; ".join(s.upper() for s in order), ";".join(order) + ";", ";".join(order).translate(FULL_WIDTH)]))


@st.composite
def written(draw, kind: str, rows: list):
    """``rows`` as a file: the columns in any order, with an extra column now and then,
    each value written one of the ways it may be; returns (bytes, rows with their lines)."""
    headers = draw(headers_for(kind))
    given = {
        "municipality_status": lambda r: {"code": code_cell(r.code), "status": status_word(r.status),
                                          "as_of": date_cell(r.as_of)},
        "communities": lambda r: {
            "name": st.just(r.name), "municipality_code": code_cell(r.municipality_code),
            "website": st.just(r.website or ""),
            "status": community_status_word(r.status) if r.status else st.just(""),
            "member_count": number_cell(r.member_count) if r.member_count is not None else st.just(""),
            "contact_email": st.just(r.contact_email or ""), "description": st.just(r.description or "")},
        "candidates": lambda r: {
            "family_name": st.just(r.family_name), "given_name": st.just(r.given_name),
            "municipality_code": code_cell(r.municipality_code), "community": st.just(r.community or ""),
            "skills": skills_cell(r.skills) if r.skills else st.just(""), "email": st.just(r.email or ""),
            "family_name_kana": reading_cell(r.family_name_kana), "given_name_kana": reading_cell(r.given_name_kana)},
    }[kind]
    columns = draw(st.permutations([c.name for c in core.COLUMNS[kind]]))
    extra = draw(st.booleans())
    header = [headers[c] for c in columns] + (["備考"] if extra else [])
    cells = []
    for row in rows:
        values = draw(st.fixed_dictionaries(given(row)))
        cells.append([values[c] for c in columns] + ([draw(japanese_note())] if extra else []))
    data = draw(csv_file(header, cells))
    # Lines: the header is line 1; a description may hold line breaks.
    line, numbered = 2, []
    for row, row_cells in zip(rows, cells, strict=True):
        numbered.append(replace(row, line=line))
        line += 1 + sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in row_cells)
    return data, numbered


def japanese_note() -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(JAPANESE), max_size=10)


ROWS = {"municipality_status": status_rows, "communities": community_rows, "candidates": candidate_rows}


@pytest.mark.parametrize("kind", core.KINDS)
@examples(60)
@given(data=st.data())
def test_valid_rows_parse_to_what_was_written(kind, data):
    rows = data.draw(ROWS[kind](), label="rows")
    file, expected = data.draw(written(kind, rows), label="file")
    parsed = core.parse(kind, file, known_codes=KNOWN_CODES, known_communities=[COMMUNITY])
    assert parsed.problems == ()
    assert parsed.rows == tuple(expected)


# --- The service, the pages and the command line, against the database --------------------------


@pytest.fixture
def towns(db):
    """The municipalities of TOWNS (and their prefectures), the topics and one community."""
    prefectures = {}
    for code, name in TOWNS.items():
        prefecture_code = code[:2]
        if prefecture_code not in prefectures:
            prefectures[prefecture_code] = make_prefecture(
                code=prefecture_code, name_ja=f"県{prefecture_code}", name_kana="ケン", name_en=f"P{prefecture_code}")
        make_municipality(code=code, name=name, prefecture=prefectures[prefecture_code])
    sync_topics()
    make_community(name=COMMUNITY, municipality=db.session.scalar(
        sa.select(Municipality).where(Municipality.code == "011002")))
    db.session.commit()


def kinds_and_files() -> st.SearchStrategy[tuple[str, bytes]]:
    return st.tuples(st.sampled_from(core.KINDS), any_file())


@examples(60)
@given(kind_and_file=kinds_and_files())
def test_a_file_with_any_problem_changes_nothing(db, towns, kind_and_file):
    """The dry run writes nothing, ever; applying writes nothing unless the file has no
    problem at all."""
    kind, data = kind_and_file
    before = snapshot(db)
    report = imports.dry_run(kind, data)
    check_report(report, data)
    assert snapshot(db) == before
    applied = imports.apply(None, kind, data)
    assert applied.problems == report.problems
    if not applied.ok:
        assert not applied.applied
        assert snapshot(db) == before


def start_from(db) -> None:
    """Every example starts from the same state: no community but the fixture's, no
    evangelist, no town active."""
    for person in db.session.scalars(sa.select(Evangelist)):
        db.session.delete(person)
    db.session.execute(sa.delete(CommunityStatusChange).where(CommunityStatusChange.community_id.in_(
        sa.select(Community.id).where(Community.name != COMMUNITY))))
    db.session.execute(sa.delete(Community).where(Community.name != COMMUNITY))
    db.session.execute(sa.update(Municipality).values(open_data_status="non_active", open_data_since=None,
                                                      engagement_stage="none"))
    db.session.commit()


@pytest.mark.parametrize("kind", core.KINDS)
@examples(25)
@given(data=st.data())
def test_valid_rows_are_imported_as_they_were_written(db, towns, kind, data):
    start_from(db)
    rows = data.draw(ROWS[kind](), label="rows")
    file, _lines = data.draw(written(kind, rows), label="file")
    report = imports.apply(None, kind, file)
    assert report.problems == () and report.applied
    db.session.expire_all()
    if kind == "communities":
        stored = {c.name: c for c in db.session.scalars(sa.select(Community).where(Community.name != COMMUNITY))}
        assert sorted(stored) == sorted(r.name for r in rows)
        for row in rows:
            community = stored[row.name]
            assert (community.municipality.code, community.website, community.status, community.member_count,
                    community.contact_email, community.description) == (
                row.municipality_code, row.website, row.status or "active", row.member_count or 0,
                row.contact_email, row.description or "")
    elif kind == "candidates":
        people = db.session.scalars(sa.select(Evangelist).order_by(Evangelist.id)).all()
        assert [(p.family_name, p.given_name, p.home_municipality.code, p.status,
                 p.home_community.name if p.home_community else None, tuple(t.slug for t in p.skills),
                 p.family_name_kana, p.given_name_kana)
                for p in people] == [
            (r.family_name, r.given_name, r.municipality_code, "candidate", r.community, r.skills or (),
             r.family_name_kana, r.given_name_kana)
            for r in rows]
    else:
        towns_now = {m.code: m for m in db.session.scalars(sa.select(Municipality))}
        for row in rows:
            town = towns_now[row.code]
            if row.status == "active":
                assert (town.open_data_status, town.open_data_since, town.engagement_stage) == (
                    "active", row.as_of, "active")
            else:
                assert (town.open_data_status, town.open_data_since) == ("non_active", None)


@pytest.fixture
def coordinator(signed_in_client):
    """(client, user): a coordinator signed in once for all the examples of a test."""
    return signed_in_client("coordinator")


def upload(client, kind: str, data: bytes):
    boundary, body = encode_multipart({"kind": kind, "file": FileStorage(io.BytesIO(data), filename="x.csv")})
    return client.post("/coordinator/data/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")


@examples(40)
@given(kind_and_file=kinds_and_files())
def test_uploading_any_file_shows_a_report_and_changes_nothing(db, towns, coordinator, kind_and_file):
    kind, data = kind_and_file
    client, _user = coordinator
    before = snapshot(db)
    response = upload(client, kind, data)
    assert response.status_code == 200
    assert snapshot(db) == before


def signed(app, user, kind: str, data: bytes) -> str:
    """The token the check step would give ``user`` for ``data``, had it let the file through."""
    with app.test_request_context():
        login_user(user)
        return data_routes._sign(kind, data)


@examples(40)
@given(kind_and_file=kinds_and_files())
def test_applying_any_signed_file_from_the_page_changes_nothing_unless_it_is_valid(
        app, db, towns, coordinator, kind_and_file):
    kind, data = kind_and_file
    client, user = coordinator
    before = snapshot(db)
    response = client.post("/coordinator/data/import/apply", data={"token": signed(app, user, kind, data)})
    assert response.status_code in (302, 409)
    if response.status_code == 409:
        assert snapshot(db) == before


@examples(40)
@given(token=nasty_text(), kind_and_file=kinds_and_files())
def test_a_token_that_is_not_ours_changes_nothing(app, db, towns, coordinator, token, kind_and_file):
    client, user = coordinator
    kind, data = kind_and_file
    genuine = signed(app, user, kind, data)
    forged = genuine[:-4] + token
    assume(forged != genuine)
    before = snapshot(db)
    for sent in (token, forged):
        response = client.post("/coordinator/data/import/apply", data={"token": sent})
        assert response.status_code == 302
    assert snapshot(db) == before


@examples(30)
@given(kind_and_file=kinds_and_files(), write=st.booleans())
def test_the_command_line_reports_any_file_and_changes_nothing_it_refuses(db, towns, runner, tmp_path, kind_and_file,
                                                                          write):
    kind, data = kind_and_file
    path = tmp_path / "file.csv"
    path.write_bytes(data)
    before = snapshot(db)
    result = runner.invoke(args=["import", kind, str(path), *(["--apply"] if write else [])])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 1 or not write:
        assert snapshot(db) == before


# --- The plain-address shortcut agrees with email_validator ---------------------------------

_ADDRESS_CHARS = "aZ09._+-"
_label = st.text(alphabet="az09-X", min_size=1, max_size=8) | st.text(alphabet="az-", max_size=64)


def _address() -> st.SearchStrategy[str]:
    local = st.text(alphabet="ab", min_size=1, max_size=3) | st.text(alphabet=_ADDRESS_CHARS + "!#é\"", max_size=70)
    domain = st.lists(_label, min_size=1, max_size=4).map(".".join)
    tld = st.sampled_from(["jp", "JP", "com", "co", "x", "123", "test", "localhost", "onion", "xn--p1ai", ""])
    built = st.builds(lambda l, d, t: f"{l}@{d}.{t}" if t else f"{l}@{d}", local, domain, tld)
    return st.one_of(built, st.text(alphabet=_ADDRESS_CHARS + "@", max_size=40))


@examples(400)
@given(address=_address())
def test_the_plain_address_shortcut_says_what_email_validator_says(address):
    from email_validator import EmailNotValidError, validate_email

    shortcut = core.plain_email(address)
    if shortcut is None:
        return  # declined: email_validator decides, as before
    try:
        expected = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        pytest.fail(f"{address!r} taken as {shortcut!r}, but email_validator refuses it: {error}")
    assert shortcut == expected


@pytest.mark.parametrize("address", ["hanako@example.jp", "Ab.c+d_e-f@Mail.Example.CO.JP", "a@b.co"])
def test_common_addresses_take_the_shortcut_normalised_like_email_validator(address):
    from email_validator import validate_email

    assert core.plain_email(address) == validate_email(address, check_deliverability=False).normalized
