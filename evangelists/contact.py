"""Contact details as Japanese town halls write them."""

from __future__ import annotations

import phonenumbers


def normalize_phone(text: str) -> str:
    """The E.164 form (``+81312345678``) of a Japanese or international number.

    Accepts 03-1234-5678, 0312345678, +81 3 1234 5678, full-width digits and brackets.
    Raises ValueError("not_a_number") or ValueError("invalid_number").
    """
    try:
        number = phonenumbers.parse(text, "JP")
    except phonenumbers.NumberParseException:
        raise ValueError("not_a_number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("invalid_number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A stored number written the Japanese way (03-1234-5678) when it is Japanese."""
    number = phonenumbers.parse(e164, None)
    if number.country_code == 81:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
