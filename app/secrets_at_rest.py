"""Secrets kept encrypted in the database: the authenticator (TOTP) secrets.

The keys come from one setting, ``TOTP_ENCRYPTION_KEYS``: a comma-separated list of long
random strings. The first encrypts; every one decrypts (``MultiFernet``), so a new key
can be put first while values written with the old one still read, and ``flask totp
rotate-key`` then re-encrypts everything with the new one (README "Key rotation").

Each string is stretched into a Fernet key (AES-128-CBC with HMAC-SHA256) with
HKDF-SHA256, so any long random string works as a key. Nothing falls back to
``SECRET_KEY``: the two settings are rotated independently.
"""

from __future__ import annotations

import base64
import functools
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from config import parse_keys

SETTING = "TOTP_ENCRYPTION_KEYS"
# Domain separation: the same string used for another purpose gives another key.
_HKDF_INFO = b"evangelist-network totp-secret v1"
# What pyotp.random_base32() makes; a Fernet token always starts with "gAAAAA" (version
# byte 0x80, then a timestamp), which has lower-case letters, so the two never mix up.
_PLAIN_SECRET = re.compile(r"[A-Z2-7]+=*")


class UndecryptableSecret(Exception):
    """A stored value that none of the configured keys opens."""


def fernet_key(secret: str) -> bytes:
    """The Fernet key derived from one configured string."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


@functools.lru_cache(maxsize=8)
def _cipher_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError(f"{SETTING} is empty: set it to one or more long random strings.")
    return MultiFernet([Fernet(fernet_key(key)) for key in keys])


def cipher(keys: tuple[str, ...] | None = None) -> MultiFernet:
    """The cipher of ``keys`` (default: the app's ``TOTP_ENCRYPTION_KEYS``)."""
    if keys is None:
        keys = parse_keys(current_app.config.get(SETTING))
    return _cipher_for(keys)


def is_plain_secret(value: str) -> bool:
    """True for a base32 TOTP secret that was never encrypted (written before 0006)."""
    return bool(_PLAIN_SECRET.fullmatch(value))


def encrypt_totp_secret(secret: str) -> str:
    """The token to store for the base32 ``secret``, made with the first key."""
    return cipher().encrypt(secret.encode()).decode()


def decrypt_totp_secret(token: str) -> str:
    """The base32 secret in ``token``. Raises UndecryptableSecret, whose message names the
    setting, when no configured key opens it."""
    try:
        return cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableSecret(
            f"a stored TOTP secret cannot be decrypted with any key in {SETTING}: was a key "
            "removed before `flask totp rotate-key` ran, or the setting changed?"
        ) from None


def rotate_token(token: str) -> str:
    """``token`` encrypted again with the first key (a plain secret gets encrypted).
    Raises UndecryptableSecret like :func:`decrypt_totp_secret`."""
    if is_plain_secret(token):
        return encrypt_totp_secret(token)
    try:
        return cipher().rotate(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableSecret(
            f"a stored TOTP secret cannot be decrypted with any key in {SETTING}"
        ) from None


def seal(text: str) -> str:
    """``text`` encrypted with the same keys, for a secret that must travel in the signed
    (readable, not encrypted) session cookie: an authenticator secret being set up, new
    recovery codes until they are shown."""
    return cipher().encrypt(text.encode()).decode()


def unseal(token: str) -> str | None:
    """What :func:`seal` sealed, or None if no configured key opens ``token``."""
    try:
        return cipher().decrypt(token.encode()).decode()
    except (InvalidToken, AttributeError):
        return None
