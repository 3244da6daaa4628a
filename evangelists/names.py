"""People's names and their readings (フリガナ): normalising what is typed as a reading,
ordering people in 五十音 order, and finding a person by name: 山田, やまだ, ヤマダ, ｙａｍａｄａ
and "Yamada" all find 山田 花子 (reading ヤマダ ハナコ).

Each person's reading is stored with them (family and given, full-width katakana). Two keys
are derived from the name and its reading and stored beside them, so the database can order
and search without reading every row into Python:

- :func:`sort_key`: people in 五十音 order of their reading (voiced and small kana sort with
  their plain ones, ー as the vowel it lengthens), then by the written name; people whose
  reading is unknown come after everyone whose reading is known. Compare keys by code point
  (binary collation).
- :func:`search_key`: every folded form a query may be part of (the written name, the
  reading in katakana, its Hepburn romaji, family first and given first); a query matches
  when one of :func:`query_forms` is part of it (SQL: ``LIKE '%form%'``).

The tables ``FAMILY_READINGS`` and ``GIVEN_READINGS`` (common names and their usual
readings) are only what migration 0018 guesses the readings of people stored before
readings were; nothing else reads them.

Stdlib only, like the rest of the domain core.
"""

from __future__ import annotations

import functools
import unicodedata

from evangelists.errors import Refused
from evangelists.romaji import fold_long_vowels, kana_to_hepburn
from evangelists.text import normalize_query, to_katakana

__all__ = [
    "FAMILY_READINGS",
    "GIVEN_READINGS",
    "READING_MAX",
    "SORT_KEY_MAX",
    "ReadingRefused",
    "gojuon_key",
    "name_matches",
    "normalize_reading",
    "query_forms",
    "readings",
    "search_key",
    "sort_key",
]

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


READING_MAX = 60  # a family or given name's reading, in katakana (as PERSON_NAME_MAX)
# The longest sort key: the two readings folded and as typed, the two names, separators.
SORT_KEY_MAX = 1 + 4 * READING_MAX + 2 * 60 + 5


class ReadingRefused(Refused, ValueError):
    """A reading that is not kana (``reason`` ``not_kana``) or too long (``too_long``)."""

    scope = "reading"


_KATAKANA_FIRST, _KATAKANA_LAST = "\u30a1", "\u30fa"  # ァ .. ヺ
_LONG_MARK = "ー"
_ITERATION_MARKS = "ヽヾ"


def _is_reading_char(ch: str) -> bool:
    return _KATAKANA_FIRST <= ch <= _KATAKANA_LAST or ch == _LONG_MARK or ch in _ITERATION_MARKS


def normalize_reading(text: str | None, field: str = "reading") -> str:
    """A reading as stored: full-width katakana without spaces. Accepts hiragana, katakana,
    half-width katakana (ﾔﾏﾀﾞ), and spaces and 中黒 (・) anywhere; "" for nothing
    typed. Raises :class:`ReadingRefused` (``field``, ``not_kana``) for anything else
    (kanji, latin letters, digits, symbols) and (``field``, ``too_long``) past READING_MAX."""
    folded = to_katakana("".join(unicodedata.normalize("NFKC", text or "").split()))
    # NFKC leaves the hiragana iteration marks and ゔ; to_katakana covers ゔ (U+3094).
    folded = folded.replace("ゝ", "ヽ").replace("ゞ", "ヾ")
    # 中黒 between the parts of a foreign name (スミス・ジョン) is dropped like a space.
    folded = folded.replace("・", "")
    if not all(_is_reading_char(ch) for ch in folded):
        raise ReadingRefused(field, "not_kana")
    if len(folded) > READING_MAX:
        raise ReadingRefused(field, "too_long")
    return folded


# 五十音 order: small kana read as their full-size ones, voiced (ガ) and half-voiced (パ)
# as their plain ones; ties are then broken by the reading as written (カ < ガ < パ).
_SMALL_TO_LARGE = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_VOWEL_OF = {}
for _row, _vowel in (("アカサタナハマヤラワガザダバパァャヮヵ", "ア"), ("イキシチニヒミリギジヂビピィヰ", "イ"),
                     ("ウクスツヌフムユルグズヅブプゥッュヴ", "ウ"), ("エケセテネヘメレゲゼデベペェヱヶ", "エ"),
                     ("オコソトノホモヨロヲゴゾドボポォョ", "オ")):
    for _ch in _row:
        _VOWEL_OF[_ch] = _vowel
del _row, _vowel, _ch


def gojuon_key(kana: str) -> str:
    """The primary 五十音 key of a katakana reading: plain full-size kana, ー replaced by
    the vowel it lengthens (サトー sorts as サトオ), ヽヾ by the kana they repeat."""
    out: list[str] = []
    for ch in kana:
        if ch == _LONG_MARK:
            ch = _VOWEL_OF.get(out[-1], "") if out else ""
        elif ch in _ITERATION_MARKS:
            ch = out[-1] if out else ""
        else:
            ch = unicodedata.normalize("NFD", ch)[0].translate(_SMALL_TO_LARGE)
        out.append(ch)
    return "".join(out)


_KNOWN, _UNKNOWN = "1", "2"  # people with a reading first


def sort_key(family: str, given: str, family_kana: str = "", given_kana: str = "") -> str:
    """The key people are ordered by (binary comparison): 五十音 order of the family
    reading, then the given reading, then the readings as written, then the written name;
    anyone without a family reading after everyone with one, by their written name. The
    separator (a space) sorts before every kana, so アベ comes before アベカワ."""
    if family_kana:
        return " ".join((_KNOWN + gojuon_key(family_kana), gojuon_key(given_kana), family_kana, given_kana,
                         family, given))
    return " ".join((_UNKNOWN + family, given))


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
    """The readings the tables guess for a family and given name (the backfill of
    migration 0018): from the tables, or the name itself when it is written in kana
    (さくら → サクラ); () when neither knows."""

    def of(name: str, table: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
        folded = _fold(name)
        if _is_katakana(folded):
            return (folded,)
        return table.get(normalize_query(name).replace(" ", ""), ())

    return of(family, FAMILY_READINGS), of(given, GIVEN_READINGS)


_SEPARATOR = " "  # between the forms of a search key; no folded query holds one


@functools.lru_cache(maxsize=8192)
def search_key(family: str, given: str, family_kana: str = "", given_kana: str = "") -> str:
    """Every folded form a query may be part of, separated by spaces: the written name
    and the reading (a name written in kana is its own reading), family first and given
    first, and the reading's romaji (whole, and each name romanised alone, so イノウエ is
    "inoue" and never "inoe" across the two names)."""
    f_kana = family_kana or (_fold(family) if _is_katakana(_fold(family)) else "")
    g_kana = given_kana or (_fold(given) if _is_katakana(_fold(given)) else "")
    keys = [_fold(family + given), _fold(given + family)]
    for kana in dict.fromkeys((f_kana + g_kana, g_kana + f_kana)):
        if kana:
            keys.append(kana.lower())
    roman_f = _romaji(f_kana) if f_kana else None
    roman_g = _romaji(g_kana) if g_kana else None
    for roman in (roman_f, roman_g):
        if roman:
            keys.append(roman)
    if roman_f and roman_g:
        keys += [roman_f + roman_g, roman_g + roman_f]
    for kana in (f_kana + g_kana, g_kana + f_kana):
        roman = _romaji(kana) if f_kana and g_kana else None
        if roman:
            keys.append(roman)
    return _SEPARATOR.join(dict.fromkeys(k for k in keys if k))


def query_forms(query: str) -> tuple[str, ...]:
    """The folded forms of a query as typed (kanji, kana, romaji, full- or half-width,
    any case, spaces anywhere): a person matches when one of them is part of their
    :func:`search_key`. () for a query with nothing to look for."""
    folded = _fold(query)
    if not folded:
        return ()
    forms = [folded]
    if folded.isascii():
        forms.append(fold_long_vowels(folded))
        # Fold each typed word alone too ("Satou Hanako"), as each name is folded alone.
        words = normalize_query(query).lower().split()
        forms.append("".join(fold_long_vowels(w) for w in words))
    return tuple(dict.fromkeys(forms))


def name_matches(query: str, family: str, given: str, family_kana: str = "", given_kana: str = "") -> bool:
    """Whether ``query`` is part of the person's name or of their stored reading."""
    key = search_key(family, given, family_kana, given_kana)
    return any(form in key for form in query_forms(query))
