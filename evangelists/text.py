"""Normalising what people type into a search box, so that 札幌, さっぽろ, ｻｯﾎﾟﾛ and
"sapporo" all find 札幌市, and 梼原 finds 檮原町."""

from __future__ import annotations

import unicodedata

_HIRAGANA_START = 0x3041
_HIRAGANA_END = 0x3096
_KANA_OFFSET = 0x60  # katakana code point = hiragana code point + 0x60


def to_katakana(text: str) -> str:
    """Return ``text`` with every hiragana letter replaced by its katakana."""
    return "".join(
        chr(ord(ch) + _KANA_OFFSET) if _HIRAGANA_START <= ord(ch) <= _HIRAGANA_END else ch
        for ch in text
    )


def normalize_query(text: str) -> str:
    """Fold a search query: NFKC (full-width digits and half-width kana become normal),
    collapse whitespace, and trim. Case is kept; callers compare case-insensitively."""
    folded = unicodedata.normalize("NFKC", text)
    return " ".join(folded.split())


# Variant characters (異体字) in municipality names: the form people type (often the one their
# input method offers first) → one folded form. The gazetteer stores each name as the national
# code list writes it (総務省 全国地方公共団体コード: 檮原町, 檜原村, 龍ケ崎市, 竜王町, 鰺ヶ沢町,
# 飯舘村, 大館市, 聖籠町, 須恵町...), so a search folds both the query and the names through this
# one table: 梼原 finds 檮原町, 桧原 finds 檜原村, 竜ヶ崎 finds 龍ケ崎市, 鯵ヶ沢 finds 鰺ヶ沢町.
# Folding only matches more; what is shown is always the stored, official name.
VARIANT_FOLDS: tuple[tuple[str, str], ...] = (
    ("梼", "檮"),
    ("桧", "檜"),
    ("竜", "龍"),
    ("舘", "館"),
    ("篭", "籠"),
    ("鯵", "鰺"),
    ("惠", "恵"),
    ("嶋", "島"),
    ("澤", "沢"),
    ("邊", "辺"),
    ("邉", "辺"),
    ("﨑", "崎"),
    ("髙", "高"),
    ("ケ", "ヶ"),  # 龍ケ崎市 / 茅ヶ崎市: the code list uses both sizes of ケ
    ("ヵ", "ヶ"),
)
_VARIANT_TABLE = str.maketrans(dict(VARIANT_FOLDS))


def fold_variants(text: str) -> str:
    """Return ``text`` with every variant character of ``VARIANT_FOLDS`` replaced by its
    folded form. Apply it to both sides of a comparison (SQL: ``fold_variants_sql``-style
    nested REPLACE over the same table), never to what is stored or shown."""
    return text.translate(_VARIANT_TABLE)
