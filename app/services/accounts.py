"""User accounts: passwords, sign-in, second factor, invitations, roles.

Every function that changes something commits once and writes an AuditEvent with the
acting user and the client address. Failures raise AccountError with a machine code
that the web layer turns into a translated message.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
import time
from datetime import timedelta

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db
from app.models import RecoveryCode, User
from app.models.base import utcnow
from app.secrets_at_rest import (
    UndecryptableSecret,
    decrypt_totp_secret,
    encrypt_totp_secret,
    is_plain_secret,
    rotate_token,
)
from app.services.audit import record_event
from app.services.notices import notify
from evangelists.errors import Refused
from evangelists.limits import EMAIL_MAX
from evangelists.passwords import password_problems
from evangelists.vocabulary import ROLES

log = logging.getLogger(__name__)


@functools.cache
def _argon2(time_cost: int, memory_cost: int, parallelism: int) -> tuple[PasswordHasher, str]:
    """An argon2id hasher with these parameters and a dummy hash made with it. The dummy is
    verified against when the e-mail is unknown, so a wrong e-mail costs as long as a
    wrong password and the timing does not tell which accounts exist."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher, hasher.hash(secrets.token_hex(16))


def _password_hasher() -> tuple[PasswordHasher, str]:
    """The app's argon2id hasher and its dummy hash. The parameters are the app's
    PASSWORD_HASH_* settings: RFC 9106's "low memory" profile (argon2-cffi's defaults, which
    meet OWASP ASVS 5.0 Appendix C) everywhere but the test configuration, which makes
    cheap hashes so the suite does not spend its time in argon2."""
    config = current_app.config
    return _argon2(
        config["PASSWORD_HASH_TIME_COST"], config["PASSWORD_HASH_MEMORY_COST"], config["PASSWORD_HASH_PARALLELISM"]
    )


RECOVERY_CODE_COUNT = 10
TOTP_ISSUER = "Evangelist Network"
# Roles that must use a second factor (ASVS 6.3.3); evangelists may choose to.
SECOND_FACTOR_REQUIRED = ("admin", "coordinator")


class AccountError(Refused):
    """A refused account operation; ``code`` (the ``reason``) names why, ``details`` any
    extras (for ``weak_password``: the password policy's problems)."""

    scope = "account"

    def __init__(self, code: str, *details: str):
        super().__init__(None, code)
        self.args = (code, *details)
        self.details = details

    @property
    def code(self) -> str:
        return self.reason


# --- Passwords ------------------------------------------------------------------------


# Stored instead of a hash for accounts that must never sign in with a password (the
# generated demo evangelists). It is no valid argon2 hash, so nothing verifies against it.
UNUSABLE_PASSWORD = "!unusable"


def hash_password(password: str) -> str:
    hasher, _dummy = _password_hasher()
    return hasher.hash(password)


def usable(password_hash: str | None) -> bool:
    return bool(password_hash) and password_hash != UNUSABLE_PASSWORD


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; False for a wrong password or a user without a
    usable one, after the same amount of work either way."""
    hasher, dummy = _password_hasher()
    try:
        matched = hasher.verify(password_hash if usable(password_hash) else dummy, password)
    except (VerificationError, InvalidHashError):
        matched = False
    return matched and usable(password_hash)


def check_new_password(password: str, user: User) -> None:
    """Raise AccountError("weak_password", *problems) unless ``password`` meets the policy."""
    problems = password_problems(password, email=user.email, name=user.display_name)
    if problems:
        raise AccountError("weak_password", *problems)


def _set_password(user: User, password: str) -> None:
    check_new_password(password, user)
    user.password_hash = hash_password(password)
    # A new password ends every other session, on every device.
    user.session_version += 1


def add_user(email: str, display_name: str, role: str, password: str | None = None) -> User:
    """Add a user to the session (not committed); ``email`` is stored in lower case."""
    user = User(
        email=normalize_email(email),
        display_name=display_name,
        role=role,
        password_hash=hash_password(password) if password else None,
    )
    db.session.add(user)
    return user


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


# --- Sign-in ----------------------------------------------------------------------------


def authenticate(email: str, password: str, *, address: str | None) -> User | None:
    """The active user with this e-mail and password, or None (failure is audited).

    The caller learns nothing about which part was wrong, and neither does the timing.
    """
    user = find_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user.is_active:
        if _password_hasher()[0].check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
            db.session.commit()
        return user
    record_event(
        None,
        "auth.sign_in_failed",
        "user",
        user.id if user else None,
        after={"email": normalize_email(email)[:EMAIL_MAX], "reason": _failure_reason(user, ok)},
        client_address=address,
    )
    db.session.commit()
    return None


def _failure_reason(user: User | None, password_ok: bool) -> str:
    if user is None:
        return "unknown_email"
    if not password_ok:
        return "wrong_password" if usable(user.password_hash) else "no_password_set"
    return "inactive"


def record_sign_in(user: User, *, method: str, address: str | None) -> None:
    """Note a completed sign-in (after any second factor)."""
    user.last_login_at = utcnow()
    record_event(user, "auth.signed_in", "user", user.id, after={"method": method}, client_address=address)
    db.session.commit()


def record_sign_out(user: User, *, address: str | None) -> None:
    """End this user's sessions everywhere: the session id in every cookie goes stale."""
    user.session_version += 1
    record_event(user, "auth.signed_out", "user", user.id, client_address=address)
    db.session.commit()


def load_user_from_session(session_id: str) -> User | None:
    """The user behind a Flask-Login id ``"<user id>.<session version>"``, if still valid."""
    user_id, _, version = session_id.partition(".")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def _check_current_password(user: User, password: str, *, purpose: str, address: str | None) -> None:
    """Raise AccountError("wrong_current_password") unless a signed-in user re-entered
    their password right; a failure is audited, as a failed sign-in is."""
    if verify_password(user.password_hash, password):
        return
    record_event(user, "auth.current_password_failed", "user", user.id, after={"purpose": purpose},
                 client_address=address)
    db.session.commit()
    raise AccountError("wrong_current_password")


def change_password(user: User, current: str, new: str, *, address: str | None) -> None:
    """Change a signed-in user's password; every other session ends."""
    _check_current_password(user, current, purpose="change_password", address=address)
    _set_password(user, new)
    record_event(user, "user.password_changed", "user", user.id, client_address=address)
    db.session.commit()


# --- Invitation and reset links ----------------------------------------------------------

PURPOSES = ("invitation", "reset")
# Every purpose a token may be made for: the two above (set at /auth/password/<purpose>/),
# and "verify", the idea box's confirmation of a self-registered participant's address
# (set at /ideas/verify/<token>, app/services/idea_accounts.py).
TOKEN_PURPOSES = (*PURPOSES, "verify")


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"password-{purpose}")


def _fingerprint(user: User) -> str:
    """Changes as soon as the password is set or the sessions are ended, so a link
    works once and an older link dies when a newer one is used."""
    material = f"{user.password_hash or ''}|{user.session_version}"
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def make_password_token(user: User, purpose: str) -> str:
    """A signed link token to set a password (``purpose``: invitation, reset or verify)."""
    if purpose not in TOKEN_PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    return _serializer(purpose).dumps({"uid": user.id, "fp": _fingerprint(user)})


def max_age(purpose: str) -> timedelta:
    key = {"invitation": "INVITATION_MAX_AGE", "verify": "IDEAS_VERIFY_MAX_AGE"}.get(purpose, "RESET_MAX_AGE")
    return current_app.config[key]


def read_password_token(token: str, purpose: str) -> User:
    """The user a token was made for. Raises AccountError "link_expired", "link_used" or
    "link_invalid"."""
    try:
        data = _serializer(purpose).loads(token, max_age=int(max_age(purpose).total_seconds()))
    except SignatureExpired:
        raise AccountError("link_expired") from None
    except BadSignature:
        raise AccountError("link_invalid") from None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None:
        raise AccountError("link_invalid")
    if not user.is_active:
        raise AccountError("link_invalid")
    if data.get("fp") != _fingerprint(user):
        raise AccountError("link_used")
    return user


def set_password_with_token(token: str, purpose: str, password: str, *, address: str | None) -> User:
    """Set the password through an invitation or reset link; the link is then spent."""
    user = read_password_token(token, purpose)
    _set_password(user, password)
    record_event(user, f"user.password_set_by_{purpose}", "user", user.id, client_address=address)
    db.session.commit()
    return user


def mail_password_link(user: User, purpose: str) -> bool:
    """When the site can send mail, add the security notice that mails ``user`` a password
    link of ``purpose`` (sent once the caller commits; the link itself is made when the
    mail is written, app/mail.py). Returns whether it will be mailed; if not, the caller
    shows the token's link to the person who asked for it."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    if not current_app.config.get("MAIL_SERVER"):
        return False
    notify(f"password_{purpose}", users=[user])
    return True


def invite_user(
    actor: User, email: str, display_name: str, role: str, *, address: str | None
) -> tuple[User, str]:
    """Create an account without a password and return it with its invitation token."""
    if role not in ROLES:
        raise AccountError("unknown_role")
    if role != "evangelist" and actor.role != "admin":
        raise AccountError("only_admins_invite_staff")
    if find_user_by_email(email) is not None:
        raise AccountError("email_taken")
    user = add_user(email, display_name.strip(), role)
    db.session.flush()
    record_event(
        actor, "user.invited", "user", user.id, after={"email": user.email, "role": role},
        client_address=address,
    )
    token = make_password_token(user, "invitation")
    mail_password_link(user, "invitation")
    db.session.commit()
    return user, token


def reset_link_for(actor: User | None, user: User, *, address: str | None) -> tuple[str, str]:
    """``(token, purpose)`` of a new password link for ``user``, asked by themselves or
    made by staff: a reset, or a fresh invitation if they never had a password."""
    purpose = "reset" if usable(user.password_hash) else "invitation"
    record_event(
        actor, "user.reset_link_created", "user", user.id, after={"purpose": purpose},
        client_address=address,
    )
    mail_password_link(user, purpose)
    db.session.commit()
    return make_password_token(user, purpose), purpose


# --- Roles and deactivation -----------------------------------------------------------------


def change_role(actor: User, user: User, role: str, *, address: str | None) -> None:
    """Change a work account's role. A self-registered participant of the idea box is not
    made staff or an evangelist this way, nor a work account a participant: who they are
    was never checked (invite them instead)."""
    if role not in ROLES:
        raise AccountError("unknown_role")
    if user.id == actor.id:
        raise AccountError("cannot_change_own_role")
    if (user.role == "participant") != (role == "participant"):
        raise AccountError("participant_role_fixed")
    if user.role == role:
        return
    before = {"role": user.role}
    user.role = role
    user.session_version += 1  # new rights start with a fresh sign-in
    record_event(actor, "user.role_changed", "user", user.id, before=before, after={"role": role},
                 client_address=address)
    db.session.commit()


def set_active(actor: User, user: User, active: bool, *, address: str | None) -> None:
    """Deactivate (ending every session at once) or reactivate an account."""
    if user.id == actor.id:
        raise AccountError("cannot_deactivate_self")
    if user.is_active == active:
        return
    user.is_active = active
    if not active:
        user.session_version += 1
    record_event(
        actor, "user.reactivated" if active else "user.deactivated", "user", user.id,
        client_address=address,
    )
    db.session.commit()


def create_user(email: str, display_name: str, role: str, password: str) -> User:
    """Create a ready-to-use account (the first admin of a deployment)."""
    if role not in ROLES:
        raise AccountError("unknown_role")
    if find_user_by_email(email) is not None:
        raise AccountError("email_taken")
    user = add_user(email, display_name, role)
    check_new_password(password, user)
    user.password_hash = hash_password(password)
    db.session.flush()
    record_event(None, "user.created", "user", user.id, after={"email": user.email, "role": role})
    db.session.commit()
    return user


# --- Second factor -------------------------------------------------------------------------


def second_factor_required(user: User) -> bool:
    return user.role in SECOND_FACTOR_REQUIRED


def new_totp_secret() -> str:
    """A new base32 secret, in the clear: shown to the user while setting up, stored
    only through :func:`set_totp_secret`."""
    return pyotp.random_base32()


def set_totp_secret(user: User, secret: str | None) -> None:
    """Keep ``secret`` on ``user`` encrypted (None removes it); the caller commits."""
    user.totp_secret_token = None if secret is None else encrypt_totp_secret(secret)


def totp_secret_of(user: User) -> str | None:
    """The user's TOTP secret in the clear, or None without one. A stored value that no
    configured key opens is logged as an error naming the setting and read as None:
    authenticator codes are then refused (recovery codes still work), never a 500. A
    secret still in the clear (0006 run with ``--sql``, before ``flask totp rotate-key``)
    is used as it is, with a warning: refusing it would lock staff out and protect nothing."""
    if user.totp_secret_token is None:
        return None
    if is_plain_secret(user.totp_secret_token):
        log.warning("user %s: TOTP secret stored in the clear; run `flask totp rotate-key`", user.id)
        return user.totp_secret_token
    try:
        return decrypt_totp_secret(user.totp_secret_token)
    except UndecryptableSecret as error:
        log.error("user %s: %s", user.id, error)
        return None


def rotate_totp_keys() -> tuple[int, list[int]]:
    """Re-encrypt every stored TOTP secret with the first key of ``TOTP_ENCRYPTION_KEYS``,
    in one transaction. Returns ``(how many, [])``; if any value cannot be decrypted,
    nothing is written and the ids of those users come back instead."""
    rows = db.session.execute(
        sa.select(User.id, User.totp_secret_token).where(User.totp_secret_token.is_not(None)).order_by(User.id)
    ).all()
    rotated, broken = {}, []
    for user_id, token in rows:
        try:
            rotated[user_id] = (token, rotate_token(token))
        except UndecryptableSecret:
            broken.append(user_id)
    if broken:
        db.session.rollback()
        return 0, broken
    count = 0
    for user_id, (old, new) in rotated.items():
        # Only if unchanged since read: a second factor removed or set up meanwhile (by
        # then with the new first key) is not overwritten with the old value.
        count += db.session.execute(
            sa.update(User).where(User.id == user_id, User.totp_secret_token == old)
            .values(totp_secret_token=new).execution_options(synchronize_session=False)
        ).rowcount
    record_event("system", "user.totp_secrets_reencrypted", "user", None, after={"count": count})
    db.session.commit()
    return count, []


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The 30-second step (now, or one either side for clock drift) whose code is ``code``."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    for offset in (0, -1, 1):
        moment = now + offset * totp.interval
        if secrets.compare_digest(totp.at(moment), code):
            return int(moment // totp.interval)
    return None


def verify_second_factor(user: User, code: str, *, address: str | None) -> str | None:
    """Check an authenticator code or a recovery code. Returns "totp" or "recovery_code"
    on success (the code is then spent), None otherwise (audited)."""
    secret = totp_secret_of(user)
    step = _matching_step(secret, code) if secret else None
    # Conditional updates: of two requests racing with the same code, one wins.
    if step is not None and _claim(
        sa.update(User)
        .where(User.id == user.id)
        .where(sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
    ):
        db.session.refresh(user)
        return "totp"
    if _claim(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    ):
        record_event(user, "auth.recovery_code_used", "user", user.id, client_address=address)
        db.session.commit()
        return "recovery_code"
    record_event(user, "auth.second_factor_failed", "user", user.id, client_address=address)
    db.session.commit()
    return None


def _claim(statement: sa.Update) -> bool:
    """Run a conditional UPDATE and commit; True if it changed a row."""
    changed = db.session.execute(statement).rowcount == 1
    db.session.commit()
    return changed


def _code_hash(code: str) -> str:
    # Recovery codes carry 50 random bits, so a fast hash is enough; normalised so
    # "ABCD-EFGH" and "abcd efgh" are the same code.
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
    codes = [
        "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    user.recovery_codes = [RecoveryCode(code_hash=_code_hash(c)) for c in codes]
    return codes


def enable_second_factor(user: User, secret: str, code: str, *, address: str | None) -> list[str]:
    """Confirm an authenticator app with a first code; return fresh recovery codes
    (shown once, stored only as hashes)."""
    step = _matching_step(secret, code)
    if step is None:
        raise AccountError("wrong_code")
    set_totp_secret(user, secret)
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    record_event(user, "user.second_factor_enabled", "user", user.id, client_address=address)
    db.session.commit()
    return codes


def regenerate_recovery_codes(user: User, *, address: str | None) -> list[str]:
    codes = _new_recovery_codes(user)
    record_event(user, "user.recovery_codes_renewed", "user", user.id, client_address=address)
    db.session.commit()
    return codes


def remove_second_factor(user: User, password: str, code: str, *, address: str | None) -> None:
    """Remove the authenticator (to turn it off, or to replace a lost or new phone) after
    the password and a current or recovery code prove who asks. Staff must then set up a
    new one before they reach any staff page (see ``app.decorators``)."""
    _check_current_password(user, password, purpose="remove_second_factor", address=address)
    if verify_second_factor(user, code, address=address) is None:
        raise AccountError("wrong_code")
    set_totp_secret(user, None)
    user.totp_last_step = None
    user.recovery_codes = []
    record_event(user, "user.second_factor_removed", "user", user.id, client_address=address)
    db.session.commit()


def unused_recovery_code_count(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
