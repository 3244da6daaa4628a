"""Strategies for bad input: what a browser, a script or a hand-edited link can send.

Text is any UTF-8 text (lone surrogates cannot be encoded, so they are left out) weighted
towards what breaks things: NUL and other control characters, full-width digits and
letters, Japanese, direction marks, SQL and template syntax, huge strings.

``form_pairs`` turns a form class into ``(name, value)`` pairs from the fields the class
itself declares, so a field added to a form is posted without a change here. Each field
is either plausible (a value the form could accept, so that the request reaches the
services and the database) or broken: missing, of the wrong type, out of range, or
repeated with several values; unknown fields are added too.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from flask_wtf.file import FileField as FlaskFileField
from flask_wtf.file import FileRequired
from hypothesis import strategies as st
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FileField,
    FloatField,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    SubmitField,
)
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, EqualTo, InputRequired

from evangelists.calendar import today_in_japan

# Characters UTF-8 can carry (no surrogates), so every drawn string can be posted.
UTF8 = st.characters(codec="utf-8")

JAPANESE = "あいうえおアイウエオｱｲｳｴｵ札幌市千代田区𠮷髙﨑々〆ー・「」、。　"
FULL_WIDTH = "０１２３４５６７８９ＡＢＣｘｙｚ＠．－／：，"

# Values that have broken web forms somewhere: each is tried as it is and inside text.
NASTY = (
    "", " ", "\x00", "a\x00b", "\x00" * 3, "\t", "\r\n", "\n\n\n", "\x1b[31m", "\x7f", "\u3000",
    "\u200b", "\u202e", "\ufeff", "\ufffd", "\U0001f600", "𠮷野家", "ｶﾀｶﾅ", "ｅｍａｉｌ＠ｅｘａｍｐｌｅ．ｊｐ",
    "１２３", "０３－１２３４－５６７８", "٣", "²", "½", "ⅷ", "𝟗", "-0", "0", "-1", "1e309", "-1e309", "1e-400",
    "nan", "NaN", "inf", "-inf", "Infinity", "0x1F", "1_000", "1,000", "2147483648", "-2147483649",
    "9223372036854775808", "99999999999999999999999999", "3.4028236e38", "2024-02-30", "0000-00-00",
    "0001-01-01", "9999-12-31", "10000-01-01", "2024-13-01", "２０２４－０３－３１", "令和6年3月31日",
    "2024/3/31", "true", "false", "None", "null", "undefined", "[]", "{}", "y", "on",
    "' OR '1'='1", "\"; DROP TABLE users; --", "%", "%%", "_", "\\", "%(name)s", "%s", "{0}", "{{ 7*7 }}",
    "{% raw %}", "{{", "{% if true %}x{% endif %}", "{{ config }}", "{{ self.__init__.__globals__ }}", "<script>alert(1)</script>", "javascript:alert(1)", "https://", "http://例え.jp",
    "//evil.example", "/\\evil.example", "mailto:a@b", "a@b", "@", "a@", "名前@例え.日本", "a" * 65 + "@example.jp",
)


# Strategies are built once and reused: building them anew for every example would cost
# more than running the example.
@functools.cache
def nasty_text(max_size: int = 30) -> st.SearchStrategy[str]:
    """Any UTF-8 text, weighted towards the values above, with a huge string now and then."""
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(UTF8, max_size=max_size),
        st.text(st.sampled_from(JAPANESE + FULL_WIDTH), min_size=1, max_size=max_size),
        st.builds(lambda a, b, c: a + b + c, st.text(UTF8, max_size=5), st.sampled_from(NASTY),
                  st.text(UTF8, max_size=5)),
        huge_text(),
    )


@functools.cache
def huge_text() -> st.SearchStrategy[str]:
    """One character repeated past every length limit (and past the form field limit)."""
    return st.builds(
        lambda ch, n: ch * n,
        st.sampled_from(["a", "あ", "𠮷", "\x00", "1", " "]),
        st.sampled_from([101, 255, 1001, 2001, 4001, 5001, 20_000]),
    )


# Ids no row can have: none, negative, one past an INTEGER column, past bigint (where
# PostgreSQL fails), past SQLite's 64-bit integers, far past everything.
EXTREME_IDS = ("0", "-1", "00", "2147483647", "2147483648", str(2**63 - 1), str(2**63), str(2**64), str(10**20),
               "99999999999999999999999", "1" * 400)
# Dates that parse (or nearly) but have no day before or after them, or are no year at all.
EXTREME_DATES = ("0001-01-01", "9999-12-31", "10000-01-01", "0000-01-01", "1899-12-31", "2101-01-01",
                 "1900-01-01", "2100-12-31", "9999-12-31T23:59", "2024-W14-1", "20240401", "+2024-04-01")


@functools.cache
def extreme_id() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(EXTREME_IDS), st.integers(2**31, 2**80).map(str),
                     st.integers(-(2**80), 0).map(str))


@functools.cache
def extreme_date() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(EXTREME_DATES),
                     st.dates(max_value=date(1899, 12, 31)).map(date.isoformat),
                     st.dates(min_value=date(2101, 1, 1)).map(date.isoformat))


@functools.cache
def nasty_number() -> st.SearchStrategy[str]:
    return st.one_of(
        extreme_id(),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.integers(min_value=-5, max_value=2000).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(min_value=0, max_value=10**6).map(lambda n: str(n).translate(_FULL_WIDTH_DIGITS)),
        # Past a float's range, and past Python's limit for reading an int (4,300 digits).
        st.sampled_from(["9" * 400, "-" + "9" * 400, "1" * 5000, "0." + "0" * 400 + "1"]),
        nasty_text(),
    )


_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


@functools.cache
def nasty_date() -> st.SearchStrategy[str]:
    return st.one_of(
        extreme_date(),
        st.dates().map(date.isoformat),
        st.tuples(st.integers(0, 99999), st.integers(0, 99), st.integers(0, 99)).map(
            lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}"),
        st.dates().map(lambda d: d.strftime("%Y/%m/%d")),
        nasty_text(),
    )


def recent_date(before: int = 60, after: int = 0) -> st.SearchStrategy[str]:
    today = today_in_japan()
    return st.integers(-before, after).map(lambda days: (today + timedelta(days=days)).isoformat())


@functools.cache
def japanese_text(max_size: int = 20) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(JAPANESE + "abc123"), min_size=1, max_size=max_size).filter(str.strip)


# --- Forms -----------------------------------------------------------------------------------

TEXT, NUMBER, DATE, CHOICE, MULTI, BOOL, SUBMIT, FILE = (
    "text", "number", "date", "choice", "multi", "bool", "submit", "file")

# A FieldList is posted with these row indices when it is broken: WTForms reads a row
# index with str.isdigit(), which is true for more than ASCII digits.
ODD_INDICES = ("0", "1", "9", "10", "11", "99999999999999999999", "１", "٣", "²", "-1", "01", "a")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a form class: ``key`` looks up plausible values (``outcomes-type``
    for the ``type`` of every ``outcomes`` row)."""

    name: str
    key: str
    kind: str
    required: bool
    equal_to: str | None = None
    list_name: str | None = None  # the FieldList this field is a row of


def declared_fields(form_class) -> list[tuple[str, UnboundField]]:
    """The fields a form class declares (its own and inherited), found as WTForms finds them."""
    found = []
    for name in dir(form_class):
        if name.startswith("_"):
            continue
        value = getattr(form_class, name)
        if isinstance(value, UnboundField):
            found.append((name, value))
    return found


def _kind(field_class) -> str:
    for base, kind in (
        (FlaskFileField, FILE), (FileField, FILE), (SubmitField, SUBMIT), (BooleanField, BOOL),
        (SelectMultipleField, MULTI), (SelectField, CHOICE), (RadioField, CHOICE), (DateField, DATE),
        (IntegerField, NUMBER), (FloatField, NUMBER), (DecimalField, NUMBER),
    ):
        if issubclass(field_class, base):
            return kind
    return TEXT


def _validators(unbound: UnboundField) -> list:
    validators = unbound.kwargs.get("validators")
    if validators is None and len(unbound.args) > 1:
        validators = unbound.args[1]
    return list(validators or ())


def _required(unbound: UnboundField) -> bool:
    """True when leaving the field out of the post is an error: InputRequired and
    FileRequired always, DataRequired unless a default fills the field in."""
    validators = _validators(unbound)
    if any(isinstance(v, (InputRequired, FileRequired)) for v in validators):
        return True
    return any(isinstance(v, DataRequired) for v in validators) and unbound.kwargs.get("default") is None


@functools.cache
def field_specs(form_class) -> tuple[FieldSpec, ...]:
    """Every field a post of ``form_class`` can carry; FieldList rows become
    ``list_name``-marked specs whose name is filled in per row."""
    specs = []
    for name, unbound in declared_fields(form_class):
        if issubclass(unbound.field_class, FieldList):
            inner = unbound.args[0]
            if issubclass(inner.field_class, FormField):
                for sub, sub_unbound in declared_fields(inner.args[0]):
                    specs.append(FieldSpec(sub, f"{name}-{sub}", _kind(sub_unbound.field_class), False,
                                           list_name=name))
            else:
                specs.append(FieldSpec("", name, _kind(inner.field_class), False, list_name=name))
            continue
        equal_to = next((v.fieldname for v in _validators(unbound) if isinstance(v, EqualTo)), None)
        specs.append(FieldSpec(name, name, _kind(unbound.field_class), _required(unbound), equal_to))
    return tuple(specs)


@functools.cache
def bad_value(kind: str) -> st.SearchStrategy:
    if kind == NUMBER:
        return nasty_number()
    if kind == DATE:
        return nasty_date()
    if kind == BOOL:
        return st.one_of(st.sampled_from(["y", "n", "on", "off", "true", "false", "0", "1", ""]), nasty_text())
    if kind == FILE:
        return st.binary(max_size=2000)
    return nasty_text()


@functools.cache
def default_plausible(kind: str) -> st.SearchStrategy:
    return {
        TEXT: japanese_text(),
        NUMBER: st.integers(0, 20).map(str),
        DATE: recent_date(),
        BOOL: st.just("y"),
        SUBMIT: st.sampled_from(["", "送信"]),
        FILE: st.binary(max_size=200),
    }.get(kind, nasty_text())


def _plausible(form_class, spec: FieldSpec, plausible: Mapping[str, st.SearchStrategy]) -> st.SearchStrategy:
    for key in (f"{form_class.__name__}.{spec.key}", spec.key):
        if key in plausible:
            return plausible[key]
    return default_plausible(spec.kind)


@st.composite
def form_pairs(draw, form_classes, plausible: Mapping[str, st.SearchStrategy],
               raw: Mapping[str, st.SearchStrategy] = (), *, drop_required: bool = False):
    """``(name, value)`` pairs for a post of ``form_classes``' fields.

    A drawn set of fields is broken (left out, a wrong value, or the key repeated); the
    others get plausible values. ``raw`` are keys the view reads from ``request.form``
    itself. With ``drop_required``, one required field is always left out; the result is
    then ``(pairs, the field left out)``.
    """
    specs = [s for form_class in form_classes for s in field_specs(form_class)]
    owner = {s.key: form_class for form_class in form_classes for s in field_specs(form_class)}
    plain = [s for s in specs if s.list_name is None]
    dropped = None
    if drop_required:
        required = sorted({s.name for s in plain if s.required})
        dropped = draw(st.sampled_from(required))
    broken = draw(st.sets(st.sampled_from([s.name for s in plain] + ["*rows"]))) if specs else set()

    values: dict[str, list] = {}
    for spec in plain:
        good = _plausible(owner[spec.key], spec, plausible)
        if spec.name == dropped:
            values[spec.name] = []
        elif spec.name not in broken:
            if spec.kind == MULTI:
                values[spec.name] = draw(st.lists(good, max_size=3, unique=True))
            else:
                values[spec.name] = [draw(good)]
        else:
            values[spec.name] = draw(st.one_of(
                st.just([]),
                st.lists(bad_value(spec.kind), min_size=1, max_size=1),
                st.lists(st.one_of(good, bad_value(spec.kind)), min_size=2, max_size=4),
            ))
    # A field that must equal another (a password typed twice) does, unless broken.
    for spec in plain:
        if spec.equal_to and spec.name not in broken | {dropped} and spec.equal_to in values:
            values[spec.name] = list(values[spec.equal_to][:1])

    pairs = [(name, value) for name, vs in values.items() for value in vs]

    rows = [s for s in specs if s.list_name is not None]
    for list_name, group in itertools.groupby(rows, key=lambda s: s.list_name):
        group = list(group)
        if "*rows" in broken:
            indices = draw(st.lists(st.one_of(st.sampled_from(ODD_INDICES), st.integers(0, 12).map(str)),
                                    max_size=4))
        else:
            indices = [str(i) for i in range(draw(st.integers(0, 3)))]
        for index in indices:
            for spec in group:
                name = f"{list_name}-{index}-{spec.name}" if spec.name else f"{list_name}-{index}"
                good = _plausible(owner[spec.key], spec, plausible)
                value = draw(st.one_of(good, bad_value(spec.kind)) if "*rows" in broken else good)
                pairs.append((name, value))

    for name, strategy in dict(raw).items():
        pairs += [(name, v) for v in draw(st.lists(strategy, max_size=2))]
    pairs += draw(st.lists(st.tuples(nasty_text(10), nasty_text()), max_size=3))
    if drop_required:
        return pairs, dropped
    return pairs


def required_fields(form_class) -> list[str]:
    return [s.name for s in field_specs(form_class) if s.list_name is None and s.required]
