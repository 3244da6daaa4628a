"""What the property tests found, each as a plain example: these inputs made a 500."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import Assignment, Community, SupportRequest
from tests.properties.conftest import STATUS_TOKEN, committed_writes

HUGE = "99999999999999999999"  # beyond SQLite's 64-bit integers, let alone PostgreSQL's INTEGER


# --- Numbers too long for NumberRange, which compares them as floats (OverflowError) ----------------


def test_a_number_of_a_thousand_digits_is_refused_with_the_fields_message(world, db):
    coordinator = world.client("coordinator")
    response = coordinator.post("/coordinator/communities/new", data={
        "name": "千桁の会", "prefecture": "01", "municipality": "011002", "member_count": "1" * 1001})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(Community).where(Community.name == "千桁の会")) is None

    visit = world.client("evangelist").post(f"/me/visits/{world.ids['visit_id']}", data={
        "visited_on": "2024-04-01", "mode": "online", "duration_minutes": "9" * 400, "attendee_count": "1",
        "summary": "相談"})
    assert visit.status_code == 422


def test_an_evangelist_number_no_id_can_be_proposes_nobody(world, db):
    request_id = world.ids["request_id"]
    response = world.client("coordinator").post(f"/coordinator/requests/{request_id}/assign",
                                                 data={"evangelist_id": HUGE})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)
                             .where(Assignment.request_id == request_id)) == 0


def test_a_distance_of_four_hundred_digits_is_a_bad_filter_of_the_api(world):
    response = world.client("coordinator").get(f"/api/v1/coverage-gap?km={'9' * 400}")
    assert response.status_code == 400 and "km" in response.get_json()["parameters"]


# --- A row index that str.isdigit() takes but int() refuses ------------------------------------------


def test_a_visit_row_numbered_with_a_superscript_digit_is_ignored(world):
    response = world.client("evangelist").post(f"/me/visits/{world.ids['visit_id']}", data={
        "visited_on": "2024-04-01", "mode": "online", "duration_minutes": "60", "attendee_count": "1",
        "summary": "相談", "outcomes-²-type": "event_held", "outcomes-٣-type": "event_held"})
    assert response.status_code == 302


# --- Ids and page numbers beyond every integer column --------------------------------------------------


def test_an_id_beyond_every_integer_column_is_not_found(world):
    coordinator = world.client("coordinator")
    for number in ("2147483648", "9223372036854775808", HUGE):
        assert coordinator.get(f"/coordinator/requests/{number}").status_code == 404
        assert coordinator.get(f"/coordinator/communities/{number}").status_code == 404
        assert coordinator.post(f"/coordinator/requests/{number}/triage").status_code == 404
    assert world.client("evangelist").get(f"/me/visits/{HUGE}").status_code == 404


def test_a_page_beyond_every_list_is_an_empty_page(world):
    assert world.client(None).get(f"/municipalities?page={HUGE}").status_code == 200
    coordinator = world.client("coordinator")
    for url in ("/coordinator/communities", "/coordinator/requests"):
        assert coordinator.get(f"{url}?page={HUGE}").status_code == 200
    assert world.client("admin").get(f"/admin/users?page={HUGE}").status_code == 200


def test_a_community_number_no_id_can_be_starts_an_empty_nomination(world):
    assert world.client("coordinator").get(f"/coordinator/recruitment/new?community={HUGE}").status_code == 200


# --- A filter of spaces: Optional() took it for empty and passed the spaces on --------------------------


def test_a_filter_of_spaces_is_ignored_like_any_value_not_in_the_list(world):
    coordinator = world.client("coordinator")
    for url in ("/coordinator/communities?status=%20", "/coordinator/requests?status=%20&topic=%20",
                "/coordinator/recruitment?community=%20"):
        assert coordinator.get(url).status_code == 200
    assert world.client(None).get("/municipalities?kind=%20&open_data_status=%20").status_code == 200
    assert world.client("admin").get("/admin/users?role=%20&status=%20").status_code == 200
    response = world.client(None).get("/api/v1/municipalities?status=%20")
    assert response.status_code == 400 and "status" in response.get_json()["parameters"]


def test_an_outcome_of_spaces_is_refused_not_saved(world, db):
    evangelist = world.client("evangelist")
    with committed_writes(db) as writes:
        response = evangelist.post(f"/me/visits/{world.ids['visit_id']}", data={
            "visited_on": "2024-04-01", "mode": "online", "duration_minutes": "60", "attendee_count": "1",
            "summary": "相談", "outcomes-0-type": " "})
    assert response.status_code == 422 and writes == []


# --- NUL characters: PostgreSQL refuses them in text, so every search or save failed -------------------


def test_nul_characters_never_reach_the_database(world, db):
    assert world.client(None).get("/municipalities?q=%00").status_code == 200
    assert world.client("coordinator").get("/coordinator/communities?q=a%00b").status_code == 200
    assert world.client(None).post("/auth/login", data={"email": "a\x00b@example.jp", "password": "x"}).status_code == 200
    response = world.client("coordinator").post("/coordinator/communities/new", data={
        "name": "Code\x00 for Otaru", "prefecture": "01", "municipality": "011002", "member_count": "3"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Community.name).where(Community.name.like("Code%Otaru"))) == "Code for Otaru"


def test_a_prefecture_that_is_no_prefecture_code_lists_no_municipality(world):
    for prefecture in ("\x00", "0\x001", "０１", "٠١", "1" * 1000):
        response = world.client(None).post("/request", data={"prefecture": prefecture, "action": "prefecture"})
        assert response.status_code == 200
        assert world.client(None).get("/request", query_string={"prefecture": prefecture}).status_code == 200


# --- A multipart part without a name: werkzeug files it under None, and row lists failed on it --------


def test_a_multipart_part_without_a_name_is_ignored(world):
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data\r\n\r\nx\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"summary\"\r\n\r\n相談\r\n"
            f"--{boundary}--\r\n").encode()
    url = f"/me/assignments/{world.ids['accepted_assignment']}/visits/new"
    response = world.client("evangelist").post(url, data=body,
                                                content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422  # the form with its errors, not a 500


# --- A JSON body: Flask-WTF passed it to the fields, or failed on one that is not an object -------------


def test_a_json_body_is_not_taken_for_a_form(world, db):
    anonymous = world.client(None)
    for body in ([1, 2], "x", 3, None, {"email": {"a": 1}, "password": ["x"]}):
        assert anonymous.post("/auth/login", json=body).status_code == 200
    with committed_writes(db) as writes:
        response = anonymous.post("/request", json={
            "prefecture": "01", "municipality": "011002", "contact_name": {"a": 1}, "department": ["情報"],
            "email": "a@example.jp", "topics": ["gis"], "mode": "online"})
    assert response.status_code == 422 and writes == []
    status = anonymous.post(f"/request/status/{STATUS_TOKEN}", json={"body": {"a": "b"}})
    assert status.status_code == 422
    assert db.session.scalar(sa.select(SupportRequest.status).where(SupportRequest.id == world.ids["request_id"])) == "new"



# --- Filters beyond every column: an id past bigint, a date with no day after it (issue 15) ---------


def test_a_community_filter_no_id_can_be_is_a_bad_filter_of_the_export(world):
    coordinator = world.client("coordinator")
    for number in ("99999999999999999999999", "9223372036854775808", "2147483648", "0", "-1"):
        response = coordinator.get(f"/coordinator/data/export/evangelists.csv?community={number}")
        assert response.status_code == 400, number
        assert "community" in response.get_data(as_text=True)


def in_english(client):
    client.set_cookie("lang", "en")
    return client


def test_an_audit_filter_at_the_end_of_the_calendar_is_an_error_on_the_field(world):
    admin = in_english(world.client("admin"))
    for until in ("9999-12-31", "0001-01-01", "2101-01-01"):
        response = admin.get(f"/admin/audit?until={until}&since={until}")
        assert response.status_code == 200, until
        assert "Enter a date between 1900-01-01 and 2100-12-31." in response.get_data(as_text=True)
    assert "Enter a date like 2030-04-01." in admin.get("/admin/audit?until=10000-01-01").get_data(as_text=True)
    assert admin.get("/admin/audit?until=2100-12-31&since=1900-01-01").status_code == 200


def test_an_export_date_at_the_end_of_the_calendar_is_a_bad_filter(world):
    coordinator = in_english(world.client("coordinator"))
    for dataset in ("visits", "outcomes"):
        response = coordinator.get(f"/coordinator/data/export/{dataset}.csv?to=9999-12-31")
        assert response.status_code == 400
        assert "between 1900-01-01 and 2100-12-31" in response.get_data(as_text=True)
        assert coordinator.get(f"/coordinator/data/export/{dataset}.csv?from=1900-01-01&to=2100-12-31").status_code == 200


def test_a_nul_byte_for_the_prefecture_lists_no_communities_rather_than_a_500(world):
    """PostgreSQL refuses a NUL byte in a text parameter: the prefecture's communities
    (nominating, editing, the board's filter) are read only for a prefecture code."""
    coordinator = world.client("coordinator")
    for url in ("/coordinator/recruitment/new?prefecture=%00", "/coordinator/recruitment?prefecture=%00",
                f"/coordinator/recruitment/{world.ids['evangelist_id']}/edit?prefecture=%00"):
        assert coordinator.get(url).status_code in (200, 400), url
