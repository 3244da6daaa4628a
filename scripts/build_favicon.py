"""Build static/favicon.ico from static/favicon.svg: the SVG drawn by Debian's Chromium
(through Playwright, as the browser tests do) at 16, 32 and 48 px, each size a PNG inside
one ICO file (the format every browser reads at /favicon.ico).

Run from the project root after changing the SVG: ``.venv/bin/python scripts/build_favicon.py``.
"""

from __future__ import annotations

import base64
import struct
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "static" / "favicon.svg"
ICO = ROOT / "static" / "favicon.ico"
SIZES = (16, 32, 48)
CHROMIUM = "/usr/bin/chromium"


def render(svg: str, size: int, browser) -> bytes:
    page = browser.new_page(viewport={"width": size, "height": size})
    page.set_content(
        f'<html><body style="margin:0;background:transparent">'
        f'<img src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}" width="{size}" height="{size}" '
        f'style="display:block"></body></html>'
    )
    png = page.screenshot(omit_background=True, clip={"x": 0, "y": 0, "width": size, "height": size})
    page.close()
    return png


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file holding PNG images (ICONDIR, one ICONDIRENTRY each, then the PNGs)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, images = b"", b""
    for size, png in pngs.items():
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), offset)
        images += png
        offset += len(png)
    return header + entries + images


def main() -> None:
    svg = SVG.read_text(encoding="utf-8").strip()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        pngs = {size: render(svg, size, browser) for size in SIZES}
        browser.close()
    ICO.write_bytes(ico(pngs))
    print(f"{ICO.relative_to(ROOT)}: {ICO.stat().st_size} bytes, sizes {', '.join(map(str, SIZES))}")


if __name__ == "__main__":
    main()
