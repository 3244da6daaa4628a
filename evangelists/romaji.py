"""Katakana readings to the romaji that English-speaking users type: 札幌市 サッポロシ →
"Sapporo-shi", so a search for "sapporo" finds it.

The style is modern Hepburn as on passports and road signs, without macrons:

- ン is always "n", also before b, m and p (ナンポロ 南幌 → "nanporo", グンマ → "gunma",
  not "namporo", "gumma") and before a vowel or y, where no apostrophe is written
  (シンオンセン 新温泉 → "shinonsen", not "shin'onsen"; カンオンジ 観音寺 → "kanonji");
- ッ doubles the next consonant, and before チ it is "t" (サッポロ → "sapporo",
  クッチャン 倶知安 → "kutchan");
- small ャュョ make digraphs (キョ "kyo", シュ "shu", ジョ "jo", チャ "cha"); ヂ and ヅ are
  written "ji" and "zu"; ヲ, ヰ, ヱ are "o", "i", "e"; ヴ is "vu" (ヴァ "va");
- the long-vowel mark ー is dropped.

Long vowels are then folded the way official English place names write them: "ou" → "o",
"oo" → "o" and "uu" → "u" (トウキョウ → "tokyo", オオサカ → "osaka", コウチ → "kochi",
オウメ → "ome", ユウバリ → "yubari", チュウオウ → "chuo"). "aa", "ii", "ee" and "ei" are
kept (ニイガタ → "niigata", テンエイ → "tenei"). The fold runs once, left to right, over the
whole reading and never on its own output, so of three o/u vowels in a row only the first
pair folds: トウオン 東温 → "toon" (the city writes Toon), ショウオウ 勝央 → "shoo".

The fold sees kana only, not where one word of a name ends and the next begins, so it is
wrong wherever a word ending in "o" meets one starting with "u": 井上 イノウエ would come out
"inoe", not "inoue". No municipality in the gazetteer has such a pair, but the fold does
pair across word boundaries there: ブンゴオオノ 豊後大野 folds ゴ with the first オ of 大
(right letters by luck, "bungoono"), and compounds run together where the city itself
writes a hyphen: 山陽小野田 → "sanyoonoda" (the city writes Sanyo-Onoda), 周防大島 →
"suooshima" (Suo-Oshima). Folding also loses what spelling alone kept apart: 箕面 ミノオ
→ "mino", the same as 美濃 ミノ (the city writes Minoh), and 大野 and 小野 are both "ono".

Stdlib only, like the rest of the domain core.
"""

from __future__ import annotations

import re

__all__ = ["fold_long_vowels", "kana_to_hepburn", "municipality_romaji"]

# Full-size katakana, one syllable each.
_SYLLABLES: dict[str, str] = {
    "ア": "a", "イ": "i", "ウ": "u", "エ": "e", "オ": "o",
    "カ": "ka", "キ": "ki", "ク": "ku", "ケ": "ke", "コ": "ko",
    "ガ": "ga", "ギ": "gi", "グ": "gu", "ゲ": "ge", "ゴ": "go",
    "サ": "sa", "シ": "shi", "ス": "su", "セ": "se", "ソ": "so",
    "ザ": "za", "ジ": "ji", "ズ": "zu", "ゼ": "ze", "ゾ": "zo",
    "タ": "ta", "チ": "chi", "ツ": "tsu", "テ": "te", "ト": "to",
    "ダ": "da", "ヂ": "ji", "ヅ": "zu", "デ": "de", "ド": "do",
    "ナ": "na", "ニ": "ni", "ヌ": "nu", "ネ": "ne", "ノ": "no",
    "ハ": "ha", "ヒ": "hi", "フ": "fu", "ヘ": "he", "ホ": "ho",
    "バ": "ba", "ビ": "bi", "ブ": "bu", "ベ": "be", "ボ": "bo",
    "パ": "pa", "ピ": "pi", "プ": "pu", "ペ": "pe", "ポ": "po",
    "マ": "ma", "ミ": "mi", "ム": "mu", "メ": "me", "モ": "mo",
    "ヤ": "ya", "ユ": "yu", "ヨ": "yo",
    "ラ": "ra", "リ": "ri", "ル": "ru", "レ": "re", "ロ": "ro",
    "ワ": "wa", "ヰ": "i", "ヱ": "e", "ヲ": "o", "ン": "n",
    "ヴ": "vu", "ヷ": "va", "ヸ": "vi", "ヹ": "ve", "ヺ": "vo",
    # Small kana standing on their own read as their full-size forms.
    "ァ": "a", "ィ": "i", "ゥ": "u", "ェ": "e", "ォ": "o",
    "ャ": "ya", "ュ": "yu", "ョ": "yo", "ヮ": "wa", "ヵ": "ka", "ヶ": "ke",
}  # fmt: skip

# Two-kana syllables: an i-row kana with small ャュョ, plus the loanword combinations with
# small vowels. Built below; looked up before single kana.
_DIGRAPHS: dict[str, str] = {
    "ファ": "fa", "フィ": "fi", "フェ": "fe", "フォ": "fo",
    "ヴァ": "va", "ヴィ": "vi", "ヴェ": "ve", "ヴォ": "vo", "ヴュ": "vyu",
    "ティ": "ti", "ディ": "di", "トゥ": "tu", "ドゥ": "du", "デュ": "dyu",
    "シェ": "she", "ジェ": "je", "チェ": "che", "ツァ": "tsa", "ツォ": "tso",
    "ウィ": "wi", "ウェ": "we", "ウォ": "wo", "イェ": "ye",
}  # fmt: skip
for _kana, _roman in list(_SYLLABLES.items()):
    if _kana in "キギシジチヂニヒビピミリ":
        for _small, _vowel in (("ャ", "a"), ("ュ", "u"), ("ョ", "o")):
            # shi/chi/ji lose their "i" (sha, cha, ja); the others take "y" (kya, nya).
            _stem = _roman[:-1] if _roman in ("shi", "chi", "ji") else _roman[:-1] + "y"
            _DIGRAPHS[_kana + _small] = _stem + _vowel
del _kana, _roman, _small, _vowel, _stem

_SOKUON = "ッ"
_LONG_MARK = "ー"
_SMALL_Y = "ャュョ"
_VOWELS = "aeiou"

# "ou", "oo" → "o" and "uu" → "u", one pass, left to right, no overlaps.
_LONG_VOWEL = re.compile(r"o[ou]|uu")

# The kanji that ends each kind's name, and the readings it may have, in the order tried.
_SUFFIX_KANJI_BY_KIND = {
    "city": "市",
    "designated_city": "市",
    "special_ward": "区",
    "town": "町",
    "village": "村",
}
_SUFFIX_READINGS: dict[str, tuple[tuple[str, str], ...]] = {
    "市": (("シ", "shi"),),
    "区": (("ク", "ku"),),
    "町": (("チョウ", "cho"), ("マチ", "machi")),
    "村": (("ムラ", "mura"), ("ソン", "son")),
}


def _syllables(kana: str) -> list[str]:
    """Romanise ``kana`` syllable by syllable, before gemination and folding; ッ is kept as
    a placeholder so the caller can double the consonant after it."""
    out: list[str] = []
    i = 0
    while i < len(kana):
        pair = kana[i : i + 2]
        if pair in _DIGRAPHS:
            out.append(_DIGRAPHS[pair])
            i += 2
            continue
        ch = kana[i]
        if ch == _SOKUON:
            out.append(_SOKUON)
        elif ch == _LONG_MARK:
            pass  # dropped: no macrons, no doubled vowel
        elif ch in _SMALL_Y:
            raise ValueError(f"small {ch} at position {i} of {kana!r} follows no i-row kana")
        elif ch in _SYLLABLES:
            out.append(_SYLLABLES[ch])
        else:
            raise ValueError(f"{ch!r} at position {i} of {kana!r} is not full-width katakana")
        i += 1
    return out


def fold_long_vowels(roman: str) -> str:
    """Fold "ou", "oo" and "uu" as ``kana_to_hepburn`` does, for romaji someone typed:
    "satou" → "sato", so it meets the reading サトウ's romaji."""
    return _LONG_VOWEL.sub(lambda match: match.group()[0], roman)


def kana_to_hepburn(kana: str) -> str:
    """Return the lowercase Hepburn romaji of a full-width katakana reading, without macrons
    and with long vowels folded as official place names write them (see the module docstring):
    サッポロ → "sapporo", トウベツ → "tobetsu", ハチジョウ → "hachijo".

    Raises ValueError for an empty string, anything that is not full-width katakana (the
    long-vowel mark ー is accepted and dropped), a small ャュョ that follows no i-row kana,
    and a ッ that is not followed by a consonant.
    """
    if not kana:
        raise ValueError("cannot romanise an empty reading")
    parts = _syllables(kana)
    roman: list[str] = []
    for index, part in enumerate(parts):
        if part != _SOKUON:
            roman.append(part)
            continue
        following = parts[index + 1] if index + 1 < len(parts) else ""
        if not following or following[0] in _VOWELS or following in ("n", _SOKUON):
            raise ValueError(f"ッ in {kana!r} is not followed by a consonant to double")
        roman.append("t" if following.startswith("ch") else following[0])
    return fold_long_vowels("".join(roman))


def municipality_romaji(name: str, kana: str, kind: str) -> str:
    """Return a municipality's English name: its reading without the kind suffix, romanised
    and capitalised, then the suffix after a hyphen.

    The suffix follows the name's last kanji and the reading's ending: 市 "-shi", 区 "-ku",
    町 "-cho" (read チョウ) or "-machi" (read マチ), 村 "-mura" (ムラ) or "-son" (ソン).
    札幌市 サッポロシ → "Sapporo-shi", 当別町 トウベツチョウ → "Tobetsu-cho", 八丈町
    ハチジョウマチ → "Hachijo-machi". The stem and the suffix are romanised separately, so
    vowels are never folded across the hyphen.

    Raises ValueError when ``kind`` is not one of the gazetteer's kinds, when ``name`` does
    not end with that kind's kanji (市 for city and designated_city, 区 for special_ward, 町
    for town, 村 for village), when ``kana`` does not end with a reading of that kanji or has
    nothing before it, or when the reading is not katakana.
    """
    suffix_kanji = _SUFFIX_KANJI_BY_KIND.get(kind)
    if suffix_kanji is None:
        kinds = ", ".join(_SUFFIX_KANJI_BY_KIND)
        raise ValueError(f"unknown kind {kind!r}; expected one of {kinds}")
    if not name.endswith(suffix_kanji):
        raise ValueError(f"{name!r} is a {kind} but does not end in {suffix_kanji}")
    readings = _SUFFIX_READINGS[suffix_kanji]
    for suffix_kana, suffix_roman in readings:
        if kana.endswith(suffix_kana) and len(kana) > len(suffix_kana):
            stem = kana_to_hepburn(kana[: -len(suffix_kana)])
            return f"{stem.capitalize()}-{suffix_roman}"
    expected = " or ".join(suffix_kana for suffix_kana, _ in readings)
    raise ValueError(
        f"the reading {kana!r} of {name!r} does not end in {expected} after a stem, "
        f"as the {suffix_kanji} of a {kind} is read"
    )
