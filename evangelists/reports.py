"""The arithmetic of the coordinators' dashboard: medians, calendar buckets, load
buckets and the small-cell suppression of the diversity table.

Plain Python and numpy: the service (``app/services/reports.py``) runs one query per
figure and hands the rows here as plain values.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

# --- medians ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Median:
    """The median of ``n`` values; ``value`` is None when there were none."""

    value: float | None
    n: int


def median_days(pairs: Iterable[tuple[date, date | None]]) -> Median:
    """The median number of days from each start to its end (pairs without an end are
    left out). Days are calendar days: the same day is 0. An end before its start (a
    visit logged against the wrong date) counts as negative rather than being hidden."""
    days = np.fromiter(
        ((end - start).days for start, end in pairs if end is not None), dtype=np.int64
    )
    if days.size == 0:
        return Median(None, 0)
    return Median(float(np.median(days)), int(days.size))


def median_of_counts(counts: Mapping[int, int]) -> Median:
    """The median of whole numbers given as ``value -> how many times`` (what a GROUP BY
    returns), equal to :func:`median_days` over the same values: the middle one, or the
    mean of the two middle ones. Values counted 0 times (or fewer) are left out."""
    ordered = sorted((value, n) for value, n in counts.items() if n > 0)
    total = sum(n for _, n in ordered)
    if total == 0:
        return Median(None, 0)

    def nth(k: int) -> int:  # the k-th value (from 0) in order
        seen = 0
        for value, n in ordered:
            seen += n
            if k < seen:
                return value
        raise AssertionError("unreachable")

    middle = total // 2
    value = nth(middle) if total % 2 else (nth(middle - 1) + nth(middle)) / 2
    return Median(float(value), total)


# --- calendar buckets -----------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_months(today: date, n: int) -> list[date]:
    """The first days of the ``n`` calendar months ending with ``today``'s, oldest first."""
    if n < 1:
        raise ValueError(f"n must be 1 or more, not {n!r}")
    current = month_start(today)
    return [add_months(current, -k) for k in range(n - 1, -1, -1)]


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    """One quarter: how many started in it and how many there were by its end."""

    start: date  # the first day of the quarter
    added: int
    cumulative: int


def cumulative_by_quarter(
    by_month: Mapping[tuple[int, int], int], before_records: int, until: date
) -> tuple[TimelinePoint, ...]:
    """Cumulative counts per quarter, from the quarter of the earliest dated start to the
    quarter of ``until`` (or of the latest start, if that is later), with no quarter
    skipped. ``by_month`` maps (year, month) to how many started in that month;
    ``before_records`` (those with no date) are counted from the beginning. Empty when
    nothing is dated."""
    if not by_month:
        return ()
    added: dict[date, int] = {}
    for (year, month), n in by_month.items():
        key = quarter_start(date(year, month, 1))
        added[key] = added.get(key, 0) + n
    first = min(added)
    last = max(max(added), quarter_start(until))
    points, total, quarter = [], before_records, first
    while quarter <= last:
        total += added.get(quarter, 0)
        points.append(TimelinePoint(quarter, added.get(quarter, 0), total))
        quarter = add_months(quarter, 3)
    return tuple(points)


# --- load against capacity ------------------------------------------------------------

# Keys of the load buckets, in display order: no active assignment; under half of the
# capacity in use; half or more; exactly full; more than the capacity (possible when a
# coordinator lowered the capacity, or an evangelist did on their profile).
LOAD_BUCKETS = ("none", "under_half", "half_or_more", "full", "over")


def load_buckets(loads: Sequence[int], capacities: Sequence[int],
                 weights: Sequence[int] | None = None) -> dict[str, int]:
    """How many evangelists fall in each of ``LOAD_BUCKETS``, given each one's active
    assignments (``loads``) and capacity. Someone with no active assignment is "none"
    whatever their capacity; with a capacity of 0, any assignment is "over".
    ``weights``: how many evangelists each (load, capacity) pair stands for (a GROUP BY's
    counts); one each when not given."""
    load = np.asarray(loads, dtype=np.int64)
    capacity = np.asarray(capacities, dtype=np.int64)
    weight = np.ones_like(load) if weights is None else np.asarray(weights, dtype=np.int64)
    if not load.shape == capacity.shape == weight.shape:
        raise ValueError("loads, capacities and weights must have the same length")
    # Compare 2 × load with capacity instead of dividing: exact, and no division by 0.
    busy = load > 0
    masks = {
        "none": ~busy,
        "under_half": busy & (2 * load < capacity),
        "half_or_more": busy & (2 * load >= capacity) & (load < capacity),
        "full": busy & (load == capacity),
        "over": busy & (load > capacity),
    }
    return {key: int(weight[masks[key]].sum()) for key in LOAD_BUCKETS}


# --- small cells ----------------------------------------------------------------------

SMALL_CELL = 3


def suppress_small(cells: Mapping[Hashable, int], threshold: int = SMALL_CELL) -> dict[Hashable, int | None]:
    """The cells with every count below ``threshold`` replaced by None ("fewer than
    three"), so that no group small enough to point at a person is shown.

    Zero is suppressed too: a reader cannot tell an empty group from a group of one or
    two. When exactly one non-empty cell would be hidden, its value could be worked out by
    subtracting the others from a total shown elsewhere, so the smallest shown cell is
    hidden as well (complementary suppression; ties by key order).
    """
    shown = {key: (n if n >= threshold else None) for key, n in cells.items()}
    hidden = [key for key, value in shown.items() if value is None]
    if len(hidden) == 1 and cells[hidden[0]] > 0:
        order = list(cells)
        candidates = [key for key, value in shown.items() if value is not None]
        if candidates:
            smallest = min(candidates, key=lambda key: (cells[key], order.index(key)))
            shown[smallest] = None
    return shown
