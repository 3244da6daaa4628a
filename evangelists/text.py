"""Normalising what people type into a search box, so that 札幌, さっぽろ, ｻｯﾎﾟﾛ and
"sapporo" all find 札幌市."""

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
