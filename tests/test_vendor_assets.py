"""Checks on the vendored front-end assets in static/vendor/ (offline: no npm, no network).

The app runs on a closed network, so everything a page loads must come from
static/vendor/. These tests read the committed files only; the files are
produced by scripts/vendor_assets.py.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
SCRIPT = ROOT / "scripts" / "vendor_assets.py"
UNMANAGED = {"manifest.json", "README.md"}

URL_RE = re.compile(r"""url\(\s*(["']?)(.*?)\1\s*\)""", re.S)
IMPORT_RE = re.compile(r"""@import\s+(?:url\(\s*)?["']?([^"')\s;]+)""", re.I)
COMMENT_RE = re.compile(r"/\*.*?\*/", re.S)


def _load_script():
    spec = importlib.util.spec_from_file_location("vendor_assets_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def manifest() -> dict:
    path = VENDOR / "manifest.json"
    assert path.is_file(), "static/vendor/manifest.json missing: run `python scripts/vendor_assets.py`"
    return json.loads(path.read_text(encoding="utf-8"))


def _vendored_files() -> list[Path]:
    return sorted(p for p in VENDOR.rglob("*") if p.is_file() and p.relative_to(VENDOR).as_posix() not in UNMANAGED)


def _text_assets(suffix: str) -> list[Path]:
    # is_file(): the folder "chart.js" would otherwise pass for a .js file.
    return [p for p in _vendored_files() if p.suffix.lower() == suffix]


def _rel(path: Path) -> str:
    return path.relative_to(VENDOR).as_posix()


def test_manifest_lists_every_vendored_file_and_each_exists(manifest):
    listed = [f["path"] for pkg in manifest["packages"] for f in pkg["files"]]
    assert len(listed) == len(set(listed)), "a file is listed twice"
    missing = [p for p in listed if not (VENDOR / p).is_file()]
    assert not missing, f"listed in manifest but missing: {missing}"
    unlisted = sorted(set(map(_rel, _vendored_files())) - set(listed))
    assert not unlisted, f"vendored but not in manifest: {unlisted}"


def test_manifest_entries_are_complete(manifest):
    assert manifest["packages"], "manifest lists no packages"
    for pkg in manifest["packages"]:
        for key in ("name", "version", "license", "license_file", "dir", "integrity", "files"):
            assert pkg.get(key), f"{pkg.get('name')}: {key!r} missing in manifest"
        assert re.fullmatch(r"\d+\.\d+\.\d+", pkg["version"]), f"{pkg['name']}: not an exact version"
        assert pkg["integrity"].startswith("sha512-")
        for entry in pkg["files"]:
            assert entry["path"].startswith(pkg["dir"] + "/"), f"{entry['path']} outside {pkg['dir']}/"


def test_every_package_folder_has_its_licence_file(manifest):
    dirs = {p.relative_to(VENDOR).parts[0] for p in _vendored_files()}
    by_dir = {pkg["dir"]: pkg for pkg in manifest["packages"]}
    assert dirs == set(by_dir), "package folders and manifest packages differ"
    for name, pkg in by_dir.items():
        lic = VENDOR / pkg["license_file"]
        assert lic.parent == VENDOR / name, f"{name}: licence file not at the top of its folder"
        assert re.match(r"(?i)^(licen[cs]e|mit-licen[cs]e|copying)", lic.name), lic.name
        assert lic.is_file() and lic.stat().st_size > 100, f"{name}: licence file missing or empty"


def test_no_source_maps_shipped_or_referenced():
    assert not [p for p in _vendored_files() if p.suffix == ".map"]
    offenders = [_rel(p) for p in _text_assets(".js") + _text_assets(".css") if "sourceMappingURL" in p.read_text("utf-8")]
    assert not offenders, f"sourceMappingURL left in: {offenders}"


def _css_refs(path: Path) -> list[str]:
    css = COMMENT_RE.sub("", path.read_text("utf-8"))
    return [m.group(2).strip() for m in URL_RE.finditer(css)] + [m.group(1) for m in IMPORT_RE.finditer(css)]


def test_css_has_no_remote_url_or_import():
    offenders = []
    for css in _text_assets(".css"):
        for ref in _css_refs(css):
            low = ref.lower()
            if low.startswith(("http://", "https://", "//")) or ref.startswith("/"):
                offenders.append(f"{_rel(css)}: {ref}")
    assert not offenders, offenders


def test_css_url_references_are_relative_and_resolve():
    checked = 0
    problems = []
    for css in _text_assets(".css"):
        for ref in _css_refs(css):
            if ref.lower().startswith("data:") or ref.startswith("#"):
                continue  # inline image / IE behaviour fragment: nothing is fetched
            if re.match(r"(?i)^[a-z][a-z0-9+.-]*:", ref) or ref.startswith("/"):
                problems.append(f"{_rel(css)}: not relative: {ref}")
                continue
            target = (css.parent / re.split(r"[?#]", ref, maxsplit=1)[0]).resolve()
            if not target.is_file() or VENDOR.resolve() not in target.parents:
                problems.append(f"{_rel(css)}: {ref} does not resolve inside static/vendor")
            checked += 1
    assert not problems, problems
    assert checked >= 10, "expected font/image references (bootstrap-icons, Font Awesome, Leaflet …)"


def test_fonts_are_woff2_or_woff_only():
    fonts = [p for p in _vendored_files() if p.suffix.lower() in {".woff2", ".woff", ".ttf", ".eot", ".otf", ".svg"}]
    assert fonts
    assert {p.suffix.lower() for p in fonts} <= {".woff2", ".woff"}, sorted(map(_rel, fonts))


def test_manifest_hashes_match_files(manifest):
    import hashlib

    changed = [
        f["path"]
        for pkg in manifest["packages"]
        for f in pkg["files"]
        if hashlib.sha256((VENDOR / f["path"]).read_bytes()).hexdigest() != f["sha256"]
    ]
    assert not changed, f"edited after vendoring (re-run the script): {changed}"


def test_folium_resources_have_a_vendored_file_or_are_recorded_as_skipped(manifest):
    """Every file folium 0.20 loads from a CDN is vendored (see static/vendor/README.md)."""
    from app.folium_maps import VENDORED  # the table the app points folium at

    mapping = VENDORED
    for name, rel in mapping.items():
        assert (VENDOR / rel).is_file(), f"{name}: {rel} missing"
    assert any("awesome_rotate_css" in s["resource"] for s in manifest["skipped"])


def test_check_mode_passes_offline():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- the script's own helpers (pure functions, no network) ---------------------------


def test_strip_source_maps():
    va = _load_script()
    js = "var a=1;\n//# sourceMappingURL=a.js.map\n"
    css = "a{b:c}\n/*# sourceMappingURL=bootstrap.min.css.map */\n"
    assert va.strip_source_maps(js) == "var a=1;\n"
    assert va.strip_source_maps(css) == "a{b:c}\n"
    # Not on a line of its own: left alone (it could be inside a string); the check catches it.
    assert "sourceMappingURL" in va.strip_source_maps("x();//# sourceMappingURL=x.map")


def test_prune_font_sources_keeps_only_shipped_formats():
    va = _load_script()
    css = (
        "@font-face{font-family:'G';src:url(../f/g.eot);"
        "src:url(../f/g.eot?#iefix) format('embedded-opentype'),url(../f/g.woff2) format('woff2'),"
        "url(../f/g.woff) format('woff'),url(../f/g.ttf) format('truetype'),url(../f/g.svg#g) format('svg')}"
        ".x{background:url(a.png)}"
    )
    out = va.prune_font_sources(css, ("woff2", "woff"))
    assert out == (
        "@font-face{font-family:'G';src:url(../f/g.woff2) format('woff2'),url(../f/g.woff) format('woff')}"
        ".x{background:url(a.png)}"
    )


def test_check_catches_problems(tmp_path):
    va = _load_script()
    pkg = tmp_path / "pkg"
    (pkg / "fonts").mkdir(parents=True)
    (pkg / "LICENSE").write_text("MIT " * 40)
    (pkg / "fonts" / "f.woff2").write_bytes(b"wOF2")
    (pkg / "a.css").write_text(
        "@import url(https://cdn.example.com/x.css);"
        "@font-face{src:url(fonts/f.woff2) format('woff2'),url(fonts/missing.woff) format('woff')}"
        ".y{background:url(//cdn.example.com/y.png)}\n/*# sourceMappingURL=a.css.map */\n"
    )
    (pkg / "a.js").write_text(
        '/*! banner https://example.com */var s=document.createElement("script");'
        's.src="https://cdn.example.com/lib.js";var t="//cdn.example.org/other.js";'
        'document.createElementNS("http://www.w3.org/2000/svg","svg");\n'
    )
    (pkg / "stray.txt").write_text("x")
    files = [
        {"path": f"pkg/{n}"} for n in ("LICENSE", "a.css", "a.js", "fonts/f.woff2", "gone.js")
    ]
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {"packages": [{"name": "p", "version": "1.0.0", "license": "MIT", "dir": "pkg",
                           "license_file": "pkg/LICENSE", "files": files}]}
        )
    )
    problems = "\n".join(va.check_vendor_dir(tmp_path))
    assert "https://cdn.example.com/x.css" in problems
    assert "fonts/missing.woff" in problems
    assert "//cdn.example.com/y.png" in problems
    assert "a.css: contains a sourceMappingURL" in problems
    assert "https://cdn.example.com/lib.js" in problems
    assert "//cdn.example.org/other.js" in problems
    assert "pkg/gone.js: listed in manifest" in problems
    assert "pkg/stray.txt: present but not in manifest" in problems
    assert "'https://example.com'" not in problems  # licence banner comment
    assert "w3.org" not in problems  # XML namespace
