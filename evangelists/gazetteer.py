"""Japan's 47 prefectures and 1,741 municipalities, read from the CSV files committed under
``evangelists/data/``, plus the pure rules those files are built and checked with: the
local government code's check digit, and the name and code clean-ups that turn Japan Post's
postal rows into one row per municipality.

Stdlib only. ``scripts/build_gazetteer.py`` regenerates the CSVs from PyPI packages; nothing
here needs those packages, so the app and its tests run without them.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from evangelists.vocabulary import MUNICIPALITY_KINDS, REGIONS

DATA_DIR = Path(__file__).parent / "data"
PREFECTURES_CSV = DATA_DIR / "prefectures.csv"
MUNICIPALITIES_CSV = DATA_DIR / "municipalities.csv"

# One vocabulary for the whole domain: the gazetteer re-exports the names it checks.
KINDS = MUNICIPALITY_KINDS

TOKYO_PREFECTURE_CODE = "13"

_CHECK_WEIGHTS = (6, 5, 4, 3, 2)
_FIVE_DIGITS = re.compile(r"[0-9]{5}")
_SIX_DIGITS = re.compile(r"[0-9]{6}")
_PREFECTURE_CODE = re.compile(r"[0-9]{2}")

# Katakana letters ァ (U+30A1) to ヺ (U+30FA), which include ヴ and ヶ, plus the long-vowel
# mark ー. The middle dot ・ (U+30FB) is deliberately excluded: no municipality reading has it.
_KATAKANA_READING = re.compile(r"[\u30a1-\u30fa\u30fc]+")

# "<county>郡<name>町|村": the county may not contain 郡 itself, and the remainder needs at least
# one character before 町/村. That keeps 赤穂郡上郡町 → 上郡町 and never touches cities such as
# 蒲郡市, 大和郡山市, 小郡市 or 郡上市 (cities are never inside a county).
_COUNTY_PREFIX = re.compile(r"(?P<county>[^郡]+郡)(?P<rest>.+[町村])")

# "<designated city>市<ward>区". Greedy on purpose: 四日市市-style names end in 市市, and no
# ward name contains 市.
_WARD_NAME = re.compile(r"(?P<city>.+市)(?P<ward>.+区)")

_COUNTY_KANA_SUFFIX = "グン"
_CITY_KANA_SUFFIX = "シ"


# --- Local government codes ------------------------------------------------------------


def is_prefecture_code(code: str | None) -> bool:
    """Whether ``code`` has the shape of a prefecture's JIS code: two ASCII digits (what a
    query string or a hand-made post may send instead must never reach the database:
    PostgreSQL refuses a NUL byte in text with an error)."""
    return bool(code) and _PREFECTURE_CODE.fullmatch(code) is not None


def check_digit(code5: str) -> str:
    """Return the check digit of a 5-digit JIS X 0402 code (全国地方公共団体コード).

    Multiply the digits by 6, 5, 4, 3, 2 and sum them (S); the digit is (11 - S mod 11) mod 10.
    Raises ValueError unless ``code5`` is exactly five ASCII digits.
    """
    if not isinstance(code5, str) or not _FIVE_DIGITS.fullmatch(code5):
        raise ValueError(f"expected five ASCII digits, got {code5!r}")
    total = sum(int(digit) * weight for digit, weight in zip(code5, _CHECK_WEIGHTS, strict=True))
    return str((11 - total % 11) % 10)


def lg_code(code5: str) -> str:
    """Return the 6-digit local government code: ``code5`` followed by its check digit."""
    return code5 + check_digit(code5)


def is_valid_lg_code(code6: object) -> bool:
    """True when ``code6`` is a str of six ASCII digits whose last digit is the check digit
    of the first five. Never raises."""
    return (
        isinstance(code6, str)
        and _SIX_DIGITS.fullmatch(code6) is not None
        and check_digit(code6[:5]) == code6[5]
    )


def in_designated_city_block(code5: str) -> bool:
    """True when a 5-digit code lies in the x100–x199 block that JIS X 0402 gives, outside
    Tokyo, to designated cities and their wards: 01100 札幌市, 01101 札幌市中央区, but also
    14130 川崎市 and 27120 大阪市住吉区, so the code alone cannot tell a city from a ward.
    Japan Post lists only the wards, so in its data every code in the block is a ward.

    Tokyo's 131xx codes are its special wards, municipalities in their own right, so they
    are outside the block. Raises ValueError unless ``code5`` is five ASCII digits.
    """
    if not _FIVE_DIGITS.fullmatch(code5):
        raise ValueError(f"expected five ASCII digits, got {code5!r}")
    return code5[:2] != TOKYO_PREFECTURE_CODE and 100 <= int(code5[2:]) <= 199


def designated_city_code(ward_codes: Iterable[str]) -> str:
    """Return the 5-digit code of the designated city whose wards have ``ward_codes``.

    The city's own code is its lowest ward code rounded down to a multiple of ten (Sapporo
    01101 → 01100, Osaka 27102 → 27100, Kawasaki 14131 → 14130). Rounding the lowest code
    rather than any code matters: Osaka's later wards run up to 27128. Raises ValueError if
    the list is empty, holds a code outside the designated-city block or the city's own
    code (x100), or mixes prefectures.
    """
    codes = sorted(ward_codes)
    if not codes:
        raise ValueError("a designated city needs at least one ward code")
    for code in codes:
        if not in_designated_city_block(code) or code[2:] == "100":
            raise ValueError(f"{code!r} is not a designated-city ward code")
    if len({code[:2] for code in codes}) != 1:
        raise ValueError(f"ward codes from more than one prefecture: {codes}")
    lowest = int(codes[0])
    return f"{lowest - lowest % 10:05d}"


# --- Cleaning Japan Post's municipality names ------------------------------------------


def split_county(name: str) -> tuple[str | None, str]:
    """Split Japan Post's "<county>郡<town or village>" into ``(county, municipality)``.

    Returns ``(None, name)`` when there is no county prefix. Only names ending in 町 or 村
    are split, because cities and wards never sit in a county; this is what keeps 蒲郡市,
    大和郡山市, 小郡市, 郡上市 and 郡山市 whole.
    """
    match = _COUNTY_PREFIX.fullmatch(name)
    if match is None:
        return None, name
    return match["county"], match["rest"]


def strip_county(name: str) -> str:
    """Return the municipality's own name without its county (石狩郡当別町 → 当別町)."""
    return split_county(name)[1]


def strip_county_kana(kana: str, county_kana: str | None = None) -> str:
    """Return the reading of a town or village without the reading of its county.

    With ``county_kana`` given, ``kana`` must start with it and the rest is returned. Without
    it, the county reading is taken to end at the only "グン" in ``kana``
    (イシカリグントウベツチョウ → トウベツチョウ). When "グン" occurs more than once the cut is
    ambiguous (キタグンマグン… for 北群馬郡), so this raises ValueError rather than guess;
    the caller must then pass ``county_kana``.
    """
    if county_kana is not None:
        if not kana.startswith(county_kana) or len(kana) == len(county_kana):
            raise ValueError(f"{kana!r} does not start with the county reading {county_kana!r}")
        return kana[len(county_kana) :]
    cuts = [
        match.end()
        for match in re.finditer(_COUNTY_KANA_SUFFIX, kana)
        if match.end() < len(kana)
    ]
    if len(cuts) != 1:
        raise ValueError(
            f"cannot tell where the county reading ends in {kana!r}: "
            f"{len(cuts)} candidate places after {_COUNTY_KANA_SUFFIX}"
        )
    return kana[cuts[0] :]


def split_ward_name(name: str) -> tuple[str, str] | None:
    """Split "札幌市中央区" into ``("札幌市", "中央区")``; None if ``name`` is not
    "<city>市<ward>区"."""
    match = _WARD_NAME.fullmatch(name)
    if match is None:
        return None
    return match["city"], match["ward"]


def designated_city_kana(ward_kanas: Iterable[str]) -> str:
    """Return a designated city's reading from the readings of its wards.

    Japan Post only lists the wards (サッポロシチュウオウク, サッポロシキタク, …); their
    longest common prefix is the city's reading, which ends in シ (市). This relies on the
    wards' own readings not all starting with the same kana, which holds for all 20 cities
    (at least two wards, differing in their first kana). Raises ValueError when there are
    fewer than two wards or the common prefix does not end in シ.
    """
    kanas = list(ward_kanas)
    if len(kanas) < 2:
        raise ValueError("need the readings of at least two wards")
    prefix = kanas[0]
    for kana in kanas[1:]:
        length = 0
        while length < min(len(prefix), len(kana)) and prefix[length] == kana[length]:
            length += 1
        prefix = prefix[:length]
    if not prefix.endswith(_CITY_KANA_SUFFIX) or any(kana == prefix for kana in kanas):
        raise ValueError(f"the wards' readings share {prefix!r}, which is not a city's reading")
    return prefix


def kind_from_name(code5: str, name: str) -> str:
    """Return the kind of a municipality that is not a designated city, from its cleaned name.

    Tokyo's 23 wards (131xx, name ending 区) are ``special_ward``; otherwise the name's last
    character decides: 市 city, 町 town, 村 village. Designated cities are recognised from
    their wards instead (see ``designated_city_code``). Raises ValueError for anything else.
    """
    if code5[:2] == TOKYO_PREFECTURE_CODE and code5[2] == "1" and name.endswith("区"):
        return "special_ward"
    kind = {"市": "city", "町": "town", "村": "village"}.get(name[-1:])
    if kind is None:
        raise ValueError(f"cannot tell the kind of {name!r} ({code5})")
    return kind


def is_katakana_reading(text: str) -> bool:
    """True when ``text`` is non-empty full-width katakana (ヴ, ヶ and ー included)."""
    return _KATAKANA_READING.fullmatch(text) is not None


# --- Records -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PrefectureRecord:
    """One prefecture. The bounding box holds every municipality's coordinates (see the
    build script for how it is derived), so it can sanity-check a point, not draw a map."""

    code: str  # JIS X 0401, "01".."47"
    name_ja: str
    name_kana: str
    name_en: str
    region: str  # one of REGIONS
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float

    def contains(self, lat: float, lon: float) -> bool:
        """True when (lat, lon) lies inside this prefecture's bounding box, edges included."""
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


@dataclass(frozen=True)
class MunicipalityRecord:
    """One of the 1,741 municipalities: cities (designated cities as one row, their wards
    folded in), Tokyo's special wards, towns and villages."""

    code: str  # 6 digits, check digit included
    prefecture_code: str
    name: str  # kanji
    name_kana: str  # full-width katakana, the municipality's own reading without the county
    name_romaji: str | None
    kind: str  # one of KINDS
    lat: float
    lon: float


PREFECTURE_FIELDS = tuple(field.name for field in fields(PrefectureRecord))
MUNICIPALITY_FIELDS = tuple(field.name for field in fields(MunicipalityRecord))


# --- Loading the committed CSVs --------------------------------------------------------


class _RowError(Exception):
    """A value in a CSV row is wrong; carries the field name for the ValueError message."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


def _text(row: dict[str, str], field: str) -> str:
    value = row[field]
    if not value or value != value.strip():
        raise _RowError(field, f"must be non-empty without surrounding spaces, got {value!r}")
    return value


def _coordinate(row: dict[str, str], field: str) -> float:
    try:
        value = float(row[field])
    except ValueError:
        raise _RowError(field, f"not a number: {row[field]!r}") from None
    if not math.isfinite(value):
        raise _RowError(field, f"not a finite number: {row[field]!r}")
    limit = 90.0 if field.endswith("lat") else 180.0
    if not -limit <= value <= limit:
        raise _RowError(field, f"out of range: {value}")
    return value


def _kana(row: dict[str, str], field: str) -> str:
    value = _text(row, field)
    if not is_katakana_reading(value):
        raise _RowError(field, f"not full-width katakana: {value!r}")
    return value


def _one_of(row: dict[str, str], field: str, allowed: tuple[str, ...]) -> str:
    value = row[field]
    if value not in allowed:
        raise _RowError(field, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def _prefecture_from_row(row: dict[str, str]) -> PrefectureRecord:
    code = row["code"]
    if not _PREFECTURE_CODE.fullmatch(code) or not 1 <= int(code) <= 47:
        raise _RowError("code", f"not a prefecture code 01-47: {code!r}")
    record = PrefectureRecord(
        code=code,
        name_ja=_text(row, "name_ja"),
        name_kana=_kana(row, "name_kana"),
        name_en=_text(row, "name_en"),
        region=_one_of(row, "region", REGIONS),
        min_lat=_coordinate(row, "min_lat"),
        max_lat=_coordinate(row, "max_lat"),
        min_lon=_coordinate(row, "min_lon"),
        max_lon=_coordinate(row, "max_lon"),
    )
    if record.min_lat > record.max_lat:
        raise _RowError("max_lat", "smaller than min_lat")
    if record.min_lon > record.max_lon:
        raise _RowError("max_lon", "smaller than min_lon")
    return record


def _municipality_from_row(row: dict[str, str]) -> MunicipalityRecord:
    code = row["code"]
    if not is_valid_lg_code(code):
        raise _RowError("code", f"not six digits ending in a valid check digit: {code!r}")
    prefecture_code = row["prefecture_code"]
    if prefecture_code != code[:2]:
        raise _RowError("prefecture_code", f"{prefecture_code!r} does not match code {code}")
    return MunicipalityRecord(
        code=code,
        prefecture_code=prefecture_code,
        name=_text(row, "name"),
        name_kana=_kana(row, "name_kana"),
        # An empty cell means "no romaji known"; keep None rather than "" so callers can test it.
        name_romaji=row["name_romaji"].strip() or None,
        kind=_one_of(row, "kind", KINDS),
        lat=_coordinate(row, "lat"),
        lon=_coordinate(row, "lon"),
    )


def _read_records(
    path: Path, header: tuple[str, ...], parse: Callable[[dict[str, str]], Any]
) -> list[Any]:
    records = []
    seen_codes: dict[str, int] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        first = next(reader, None)
        if first is None or tuple(first) != header:
            raise ValueError(f"{path}, line 1: header must be {','.join(header)}, got {first!r}")
        for values in reader:
            line = reader.line_num
            if len(values) != len(header):
                raise ValueError(
                    f"{path}, line {line}: expected {len(header)} fields, got {len(values)}"
                )
            row = dict(zip(header, values, strict=True))
            try:
                record = parse(row)
            except _RowError as error:
                raise ValueError(
                    f"{path}, line {line}, field {error.field!r}: {error.problem}"
                ) from None
            if record.code in seen_codes:
                raise ValueError(
                    f"{path}, line {line}, field 'code': {record.code} already on line "
                    f"{seen_codes[record.code]}"
                )
            seen_codes[record.code] = line
            records.append(record)
    return sorted(records, key=lambda record: record.code)


def load_prefectures(path: Path | str | None = None) -> list[PrefectureRecord]:
    """Read the prefectures CSV (default ``DATA_DIR / "prefectures.csv"``): UTF-8, header row
    ``PREFECTURE_FIELDS``. Returns the records sorted by code.

    Raises ValueError naming the file, line and field of the first malformed row.
    """
    return _read_records(
        Path(path) if path is not None else PREFECTURES_CSV, PREFECTURE_FIELDS, _prefecture_from_row
    )


def load_municipalities(path: Path | str | None = None) -> list[MunicipalityRecord]:
    """Read the municipalities CSV (default ``DATA_DIR / "municipalities.csv"``): UTF-8,
    header row ``MUNICIPALITY_FIELDS``, empty ``name_romaji`` meaning None. Returns the
    records sorted by code.

    Raises ValueError naming the file, line and field of the first malformed row (including
    a code whose check digit is wrong or that repeats an earlier row's code).
    """
    return _read_records(
        Path(path) if path is not None else MUNICIPALITIES_CSV,
        MUNICIPALITY_FIELDS,
        _municipality_from_row,
    )


# --- Population ------------------------------------------------------------------------

POPULATION_CSV = DATA_DIR / "municipality_population.csv"
POPULATION_HEADER = ("code", "population")
# More than anyone lives in any municipality (Yokohama: 3.8 million): a figure above it is
# a typo or a prefecture's total, not a town's.
POPULATION_MAX = 10_000_000
_POPULATION = re.compile(r"[0-9]{1,3}(,[0-9]{3})*|[0-9]+")


class PopulationFileError(ValueError):
    """A population file that cannot be read; ``problems`` are ``(line, message)`` pairs,
    line 0 for the file as a whole. Raised with every problem found, so one run lists them
    all."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"line {line}: {message}" if line else message for line, message in problems))
        self.problems = problems


def read_populations(text: str) -> dict[str, int]:
    """Read a population file: CSV with a header row naming (at least) ``code`` and
    ``population``, one municipality a line; other columns (a name, say) are ignored.

    ``code`` is the 6-digit local government code (its check digit must be right) or the
    5-digit code without it, as census tables write it; ``population`` a whole number of
    people, digits with or without thousands commas. Blank lines are skipped; a leading
    byte-order mark is allowed. Returns ``{6-digit code: population}``.

    Raises PopulationFileError listing every bad line (code, number, a code given twice)
    with its line number.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    names = [name.strip().lower() for name in header or ()]
    missing = [name for name in POPULATION_HEADER if name not in names]
    if not header or missing:
        raise PopulationFileError(
            [(1, f"the header row must name the columns {', '.join(POPULATION_HEADER)}; "
                 f"missing {', '.join(missing)}")]
        )
    code_at, population_at = names.index("code"), names.index("population")
    populations: dict[str, int] = {}
    lines: dict[str, int] = {}
    problems: list[tuple[int, str]] = []
    for values in reader:
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) <= max(code_at, population_at):
            problems.append((line, f"expected at least {max(code_at, population_at) + 1} columns, got {len(values)}"))
            continue
        code, figure = values[code_at].strip(), values[population_at].strip()
        if _FIVE_DIGITS.fullmatch(code):
            code = lg_code(code)
        elif not is_valid_lg_code(code):
            problems.append((line, f"code {code!r} is not a local government code "
                                   "(5 digits, or 6 with a correct check digit)"))
            continue
        if not _POPULATION.fullmatch(figure):
            problems.append((line, f"population {figure!r} of {code} is not a whole number"))
            continue
        population = int(figure.replace(",", ""))
        if population > POPULATION_MAX:
            problems.append((line, f"population {population:,} of {code} is more than any municipality has"))
            continue
        if code in lines:
            problems.append((line, f"code {code} is already on line {lines[code]}"))
            continue
        lines[code] = line
        populations[code] = population
    if problems:
        raise PopulationFileError(problems)
    if not populations:
        raise PopulationFileError([(0, "the file names no municipality")])
    return populations


def load_populations(path: Path | str | None = None) -> dict[str, int]:
    """Read the population file at ``path`` (default ``POPULATION_CSV``, the committed
    figures; see ``scripts/build_municipality_population.py``) as ``read_populations`` does.

    Raises PopulationFileError for a file that is not UTF-8 or not a population file, and
    OSError when it cannot be opened.
    """
    raw = Path(path if path is not None else POPULATION_CSV).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise PopulationFileError([(line, "not UTF-8 text (save the file as UTF-8 CSV)")]) from None
    return read_populations(text)
