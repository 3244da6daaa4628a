"""The Japanese catalogue is complete, well-formed and in step with the code.

Japanese is the default language (PRODUCT.md §2), so an English string that reaches a page
untranslated is a bug. These tests extract the messages from the project the same way
``make extract-messages`` does (the mapping in ``babel.cfg``, keyword ``_l`` on top of
babel's defaults) and compare them with the committed ``ja`` catalogue. Obsolete entries
(``#~``) are ignored.
"""

from __future__ import annotations

import gettext
import io
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.util import pathmatch

try:  # Babel >= 2.14
    from babel.messages.frontend import parse_mapping_cfg as _parse_mapping
except ImportError:  # pragma: no cover - older Babel
    from babel.messages.frontend import parse_mapping as _parse_mapping

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "babel.cfg"
CATALOG = ROOT / "app" / "translations" / "ja" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}  # pybabel extract --keywords=_l
HOW_TO_FIX = (
    "Run `make extract-messages`, fill in the empty msgstr lines in "
    "app/translations/ja/LC_MESSAGES/messages.po, then `make translations`."
)

# printf-style conversions as Python's % operator reads them; a lone "%" counts too, since
# newstyle Jinja gettext applies % to every translated template string.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[#0\- +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]|%")


def _skip_dir(name: str) -> bool:
    # pybabel extract's default directory filter: skip ".venv", ".git", "__pycache__", ...
    return name.startswith((".", "_"))


def extract_project():
    """Every message the project marks for translation, as ``pybabel extract`` sees it.

    Returns ``(messages, errors)``: ``messages`` maps ``(msgid, context)`` (``msgid`` a tuple
    for plurals) to the files using it; ``errors`` maps a file babel could not read to why.
    Unlike pybabel (whose Jinja extractor is silent by default), a template that does not
    parse is reported rather than skipped, since its strings would silently go missing.
    """
    with MAPPING.open(encoding="utf-8") as fileobj:
        method_map, options_map = _parse_mapping(fileobj, str(MAPPING))

    messages: dict[tuple, set[str]] = defaultdict(set)
    errors: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = sorted(d for d in dirnames if not _skip_dir(d))
        for filename in sorted(filenames):
            relpath = Path(dirpath, filename).relative_to(ROOT).as_posix()
            for pattern, method in method_map:
                if not pathmatch(pattern, relpath):
                    continue
                if method != "ignore":
                    options = dict(options_map.get(pattern, {}))
                    if method == "jinja2":
                        options["silent"] = "false"
                    try:
                        found = extract_from_file(method, ROOT / relpath, keywords=KEYWORDS, options=options)
                    except Exception as exc:  # noqa: BLE001 - reported by a test below
                        errors[relpath] = f"{type(exc).__name__}: {exc}"
                        found = []
                    for _lineno, msgid, _comments, context in found:
                        messages[(msgid, context)].add(relpath)
                break  # like pybabel, the first matching section wins
    return messages, errors


def load_catalog():
    with CATALOG.open("rb") as fileobj:
        return read_po(fileobj, locale="ja")


def forms(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def extracted():
    return extract_project()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_catalog_header_is_japanese(catalog):
    assert str(catalog.locale) == "ja"
    assert catalog.num_plurals == 1 and catalog.plural_expr == "0"
    assert catalog.charset.lower() == "utf-8"
    assert catalog.project and catalog.version and catalog.version != "VERSION"


def test_babel_can_read_every_file_it_is_mapped_to(extracted):
    _messages, errors = extracted
    assert not errors, (
        "pybabel cannot parse these files, so `make extract-messages` silently leaves their "
        "strings out of the catalogue:\n"
        + "\n".join(f"  - {path}: {why}" for path, why in sorted(errors.items()))
        + "\nIf a template uses a Jinja extension the app enables (e.g. {% do %}), list it "
        "in babel.cfg under the [jinja2: ...] section, e.g. `extensions = jinja2.ext.do`."
    )


def test_extraction_finds_the_known_strings(extracted):
    # Guards the test itself: a broken mapping would make the next test pass vacuously.
    messages, _errors = extracted
    msgids = {forms(msgid)[0] for msgid, _context in messages}
    assert {"Page not found", "Skip to main content", "Designated city"} <= msgids


def test_every_extracted_message_has_a_japanese_translation(extracted, catalog):
    messages, _errors = extracted
    missing = []
    for (msgid, context), paths in messages.items():
        entry = catalog.get(forms(msgid)[0], context=context)
        strings = forms(entry.string) if entry is not None else ()
        if not strings or not all(s.strip() for s in strings):
            missing.append(f"  - {forms(msgid)[0]!r}  ({', '.join(sorted(paths))})")
    assert not missing, (
        f"{len(missing)} user-visible string(s) have no Japanese translation in "
        f"{CATALOG.relative_to(ROOT).as_posix()}:\n" + "\n".join(sorted(missing)) + "\n" + HOW_TO_FIX
    )


def test_no_fuzzy_entries(catalog):
    fuzzy = [forms(m.id)[0] or "(header)" for m in catalog if m.fuzzy]
    assert not fuzzy, (
        "Fuzzy translations are not used at run time; review each one and remove the "
        "`#, fuzzy` line:\n" + "\n".join(f"  - {msgid!r}" for msgid in fuzzy)
    )


def test_translations_keep_the_placeholders_of_their_msgid(catalog):
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        expected = set().union(*(placeholders(s) for s in forms(message.id)))
        for index, string in enumerate(forms(message.string)):
            if string and placeholders(string) != expected:
                wrong.append(
                    f"  - {forms(message.id)[0]!r} [{index}]: expected {sorted(expected)}, "
                    f"got {sorted(placeholders(string))}"
                )
    assert not wrong, "Translations whose %(name)s placeholders differ from the English:\n" + "\n".join(wrong)


def test_catalog_passes_babels_checks_and_compiles(catalog):
    problems = [f"  - {forms(m.id)[0]!r}: {err}" for m, errs in catalog.check() for err in errs]
    assert not problems, "pybabel would reject these entries:\n" + "\n".join(problems)

    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    compiled = gettext.GNUTranslations(buffer)
    assert compiled.gettext("Page not found") == "ページが見つかりません"
    assert compiled.gettext("Evangelist Network") == "伝道師ネットワーク"
