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


@pytest.mark.parametrize(("stored", "shown"), [
    ("+81857228112", "0857-22-8112"),   # Tottori: the second person's number in issue 17
    ("+819011112222", "090-1111-2222"),
    ("+81120123456", "0120-123-456"),
    ("+81300001234", "03-0000-1234"),   # a demo number: unassigned, still national
    ("+8185722811", "085722811"),       # unknown to the metadata: the leading 0 stays
    ("0857-22-8112", "0857-22-8112"),   # left by an older import, not E.164
    ("0857228112", "0857-22-8112"),
    ("+14155552671", "+1 415-555-2671"),
    ("内線 123", "内線 123"),            # not a number: shown as it is, never an error
    ("", ""),
])
def test_display_is_national_for_every_japanese_number_and_never_fails(stored, shown):
    assert display_phone(stored) == shown
    assert not display_phone(stored).startswith("+81")
