import pytest

from evangelists.contact import display_phone, normalize_phone


@pytest.mark.parametrize(
    "typed",
    ["03-1234-5678", "0312345678", "+81 3 1234 5678", "+81-3-1234-5678", "(03) 1234-5678", "０３－１２３４－５６７８"],
)
def test_japanese_formats_become_e164(typed):
    assert normalize_phone(typed) == "+81312345678"


def test_mobile_and_ip_phone_numbers():
    assert normalize_phone("090-1234-5678") == "+819012345678"
    assert normalize_phone("050-1234-5678") == "+815012345678"


@pytest.mark.parametrize(("typed", "reason"), [("abc", "not_a_number"), ("03-1234", "invalid_number"), ("", "not_a_number")])
def test_bad_numbers_are_refused_with_a_reason(typed, reason):
    with pytest.raises(ValueError, match=reason):
        normalize_phone(typed)


def test_display_is_national_for_japan():
    assert display_phone("+81312345678") == "03-1234-5678"
