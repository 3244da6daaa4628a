"""The staff search box (issue 20, point 5): what a search document holds and how a query
is folded to meet it.

Every findable object (a municipality, a request, an evangelist or candidate, a
community, an account) is stored as a few *terms*, one per thing it may be found by: its
name, its reading, the reading's romaji, an e-mail address, a request's number. A term is
folded the same way as a query (:func:`fold`): NFKC (full-width letters and half-width
kana become normal), no spaces, hiragana as katakana (so either script finds the other),
lower case, and the variant kanji of ``evangelists.text.VARIANT_FOLDS`` as one form (梼原
finds 檮原町). A query matches a term when one of its :func:`query_forms` is part of it.

People's terms are their name search key (``evangelists.names.search_key``: the name and
reading family-first and given-first, and the reading's Hepburn romaji), so the search box
finds whom the recruitment board's ``?q=`` finds.

Stdlib only, like the rest of the domain core.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from evangelists.names import query_forms as name_query_forms
from evangelists.names import search_key
from evangelists.romaji import kana_to_hepburn
from evangelists.text import fold_variants, normalize_query, to_katakana

__all__ = [
    "FIELDS",
    "KINDS",
    "QUERY_MAX",
    "TERM_MAX",
    "TRIGRAM",
    "Term",
    "account_terms",
    "community_terms",
    "fold",
    "municipality_terms",
    "person_terms",
    "query_forms",
    "request_number",
    "request_terms",
]

# The groups of the results page, in the order shown.
KINDS = ("municipality", "request", "evangelist", "community", "account")
# What a term is.
FIELDS = ("name", "reading", "romaji", "email", "number", "contact", "department", "municipality")

TRIGRAM = 3  # the shortest text a trigram index can look up; shorter queries match prefixes
TERM_MAX = 300  # longer than any name, reading or e-mail the models allow
QUERY_MAX = 100  # the longest query the search box takes


class Term(NamedTuple):
    """One thing an object may be found by: ``field`` (what it is: ``name``, ``reading``,
    ``romaji``, ``email``, ``number``, ``contact``, ``department``, ``municipality``),
    ``term`` (folded, searched) and ``shown`` (as written, shown beside a hit)."""

    field: str
    term: str
    shown: str


def fold(text: str | None) -> str:
    """A term or query as compared: NFKC, no spaces, hiragana as katakana, lower case,
    variant kanji folded."""
    folded = to_katakana("".join(normalize_query(text or "").split())).lower()
    return fold_variants(folded)


def query_forms(query: str) -> tuple[str, ...]:
    """The folded forms of what was typed: the query folded, and for romaji its long
    vowels folded too ("satou" finds サトウ's "sato"), as the name search does. () for a
    query with nothing to look for."""
    return tuple(dict.fromkeys(fold_variants(form) for form in name_query_forms(query) if form))


_NUMBER = re.compile(r"^(?:#|no\.?|番号)?\s*([0-9]{1,10})$", re.IGNORECASE)


def request_number(query: str) -> int | None:
    """The request number a query names ("123", "#123", "No.123", "番号123", full-width
    digits too), or None."""
    match = _NUMBER.match(unicodedata.normalize("NFKC", query or "").strip())
    if match is None or not 0 < int(match.group(1)) < 2**31:
        return None
    return int(match.group(1))


def _terms(*candidates: tuple[str, str | None, str | None]) -> list[Term]:
    """(field, text to fold, shown) → terms, each folded text once, none empty."""
    seen: set[str] = set()
    out: list[Term] = []
    for field, text, shown in candidates:
        term = fold(text)[:TERM_MAX]
        if term and term not in seen:
            seen.add(term)
            out.append(Term(field, term, (shown or text or "")[:TERM_MAX]))
    return out


def _words(field: str, text: str | None) -> list[tuple[str, str | None, str | None]]:
    """A free-text name whole, and each of its words when it has several (佐藤 一郎: 一郎
    is the start of a term too, for a one- or two-character query)."""
    words = normalize_query(text or "").split()
    whole = [(field, text, text)]
    return whole + [(field, word, text) for word in words] if len(words) > 1 else whole


def _romaji(kana: str) -> str | None:
    try:
        return kana_to_hepburn(to_katakana(kana))
    except ValueError:
        return None


def municipality_terms(name: str, name_kana: str, name_romaji: str | None) -> list[Term]:
    """A municipality's name, its reading, and its romaji as the gazetteer writes it
    ("Sapporo-shi", also without the hyphen) and as romanised from the reading."""
    roman = (name_romaji or "").strip()
    return _terms(
        ("name", name, name),
        ("reading", name_kana, name_kana),
        ("romaji", roman, roman),
        ("romaji", roman.replace("-", "").replace(" ", ""), roman),
        ("romaji", _romaji(fold(name_kana)), roman or None),
    )


def person_terms(family: str, given: str, family_kana: str, given_kana: str,
                 email: str | None = None) -> list[Term]:
    """An evangelist's (or candidate's) name search key, part by part, and their e-mail."""
    name = f"{family} {given}"
    reading = " ".join(p for p in (family_kana, given_kana) if p)
    candidates: list[tuple[str, str | None, str | None]] = []
    for part in search_key(family, given, family_kana or "", given_kana or "").split(" "):
        if part.isascii():
            candidates.append(("romaji", part, part))
        elif all("\u30a1" <= ch <= "\u30fc" for ch in part) and fold(part) not in {fold(family + given),
                                                                                     fold(given + family)}:
            candidates.append(("reading", part, reading or part))
        else:
            candidates.append(("name", part, name))
    candidates.append(("email", email, email))
    return _terms(*candidates)


def community_terms(name: str, contact_email: str | None) -> list[Term]:
    return _terms(*_words("name", name), ("email", contact_email, contact_email))


def account_terms(email: str, display_name: str) -> list[Term]:
    return _terms(("email", email, email), *_words("name", display_name))


def request_terms(number: int, contact_name: str, department: str, email: str | None,
                  municipality: list[Term]) -> list[Term]:
    """A request's number (matched whole, never in part), the contact's name, department
    and e-mail, and its municipality's terms (札幌 finds Sapporo's requests)."""
    own = _terms(*_words("contact", contact_name), *_words("department", department), ("email", email, email))
    taken = {t.term for t in own}
    return [Term("number", str(number), f"#{number}"), *own,
            *(Term("municipality", t.term, t.shown) for t in municipality if t.term not in taken)]
