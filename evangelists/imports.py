"""Reading and checking the CSV files coordinators import, and planning what they change.

Three kinds of file (``KINDS``):

``municipality_status``
    The national survey's shape: one row per local government with its code, its open-data
    status and the date the survey speaks for. Columns (any order; other columns such as
    the municipality's name are ignored):

    - ``code`` (団体コード, 全国地方公共団体コード, 地方公共団体コード, 市区町村コード, lg_code):
      the 6-digit local government code, or its first 5 digits without the check digit.
      Full-width digits are read as ASCII. A 6-digit code whose check digit is wrong is an
      error, not a guess. Rows for prefectures (codes ``xx000``), which the national list
      includes, are skipped with a notice.
    - ``status`` (状態, 取組状況, 取組状態, オープンデータ取組状況, open_data_status): see
      ``OPEN_DATA_STATUS_WORDS``: ``active`` is also written 取組済(み), 公開済(み), 実施済(み),
      済, ○; ``non_active`` is also written non-active, inactive, 未着手, 未取組, 未実施,
      未公開, 未, ×. Case and full/half width do not matter.
    - ``as_of`` (基準日, 時点, 調査時点, 調査日, date): the date the row speaks for:
      2024-03-31, 2024/3/31, 2024.3.31, 20240331, 2024年3月31日 or 令和6年3月31日.

``communities``
    ``name`` (required; an existing community with the same name, compared without regard
    to case and full/half width, is updated), ``municipality_code`` (required), ``website``
    (http:// or https://), ``status`` (``active``/活動中, ``dormant``/休止中/休眠), ``member_count``,
    ``contact_email``, ``description``. An empty optional cell leaves the current value as
    it is (a new community gets the model's default).

``candidates``
    ``family_name`` (姓), ``given_name`` (名), ``municipality_code`` (the home municipality),
    all required; ``family_name_kana`` (セイ, 姓フリガナ) and ``given_name_kana`` (メイ,
    名フリガナ), the reading in hiragana, katakana or half-width katakana, stored as
    katakana (``evangelists.names.normalize_reading``): required for a new person (the
    row gets a ``reading_required`` problem), optional for someone we have (given, it
    replaces their reading); ``community`` (the name of an existing community), ``skills``
    (topic tags of ``evangelists.vocabulary.TOPICS`` by slug or by name in either language,
    separated by ``;``), ``email``. A person
    is the same person when family name, given name and home municipality match.
    A new person who may already be in the network under another home municipality
    (``evangelists.duplicates``: the same e-mail, or the same name, readings and
    community) is not created until the coordinator decides (``DUPLICATE_CHOICES``):
    ``new`` imports them as someone else, ``skip`` leaves the row out.

Files are UTF-8 (with or without a byte-order mark) or Shift_JIS (Windows code page 932,
which older editions of the national list use); ``decode`` tells which it was. Anything
else (UTF-16, an Excel workbook, binary data) is refused with a problem saying so.

``parse`` turns a file into frozen rows and a list of ``Problem`` s, each with the line it
was found on (1 is the first line of the file; 0 means the file as a whole), the column's
name as written in the file's header, a machine code and its parameters; the web and CLI
layers turn codes into translated sentences. ``plan_*`` compare valid rows with the
current state (plain dataclasses the caller builds) and say what would change.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from evangelists.gazetteer import is_valid_lg_code, lg_code
from evangelists.lifecycle import advance_engagement
from evangelists.names import READING_MAX, ReadingRefused, normalize_reading
from evangelists.vocabulary import COMMUNITY_STATUSES, OPEN_DATA_STATUSES, TOPIC_SLUGS, TOPICS

KINDS = ("municipality_status", "communities", "candidates")

MAX_BYTES = 5 * 1024 * 1024

# The encodings ``decode`` tries, in order, and what it reports.
UTF8_BOM = "utf-8-sig"
UTF8 = "utf-8"
SHIFT_JIS = "cp932"

# Values longer than this are shortened in a problem's parameters, so that one huge cell
# cannot make a huge report.
_SHOWN_VALUE = 60
# How far down the header row may be: survey files often start with a title line.
_HEADER_SEARCH_ROWS = 10


# --- Results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something that stops the file from being imported.

    ``line`` is the file's line number (0: the file as a whole); ``column`` the column's
    header as written in the file, or the expected column's name when it is missing, or
    "" when the problem is not about one column. ``code`` is one of ``PROBLEM_CODES``;
    ``params`` its values, as ``(name, value)`` pairs.
    """

    line: int
    column: str
    code: str
    params: tuple[tuple[str, object], ...] = ()

    @property
    def args(self) -> dict[str, object]:
        return dict(self.params)

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        detail = ", ".join(f"{k}={v!r}" for k, v in self.params)
        return f"{where}: {self.code}" + (f" ({detail})" if detail else "")


PROBLEM_CODES = (
    # the file
    "too_large", "utf16", "spreadsheet", "encoding", "malformed", "empty", "no_rows",
    # the header
    "missing_column", "duplicate_column",
    # a row
    "too_many_values", "required", "bad_code", "wrong_check_digit", "unknown_municipality",
    "bad_choice", "bad_date", "bad_number", "bad_email", "bad_url", "too_long",
    "unknown_topic", "unknown_community", "duplicate_row", "duplicate_key",
    # a row about a town outside the importing coordinator's regions (the app's service)
    "outside_regions", "community_elsewhere",
    # the database changed while the import was written (reported by the app's service)
    "conflict",
)


@dataclass(frozen=True)
class Notice:
    """Something the importer wants the coordinator to know that does not stop the import.
    ``code`` is one of ``NOTICE_CODES``."""

    line: int
    key: str
    code: str
    params: tuple[tuple[str, object], ...] = ()

    @property
    def args(self) -> dict[str, object]:
        return dict(self.params)


NOTICE_CODES = (
    "prefecture_skipped",  # a prefecture's row in the survey: not a municipality
    "kept_active",  # the survey says non_active, we have active: not downgraded
    "not_candidate",  # an imported candidate is already in the network beyond candidate
    "emails_not_stored",  # candidates' e-mail addresses are checked, not kept
)


@dataclass(frozen=True)
class StatusRow:
    line: int
    code: str  # 6 digits
    status: str  # one of OPEN_DATA_STATUSES
    as_of: date


@dataclass(frozen=True)
class CommunityRow:
    """None means "not given": keep what is there (or the default for a new one)."""

    line: int
    name: str
    municipality_code: str
    website: str | None = None
    status: str | None = None
    member_count: int | None = None
    contact_email: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class CandidateRow:
    line: int
    family_name: str
    given_name: str
    municipality_code: str
    community: str | None = None  # the existing community's name, as it is stored
    skills: tuple[str, ...] | None = None  # slugs in vocabulary order; None: not given
    email: str | None = None
    family_name_kana: str | None = None  # katakana; None: not given
    given_name_kana: str | None = None


@dataclass(frozen=True)
class Parsed:
    """A file read and checked. ``rows`` are the rows without problems; ``row_count``
    counts every data row read. ``columns`` maps each recognised field to its header as
    written; ``ignored_columns`` are the headers no field uses."""

    kind: str
    encoding: str | None
    rows: tuple = ()
    row_count: int = 0
    problems: tuple[Problem, ...] = ()
    notices: tuple[Notice, ...] = ()
    columns: tuple[tuple[str, str], ...] = ()
    ignored_columns: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


# --- Columns -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    aliases: tuple[str, ...]  # besides ``name``; compared after ``header_key``
    max_length: int | None = None


_CODE_ALIASES = ("lg_code", "local_government_code", "団体コード", "全国地方公共団体コード",
                 "地方公共団体コード", "市区町村コード")

COLUMNS: dict[str, tuple[Column, ...]] = {
    "municipality_status": (
        Column("code", True, ("municipality_code", *_CODE_ALIASES, "コード")),
        Column("status", True, ("open_data_status", "状態", "取組状況", "取組状態", "取り組み状況",
                                "オープンデータ取組状況")),
        Column("as_of", True, ("as_of_date", "date", "基準日", "時点", "調査時点", "調査日")),
    ),
    "communities": (
        Column("name", True, ("community", "community_name", "名称", "コミュニティ名"), 120),
        Column("municipality_code", True, ("code", "home_municipality_code", *_CODE_ALIASES)),
        Column("website", False, ("url", "web", "ウェブサイト", "webサイト", "ホームページ"), 300),
        Column("status", False, ("状態", "活動状況")),
        Column("member_count", False, ("members", "メンバー数", "会員数", "人数")),
        Column("contact_email", False, ("email", "e_mail", "mail", "連絡先メール", "メールアドレス"), 254),
        Column("description", False, ("説明", "概要"), 5000),
    ),
    "candidates": (
        Column("family_name", True, ("last_name", "surname", "姓"), 60),
        Column("given_name", True, ("first_name", "名"), 60),
        Column("family_name_kana", False, ("family_name_reading", "last_name_kana", "surname_kana", "セイ",
                                           "せい", "姓カナ", "姓フリガナ", "姓ふりがな", "フリガナ_姓"),
               READING_MAX * 2),
        Column("given_name_kana", False, ("given_name_reading", "first_name_kana", "メイ", "めい", "名カナ",
                                          "名フリガナ", "名ふりがな", "フリガナ_名"), READING_MAX * 2),
        Column("municipality_code", True, ("home_municipality_code", "code", *_CODE_ALIASES)),
        Column("community", False, ("community_name", "home_community", "home_community_name",
                                    "コミュニティ", "所属コミュニティ")),
        Column("skills", False, ("topics", "スキル", "得意分野")),
        Column("email", False, ("e_mail", "mail", "メールアドレス"), 254),
    ),
}

# Words for the survey's status, after ``value_key``.
OPEN_DATA_STATUS_WORDS: dict[str, str] = {
    **{w: "active" for w in ("active", "取組済", "取組済み", "取り組み済み", "取組み済み", "公開済",
                             "公開済み", "実施済", "実施済み", "済", "済み", "○", "◯", "〇",
                             # the words of an export for people (app.labels)
                             "オープンデータ公開済み", "open_data_published")},
    **{w: "non_active" for w in ("non_active", "nonactive", "not_active", "inactive", "未着手",
                                 "未取組", "未取り組み", "未実施", "未公開", "未", "×", "not_yet_started")},
}
COMMUNITY_STATUS_WORDS: dict[str, str] = {
    **{w: "active" for w in ("active", "活動中", "アクティブ")},
    **{w: "dormant" for w in ("dormant", "inactive", "休止", "休止中", "休眠", "休眠中")},
}
assert set(OPEN_DATA_STATUS_WORDS.values()) == set(OPEN_DATA_STATUSES)
assert set(COMMUNITY_STATUS_WORDS.values()) == set(COMMUNITY_STATUSES)

SKILL_SEPARATOR = ";"

_NOTE_IN_BRACKETS = re.compile(r"\s*\([^)]*\)\s*$")
_SEPARATORS = re.compile(r"[\s\-・]+")
_DIGITS = re.compile(r"[0-9]+")
_ISO_LIKE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_KANJI_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_ERA_DATE = re.compile(r"(令和|平成)(\d{1,2}|元)年(\d{1,2})月(\d{1,2})日")
_ERA_START = {"令和": 2018, "平成": 1988}  # year 1 of the era is this + 1
_URL = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?", re.IGNORECASE)


def header_key(text: str) -> str:
    """A header compared loosely: NFKC (full-width letters become ASCII), case folded,
    spaces, hyphens and 中黒 as ``_``, a trailing note in brackets dropped
    ("団体コード（6桁）" → "団体コード")."""
    folded = unicodedata.normalize("NFKC", text).strip().casefold()
    folded = _NOTE_IN_BRACKETS.sub("", folded)
    return _SEPARATORS.sub("_", folded).strip("_")


def value_key(text: str) -> str:
    """A value from a closed list compared loosely (same folding as ``header_key``)."""
    folded = unicodedata.normalize("NFKC", text).strip().casefold()
    return _SEPARATORS.sub("_", folded).strip("_")


@functools.lru_cache(maxsize=65_536)  # names repeat down a file (and in the plan)
def name_key(text: str) -> str:
    """A name compared loosely: NFKC, case folded, runs of white space as one space."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def clean(text: str) -> str:
    """A free-text cell as stored: trimmed (full-width spaces too), otherwise as typed,
    since names keep the characters people chose (variant kanji matter)."""
    return text.strip()


def candidate_key(family_name: str, given_name: str, municipality_code: str) -> tuple[str, str, str]:
    return (name_key(family_name), name_key(given_name), municipality_code)


# --- Decoding ----------------------------------------------------------------------------

_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (zip), .xls (OLE2)


# Control characters (category Cc) but tab, CR and LF, and the private use area (Co).
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd]")


def _looks_like_text(text: str) -> bool:
    """False for control characters (NUL: UTF-16 read byte by byte) and for the private
    use area (where cp932 puts bytes no Shift_JIS text has). One regular expression, not
    a loop over the characters: a 5 MB file has five million of them."""
    return _NOT_TEXT.search(text) is None


def decode(data: bytes) -> tuple[str, str] | Problem:
    """``(text, encoding)`` where encoding is ``UTF8_BOM``, ``UTF8`` or ``SHIFT_JIS``; or
    the Problem saying why the bytes are not a text file we read."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return Problem(0, "", "utf16", (("encoding", name),))
    if data.startswith(_SPREADSHEET_MAGIC):
        return Problem(0, "", "spreadsheet")
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = (UTF8_BOM,)
    else:
        candidates = (UTF8, SHIFT_JIS)
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text, encoding
    return Problem(0, "", "encoding")


# --- Cell checks (each returns the value or raises CellError) ----------------------------


class CellError(Exception):
    """A cell's value is wrong: ``code`` is one of ``PROBLEM_CODES``, ``params`` its values
    (long ones shortened)."""

    def __init__(self, problem: str, /, **params: object) -> None:
        super().__init__(problem)
        self.code = problem
        self.params = tuple((k, _shown(v)) for k, v in params.items())


def _shown(value: object) -> object:
    if isinstance(value, str) and len(value) > _SHOWN_VALUE:
        return value[: _SHOWN_VALUE - 1] + "…"
    return value


def canonical_code(text: str) -> str:
    """The 6-digit local government code for ``text``: 6 digits with a valid check digit,
    or 5 digits (the check digit is added). Full-width digits are accepted. Raises CellError
    ``bad_code`` or ``wrong_check_digit``."""
    value = unicodedata.normalize("NFKC", text).strip()
    if not _DIGITS.fullmatch(value) or len(value) not in (5, 6):
        raise CellError("bad_code", value=text.strip())
    if len(value) == 5:
        return lg_code(value)
    if not is_valid_lg_code(value):
        raise CellError("wrong_check_digit", value=value, expected=lg_code(value[:5]))
    return value


def is_prefecture_code(code6: str) -> bool:
    """Prefectures are local governments too: their codes end the 5 digits in 000."""
    return code6[2:5] == "000"


def parse_date(text: str) -> date:
    """A date written the ways Japanese spreadsheets write them (see the module doc)."""
    value = unicodedata.normalize("NFKC", text).strip()
    parts = None
    for pattern in (_ISO_LIKE, _COMPACT, _KANJI_DATE):
        match = pattern.fullmatch(value)
        if match:
            parts = tuple(int(g) for g in match.groups())
            break
    if parts is None:
        match = _ERA_DATE.fullmatch(value)
        if match:
            era, year, month, day = match.groups()
            parts = (_ERA_START[era] + (1 if year == "元" else int(year)), int(month), int(day))
    if parts is None:
        raise CellError("bad_date", value=text.strip())
    try:
        return date(*parts)
    except ValueError:
        raise CellError("bad_date", value=text.strip()) from None


def _choice(text: str, words: Mapping[str, str]) -> str:
    value = words.get(value_key(text))
    if value is None:
        allowed = ", ".join(dict.fromkeys(words.values()))
        raise CellError("bad_choice", value=text.strip(), allowed=allowed)
    return value


def _count(text: str) -> int:
    value = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    if not _DIGITS.fullmatch(value) or int(value) > 1_000_000:
        raise CellError("bad_number", value=text.strip())
    return int(value)


# Most addresses in a file are plain: an ASCII dot-atom before the @, a host name under an
# alphabetic top-level domain after it. email_validator takes about 100 µs for each (100,000
# rows: ten seconds), so those are checked here and normalised as it would (the domain in
# lower case); anything else still goes to it. tests/domain/test_imports.py checks that the
# two agree.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+\-]+(?:\.[A-Za-z0-9_+\-]+)*@((?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)
_SPECIAL_USE_DOMAINS = tuple(SPECIAL_USE_DOMAIN_NAMES)


def plain_email(value: str) -> str | None:
    """``value`` normalised as ``validate_email`` would, when it is a plain address this
    function can vouch for; None otherwise (ask ``validate_email``)."""
    match = _PLAIN_EMAIL.fullmatch(value)
    if match is None or len(value) > 254 or value.index("@") > 64:
        return None
    domain = match.group(1).lower()
    if "--" in domain or any(domain == d or domain.endswith("." + d) for d in _SPECIAL_USE_DOMAINS):
        return None
    return value[: match.start(1)] + domain


def _email(text: str) -> str:
    value = unicodedata.normalize("NFKC", text).strip()
    plain = plain_email(value)
    if plain is not None:
        return plain
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise CellError("bad_email", value=text.strip()) from None


def _url(text: str) -> str:
    value = text.strip()
    if not _URL.fullmatch(value):
        raise CellError("bad_url", value=value)
    return value


# A topic's name in either language, as an export for people writes it, read as its slug.
_TOPIC_NAMES = {value_key(name): t.slug for t in TOPICS for name in (t.name_ja, t.name_en)}


def _skills(text: str, topics: Collection[str]) -> tuple[str, ...]:
    slugs = []
    for part in unicodedata.normalize("NFKC", text).split(SKILL_SEPARATOR):
        slug = part.strip().casefold()
        if not slug:
            continue
        if slug not in topics:
            slug = _TOPIC_NAMES.get(value_key(part), slug)
        if slug not in topics:
            raise CellError("unknown_topic", value=part.strip())
        if slug not in slugs:
            slugs.append(slug)
    order = {s: i for i, s in enumerate(topics)}
    return tuple(sorted(slugs, key=order.__getitem__))


# --- Reading a file ----------------------------------------------------------------------


def _identity(items):
    return items


def parse(
    kind: str,
    data: bytes,
    *,
    known_codes: Collection[str],
    known_communities: Iterable[str] = (),
    topics: Sequence[str] = TOPIC_SLUGS,
    max_bytes: int = MAX_BYTES,
    progress: Callable[[list], Iterable] = _identity,
) -> Parsed:
    """Read ``data`` as a ``kind`` file and check every row.

    ``known_codes`` are the 6-digit codes of the municipalities we have;
    ``known_communities`` the names of the communities we have (for ``candidates``);
    ``topics`` the topic slugs, in order. ``progress`` wraps the list of rows being
    checked (the CLI passes a progress bar). Never raises for bad input: everything wrong
    is in ``Parsed.problems``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {KINDS}")
    if len(data) > max_bytes:
        return Parsed(kind, None, problems=(Problem(0, "", "too_large", (("limit_mb", max_bytes // (1024 * 1024)),)),))
    decoded = decode(data)
    if isinstance(decoded, Problem):
        return Parsed(kind, None, problems=(decoded,))
    text, encoding = decoded

    try:
        records = _records(text)
    except csv.Error as error:
        return Parsed(kind, encoding, problems=(Problem(error.line, "", "malformed"),))  # type: ignore[attr-defined]
    if not records:
        return Parsed(kind, encoding, problems=(Problem(0, "", "empty"),))

    columns = COLUMNS[kind]
    header_index, mapping, ignored, header_problems = _find_header(records, columns)
    _header_line, header = records[header_index]
    data_records = records[header_index + 1 :]
    if not data_records:
        return Parsed(kind, encoding, problems=(*header_problems, Problem(0, "", "no_rows")),
                      columns=_columns_written(mapping, header), ignored_columns=ignored)

    # With a column missing no row can be imported, but the columns that are there are
    # still checked, so that one round of corrections fixes everything.
    checker = _Checker(kind, columns, mapping, header, known_codes, known_communities, topics,
                       complete=not header_problems)
    rows = []
    for line, values in progress(data_records):
        row = checker.row(line, values)
        if row is not None:
            rows.append(row)
    return Parsed(
        kind,
        encoding,
        rows=tuple(rows),
        row_count=len(data_records),
        problems=(*header_problems, *checker.problems),
        notices=tuple(checker.notices),
        columns=_columns_written(mapping, header),
        ignored_columns=ignored,
    )


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Non-blank CSV records with the line each starts on."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records = []
    line = 1
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            error.line = reader.line_num  # type: ignore[attr-defined]
            raise
        line = start
        if any(v.strip() for v in values):
            records.append((line, values))
    return records


def _find_header(records, columns: tuple[Column, ...]):
    """The header is the first of the first few rows that names every required column;
    failing that, the first row with the fewest problems (which are then reported)."""
    best = None
    for index, (line, values) in enumerate(records[:_HEADER_SEARCH_ROWS]):
        mapping, ignored, problems = _map_header(line, values, columns)
        if not problems:
            return index, mapping, ignored, []
        if best is None or len(problems) < len(best[3]):
            best = (index, mapping, ignored, problems)
    return best


def _map_header(line: int, values: list[str], columns: tuple[Column, ...]):
    lookup = {}
    for column in columns:
        for alias in (column.name, *column.aliases):
            lookup.setdefault(header_key(alias), column.name)
    mapping: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    for position, written in enumerate(values):
        name = lookup.get(header_key(written))
        if name is None:
            if written.strip():
                ignored.append(written.strip())
            continue
        if name in mapping:
            problems.append(Problem(line, written.strip(), "duplicate_column",
                                    (("other", values[mapping[name]].strip()),)))
            continue
        mapping[name] = position
    for column in columns:
        if column.required and column.name not in mapping:
            problems.append(Problem(line, column.name, "missing_column",
                                    (("accepted", ", ".join((column.name, *column.aliases))),)))
    return mapping, tuple(ignored), problems


def _columns_written(mapping: dict[str, int], header: list[str]) -> tuple[tuple[str, str], ...]:
    return tuple((name, header[position].strip()) for name, position in mapping.items())


# Fields whose cells come from a small set of values (see ``_Checker._cell``).
_REPEATING = frozenset({"code", "municipality_code", "status", "as_of", "skills", "community"})


class _Checker:
    """Checks rows one by one, remembering keys already seen for duplicates."""

    def __init__(self, kind, columns, mapping, header, known_codes, known_communities, topics, *, complete):
        self.kind = kind
        self.complete = complete
        self.columns = {c.name: c for c in columns}
        self.mapping = mapping
        self.written = {name: header[position].strip() for name, position in mapping.items()}
        self.width = len(header)
        self.known_codes = known_codes
        self.communities = {name_key(n): n for n in known_communities}
        self.topics = topics
        self.problems: list[Problem] = []
        self.notices: list[Notice] = []
        self.seen: dict[tuple, tuple[int, tuple]] = {}
        self.memo: dict[tuple[str, str], tuple[bool, object]] = {}

    def row(self, line: int, values: list[str]):
        if len(values) > self.width and any(v.strip() for v in values[self.width :]):
            self.problems.append(Problem(line, "", "too_many_values",
                                         (("expected", self.width), ("got", len(values)))))
            return None
        cells = {name: (values[pos] if pos < len(values) else "") for name, pos in self.mapping.items()}
        before = len(self.problems)
        fields = {}
        for name, text in cells.items():
            try:
                fields[name] = self._cell(name, text)
            except CellError as bad:
                self.problems.append(Problem(line, self.written[name], bad.code, bad.params))
        if len(self.problems) > before or not self.complete:
            return None
        return getattr(self, f"_{self.kind}")(line, fields)

    def _cell(self, name: str, text: str):
        """The cell's value; raises CellError. Cells of a closed set of values (codes,
        statuses, dates, skills, communities) repeat down a file: each distinct text is
        checked once."""
        if name not in _REPEATING:
            return self._check(name, text)
        found = self.memo.get((name, text))
        if found is None:
            try:
                found = (True, self._check(name, text))
            except CellError as bad:
                found = (False, bad)
            self.memo[(name, text)] = found
        ok, value = found
        if not ok:
            raise value.with_traceback(None)
        return value

    def _check(self, name: str, text: str):
        column = self.columns[name]
        if not text.strip():
            if column.required:
                raise CellError("required")
            return None
        if column.max_length is not None and len(text.strip()) > column.max_length:
            raise CellError("too_long", max=column.max_length)
        if name in ("code", "municipality_code"):
            code = canonical_code(text)
            if code not in self.known_codes and not (self.kind == "municipality_status" and is_prefecture_code(code)):
                raise CellError("unknown_municipality", code=code)
            return code
        if name == "status":
            return _choice(text, OPEN_DATA_STATUS_WORDS if self.kind == "municipality_status" else COMMUNITY_STATUS_WORDS)
        if name == "as_of":
            return parse_date(text)
        if name == "member_count":
            return _count(text)
        if name in ("contact_email", "email"):
            return _email(text)
        if name in ("family_name_kana", "given_name_kana"):
            try:
                return normalize_reading(text) or None
            except ReadingRefused as refused:
                raise CellError("not_kana" if refused.reason == "not_kana" else "too_long",
                                value=text.strip()[:_SHOWN_VALUE], max=READING_MAX) from None
        if name == "website":
            return _url(text)
        if name == "skills":
            return _skills(text, self.topics)
        if name == "community":
            existing = self.communities.get(name_key(text))
            if existing is None:
                raise CellError("unknown_community", value=text.strip())
            return existing
        return clean(text)

    def _duplicate(self, line: int, column: str, key: tuple, values: tuple) -> bool:
        """Record ``key`` or report it as a duplicate of an earlier line."""
        earlier = self.seen.get(key)
        if earlier is None:
            self.seen[key] = (line, values)
            return False
        first_line, first_values = earlier
        code = "duplicate_row" if first_values == values else "duplicate_key"
        self.problems.append(Problem(line, self.written.get(column, column), code, (("line", first_line),)))
        return True

    def _municipality_status(self, line: int, f: dict) -> StatusRow | None:
        code = f["code"]
        if self._duplicate(line, "code", ("code", code), (f["status"], f["as_of"])):
            return None
        if is_prefecture_code(code):
            self.notices.append(Notice(line, code, "prefecture_skipped"))
            return None
        return StatusRow(line, code, f["status"], f["as_of"])

    def _communities(self, line: int, f: dict) -> CommunityRow | None:
        row = CommunityRow(line, f["name"], f["municipality_code"], f.get("website"), f.get("status"),
                           f.get("member_count"), f.get("contact_email"), f.get("description"))
        values = tuple(getattr(row, n) for n in ("municipality_code", "website", "status", "member_count",
                                                  "contact_email", "description"))
        if self._duplicate(line, "name", ("name", name_key(row.name)), values):
            return None
        return row

    def _candidates(self, line: int, f: dict) -> CandidateRow | None:
        row = CandidateRow(line, f["family_name"], f["given_name"], f["municipality_code"],
                           f.get("community"), f.get("skills"), f.get("email"), f.get("family_name_kana"),
                           f.get("given_name_kana"))
        values = (row.community, row.skills, row.email)
        key = candidate_key(row.family_name, row.given_name, row.municipality_code)
        if self._duplicate(line, "family_name", ("person", *key), values):
            return None
        if row.email is not None and self._duplicate(line, "email", ("email", row.email.casefold()), values):
            return None
        return row


# --- Planning the changes ----------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: object
    after: object


@dataclass(frozen=True)
class Change:
    """What one row does: ``action`` is ``create``, ``update`` or ``unchanged``; ``key``
    identifies the thing changed (a code, a name) and ``label`` names it for people."""

    line: int
    action: str
    key: str
    label: str
    fields: tuple[FieldChange, ...] = ()


# What the coordinator may decide for a new person who may already be in the network.
DUPLICATE_CHOICES = ("new", "skip")


@dataclass(frozen=True)
class SimilarPerson:
    """Someone we have who may be a row's person: their number, name and why
    (``evangelists.duplicates.REASONS``)."""

    id: int
    label: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Duplicate:
    """A row whose new person may be someone we have. ``decision`` is one of
    ``DUPLICATE_CHOICES``, or None while nobody has decided (the row's change is then
    ``ask`` and the import cannot be applied)."""

    line: int
    label: str
    people: tuple[SimilarPerson, ...]
    decision: str | None = None


@dataclass(frozen=True)
class Plan:
    """What valid rows change; ``problems`` are what only the comparison with the current
    state finds (a new person without a reading) and stop the import as parsing's do.
    ``duplicates`` are the rows whose person may already be there (their change is
    ``create`` when decided ``new``, ``skip`` when decided ``skip``, else ``ask``)."""

    changes: tuple[Change, ...]
    notices: tuple[Notice, ...] = ()
    problems: tuple[Problem, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def skipped(self) -> int:
        return self.count("skip")

    @property
    def asked(self) -> int:
        return self.count("ask")


def _diff(before: object, after: Mapping[str, object]) -> tuple[FieldChange, ...]:
    """Fields of ``after`` (None: not given) that differ from ``before``'s attributes."""
    return tuple(
        FieldChange(name, getattr(before, name), value)
        for name, value in after.items()
        if value is not None and getattr(before, name) != value
    )


def _change(line: int, key: str, label: str, fields: tuple[FieldChange, ...], *, new: bool = False) -> Change:
    action = "create" if new else ("update" if fields else "unchanged")
    return Change(line, action, key, label, fields)


@dataclass(frozen=True)
class MunicipalityState:
    code: str
    name: str
    open_data_status: str
    engagement_stage: str
    open_data_since: date | None


def plan_municipality_status(rows: Iterable[StatusRow], current: Mapping[str, MunicipalityState]) -> Plan:
    """What the survey changes. ``active``: open-data active from the as-of date (a town
    already active keeps its earlier date) and the engagement stage moved to ``active``
    (``lifecycle.advance_engagement``). ``non_active`` for a town we have as active is
    never a downgrade: the row changes nothing and a ``kept_active`` notice says so."""
    changes, notices = [], []
    for row in rows:
        town = current[row.code]
        label = f"{town.code} {town.name}"
        if row.status == "non_active":
            if town.open_data_status == "active":
                notices.append(Notice(row.line, label, "kept_active",
                                      (("since", town.open_data_since), ("as_of", row.as_of))))
            changes.append(_change(row.line, row.code, label, ()))
            continue
        after = {"open_data_status": "active",
                 "engagement_stage": advance_engagement(town.engagement_stage, "active")}
        if town.open_data_status != "active" or town.open_data_since is None:
            after["open_data_since"] = row.as_of
        changes.append(_change(row.line, row.code, label, _diff(town, after)))
    return Plan(tuple(changes), tuple(notices))


@dataclass(frozen=True)
class CommunityState:
    name: str
    municipality_code: str
    website: str | None
    status: str
    member_count: int
    contact_email: str | None
    description: str


COMMUNITY_FIELDS = ("municipality_code", "website", "status", "member_count", "contact_email", "description")


def plan_communities(rows: Iterable[CommunityRow], current: Mapping[str, CommunityState]) -> Plan:
    """``current`` maps ``name_key(name)`` to each community we have. A row whose name
    matches updates the fields it gives; any other row creates a community."""
    changes = []
    for row in rows:
        given = {name: getattr(row, name) for name in COMMUNITY_FIELDS}
        existing = current.get(name_key(row.name))
        if existing is None:
            fields = (FieldChange("name", None, row.name),) + tuple(
                FieldChange(name, None, value) for name, value in given.items() if value is not None
            )
            changes.append(_change(row.line, row.name, row.name, fields, new=True))
        else:
            changes.append(_change(row.line, existing.name, existing.name, _diff(existing, given)))
    return Plan(tuple(changes))


@dataclass(frozen=True)
class EvangelistState:
    family_name: str
    given_name: str
    municipality_code: str
    status: str
    community: str | None
    skills: tuple[str, ...]
    family_name_kana: str = ""
    given_name_kana: str = ""


def plan_candidates(rows: Iterable[CandidateRow], current: Mapping[tuple[str, str, str], EvangelistState],
                    similar: Mapping[int, Sequence[SimilarPerson]] | None = None,
                    decisions: Mapping[int, str] | None = None, default: str | None = None) -> Plan:
    """``current`` maps ``candidate_key`` to the people we have. A new person becomes a
    ``candidate``; an existing candidate gets the community and skills the row gives; a
    person already beyond candidate (active, paused, retired) is left as is, with a
    ``not_candidate`` notice. E-mail addresses are checked but there is no place to keep
    a candidate's yet: an ``emails_not_stored`` notice says how many were given. A new
    person needs both readings: a row without one gets a ``reading_required`` problem on
    that column; an existing candidate's readings change when the row gives them.

    ``similar`` maps a row's line to the people who may be its new person (the caller
    applies ``evangelists.duplicates``); such a row is created only when ``decisions``
    (by line, else ``default``) says ``new``, left out for ``skip``, and otherwise waits
    (``ask``). Decisions for other lines, or other words, are ignored."""
    similar = similar or {}
    decisions = decisions or {}
    changes, notices, problems, duplicates = [], [], [], []
    emails = 0
    for row in rows:
        emails += row.email is not None
        label = f"{row.family_name} {row.given_name}"
        existing = current.get(candidate_key(row.family_name, row.given_name, row.municipality_code))
        if existing is None:
            missing = [name for name in ("family_name_kana", "given_name_kana") if not getattr(row, name)]
            if missing:
                problems += [Problem(row.line, name, "reading_required", (("name", label),)) for name in missing]
                continue
            people = tuple(similar.get(row.line, ()))
            if people:
                decision = decisions.get(row.line, default)
                decision = decision if decision in DUPLICATE_CHOICES else None
                duplicates.append(Duplicate(row.line, label, people, decision))
                if decision != "new":
                    changes.append(Change(row.line, decision or "ask", label, label))
                    continue
            fields = tuple(
                FieldChange(name, None, value)
                for name, value in (("family_name", row.family_name), ("given_name", row.given_name),
                                    ("family_name_kana", row.family_name_kana),
                                    ("given_name_kana", row.given_name_kana),
                                    ("municipality_code", row.municipality_code), ("status", "candidate"),
                                    ("community", row.community), ("skills", row.skills))
                if value is not None
            )
            changes.append(_change(row.line, label, label, fields, new=True))
        elif existing.status != "candidate":
            notices.append(Notice(row.line, label, "not_candidate", (("status", existing.status),)))
            changes.append(_change(row.line, label, label, ()))
        else:
            changes.append(_change(row.line, label, label, _diff(existing, {
                "community": row.community, "skills": row.skills,
                "family_name_kana": row.family_name_kana, "given_name_kana": row.given_name_kana})))
    if emails:
        notices.append(Notice(0, "", "emails_not_stored", (("count", emails),)))
    return Plan(tuple(changes), tuple(notices), tuple(problems), tuple(duplicates))
