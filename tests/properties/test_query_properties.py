"""No query string and no URL makes a server error; the API answers a bad filter with 400.

Every GET endpoint is tried, as someone it lets in, with the parameters of the form it
reads (tests/properties/endpoints.py), the parameters list pages share (``page`` and the
like) and unknown ones, holding plausible and nasty values; and with nasty path segments
in place of its URL arguments (ids beyond any integer column, codes, tokens).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from flask import url_for
from hypothesis import given
from hypothesis import strategies as st

from app.decorators import PUBLIC
from app.services import exports
from evangelists.coverage import MAX_GAP_KM, MIN_GAP_KM
from evangelists.viewport import ViewportError, parse_viewport
from evangelists.vocabulary import ENGAGEMENT_STAGES, TOPIC_SLUGS
from tests.properties.conftest import ANSWERS, examples, fresh_example
from tests.properties.endpoints import COMMON_QUERY_KEYS, PAGE_QUERY_KEYS, QUERY_FORMS, query_values
from tests.properties.strategies import (
    DATE,
    EXTREME_DATES,
    EXTREME_IDS,
    NUMBER,
    extreme_date,
    extreme_id,
    field_specs,
    form_pairs,
    nasty_text,
)

# URL arguments that are not named like the world's ids.
URL_ARGS = {
    "auth.set_password": {"token": "password_token"},
    "support.status": {"token": "status_token"},
    "support.withdraw": {"token": "status_token"},
    "support.pick_slot": {"token": "status_token"},
    "support.feedback": {"token": "status_token"},
    "support.use_case_answer": {"token": "status_token"},
    "support.use_case_file": {"token": "status_token"},
    "use_cases.draft": {"request_id": "completed_request"},
    "bookings.feed": {"token": "feed_token"},
    "ideas.verify": {"token": "verify_token"},
    "apply.confirm": {"token": "application_token"},
    "directory.confirm": {"token": "registration_token"},
    "recruitment.decline": {"evangelist_id": "candidate"},
    "library.use_case": {"use_case_id": "published_use_case_id"},
}

# What each API endpoint accepts (its documented filters); anything else is a 400.
API_PARAMETERS = {
    "api.municipalities": {"prefecture", "stage", "status"},
    "api.communities": {"prefecture", "status", "bbox", "zoom"},
    "api.evangelists": {"prefecture", "topic", "status", "bbox", "zoom"},
    "api.requests": {"prefecture", "topic", "status", "bbox", "zoom"},
    "api.coverage_gap": {"prefecture", "topic", "stage", "km"},
    "api.outreach": {"prefecture", "status"},
    "api.prefectures": set(),
    "api.open_data_json": set(),
    "api.open_data_csv": set(),
    "api.open_data_municipalities_json": set(),
    "api.open_data_municipalities_csv": set(),
}
API_STATUS_VOCABULARY = {
    "api.municipalities": ("active", "non_active"),
    "api.communities": ("active", "dormant"),
    "api.evangelists": ("candidate", "active", "paused", "retired"),
    "api.requests": ("new", "triaged", "assigned", "scheduled", "completed", "declined", "withdrawn"),
    "api.outreach": ("planned", "contacted", "interested", "declined", "request", "closed"),
}


def get_rules(app) -> dict:
    return {rule.endpoint: rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint != "static"}


# The pages that read their query string, each with the property below (the API has its own).
QUERY_ENDPOINTS = sorted({
    *QUERY_FORMS, "data.export", "reports.dashboard", "auth.login", "recruitment.nominate",
    "communities.new_community", "support.new_request", "public.municipality",
    "directory.register",  # ?prefecture= preselects the place picker, as on the request form
} - set(API_PARAMETERS))


def test_the_endpoints_reading_a_query_string_exist(app):
    assert set(QUERY_ENDPOINTS) <= set(get_rules(app))
    assert {e for e in get_rules(app) if e.startswith("api.")} == set(API_PARAMETERS)


def who_may(app, endpoint: str) -> str | None:
    """Someone the endpoint lets in: anonymous for public pages, else staff first."""
    access = app.view_functions[endpoint].access
    if access == PUBLIC:
        return None
    return next(role for role in ("coordinator", "admin", "evangelist") if role in access)


def get_url(app, endpoint: str, world, **replace) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    names = URL_ARGS.get(endpoint, {})
    values = {arg: world.ids[names.get(arg, arg)] for arg in rule.arguments}
    values.update(replace)
    with app.test_request_context():
        return url_for(endpoint, **values)


def query_string(pairs) -> str:
    return urlencode([(str(k), str(v)) for k, v in pairs])


RAW_QUERIES = st.lists(
    st.sampled_from(["page=", "%", "%zz", "%ff%fe", "%ed%a0%80", "%00", "&", "=", ";", "+", "q=%E3%81",
                     "prefecture=%00", "page=1e9", "page=99999999999999999999", "per_page=-1", "km=%EF%BC%95",
                     "status", "a[]=1", "\u3042", "community=99999999999999999999", "status=%20"]),
    max_size=8,
).map("".join)


def query_keys(endpoint: str, dataset: str | None = None) -> list[str]:
    """The parameters ``endpoint`` is tried with: the shared ones and those of the form it
    reads (for an export, those of the ``dataset``)."""
    form = QUERY_FORMS.get(endpoint)
    own = {spec.name for spec in field_specs(form)} if form else set()
    if dataset is not None:
        own = set(exports.EXPORTS[dataset].parameters)
    return sorted({*COMMON_QUERY_KEYS, *own, *PAGE_QUERY_KEYS.get(endpoint, ())})


def variants(endpoint: str) -> list[dict]:
    """The URL arguments an endpoint is tried with: every export, one of everything else."""
    if endpoint == "data.export":
        return [{"dataset": dataset} for dataset in exports.KINDS]
    return [{}]


@pytest.mark.parametrize("endpoint", QUERY_ENDPOINTS)
@examples(20)
@given(data=st.data())
def test_no_query_string_makes_a_server_error(app, db, world, endpoint, data):
    """Parameters the page reads, shared ones and unknown ones, each missing, plausible,
    nasty or repeated: a page or a 4xx (the API and the exports: 200 or 400)."""
    fresh_example()
    client = world.client(who_may(app, endpoint))
    values = query_values(world)
    raw = {key: st.one_of(values[key], nasty_text()) if key in values else nasty_text()
           for key in (*COMMON_QUERY_KEYS, *PAGE_QUERY_KEYS.get(endpoint, ()))}
    forms = (QUERY_FORMS[endpoint],) if endpoint in QUERY_FORMS else ()
    url_args = data.draw(st.sampled_from(variants(endpoint)), label="url arguments")
    if "dataset" in url_args:  # an export reads the filters of its own list
        raw.update({key: st.one_of(values[key], nasty_text()) if key in values else nasty_text()
                    for key in query_keys(endpoint, url_args["dataset"])})
    if data.draw(st.booleans(), label="percent-encoded"):
        query = query_string(data.draw(form_pairs(forms, values, raw), label="parameters"))
    else:
        query = data.draw(RAW_QUERIES, label="raw query")
    response = client.get(get_url(app, endpoint, world, **url_args), query_string=query)
    assert response.status_code in ANSWERS, response.get_data(as_text=True)[:500]
    if endpoint == "data.export":
        assert response.status_code in (200, 400)


DATE_KEYS = frozenset({"since", "until", "from", "to"})
ID_KEYS = frozenset({"community", "page", "per_page", "km"})

def beyond_every_column_keys(endpoint: str, dataset: str | None = None) -> tuple[list[str], list[str]]:
    """The id (or other whole-number) filters and the date filters ``endpoint`` reads: an
    export's own, a list's form's number and date fields and its page; the shared ones
    for a page that reads its query string by hand."""
    if dataset is not None:
        own = set(exports.EXPORTS[dataset].parameters)
        return sorted(own & ID_KEYS), sorted(own & DATE_KEYS)
    form = QUERY_FORMS.get(endpoint)
    if form is None:
        return sorted(ID_KEYS), sorted(DATE_KEYS)
    specs = field_specs(form)
    return (sorted({"page", *PAGE_QUERY_KEYS.get(endpoint, ())} | {s.name for s in specs if s.kind == NUMBER}),
            sorted({s.name for s in specs if s.kind == DATE}))


LIST_VARIANTS = [(endpoint, args) for endpoint in [*QUERY_ENDPOINTS, *sorted(API_PARAMETERS)]
                 for args in variants(endpoint)]
# The values themselves first: each is a known way to fail (a bigint, a day with no day after).
EXTREME = {"id": st.one_of(st.sampled_from(EXTREME_IDS), extreme_id()),
           "date": st.one_of(st.sampled_from(EXTREME_DATES), extreme_date())}


@pytest.mark.parametrize("endpoint, url_args", LIST_VARIANTS,
                         ids=[f"{e}-{a['dataset']}" if a else e for e, a in LIST_VARIANTS])
@examples(15)
@given(data=st.data())
def test_no_id_or_date_beyond_every_column_makes_a_server_error(app, db, world, endpoint, url_args, data):
    """Every list and every export, with some of its id filters holding ids no column can
    hold (0, -1, 2**31, 2**63, 10**20...) and some of its date filters dates at the ends
    of the calendar (0001-01-01, 9999-12-31, 10000-01-01...), the other filters plausible:
    a page, a field's error or a 400, never a 500. PostgreSQL refuses integers past
    bigint, SQLite past 2**63, and no database has a day after 9999-12-31."""
    fresh_example()
    client = world.client(who_may(app, endpoint))
    ids, dates = beyond_every_column_keys(endpoint, url_args.get("dataset"))
    keys = [(key, "id") for key in ids] + [(key, "date") for key in dates]
    if not keys:
        return
    chosen = data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=2, unique=True), label="filters")
    pairs = [(key, data.draw(EXTREME[kind], label=key)) for key, kind in chosen]
    values = query_values(world)
    others = sorted(set(values) & set(query_keys(endpoint, url_args.get("dataset"))) - set(ids) - set(dates))
    if others and not endpoint.startswith("api."):
        pairs += [(key, data.draw(values[key], label=key))
                  for key in data.draw(st.lists(st.sampled_from(others), max_size=2, unique=True), label="others")]
    response = client.get(get_url(app, endpoint, world, **url_args), query_string=query_string(pairs))
    assert response.status_code in ANSWERS, response.get_data(as_text=True)[:500]
    if endpoint == "data.export" or endpoint.startswith("api."):
        assert response.status_code in (200, 400)


# One value in every parameter at once, for every page, new ones included.
SWEEP = ["\x00", "a\x00b", " ", "99999999999999999999", "-1", "²", "١", "9999-99-99", "1e309", "nan", "x" * 5000,
         *EXTREME_IDS, *EXTREME_DATES]
RAW_SWEEP = ["%ff%fe", "%ed%a0%80", "%", "%E3%81"]


def test_every_page_takes_any_value_in_any_parameter(app, db, world):
    """A cheaper sweep than the property above, over every GET endpoint there is."""
    wrong = []
    for endpoint in sorted(get_rules(app)):
        client = world.client(who_may(app, endpoint))
        for url_args in variants(endpoint):
            url = get_url(app, endpoint, world, **url_args)
            keys = query_keys(endpoint, url_args.get("dataset"))
            queries = [urlencode([(key, value) for key in keys]) for value in SWEEP]
            queries += ["&".join(f"{key}={value}" for key in keys) for value in RAW_SWEEP]
            for query in queries:
                fresh_example()
                status = client.get(url, query_string=query).status_code
                if status not in ANSWERS:
                    wrong.append(f"{url}?{query[:80]}: {status}")
    assert wrong == []


def test_every_filter_takes_ids_and_dates_beyond_every_column_one_at_a_time(app, db, world):
    """Each id or date filter alone with a value no column can hold (the sweep above puts
    one value in every parameter at once, where an earlier one can hide a later one's
    failure): a page, a field's error or a 400, never a 500."""
    wrong = []
    for endpoint in sorted(get_rules(app)):
        client = world.client(who_may(app, endpoint))
        for url_args in variants(endpoint):
            url = get_url(app, endpoint, world, **url_args)
            for key in query_keys(endpoint, url_args.get("dataset")):
                paged = key in PAGE_QUERY_KEYS.get(endpoint, ())
                values = EXTREME_IDS if key in ID_KEYS or paged else EXTREME_DATES if key in DATE_KEYS else ()
                for value in values:
                    fresh_example()
                    status = client.get(url, query_string={key: value}).status_code
                    if status not in ANSWERS or (status == 400 and not url.startswith(("/api/", "/coordinator/data/export/"))):
                        wrong.append(f"{url}?{key}={value}: {status}")
    assert wrong == []


PATH_SEGMENTS = st.one_of(
    st.integers(min_value=0, max_value=2**80).map(str),
    st.sampled_from(["2147483647", "2147483648", "9223372036854775807", "9223372036854775808", "0", "-1", "１",
                     "٣", "²", "1.0", "1e3", "%00", "..", ".", "%2F", "a b", "011002", "01100", "000000", "ja", "en"]),
    nasty_text(20).filter(lambda s: s and s not in (".", "..")),
)


def path_rules(app) -> list:
    return sorted((rule for rule in app.url_map.iter_rules() if rule.arguments and rule.endpoint != "static"),
                  key=lambda rule: rule.endpoint)


def path_url(app, world, rule, argument: str, segment: str) -> str:
    marker = 987654321 if argument.endswith("_id") else "__segment__"
    return get_url(app, rule.endpoint, world, **{argument: marker}).replace(str(marker), quote(segment, safe=""), 1)


def open_path(client, rule, url: str):
    return client.open(url, method="GET" if "GET" in rule.methods else "POST")


@examples(150)
@given(data=st.data())
def test_no_url_argument_makes_a_server_error(app, db, world, data):
    """Any segment in place of a URL argument (an id beyond every integer column, a
    code, a token) of any endpoint answers 404 or a page, never a 500."""
    rule = data.draw(st.sampled_from(path_rules(app)), label="rule")
    argument = data.draw(st.sampled_from(sorted(rule.arguments)), label="argument")
    segment = data.draw(PATH_SEGMENTS, label="segment")
    fresh_example()
    response = open_path(world.client(who_may(app, rule.endpoint)), rule, path_url(app, world, rule, argument, segment))
    assert response.status_code in ANSWERS, response.get_data(as_text=True)[:500]


def test_every_url_argument_takes_ids_beyond_every_integer_column(app, db, world):
    wrong = []
    for rule in path_rules(app):
        client = world.client(who_may(app, rule.endpoint))
        for argument in sorted(rule.arguments):
            for segment in ("2147483648", "9223372036854775808", "99999999999999999999", "%00", "²"):
                fresh_example()
                status = open_path(client, rule, path_url(app, world, rule, argument, segment)).status_code
                if status not in ANSWERS:
                    wrong.append(f"{rule.endpoint} {argument}={segment}: {status}")
    assert wrong == []


def api_parameter_values(world, endpoint: str) -> dict[str, st.SearchStrategy]:
    values = query_values(world)
    result = {name: values[name] for name in ("prefecture", "topic", "stage", "km")}
    # The viewport of the point layers (evangelists/viewport.py): west,south,east,north; 0..20.
    result["bbox"] = st.one_of(st.sampled_from(["", "122,24,154,46", "139.4,35.4,140.1,35.9", "141,43,141.1,43.1"]),
                               st.builds(lambda w, s, dw, ds: f"{w},{s},{w + dw},{s + ds}",
                                         st.integers(-180, 170), st.integers(-90, 80),
                                         st.integers(1, 10), st.integers(1, 10)))
    result["zoom"] = st.one_of(st.just(""), st.integers(0, 20).map(str))
    if endpoint in API_STATUS_VOCABULARY:
        result["status"] = st.sampled_from(API_STATUS_VOCABULARY[endpoint])
    return result


def api_value_is_valid(world, endpoint: str, name: str, value: str) -> bool:
    """What the API's filters accept: empty (no filter), one of the choices, a distance
    (once the NUL characters every form drops are gone)."""
    value = value.replace("\x00", "")
    if name in ("bbox", "zoom"):
        try:
            parse_viewport(value if name == "bbox" else None, value if name == "zoom" else None)
        except ViewportError:
            return False
        return True
    if name == "km":
        if not value.strip():
            return True
        try:
            return MIN_GAP_KM <= int(value) <= MAX_GAP_KM
        except ValueError:
            return False
    choices = {"prefecture": world.ids["prefectures"], "topic": TOPIC_SLUGS, "stage": ENGAGEMENT_STAGES,
               "status": API_STATUS_VOCABULARY.get(endpoint, ())}[name]
    return value == "" or value in choices


@pytest.mark.parametrize("endpoint", sorted(API_PARAMETERS))
@examples(20)
@given(data=st.data())
def test_the_api_answers_a_bad_filter_with_400_and_a_good_one_with_200(app, db, world, endpoint, data):
    """An unknown parameter, or a value a filter does not take, is a 400 (JSON); accepted
    parameters with accepted values are a 200. A query that is not even well encoded is
    one or the other."""
    fresh_example()
    client = world.client(who_may(app, endpoint))
    url = get_url(app, endpoint, world)
    accepted = API_PARAMETERS[endpoint]
    if data.draw(st.integers(0, 4), label="raw query?") == 0:
        response = client.get(url, query_string=data.draw(RAW_QUERIES, label="query"))
        assert response.status_code in (200, 400), response.get_data(as_text=True)[:500]
    else:
        good = api_parameter_values(world, endpoint)
        names = data.draw(st.lists(st.one_of(st.sampled_from(sorted(accepted or {"prefecture"})), nasty_text(10)),
                                   max_size=4, unique=True), label="names")
        pairs = [(name, data.draw(st.one_of(good[name], nasty_text()) if name in accepted else nasty_text(),
                                  label=name)) for name in names]
        valid = all(name in accepted and api_value_is_valid(world, endpoint, name, value) for name, value in pairs)
        response = client.get(url, query_string=query_string(pairs))
        assert response.status_code == (200 if valid else 400), response.get_data(as_text=True)[:500]
        if not valid:
            assert response.is_json
