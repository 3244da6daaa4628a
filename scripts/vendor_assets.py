#!/usr/bin/env python3
"""Refresh ``static/vendor/`` from the npm registry (stdlib only, Python 3.11+).

The app runs on a closed network, so every JS/CSS/font/image file a page needs
is served from ``static/vendor/<dir>/``. This script is the only way those
files get there:

* for each package pinned in ``PACKAGES`` below it runs
  ``npm pack <name>@<version> --pack-destination <tmp>``,
* checks the tarball's sha512 against the ``integrity`` pinned in the table
  (so a refresh is reproducible and a re-published tarball is caught),
* extracts only the listed files plus the package's licence file,
* strips ``sourceMappingURL`` comments from .js/.css (no maps are shipped),
* optionally drops @font-face sources in formats we do not ship (``.ttf``,
  ``.eot``, ``.svg``) so every font a stylesheet references is present,
* writes ``static/vendor/manifest.json`` and finally runs the same checks as
  ``--check``.

Usage::

    python scripts/vendor_assets.py            # refresh static/vendor/
    python scripts/vendor_assets.py --check    # verify static/vendor/ (offline)
    python scripts/vendor_assets.py --update   # print integrity values (no write)

Version bump: change ``version`` in the table, run ``--update``, review the
package, paste the printed ``integrity`` into the table, then run without
flags. ``--update`` never writes anything.
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import hashlib
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VENDOR_DIR = REPO_ROOT / "static" / "vendor"
MANIFEST_NAME = "manifest.json"
# Hand-written files that live in static/vendor/ but are not package output.
UNMANAGED_FILES = {MANIFEST_NAME, "README.md"}

FONT_EXTENSIONS = {".woff2", ".woff", ".ttf", ".otf", ".eot"}


@dataclass(frozen=True)
class Package:
    name: str  # npm package name
    version: str  # exact version
    integrity: str  # sha512 of the npm tarball, as in `npm view <pkg>@<v> dist.integrity`
    dir: str  # folder under static/vendor/
    license: str  # SPDX expression (from the licence file, checked by hand)
    license_file: str  # path inside the tarball (without the leading "package/")
    # (source inside the tarball, destination folder inside <dir>/, "" = top).
    # A source may use * ? [..] in its last path component; it must match >= 1 file.
    files: tuple[tuple[str, str], ...]
    used_by: str
    # If set, @font-face `src` entries pointing at other font formats are removed
    # from copied CSS (those font files are not shipped).
    font_formats: tuple[str, ...] = ()
    notes: str = ""


PACKAGES: tuple[Package, ...] = (
    Package(
        name="bootstrap",
        version="5.3.9",
        integrity="sha512-20cU0rcfw8WdxtVbmfU+xT2EjvVTw9Ror/h1Qvd7DXCujRg8OO9mdBCsmTHdJFf3BuadmBNJtgIuUXsBqSkk/w==",
        dir="bootstrap",
        license="MIT",
        license_file="LICENSE",
        files=(
            ("dist/css/bootstrap.min.css", "css"),
            ("dist/js/bootstrap.bundle.min.js", "js"),
        ),
        used_by="app layout; folium Map (replaces folium's bootstrap 5.2.2 / bootstrap_css)",
        notes="folium 0.20 asks for bootstrap 5.2.2; 5.3.x is a compatible minor, so one copy serves both.",
    ),
    Package(
        name="bootstrap-icons",
        version="1.13.2",
        integrity="sha512-fAU1Ly3dH7hwRg+CB8EZ0Vl0fF80zgXHeUVJyfUOKzoURr+TbwISbCW5tKUoQLERaWYG2emTCybcPbD96hdD1A==",
        dir="bootstrap-icons",
        license="MIT",
        license_file="LICENSE",
        files=(
            ("font/bootstrap-icons.min.css", ""),
            ("font/fonts/*.woff2", "fonts"),
            ("font/fonts/*.woff", "fonts"),
        ),
        used_by="app icons (bi bi-*)",
    ),
    Package(
        name="leaflet",
        version="1.9.4",
        integrity="sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==",
        dir="leaflet",
        license="BSD-2-Clause",
        license_file="LICENSE",
        files=(
            ("dist/leaflet.js", ""),
            ("dist/leaflet.css", ""),
            ("dist/images/*", "images"),
        ),
        used_by="maps; folium Map (leaflet, leaflet_css; folium asks for 1.9.3)",
    ),
    Package(
        name="leaflet.markercluster",
        version="1.5.3",
        integrity="sha512-vPTw/Bndq7eQHjLBVlWpnGeLa3t+3zGiuM7fJwCkiMFq+nmRuG3RI3f7f4N4TDX7T4NpbAXpR2+NTRSEGfCSeA==",
        dir="leaflet.markercluster",
        license="MIT",
        license_file="MIT-LICENCE.txt",
        files=(
            ("dist/leaflet.markercluster.js", ""),
            ("dist/MarkerCluster.css", ""),
            ("dist/MarkerCluster.Default.css", ""),
        ),
        used_by="maps; folium.plugins.MarkerCluster (folium asks for 1.1.0)",
    ),
    Package(
        name="chart.js",
        version="4.6.1",
        integrity="sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqArixMJWkWNN6fcYvPU3HneSANFNYtRi61g==",
        dir="chart.js",
        license="MIT",
        license_file="LICENSE.md",
        files=(("dist/chart.umd.min.js", ""),),
        used_by="dashboard charts (UMD build, global `Chart`)",
    ),
    Package(
        name="jquery",
        version="3.8.0",
        integrity="sha512-AOYt0viqPysMUTq45O8gF9DuOnBT3Il/8WtM/TT8z/2QeGsZ70ImwSJtNFxznn2R71v8yIgaEunOGo82OY/f0g==",
        dir="jquery",
        license="MIT",
        license_file="LICENSE.txt",
        files=(("dist/jquery.min.js", ""),),
        used_by="folium Map (jquery; folium asks for 3.7.1)",
    ),
    Package(
        name="leaflet.awesome-markers",
        version="2.0.5",
        integrity="sha512-Ne/xDjkGyaujwNVVkv2tyXQUV0ZW7gZ0Mo0FuQY4jp2qWrvXi0hwDBvmZyF/8YOvybyMabTMM/mFWCTd1jZIQA==",
        dir="leaflet.awesome-markers",
        license="MIT",
        license_file="LICENSE",
        files=(
            # Not the .min.js: in 2.0.5 it is a stale build without `extraClasses`,
            # which folium.Icon(angle=...) relies on. The plain file is 4 KB.
            ("dist/leaflet.awesome-markers.js", ""),
            ("dist/leaflet.awesome-markers.css", ""),
            ("dist/images/markers-soft.png", "images"),
            ("dist/images/markers-soft@2x.png", "images"),
            ("dist/images/markers-shadow.png", "images"),
            ("dist/images/markers-shadow@2x.png", "images"),
        ),
        used_by="folium Map (awesome_markers, awesome_markers_css; folium.Icon)",
        notes=(
            "folium asks for 2.0.2 from cdnjs, which is not on npm; 2.0.5's "
            "dist/leaflet.awesome-markers.js is byte-identical to the 2.0.2 plugin (as repackaged "
            "in drmonty-leaflet-awesome-markers@2.0.2). Its .min.js is a stale build without "
            "extraClasses (needed by folium.Icon(angle=...)), so the plain 4 KB file is shipped. "
            "The CSS adds square markers and uses a taller @2x sprite, matching its images. package.json "
            "says ISC but the shipped LICENSE is the MIT text, which is what is recorded. "
            "Only the marker sprites the CSS references (soft + shadow) are copied."
        ),
    ),
    Package(
        name="@fortawesome/fontawesome-free",
        version="6.7.2",
        integrity="sha512-JUOtgFW6k9u4Y+xeIaEiLr3+cjoUPiAuLXoyKOJSia6Duzb7pq+A76P9ZdPDoAoxHdHzq6gE9/jKBGXlZT8FbA==",
        dir="fontawesome-free",
        license="CC-BY-4.0 AND OFL-1.1 AND MIT",
        license_file="LICENSE.txt",
        files=(
            ("css/all.min.css", "css"),
            ("webfonts/*.woff2", "webfonts"),
        ),
        font_formats=("woff2",),
        used_by="folium Map (awesome_markers_font_css; folium.Icon(prefix='fa'); folium asks for 6.2.0)",
        notes=(
            "Font Awesome 6 ships woff2 + ttf only (no woff); the .ttf fallbacks are removed "
            "from all.min.css's @font-face rules and not shipped (every current browser reads woff2)."
        ),
    ),
    Package(
        name="@neos21/bootstrap3-glyphicons",
        version="1.0.7",
        integrity="sha512-JfvPdx8W2+kVhW+8fj2kIJNS0tesU21hrWF7TBHtYDHpVfcFGU/yn3Eh02sJiNfZABkutP3oU0Ftw8LGF43Jng==",
        dir="bootstrap3-glyphicons",
        license="MIT",
        license_file="LICENSE",
        files=(
            ("dist/css/bootstrap3-glyphicons.min.css", "css"),
            ("dist/fonts/glyphicons-halflings-regular.woff2", "fonts"),
            ("dist/fonts/glyphicons-halflings-regular.woff", "fonts"),
        ),
        font_formats=("woff2", "woff"),
        used_by="folium Map (glyphicons_css; folium.Icon's default prefix 'glyphicon')",
        notes=(
            "folium loads bootstrap-glyphicons.css 3.0.0 from netdna.bootstrapcdn.com, a file "
            "no npm package ships. This package is the nearest npm equivalent: the glyphicons "
            "part of Bootstrap 3.3.7 only (whole Bootstrap 3 CSS would restyle the Bootstrap 5 "
            "page). Its woff2/woff fonts are byte-identical to bootstrap@3.4.1's. The .eot/.ttf/"
            ".svg @font-face sources are removed and not shipped."
        ),
    ),
)

# folium resources deliberately not vendored (recorded in the manifest).
SKIPPED = (
    {
        "resource": "folium.Map default_css 'awesome_rotate_css'",
        "file": "folium/templates/leaflet.awesome.rotate.min.css in folium's GitHub repository",
        "reason": (
            "Served from folium's GitHub repository only: it is in no npm package and not in "
            "the folium wheel. It only adds .fa-rotate-<N> classes used by folium.Icon(angle=N) "
            "for N other than 0; maps and markers work without it, and Font Awesome 6's "
            "all.min.css already covers angles 90/180/270. Skipped: drop the entry from "
            "folium's default_css rather than let it hit the CDN."
        ),
    },
)

# ---------------------------------------------------------------------------
# Text transforms
# ---------------------------------------------------------------------------

_SOURCEMAP_LINE_RE = re.compile(r"^[ \t]*//[#@][ \t]*sourceMappingURL=[^\r\n]*(?:\r?\n)?", re.M)
_SOURCEMAP_BLOCK_RE = re.compile(r"/\*[#@][ \t]*sourceMappingURL=.*?\*/[ \t]*(?:\r?\n)?", re.S)


def strip_source_maps(text: str) -> str:
    """Remove ``//# sourceMappingURL=`` and ``/*# sourceMappingURL=... */`` comments."""
    text = _SOURCEMAP_BLOCK_RE.sub("", text)
    text = _SOURCEMAP_LINE_RE.sub("", text)
    return text.rstrip() + "\n"


def _split_top_level(value: str, sep: str) -> list[str]:
    """Split ``value`` on ``sep`` outside parentheses and quotes."""
    parts: list[str] = []
    depth = 0
    quote = ""
    start = 0
    i = 0
    while i < len(value):
        ch = value[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == sep and depth == 0:
            parts.append(value[start:i])
            start = i + 1
        i += 1
    parts.append(value[start:])
    return parts


_URL_RE = re.compile(r"""url\(\s*(?P<q>["']?)(?P<url>.*?)(?P=q)\s*\)""", re.S)
_FONT_FACE_RE = re.compile(r"@font-face\s*\{(?P<body>[^{}]*)\}", re.I)


def _url_extension(url: str) -> str:
    path = re.split(r"[?#]", url, maxsplit=1)[0]
    return posixpath.splitext(path)[1].lower()


def prune_font_sources(css: str, keep_formats: tuple[str, ...]) -> str:
    """Drop @font-face ``src`` entries whose file extension is not in ``keep_formats``.

    A ``src`` declaration left with no entry (e.g. the IE-only ``src:url(x.eot)``) is
    removed entirely. ``local()`` entries are kept.
    """
    keep = {"." + f.lower().lstrip(".") for f in keep_formats}

    def fix_body(match: re.Match[str]) -> str:
        decls = _split_top_level(match.group("body"), ";")
        out: list[str] = []
        for decl in decls:
            name, colon, value = decl.partition(":")
            if colon and name.strip().lower() == "src":
                entries = _split_top_level(value, ",")
                kept = []
                for entry in entries:
                    url = _URL_RE.search(entry)
                    if url is None or _url_extension(url.group("url")) in keep:
                        kept.append(entry.strip())
                if not kept:
                    continue
                decl = f"{name}{colon}{','.join(kept)}"
            out.append(decl)
        body = ";".join(d for d in out if d.strip())
        return "@font-face{" + body + "}"

    return _FONT_FACE_RE.sub(fix_body, css)


# ---------------------------------------------------------------------------
# Checks (also used by --check, offline)
# ---------------------------------------------------------------------------

_CSS_COMMENT_RE = re.compile(r"/\*.*?\*/", re.S)
_CSS_IMPORT_RE = re.compile(r"""@import\s+(?:url\(\s*)?["']?(?P<url>[^"')\s;]+)""", re.I)
_HTTP_URL_RE = re.compile(r"https?://[^\s\"'`()<>\\]+", re.I)
# "//host.tld/..." at the start of a JS string literal: a protocol-relative URL.
_PROTOCOL_RELATIVE_RE = re.compile(r"""(?<=["'`])//[a-z0-9-]+(?:\.[a-z0-9-]+)+/[^\s"'`]*""", re.I)

# http(s) URLs that may appear in vendored JS outside comments because they do
# not load anything. Any other URL fails --check until reviewed and listed here.
JS_URL_ALLOWLIST: tuple[tuple[str, str], ...] = (
    (r"^http://www\.w3\.org/", "XML namespace identifier (createElementNS / xmlns), never fetched"),
    (r"^https://leafletjs\.com$", 'Leaflet attribution link <a href="...">, only followed on click'),
    (
        r"^https://github\.com/floating-ui/popper-docs/",
        "text of Bootstrap's 'requires Popper' error message",
    ),
)


def css_references(css: str) -> list[str]:
    """Every url(...) and @import target in ``css`` (comments ignored)."""
    body = _CSS_COMMENT_RE.sub("", css)
    refs = [m.group("url").strip() for m in _URL_RE.finditer(body)]
    refs += [m.group("url").strip() for m in _CSS_IMPORT_RE.finditer(body)]
    return refs


def check_css_text(css: str, css_path: Path, root: Path) -> list[str]:
    """Problems with the references of one stylesheet."""
    problems = []
    for ref in css_references(css):
        low = ref.lower()
        if low.startswith("data:") or ref.startswith("#"):
            continue  # inline data / SVG behaviour fragment (#default#VML): loads nothing
        if re.match(r"^[a-z][a-z0-9+.-]*:", low) or ref.startswith("//"):
            problems.append(f"{css_path.relative_to(root)}: non-relative reference {ref!r}")
            continue
        if ref.startswith("/"):
            problems.append(f"{css_path.relative_to(root)}: absolute path {ref!r} (must be relative)")
            continue
        target = (css_path.parent / re.split(r"[?#]", ref, maxsplit=1)[0]).resolve()
        if not target.is_file():
            problems.append(f"{css_path.relative_to(root)}: {ref!r} does not resolve to a vendored file")
        elif root.resolve() not in target.parents:
            problems.append(f"{css_path.relative_to(root)}: {ref!r} points outside static/vendor")
    return problems


def _comment_spans(js: str) -> list[tuple[int, int]]:
    """Spans of /* */ block comments and whole-line // comments (good enough for banners)."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"/\*.*?\*/", js, re.S)]
    spans += [(m.start(), m.end()) for m in re.finditer(r"^[ \t]*//[^\n]*", js, re.M)]
    return spans


def check_js_text(js: str, js_path: Path, root: Path) -> list[str]:
    problems = []
    spans = _comment_spans(js)
    for m in [*_HTTP_URL_RE.finditer(js), *_PROTOCOL_RELATIVE_RE.finditer(js)]:
        if any(a <= m.start() < b for a, b in spans):
            continue  # licence banner / doc comment
        url = m.group(0)
        if any(re.search(pat, url) for pat, _ in JS_URL_ALLOWLIST):
            continue
        problems.append(
            f"{js_path.relative_to(root)}: URL in code: {url!r} "
            "(review it; if it loads nothing, add it to JS_URL_ALLOWLIST)"
        )
    return problems


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_vendor_dir(vendor_dir: Path) -> list[str]:
    """All problems found in ``vendor_dir``; an empty list means it is fine."""
    problems: list[str] = []
    manifest_path = vendor_dir / MANIFEST_NAME
    if not manifest_path.is_file():
        return [f"{manifest_path} is missing (run scripts/vendor_assets.py)"]
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{manifest_path} is unreadable: {exc}"]

    listed: set[str] = set()
    for pkg in manifest.get("packages", []):
        label = f"{pkg.get('name')}@{pkg.get('version')}"
        for key in ("name", "version", "license", "dir", "license_file", "files"):
            if not pkg.get(key):
                problems.append(f"manifest: {label} has no {key!r}")
        lic = pkg.get("license_file")
        if lic and lic not in {f.get("path") for f in pkg.get("files", [])}:
            problems.append(f"manifest: {label} licence file {lic} is not in its files")
        for entry in pkg.get("files", []):
            rel = entry.get("path", "")
            listed.add(rel)
            path = vendor_dir / rel
            if not path.is_file():
                problems.append(f"{rel}: listed in manifest ({label}) but missing")
            elif entry.get("sha256") and file_sha256(path) != entry["sha256"]:
                problems.append(f"{rel}: content differs from manifest sha256 (edited by hand?)")

    for path in sorted(p for p in vendor_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(vendor_dir).as_posix()
        if rel in UNMANAGED_FILES:
            continue
        if rel not in listed:
            problems.append(f"{rel}: present but not in manifest")
        suffix = path.suffix.lower()
        if suffix == ".map":
            problems.append(f"{rel}: source maps are not shipped")
        if suffix not in {".js", ".css"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "sourceMappingURL" in text:
            problems.append(f"{rel}: contains a sourceMappingURL comment")
        if suffix == ".css":
            problems += check_css_text(text, path, vendor_dir)
        else:
            problems += check_js_text(text, path, vendor_dir)
    return problems


# ---------------------------------------------------------------------------
# Fetch + extract
# ---------------------------------------------------------------------------


class VendorError(Exception):
    pass


def sha512_integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def npm_pack(pkg: Package, dest: Path) -> Path:
    """``npm pack`` one pinned package into ``dest``; returns the tarball path."""
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError("npm is not on PATH (install Node.js/npm to refresh vendored assets)")
    spec = f"{pkg.name}@{pkg.version}"
    cmd = [npm, "pack", spec, "--json", "--ignore-scripts", "--pack-destination", str(dest)]
    try:
        proc = subprocess.run(cmd, cwd=dest, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        raise VendorError(f"`npm pack {spec}` timed out") from None
    if proc.returncode != 0:
        raise VendorError(f"`npm pack {spec}` failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
    try:
        info = json.loads(proc.stdout)[0]
        tarball = dest / info["filename"]
    except (ValueError, LookupError, TypeError):
        raise VendorError(f"`npm pack {spec}` printed unexpected output:\n{proc.stdout[:500]}") from None
    if not tarball.is_file():
        raise VendorError(f"`npm pack {spec}` did not produce {tarball}")
    if info.get("version") != pkg.version:
        raise VendorError(f"`npm pack {spec}` returned version {info.get('version')}")
    return tarball


def _match_members(names: list[str], pattern: str) -> list[str]:
    """Tarball members matching ``pattern`` (wildcards in the last component only)."""
    pdir, pbase = posixpath.split(pattern)
    return sorted(
        n for n in names if posixpath.dirname(n) == pdir and fnmatch.fnmatchcase(posixpath.basename(n), pbase)
    )


def extract_package(pkg: Package, tarball: Path, stage: Path) -> list[dict]:
    """Copy the package's listed files + licence into ``stage/<dir>/``; return manifest entries."""
    out_dir = stage / pkg.dir
    entries: list[dict] = []
    with tarfile.open(tarball, "r:gz") as tar:
        members = {}
        for m in tar.getmembers():
            if not m.isfile():
                continue
            # npm tarballs put everything under one top folder, normally "package/".
            _, _, inner = m.name.partition("/")
            members[inner] = m
        names = list(members)

        wanted: list[tuple[str, str]] = [(pkg.license_file, "")]
        for pattern, dest_dir in pkg.files:
            matched = _match_members(names, pattern)
            if not matched:
                raise VendorError(f"{pkg.name}@{pkg.version}: no file in the tarball matches {pattern!r}")
            wanted += [(m, dest_dir) for m in matched]
        if pkg.license_file not in members:
            raise VendorError(f"{pkg.name}@{pkg.version}: licence file {pkg.license_file!r} not in the tarball")

        seen: set[str] = set()
        for src, dest_dir in wanted:
            if src.endswith(".map"):
                raise VendorError(f"{pkg.name}: refusing to vendor source map {src}")
            dest_rel = posixpath.join(pkg.dir, dest_dir, posixpath.basename(src))
            if dest_rel in seen:
                raise VendorError(f"{pkg.name}: two files map to {dest_rel}")
            seen.add(dest_rel)
            fobj = tar.extractfile(members[src])
            if fobj is None:
                raise VendorError(f"{pkg.name}: cannot read {src} from the tarball")
            data = fobj.read()
            suffix = posixpath.splitext(src)[1].lower()
            if suffix in {".js", ".css"}:
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    raise VendorError(f"{pkg.name}: {src} is not UTF-8") from None
                text = strip_source_maps(text)
                if suffix == ".css" and pkg.font_formats:
                    text = prune_font_sources(text, pkg.font_formats)
                if "sourceMappingURL" in text:
                    raise VendorError(f"{pkg.name}: {src} still mentions sourceMappingURL after stripping")
                data = text.encode("utf-8")
            target = stage / dest_rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            entries.append(
                {
                    "path": dest_rel,
                    "source": f"{pkg.name}@{pkg.version}/{src}",
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    return sorted(entries, key=lambda e: e["path"])


def build_manifest(pkg_files: list[tuple[Package, list[dict]]]) -> dict:
    return {
        "about": (
            "Generated by scripts/vendor_assets.py from the npm registry; do not edit by hand. "
            "Refresh with `python scripts/vendor_assets.py`, verify with `--check`."
        ),
        "packages": [
            {
                "name": pkg.name,
                "version": pkg.version,
                "integrity": pkg.integrity,
                "license": pkg.license,
                "license_file": posixpath.join(pkg.dir, posixpath.basename(pkg.license_file)),
                "dir": pkg.dir,
                "used_by": pkg.used_by,
                **({"notes": pkg.notes} if pkg.notes else {}),
                "files": files,
            }
            for pkg, files in pkg_files
        ],
        "skipped": list(SKIPPED),
    }


def install(stage: Path, vendor_dir: Path) -> None:
    """Replace everything in ``vendor_dir`` except hand-written files by ``stage``'s content."""
    vendor_dir.mkdir(parents=True, exist_ok=True)
    for child in vendor_dir.iterdir():
        if child.name in UNMANAGED_FILES and child.name != MANIFEST_NAME:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    for child in stage.iterdir():
        shutil.move(str(child), str(vendor_dir / child.name))


def refresh(vendor_dir: Path, update: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="vendor-assets-") as tmp:
        tmp_path = Path(tmp)
        packs = tmp_path / "packs"
        stage = tmp_path / "stage"
        packs.mkdir()
        stage.mkdir()
        pkg_files: list[tuple[Package, list[dict]]] = []
        mismatches = 0
        for pkg in PACKAGES:
            print(f"npm pack {pkg.name}@{pkg.version}", flush=True)
            pack_dir = packs / pkg.dir
            pack_dir.mkdir()
            tarball = npm_pack(pkg, pack_dir)
            actual = sha512_integrity(tarball.read_bytes())
            if update:
                same = "unchanged" if actual == pkg.integrity else "NEW"
                print(f"    integrity={actual!r}  # {same}")
                mismatches += actual != pkg.integrity
                continue
            if actual != pkg.integrity:
                raise VendorError(
                    f"{pkg.name}@{pkg.version}: tarball integrity mismatch\n"
                    f"  pinned: {pkg.integrity}\n  actual: {actual}\n"
                    "If you bumped the version on purpose, run with --update and paste the new value."
                )
            pkg_files.append((pkg, extract_package(pkg, tarball, stage)))
        if update:
            print(f"--update: {mismatches} integrity value(s) differ from the table; nothing written.")
            return 0
        manifest = build_manifest(pkg_files)
        (stage / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        # Validate the staged tree before touching static/vendor/.
        problems = check_vendor_dir(stage)
        if problems:
            raise VendorError("staged output failed the checks:\n  " + "\n  ".join(problems))
        install(stage, vendor_dir)
    total = sum(e["size"] for _, files in pkg_files for e in files)
    count = sum(len(files) for _, files in pkg_files)
    print(f"wrote {count} files ({total / 1024:.0f} KiB) + {MANIFEST_NAME} to {vendor_dir}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="verify static/vendor/ offline; write nothing")
    mode.add_argument(
        "--update", action="store_true", help="pack every package and print its integrity; write nothing"
    )
    parser.add_argument("--vendor-dir", type=Path, default=DEFAULT_VENDOR_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    vendor_dir: Path = args.vendor_dir.resolve()

    try:
        if args.check:
            problems = check_vendor_dir(vendor_dir)
            if problems:
                print(f"vendor check FAILED ({len(problems)} problem(s)):", file=sys.stderr)
                for p in problems:
                    print(f"  - {p}", file=sys.stderr)
                return 1
            manifest = json.loads((vendor_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
            n = sum(len(p["files"]) for p in manifest["packages"])
            print(f"vendor check OK: {len(manifest['packages'])} packages, {n} files in {vendor_dir}")
            return 0
        return refresh(vendor_dir, update=args.update)
    except VendorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
