"""Every stored value of a closed vocabulary has a human label."""

import pytest

from app.labels import LABELS
from evangelists import ideas, search, use_cases, vocabulary

VOCABULARIES = {
    "notice_mail": vocabulary.NOTICE_MAIL_STATES,
    "notice_mode": vocabulary.NOTICE_MODES,
    "municipality_kind": vocabulary.MUNICIPALITY_KINDS,
    "open_data_status": vocabulary.OPEN_DATA_STATUSES,
    "engagement_stage": vocabulary.ENGAGEMENT_STAGES,
    "community_status": vocabulary.COMMUNITY_STATUSES,
    "community_registration_status": vocabulary.COMMUNITY_REGISTRATION_STATUSES,
    "member_band": vocabulary.MEMBER_BANDS,
    "location_source": vocabulary.LOCATION_SOURCES,
    "evangelist_status": vocabulary.EVANGELIST_STATUSES,
    "application_status": vocabulary.APPLICATION_STATUSES,
    "region": vocabulary.REGIONS,
    "search_kind": search.KINDS,
    "search_field": search.FIELDS,
    "user_role": vocabulary.ROLES,
    "assignment_status": vocabulary.ASSIGNMENT_STATUSES,
    "request_status": vocabulary.REQUEST_STATUSES,
    "request_stage": vocabulary.REQUEST_STATUSES,
    "request_mode": vocabulary.REQUEST_MODES,
    "request_source": vocabulary.REQUEST_SOURCES,
    "addition_status": vocabulary.ADDITION_STATUSES,
    "visit_mode": vocabulary.VISIT_MODES,
    "booking_status": vocabulary.BOOKING_STATUSES,
    "outcome_type": vocabulary.OUTCOME_TYPES,
    "user_status": vocabulary.USER_STATUSES,
    "age_band": vocabulary.AGE_BANDS,
    "gender": vocabulary.GENDERS,
    "language": vocabulary.LANGUAGES,
    "outreach_status": vocabulary.OUTREACH_STATUSES,
    "outreach_channel": vocabulary.OUTREACH_CHANNELS,
    "idea_voice": ideas.VOICES,
    "idea_stance": ideas.STANCES,
    "idea_status": ideas.IDEA_STATUSES,
    "idea_visibility": ideas.VISIBILITIES,
    "idea_report_reason": ideas.REPORT_REASONS,
    "idea_moderation_action": ideas.MODERATION_ACTIONS,
    "idea_theme_scope": ideas.THEME_SCOPES,
    "idea_moderation_decision": ("hide", "keep", "release", "refuse", "restore"),
    "idea_theme_phase": ("upcoming", "open", "closed"),
    "idea_sort": ideas.SORTS,
    "use_case_kind": use_cases.USE_CASE_KINDS,
    "use_case_status": use_cases.USE_CASE_STATUSES,
    "use_case_town_decision": use_cases.TOWN_DECISIONS,
    "population_band": use_cases.POPULATION_BANDS,
}


def test_every_labelled_vocabulary_is_checked():
    assert set(LABELS) == set(VOCABULARIES)


@pytest.mark.parametrize("name", sorted(VOCABULARIES))
def test_labels_cover_exactly_the_vocabulary_in_its_order(name):
    assert tuple(LABELS[name]) == VOCABULARIES[name]
