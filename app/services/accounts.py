"""User accounts: creation and password hashing."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.extensions import db
from app.models import User

# argon2id with argon2-cffi's defaults (RFC 9106 "low memory" profile), which meet
# OWASP ASVS 5.0 Appendix C.
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; False for a wrong password or a user without one."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def add_user(email: str, display_name: str, role: str, password: str | None = None) -> User:
    """Add a user to the session (not committed); ``email`` is stored in lower case."""
    user = User(
        email=email.strip().lower(),
        display_name=display_name,
        role=role,
        password_hash=hash_password(password) if password else None,
    )
    db.session.add(user)
    return user
