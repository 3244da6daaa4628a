"""The dashboard's filter and its printable page in Chromium: the prefecture list narrows
to the region picked; on A4 paper every chart prints as an image with ink on it (the
canvases are hidden in print), and the PDF has A4 pages."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from tests.web.conftest import CHROMIUM, DESKTOP, PHONE
from tests.web.test_browser_dashboard import CHARTS, site  # noqa: F401  (the fixture)
from tests.web.test_browser_map import sign_in, watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

A4_WIDTH_PX = 794  # 210 mm at 96 px per inch

# For each chart's print image: its size as laid out, and how many of its pixels are
# not white or transparent (axes, bars, labels).
PRINTED = """() => Array.from(document.querySelectorAll('[data-chart]'), holder => {
  const image = holder.querySelector('img.dash-chart-image');
  const canvas = holder.querySelector('canvas');
  if (!image) return [holder.id, 0, 0, 0, getComputedStyle(canvas).display];
  const box = image.getBoundingClientRect();
  const c = document.createElement('canvas');
  c.width = image.naturalWidth; c.height = image.naturalHeight;
  const g = c.getContext('2d');
  g.drawImage(image, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) ink++;
  return [holder.id, Math.round(box.width), Math.round(box.height), ink, getComputedStyle(canvas).display];
})"""


def wait_until_every_image_is_made(page):
    charts = page.locator("[data-chart]")
    expect(charts).to_have_count(CHARTS)
    for i in range(CHARTS):
        expect(charts.nth(i)).to_have_attribute("data-printed", "true", timeout=15_000)


def assert_printed(page) -> None:
    rows = page.evaluate(PRINTED)
    assert len(rows) == CHARTS
    for chart_id, width, height, ink, canvas_display in rows:
        assert canvas_display == "none", chart_id  # the canvas is not what prints
        assert width > 300 and height > 80, (chart_id, width, height)
        assert ink > 2000, (chart_id, ink)  # axes and bars, not a blank box


def test_the_printable_page_prints_every_chart_on_a4(site, page_at):  # noqa: F811
    base, coordinator = site
    page = page_at(DESKTOP)
    problems = watch_console(page)
    sign_in(page, base, coordinator)
    page.goto(base + "/coordinator/reports/print?region=hokkaido")
    wait_until_every_image_is_made(page)
    expect(page.locator("#dash-print-button")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("北海道")
    # As the printer lays it out: A4's width, print media.
    page.set_viewport_size({"width": A4_WIDTH_PX, "height": 1123})
    page.emulate_media(media="print")
    assert_printed(page)
    assert not page.locator("header").is_visible() and not page.locator("#dash-print-button").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    boxes = set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf))
    assert pages >= 3, pages
    assert boxes and all(abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5 for w, h in boxes), boxes
    assert problems == []
    assert page.external_requests == []


def test_the_dashboard_itself_prints_its_charts_too(site, page_at):  # noqa: F811
    """Printing the dashboard (not its printable page) with the browser's own command:
    the images are made just before printing."""
    base, coordinator = site
    page = page_at(DESKTOP)
    sign_in(page, base, coordinator)
    page.goto(base + "/coordinator/reports")
    charts = page.locator("[data-chart]")
    for i in range(CHARTS):
        expect(charts.nth(i)).to_have_attribute("data-drawn", "true", timeout=15_000)
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    wait_until_every_image_is_made(page)
    page.emulate_media(media="print")
    assert_printed(page)


def test_on_a_phone_the_prefecture_list_narrows_to_the_region(site, page_at):  # noqa: F811
    base, coordinator = site
    page = page_at(PHONE)
    problems = watch_console(page)
    sign_in(page, base, coordinator)
    page.goto(base + "/coordinator/reports")
    page.get_by_label("地域", exact=True).select_option("tohoku")
    shown = page.evaluate(
        "Array.from(document.querySelectorAll('#prefecture option'))"
        ".filter(o => !o.hidden && o.value).map(o => o.value)")
    assert shown == ["02", "03", "04", "05", "06", "07"]
    page.get_by_label("都道府県", exact=True).select_option("02")
    page.get_by_label("年度", exact=True).select_option(index=1)
    with page.expect_navigation():
        page.get_by_role("button", name="表示", exact=True).click()
    assert re.search(r"region=tohoku&prefecture=02&fy=\d{4}", page.url)
    expect(page.locator("#dash-scope")).to_contain_text("青森県（東北）")
    expect(page.locator("#dash-scope")).to_contain_text("年度（令和")
    # Picking another region drops a prefecture that is not in it.
    page.get_by_label("地域", exact=True).select_option("hokkaido")
    assert page.get_by_label("都道府県", exact=True).input_value() == ""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert problems == []
