"""Colours in static/css/app.css that carry meaning measured against WCAG 2.2: a form
control's border (checkbox, radio button, text field, list) is what shows it is there, so it needs 3:1 against the page
(success criterion 1.4.11, non-text contrast). Bootstrap's own #dee2e6 measures 1.3:1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "app.css"
WHITE = (255, 255, 255)


def parse_colour(text: str) -> tuple[int, int, int]:
    """``#rgb``, ``#rrggbb`` or ``rgb(r, g, b)`` (what getComputedStyle answers)."""
    text = text.strip().lower()
    if m := re.fullmatch(r"#([0-9a-f]{3})", text):
        return tuple(int(c * 2, 16) for c in m.group(1))
    if m := re.fullmatch(r"#([0-9a-f]{6})", text):
        return tuple(int(m.group(1)[i:i + 2], 16) for i in (0, 2, 4))
    if m := re.fullmatch(r"rgba?\(\s*(\d+)[ ,]+(\d+)[ ,]+(\d+)\s*(?:[,/]\s*1(?:\.0+)?\s*)?\)", text):
        return tuple(int(v) for v in m.groups())
    raise ValueError(f"not an opaque colour: {text}")


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2.2's relative luminance of an sRGB colour."""
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(one: tuple[int, int, int], other: tuple[int, int, int]) -> float:
    lighter, darker = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_function_gives_wcags_figures():
    assert round(contrast_ratio((0, 0, 0), WHITE), 1) == 21.0
    assert round(contrast_ratio(parse_colour("#dee2e6"), WHITE), 2) == 1.3  # Bootstrap's border
    assert round(contrast_ratio(parse_colour("#767676"), WHITE), 2) == 4.54  # the classic AA grey
    assert parse_colour("rgb(108, 117, 125)") == parse_colour("#6c757d")


@pytest.mark.parametrize("control", [".form-check-input", ".form-control", ".form-select"])
def test_control_borders_have_3_to_1_against_white(control):
    """Checkboxes, radio buttons, text fields and lists alike."""
    css = CSS.read_text(encoding="utf-8")
    rule = next((m for m in re.finditer(r"(?m)^([^{}/]+)\{([^}]*)\}", css)
                 if control in [s.strip() for s in m.group(1).split(",")]), None)
    assert rule, f"app.css gives {control} its own border colour"
    colour = re.search(r"border-color:\s*(#[0-9a-fA-F]{3,6})", rule.group(2))
    assert colour, rule.group(0)
    assert contrast_ratio(parse_colour(colour.group(1)), WHITE) >= 3
