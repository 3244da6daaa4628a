"""Finding a person by name: 山田, やまだ, ヤマダ, ｙａｍａｄａ and "Yamada" all find 山田 花子.

The written name is matched as typed (NFKC, spaces ignored, hiragana and katakana alike).
Readings are not stored with people yet, so the readings of common family and given names
come from the small tables below; a name outside them is found by its written form only
(storing each person's reading, as the gazetteer does for towns, is the full fix). A name
with two usual readings (中島 ナカジマ / ナカシマ) lists both: either finds it.

Stdlib only, like the rest of the domain core.
"""

from __future__ import annotations

import functools

from evangelists.romaji import fold_long_vowels, kana_to_hepburn
from evangelists.text import normalize_query, to_katakana

__all__ = ["FAMILY_READINGS", "GIVEN_READINGS", "name_matches", "readings"]

FAMILY_READINGS: dict[str, tuple[str, ...]] = {
    "佐藤": ("サトウ",), "鈴木": ("スズキ",), "高橋": ("タカハシ",), "田中": ("タナカ",),
    "伊藤": ("イトウ",), "渡辺": ("ワタナベ",), "渡邊": ("ワタナベ",), "山本": ("ヤマモト",),
    "中村": ("ナカムラ",), "小林": ("コバヤシ",), "加藤": ("カトウ",), "吉田": ("ヨシダ",),
    "山田": ("ヤマダ",), "佐々木": ("ササキ",), "山口": ("ヤマグチ",), "松本": ("マツモト",),
    "井上": ("イノウエ",), "木村": ("キムラ",), "林": ("ハヤシ",), "斎藤": ("サイトウ",),
    "斉藤": ("サイトウ",), "清水": ("シミズ",), "山崎": ("ヤマザキ", "ヤマサキ"), "森": ("モリ",),
    "池田": ("イケダ",), "橋本": ("ハシモト",), "阿部": ("アベ",), "石川": ("イシカワ",),
    "山下": ("ヤマシタ",), "中島": ("ナカジマ", "ナカシマ"), "石井": ("イシイ",), "小川": ("オガワ",),
    "前田": ("マエダ",), "岡田": ("オカダ",), "長谷川": ("ハセガワ",), "藤田": ("フジタ",),
    "後藤": ("ゴトウ",), "近藤": ("コンドウ",), "村上": ("ムラカミ",), "遠藤": ("エンドウ",),
    "青木": ("アオキ",), "坂本": ("サカモト",), "福田": ("フクダ",), "太田": ("オオタ",),
    "西村": ("ニシムラ",), "藤井": ("フジイ",), "金子": ("カネコ",), "岡本": ("オカモト",),
    "藤原": ("フジワラ",), "三浦": ("ミウラ",), "中野": ("ナカノ",), "中川": ("ナカガワ",),
    "原田": ("ハラダ",), "松田": ("マツダ",), "竹内": ("タケウチ",), "小野": ("オノ",),
    "田村": ("タムラ",), "中山": ("ナカヤマ",), "和田": ("ワダ",), "石田": ("イシダ",),
    "森田": ("モリタ",), "上田": ("ウエダ",), "原": ("ハラ",), "柴田": ("シバタ",),
    "酒井": ("サカイ",), "工藤": ("クドウ",), "横山": ("ヨコヤマ",), "宮崎": ("ミヤザキ",),
    "宮本": ("ミヤモト",), "内田": ("ウチダ",), "高木": ("タカギ",), "安藤": ("アンドウ",),
    "島田": ("シマダ",), "谷口": ("タニグチ",), "大野": ("オオノ",), "高田": ("タカダ",),
    "丸山": ("マルヤマ",), "今井": ("イマイ",), "河野": ("コウノ", "カワノ"), "藤本": ("フジモト",),
    "村田": ("ムラタ",), "武田": ("タケダ",), "上野": ("ウエノ",), "杉山": ("スギヤマ",),
    "増田": ("マスダ",), "小山": ("コヤマ", "オヤマ"), "大塚": ("オオツカ",), "平野": ("ヒラノ",),
    "菅原": ("スガワラ",), "久保": ("クボ",), "松井": ("マツイ",), "千葉": ("チバ",),
    "岩崎": ("イワサキ",), "桜井": ("サクライ",), "木下": ("キノシタ",), "野口": ("ノグチ",),
    "松尾": ("マツオ",), "菊地": ("キクチ",), "菊池": ("キクチ",), "野村": ("ノムラ",),
    "新井": ("アライ",), "北野": ("キタノ",), "南": ("ミナミ",), "大谷": ("オオタニ",),
}

GIVEN_READINGS: dict[str, tuple[str, ...]] = {
    "陽菜": ("ヒナ", "ハルナ"), "結衣": ("ユイ",), "葵": ("アオイ",), "美咲": ("ミサキ",),
    "七海": ("ナナミ",), "彩花": ("アヤカ",), "真央": ("マオ",), "優子": ("ユウコ",),
    "里奈": ("リナ",), "大翔": ("ヒロト", "ハルト"), "蓮": ("レン",), "悠真": ("ユウマ",),
    "陽斗": ("ハルト",), "湊": ("ミナト",), "健太": ("ケンタ",), "翔太": ("ショウタ",),
    "拓海": ("タクミ",), "直樹": ("ナオキ",), "誠": ("マコト",), "明美": ("アケミ",),
    "恵": ("メグミ",), "裕子": ("ユウコ", "ヒロコ"), "智子": ("トモコ",), "亮": ("リョウ",),
    "隆": ("タカシ",), "修": ("オサム",), "浩二": ("コウジ",), "春香": ("ハルカ",),
    "千尋": ("チヒロ",), "花子": ("ハナコ",), "太郎": ("タロウ",), "陸": ("リク",),
    "翔": ("ショウ", "カケル"), "大輔": ("ダイスケ",), "美穂": ("ミホ",), "花": ("ハナ",),
}


def _fold(text: str) -> str:
    """NFKC, no spaces, hiragana as katakana, lower case."""
    return to_katakana("".join(normalize_query(text).split())).lower()


def _is_katakana(text: str) -> bool:
    return bool(text) and all("\u30a1" <= ch <= "\u30fc" for ch in text)


def _romaji(kana: str) -> str | None:
    try:
        return kana_to_hepburn(kana)
    except ValueError:
        return None


def readings(family: str, given: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The known katakana readings of the family and given name: from the tables, or the
    name itself when it is written in kana (さくら → サクラ)."""

    def of(name: str, table: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
        folded = _fold(name)
        if _is_katakana(folded):
            return (folded,)
        return table.get(normalize_query(name).replace(" ", ""), ())

    return of(family, FAMILY_READINGS), of(given, GIVEN_READINGS)


@functools.lru_cache(maxsize=8192)
def _keys(family: str, given: str) -> frozenset[str]:
    """Every folded form a query may be part of: the written name, its readings in
    katakana, and their romaji, family first and given first. Cached: a search reads every
    name in the network, and names repeat."""
    family_kana, given_kana = readings(family, given)
    keys = {_fold(family + given), _fold(given + family)}
    for f in family_kana or ("",):
        for g in given_kana or ("",):
            for kana in {f + g, g + f} - {""}:
                keys.add(kana)
                roman = _romaji(kana)
                if roman:
                    keys.add(roman)
            for part in (f, g):
                roman = _romaji(part) if part else None
                if roman:
                    keys.add(roman)
    return frozenset(keys)


def name_matches(query: str, family: str, given: str) -> bool:
    """Whether ``query`` (as typed: kanji, kana, romaji, full- or half-width, any case,
    spaces anywhere) is part of the person's name or of a known reading of it."""
    folded = _fold(query)
    if not folded:
        return False
    candidates = {folded}
    if folded.isascii():
        candidates.add(fold_long_vowels(folded))
        # Fold each typed word alone too ("Satou Hanako"), as each name is folded alone.
        words = normalize_query(query).lower().split()
        candidates.add("".join(fold_long_vowels(w) for w in words))
    keys = _keys(family, given)
    return any(c in key for c in candidates for key in keys)
