"""A municipality's public results (issue 22, point 3): the arithmetic, no framework.

What its public page and the programme's per-municipality open data say about a town,
from aggregates the database gives (never a person, never a visit's text):

* **open-data active since**: its ``open_data_since``, and whether it got there
  **through the programme** (an activating outcome, ``ACTIVATING_OUTCOMES``, of a visit
  there) or **on its own** (the national survey says so, and it was active before the
  programme's first such outcome or visit there). The rule is the fiscal figures' one
  (``evangelists.fiscal_figures.Activation.through_programme``): active through the
  programme unless ``open_data_since`` is earlier than both the first day an activating
  outcome was achieved and the first day of a visit recording one;
* **its catalogue**: the newest ``catalog_launched`` outcome's evidence address, else a
  published use case's catalogue address; only an http(s) address with a host counts;
* **datasets published through the programme**: the counts of its ``datasets_published``
  outcomes, summed;
* **published use cases**: the public ones (``PUBLIC_STATUSES``), newest first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

# Where a town's open data came from.
PROGRAMME = "programme"  # an activating outcome of a visit of the programme
OWN = "own"  # before the programme's outcome or visit: the national survey says so
ORIGINS = (PROGRAMME, OWN)
WEB_ADDRESS_MAX = 500


def web_address(url: str | None) -> str | None:
    """``url`` stripped when it is an http or https address with a host (and no space or
    control character), else None: what may be shown as a link on a public page."""
    url = (url or "").strip()
    if not url or len(url) > WEB_ADDRESS_MAX or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return url


def open_data_origin(status: str, since: date | None, first_achieved: date | None,
                     first_visited: date | None) -> str | None:
    """``PROGRAMME`` or ``OWN`` for an open-data active town (``status`` "active"), None
    for one that is not. ``first_achieved``: the first day an activating outcome was
    achieved there; ``first_visited``: the first day of a visit recording one (None, both,
    when there is none)."""
    if status != "active":
        return None
    firsts = [d for d in (first_achieved, first_visited) if d is not None]
    if not firsts:
        return OWN
    if since is None:
        return PROGRAMME
    return PROGRAMME if since >= min(firsts) else OWN


def catalogue_of(candidates: Iterable[str | None]) -> str | None:
    """The first of ``candidates`` (best first: outcomes' evidence newest first, then use
    cases' catalogue addresses) that is a web address, else None."""
    for url in candidates:
        address = web_address(url)
        if address is not None:
            return address
    return None


@dataclass(frozen=True)
class PublishedUseCase:
    """A published use case as the town's page lists it."""

    id: int
    title: str
    published_at: datetime


@dataclass(frozen=True)
class TownResults:
    """What a town's page says under "Results". ``origin`` is None for a town that is not
    open-data active (then ``open_data_since`` is None too); ``more_use_cases``: published
    use cases beyond those listed."""

    open_data_since: date | None
    origin: str | None
    catalogue_url: str | None
    datasets: int
    use_cases: tuple[PublishedUseCase, ...] = ()
    more_use_cases: int = 0

    @property
    def active(self) -> bool:
        return self.origin is not None

    @property
    def nothing(self) -> bool:
        """Nothing to show: not open-data active, no catalogue, no dataset, no use case."""
        return not (self.active or self.catalogue_url or self.datasets or self.use_cases)


def town_results(*, status: str, since: date | None, first_achieved: date | None, first_visited: date | None,
                 datasets: int | None, catalogue_candidates: Iterable[str | None],
                 use_cases: Iterable[PublishedUseCase] = (), published_total: int = 0) -> TownResults:
    """One town's results from the aggregates the database gives."""
    origin = open_data_origin(status, since, first_achieved, first_visited)
    listed = tuple(use_cases)
    return TownResults(
        open_data_since=since if origin is not None else None,
        origin=origin,
        catalogue_url=catalogue_of(catalogue_candidates),
        datasets=int(datasets or 0),
        use_cases=listed,
        more_use_cases=max(0, published_total - len(listed)),
    )
