"""Contact details as Japanese town halls write them."""

from __future__ import annotations

from functools import lru_cache

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


@lru_cache(maxsize=16_384)  # ~25 µs a number in phonenumbers; an export of 15,000 requests repeats them
def display_phone(stored: str) -> str:
    """A stored number as people read it: Japanese numbers in the national format
    (0857-22-8112, 03-1234-5678, 090-1111-2222), others internationally (+1 415-555-2671).

    Numbers are stored in E.164, but a page must never show ``+81…`` nor fail on what an
    older import left: text without ``+`` is read as Japanese, a Japanese number the
    metadata does not know keeps its leading 0, and what is no number at all comes back
    unchanged.
    """
    text = (stored or "").strip()
    try:
        number = phonenumbers.parse(text, "JP")
    except phonenumbers.NumberParseException:
        return text
    if number.country_code == 81:
        if not text.startswith("+") and not phonenumbers.is_possible_number(number):
            return text  # "内線 123": digits in it, but no phone number
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return national if national.startswith("0") else "0" + phonenumbers.national_significant_number(number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
