"""No post to any form makes a server error, and a refused post changes nothing.

Every endpoint that accepts POST is posted, as the role that may use it, field data drawn
from its own form classes (tests/properties/endpoints.py): plausible values, missing
fields, repeated keys, wrong types, out-of-range numbers, control characters, NUL bytes,
full-width digits, huge strings, unknown fields; as a form, as multipart, as raw bytes
that are not valid UTF-8 or percent-encoding, or as JSON of any shape.
"""

from __future__ import annotations

import importlib
import io
import pkgutil

import pytest
import wtforms
from flask import url_for
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

import app as app_package
from app.decorators import PUBLIC
from app.visit_forms import VisitForm
from tests.factories import make_user
from tests.properties.conftest import (
    ANSWERS,
    committed_writes,
    examples,
    fresh_example,
    snapshot,
)
from tests.properties.endpoints import (
    MOVED,
    POSTS,
    QUERY_FORMS,
    SURVEY,
    apply_token,
    plausible,
    raw_values,
)
from tests.properties.strategies import (
    SUBMIT,
    declared_fields,
    field_specs,
    form_pairs,
    nasty_text,
    required_fields,
)

# --- Every POST endpoint and every form is covered ---------------------------------------------


def post_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods} - MOVED


def test_every_post_endpoint_is_covered(app):
    assert post_endpoints(app) - set(POSTS) == set(), "add these endpoints to POSTS in tests/properties/endpoints.py"
    assert set(POSTS) - post_endpoints(app) == set(), "these endpoints no longer accept POST"


def test_each_endpoint_is_posted_by_someone_it_lets_in(app):
    for endpoint, post in POSTS.items():
        access = app.view_functions[endpoint].access
        if post.who in (None, "pending"):
            assert access == PUBLIC, endpoint
        else:
            assert access == PUBLIC or post.who in access, endpoint


def app_form_classes() -> set[type]:
    """Every form class defined in the app's modules."""
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        importlib.import_module(module.name)
    found, todo = set(), [wtforms.Form]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("app."):
                found.add(sub)
    return found


def test_every_form_class_is_exercised():
    posted = {form for post in POSTS.values() for form in post.forms}
    nested = {unbound.args[0].args[0] for form in posted for _name, unbound in declared_fields(form)
              if issubclass(unbound.field_class, wtforms.FieldList)}
    exercised = posted | nested | set(QUERY_FORMS.values())
    missing = {f"{form.__module__}.{form.__name__}" for form in app_form_classes() - exercised}
    # Base classes without fields of their own are exercised through their subclasses.
    missing -= {f"{form.__module__}.{form.__name__}" for form in app_form_classes() if not field_specs(form)}
    assert missing == set(), "post these forms in POSTS or read them in QUERY_FORMS"


def test_the_field_lists_of_the_forms_are_found():
    """The strategies see the forms' fields, nested rows included (else nothing is posted)."""
    names = {spec.key for spec in field_specs(VisitForm)}
    assert {"visited_on", "summary", "topics", "outcomes-type", "outcomes-count"} <= names
    assert set(required_fields(VisitForm)) == {"duration_minutes", "attendee_count", "summary"}


def test_the_checks_of_changed_nothing_can_fail(db, world):
    """A committed row shows in both checks; a rolled-back one in neither."""
    before = snapshot(db)
    with committed_writes(db) as writes:
        make_user(email="rolled-back@example.jp")
        db.session.rollback()
    assert writes == [] and snapshot(db) == before
    with committed_writes(db) as writes:
        make_user(email="committed@example.jp")
        db.session.commit()
    assert writes and snapshot(db) != before


# --- The properties ----------------------------------------------------------------------------


def post_url(app, endpoint: str, world) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    args = POSTS[endpoint].args
    with app.test_request_context():
        return url_for(endpoint, **{arg: world.ids[args.get(arg, arg)] for arg in rule.arguments})


def prepare(endpoint: str, world) -> None:
    """What a post needs beyond the world: a checked import to apply."""
    if endpoint == "data.apply_import" and "import_tokens" not in world.ids:
        checked = send(world.client("coordinator"), "/coordinator/data/import",
                       [("kind", "municipality_status"), ("file", SURVEY.encode())], "multipart")
        world.ids["import_tokens"] = [apply_token(checked.get_data(as_text=True))]


def send(client, url: str, pairs, transport: str, body=b""):
    """Post ``pairs`` the way ``transport`` says (``body``: the raw bytes or JSON sent instead)."""
    if transport == "raw":
        return client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    if transport == "json":
        return client.post(url, json=body)
    if transport == "multipart" or any(isinstance(v, bytes) for _k, v in pairs):
        values = MultiDict([
            (k, FileStorage(io.BytesIO(v), filename="data.csv", content_type="text/csv") if isinstance(v, bytes) else v)
            for k, v in pairs
        ])
        # Encoded here, in memory: werkzeug's test client leaves a temporary file unclosed
        # for bodies over 500 kB, which the suite's warnings-as-errors would report.
        boundary, body = encode_multipart(values)
        return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    return client.post(url, data=MultiDict(pairs))


TRANSPORTS = st.sampled_from(["form", "form", "form", "multipart", "raw", "json"])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | nasty_text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(nasty_text(10), children, max_size=3),
    max_leaves=6,
)


def json_body(pairs) -> st.SearchStrategy:
    """The form's fields as a JSON object, some holding lists or objects; or any JSON."""
    fields = sorted({str(k) for k, v in pairs if not isinstance(v, bytes)})
    return st.one_of(
        st.fixed_dictionaries({name: st.one_of(st.just(dict(pairs)[name]), JSON_VALUES) for name in fields}),
        JSON_VALUES,
    )


RAW_BODIES = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from([b"a=", b"%", b"%zz", b"%ff%fe", b"%ed%a0%80", b"%00", b"&", b"=", b";", b"+",
                              b"email", b"summary", b"\xff", b"\xe3\x81"]), max_size=20).map(b"".join),
)


def is_a_button(post) -> bool:
    """A post whose forms carry nothing but the button (sign out, triage, accept...)."""
    return all(spec.kind == SUBMIT for form in post.forms for spec in field_specs(form))


def check_a_post(app, db, world, endpoint, data) -> None:
    """Whatever is posted, the answer is a page, a redirect or a 4xx. A post without one
    of the form's required fields, or answered with the form and its errors (422), has
    written nothing."""
    post = POSTS[endpoint]
    prepare(endpoint, world)
    fresh_example()
    client = world.client(post.who)
    raw = {name: strategy for name, strategy in raw_values().items() if name in post.raw}
    required = any(required_fields(form) for form in post.forms)
    drop = required and data.draw(st.booleans(), label="leave a required field out")
    if drop:
        pairs, dropped = data.draw(form_pairs(post.forms, plausible(world), raw, drop_required=True), label="pairs")
        transport = "form"
    else:
        pairs = data.draw(form_pairs(post.forms, plausible(world), raw), label="pairs")
        transport = data.draw(TRANSPORTS, label="transport")
    body = b""
    if transport == "raw":
        body = data.draw(RAW_BODIES, label="raw body")
    elif transport == "json":
        body = data.draw(json_body(pairs), label="JSON body")
    with committed_writes(db) as writes:
        response = send(client, post_url(app, endpoint, world), pairs, transport, body)
    assert response.status_code in ANSWERS, response.get_data(as_text=True)[:1000]
    if drop:
        assert writes == [], f"posted without {dropped!r}, and this was written"
    elif response.status_code == 422:
        assert writes == [], "the form was refused (422), and this was written"


@pytest.mark.parametrize("endpoint", sorted(e for e, post in POSTS.items() if not is_a_button(post)))
@examples(25)
@given(data=st.data())
def test_no_post_makes_a_server_error_and_a_refused_one_changes_nothing(app, db, world, endpoint, data):
    check_a_post(app, db, world, endpoint, data)


@pytest.mark.parametrize("endpoint", sorted(e for e, post in POSTS.items() if is_a_button(post)))
@examples(10)
@given(data=st.data())
def test_no_post_to_a_button_makes_a_server_error(app, db, world, endpoint, data):
    """Buttons read no field: fewer examples find what the transports can break."""
    check_a_post(app, db, world, endpoint, data)
