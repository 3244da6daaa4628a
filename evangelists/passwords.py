"""The password policy, after OWASP ASVS 5.0 V6.2 (password security).

- 6.2.1 / 6.2.9: at least ``MIN_LENGTH`` (12; ASVS asks for 8 and recommends 15) and at
  most ``MAX_LENGTH`` (128; ASVS asks that at least 64 be allowed) characters,
  counted in Unicode code points after NFKC normalisation, so a Japanese passphrase such as
  "しずかな森の朝ごはん12" counts its kana and kanji one by one.
- 6.2.5: any characters are allowed, with no composition rules (no "one upper case letter,
  one digit" demands).
- 6.2.4 (and, as far as a list compiled from leaks goes, 6.2.12): not a common password.
  ``data/common-passwords.txt`` (built by ``scripts/build_common_passwords.py`` from
  SecLists' ranked 10 million password list; its header names source and licence) holds
  over 20,000 entries that meet the length policy, well over ASVS's "top 3,000".
- 6.2.11 (context-specific words): not built from the user's e-mail address or name, and
  not a keyboard walk, an alphabet run or one character repeated.
- 6.2.8: the folding done here (NFKC, lower case) is for these checks only; the password
  is hashed and verified exactly as received.

``password_problems`` returns machine codes that the web layer translates; an empty list
means the password is acceptable. Plain Python (stdlib only), like the rest of the core.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 128

# Every code password_problems can return, in the order it returns them.
PROBLEM_CODES = (
    "too_short",
    "too_long",
    "common",
    "contains_email",
    "contains_name",
    "repetitive",
)

COMMON_PASSWORDS_PATH = Path(__file__).parent / "data" / "common-passwords.txt"

# The e-mail local part and the name parts must be at least this long to be looked for, so
# that "jo" or "li" do not make half of all passphrases unacceptable.
_MIN_EMAIL_LOCAL_PART = 4
_MIN_NAME_PART = 3

# A password with this many distinct characters or fewer is "repetitive" ("abababababab").
_MAX_REPETITIVE_DISTINCT = 3

# Runs that people type as "patterns". A password that is a stretch of one of these, read
# forwards or backwards and wrapping round at the end ("123456789012", "qwertyuiopas",
# "zyxwvutsrqpo", "1qaz2wsx3edc"), is "repetitive".
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiopasdfghjklzxcvbnm",  # the letter rows of a QWERTY keyboard, row after row
    "1234567890-=qwertyuiop[]asdfghjkl;'zxcvbnm,./",  # all four rows of a US keyboard
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",  # its columns, top to bottom
    "qazwsxedcrfvtgbyhnujmikolp",  # the letter columns alone
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん",
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン",
)


def normalize(password: str) -> str:
    """NFKC normal form: full-width "ｐａｓｓ１２３" becomes "pass123", half-width kana become
    ordinary kana. Lengths are counted, and every comparison made, on this form."""
    return unicodedata.normalize("NFKC", password)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The common-password list (NFKC, lower case), read once from COMMON_PASSWORDS_PATH.
    Lines starting with "#" are comments; empty lines are skipped; entries are not
    stripped (a space inside or around a password is part of it)."""
    with COMMON_PASSWORDS_PATH.open(encoding="utf-8") as lines:
        return frozenset(
            entry
            for entry in (line.rstrip("\r\n") for line in lines)
            if entry and not entry.startswith("#")
        )


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """What is wrong with ``password`` as a new password for the user with this ``email``
    and display ``name``, as codes from PROBLEM_CODES in that order; ``[]`` = acceptable.

    - ``"too_short"``: fewer than MIN_LENGTH code points after NFKC normalisation.
    - ``"too_long"``: more than MAX_LENGTH code points. Such a password gets this code
      alone: it is refused anyway, and the other checks are not run on unbounded input.
    - ``"common"``: in the common-password list, case-insensitively, or a list entry with
      only digits, punctuation, symbols or spaces before or after it ("password123456!").
    - ``"contains_email"``: contains the local part of ``email`` (before the last "@"),
      case-insensitively, when that part has at least 4 characters.
    - ``"contains_name"``: contains a whitespace-separated part of ``name`` of at least
      3 characters, case-insensitively.
    - ``"repetitive"``: at most 3 distinct characters ("aaaaaaaaaaaa", "abababababab"),
      one shorter unit repeated ("abcdabcdabcd", "passwordpassword"), or a stretch of
      the alphabet, the digits, a keyboard row or column, or the kana syllabary, forwards
      or backwards ("abcdefghijkl", "123456789012", "qwertyuiopas", "1qaz2wsx3edc").

    An empty (or None) ``email`` or ``name`` skips that check.
    Any characters are allowed; there are no composition rules. ``password`` itself is
    never changed: the folding here is only for the checks.
    """
    normalized = normalize(password)
    if len(normalized) > MAX_LENGTH:
        return ["too_long"]
    folded = normalized.lower()
    problems: list[str] = []
    if len(normalized) < MIN_LENGTH:
        problems.append("too_short")
    if _is_common(folded):
        problems.append("common")
    if _contains_email(folded, email):
        problems.append("contains_email")
    if _contains_name(folded, name):
        problems.append("contains_name")
    if _is_repetitive(folded):
        problems.append("repetitive")
    return problems


def _is_affix(ch: str) -> bool:
    """Digits, punctuation, symbols and spaces: what people pad a weak word with."""
    return not ch.isalpha()


def _is_common(folded: str) -> bool:
    # The rule: the password is common if it is a list entry, or a list entry with only
    # non-letters (digits, punctuation, symbols, spaces) added before and/or after it.
    # People meet a length rule by padding a word they know: "password" + "123456!",
    # "!!" + "iloveyou2024". Padding adds almost nothing for a guesser, who tries exactly
    # those suffixes first. So every way of removing some of the leading non-letters and
    # some of the trailing non-letters is looked up, keeping at least the list's shortest
    # entry length: "password123456!" is caught through "password123" or "password1234".
    # Letters are never removed, so "password" inside a longer phrase ("my password is
    # a secret") does not make the phrase common.
    common = common_passwords()
    if folded in common:
        return True
    n = len(folded)
    lead = 0
    while lead < n and _is_affix(folded[lead]):
        lead += 1
    trail = 0
    while trail < n and _is_affix(folded[n - 1 - trail]):
        trail += 1
    shortest, longest = _entry_length_range()
    for start in range(lead + 1):
        # A candidate keeps every letter: it ends at or after the last letter.
        first_end = max(n - trail, start + shortest)
        last_end = min(n, start + longest)
        for end in range(first_end, last_end + 1):
            if folded[start:end] in common:
                return True
    return False


@functools.cache
def _entry_length_range() -> tuple[int, int]:
    lengths = [len(entry) for entry in common_passwords()] or [0]
    return min(lengths), max(lengths)


def _contains_email(folded: str, email: str) -> bool:
    if not email:
        return False
    before, at, after = normalize(email).strip().rpartition("@")
    local = (before if at else after).lower()  # no "@": the whole value is the local part
    return len(local) >= _MIN_EMAIL_LOCAL_PART and local in folded


def _contains_name(folded: str, name: str) -> bool:
    if not name:
        return False
    return any(
        len(part) >= _MIN_NAME_PART and part in folded
        for part in normalize(name).lower().split()
    )


def _is_repetitive(folded: str) -> bool:
    if len(set(folded)) <= _MAX_REPETITIVE_DISTINCT:
        return True
    if _is_repeated_unit(folded):
        return True
    return any(_in_cycle(folded, seq) or _in_cycle(folded, seq[::-1]) for seq in _SEQUENCES)


def _is_repeated_unit(text: str) -> bool:
    """True for a shorter unit repeated to fill the whole text ("abcdabcdabcd")."""
    # A string is a repetition of a shorter unit exactly when it occurs inside itself
    # doubled at some offset other than 0 and len(text).
    return len(text) > 1 and (text + text).find(text, 1) < len(text)


def _in_cycle(text: str, sequence: str) -> bool:
    """True when ``text`` is a stretch of ``sequence`` read round and round."""
    repeats = len(text) // len(sequence) + 2
    return text in sequence * repeats
