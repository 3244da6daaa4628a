"""Issue 16, point 4: one source per limit. The CHECK constraints, the column lengths, the
services and the forms read evangelists/limits.py; none keeps a copy of its own."""

from __future__ import annotations

import pytest

from app.models import Community, Evangelist, SupportRequest, User, Visit
from app.models.base import located_in_japan
from app.services import communities, evangelists, exports, recruitment
from evangelists import limits


def _checks(model) -> dict[str, str]:
    """CHECK name (without the naming convention's prefix) -> SQL text."""
    return {str(c.name).removeprefix(f"ck_{model.__tablename__}_"): str(c.sqltext)
            for c in model.__table__.constraints if c.name and hasattr(c, "sqltext")}


def test_the_checks_are_written_from_the_limits():
    # The same SQL text as before the limits moved: the migrations hold these strings.
    assert [str(c.sqltext) for c in located_in_japan()] == ["lat BETWEEN 20 AND 46", "lon BETWEEN 122 AND 154"]
    assert limits.between_check("lat", limits.LAT_RANGE) == "lat BETWEEN 20 AND 46"
    checks = _checks(Evangelist)
    assert checks["capacity_range"] == "capacity BETWEEN 0 AND 20"
    assert checks["travel_radius_range"] == "travel_radius_km > 0 AND travel_radius_km <= 2000"
    assert _checks(Visit)["duration_range"] == "duration_minutes > 0 AND duration_minutes <= 1440"


def test_the_services_use_the_limits_themselves():
    assert communities.LAT_RANGE is limits.LAT_RANGE and communities.LON_RANGE is limits.LON_RANGE
    assert evangelists.CAPACITY_RANGE is limits.CAPACITY_RANGE
    assert evangelists.TRAVEL_RADIUS_RANGE is limits.TRAVEL_RADIUS_RANGE
    assert limits.TRAVEL_RADIUS_RANGE[1] == limits.MAX_TRAVEL_RADIUS_KM
    assert communities.NAME_MAX == limits.COMMUNITY_NAME_MAX and recruitment.NAME_MAX == limits.PERSON_NAME_MAX
    assert communities.EMAIL_MAX == recruitment.EMAIL_MAX == limits.EMAIL_MAX
    assert exports.MAX_QUERY_LENGTH == limits.MUNICIPALITY_QUERY_MAX


@pytest.mark.parametrize(("column", "length"), [
    (User.__table__.c.email, limits.EMAIL_MAX),
    (User.__table__.c.display_name, limits.DISPLAY_NAME_MAX),
    (Community.__table__.c.name, limits.COMMUNITY_NAME_MAX),
    (Community.__table__.c.website, limits.WEBSITE_MAX),
    (Community.__table__.c.address, limits.ADDRESS_MAX),
    (Community.__table__.c.contact_email, limits.EMAIL_MAX),
    (Evangelist.__table__.c.family_name, limits.PERSON_NAME_MAX),
    (Evangelist.__table__.c.given_name, limits.PERSON_NAME_MAX),
    (SupportRequest.__table__.c.email, limits.EMAIL_MAX),
    (SupportRequest.__table__.c.contact_name, limits.CONTACT_NAME_MAX),
    (SupportRequest.__table__.c.department, limits.DEPARTMENT_MAX),
    (SupportRequest.__table__.c.preferred_period, limits.PREFERRED_PERIOD_MAX),
])
def test_text_columns_are_as_long_as_the_limits_say(column, length):
    assert column.type.length == length

