"""Routes of the auth blueprint: sign-in, second factor, password links, account page."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from flask import (
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from limits import parse

from app.auth import bp
from app.auth.forms import (
    ChangePasswordForm,
    ConfirmWithPasswordForm,
    ForgotPasswordForm,
    NewPasswordForm,
    SecondFactorForm,
    SetUpSecondFactorForm,
    SignInForm,
)
from app.decorators import DEMO_WAIVER, public, role_required, signed_in
from app.extensions import limiter
from app.forms import ActionForm
from app.mail import link_hours, mail_configured
from app.messages import account_error_messages
from app.secrets_at_rest import seal, unseal
from app.services import accounts, idea_accounts
from app.services.accounts import AccountError
from app.services.demo import waives_second_factor
from app.web import (
    PENDING,
    begin_pending,
    client_address,
    complete_sign_in,
    home_url,
    pending_user,
)
from evangelists.vocabulary import ROLES

SETUP_SECRET = "second_factor_setup_secret"
NEW_CODES = "new_recovery_codes"


# --- Throttling: only failures count (g.auth_failed), per account and per address. ----
#
# Every form that checks a password (signing in, and re-entering the current one to change
# it or to remove the second factor) shares one budget per account and one per address:
# the same LOGIN_LIMIT_* settings, the same counters. A stolen session then gets no more
# guesses than a stranger at the sign-in form, and the two cannot be added up.


def _failed(_response) -> bool:
    return bool(g.get("auth_failed"))


def _account_key() -> str:
    """The account a password is tried for: the signed-in user's own, else the e-mail typed."""
    if current_user.is_authenticated:
        return "account:" + current_user.email
    return "account:" + accounts.normalize_email(request.form.get("email", ""))


def _pending_key() -> str:
    state = session.get(PENDING) or {}
    return f"pending:{state.get('uid')}"


def _too_many_message(setting: str):
    def message() -> str:
        minutes = max(1, parse(current_app.config[setting]).get_expiry() // 60)
        return _(
            "Too many failed attempts. For your security, please wait %(minutes)s minutes "
            "and try again. If you forgot your password, use “Forgot your password?”.",
            minutes=minutes,
        )

    return message


def _config_limit(setting: str):
    return lambda: current_app.config[setting]


_password_tries_per_address = limiter.shared_limit(
    _config_limit("LOGIN_LIMIT_PER_ADDRESS"), "password-address", key_func=get_remote_address,
    methods=["POST"], deduct_when=_failed, error_message=_too_many_message("LOGIN_LIMIT_PER_ADDRESS"),
)
_password_tries_per_account = limiter.shared_limit(
    _config_limit("LOGIN_LIMIT_PER_ACCOUNT"), "password-account", key_func=_account_key,
    methods=["POST"], deduct_when=_failed, error_message=_too_many_message("LOGIN_LIMIT_PER_ACCOUNT"),
)


def password_tries_limited(view):
    """Count the failed password checks of ``view`` (it sets ``g.auth_failed``) against
    the sign-in limits; over them, a POST answers 429 with the waiting time."""
    return _password_tries_per_address(_password_tries_per_account(view))


# --- Sign in and out ---------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@public
@password_tries_limited
def login():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data, address=client_address())
        if user is None:
            g.auth_failed = True
            # The same words whether the e-mail or the password was wrong.
            form.password.errors.append(_("The e-mail address or the password is not correct."))
        else:
            begin_pending(user, remember=form.remember.data, next_url=form.next.data)
            if user.has_second_factor:
                return redirect(url_for("auth.second_factor"))
            if accounts.second_factor_required(user):
                if waives_second_factor(user):
                    target = complete_sign_in(user, method="password_demo_waiver")
                    session[DEMO_WAIVER] = True
                    return redirect(target)
                return redirect(url_for("auth.set_up_second_factor"))
            return redirect(complete_sign_in(user, method="password"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@role_required(*ROLES, second_factor=False)
def logout():
    if ActionForm().validate_on_submit():
        accounts.record_sign_out(current_user, address=client_address())
        logout_user()
        session.clear()
        flash(_("You have signed out."), "success")
    return redirect(url_for("public.index"))


# --- Second factor ---------------------------------------------------------------------------


@bp.route("/two-factor", methods=["GET", "POST"])
@public
@limiter.limit(
    _config_limit("SECOND_FACTOR_LIMIT"), key_func=_pending_key, methods=["POST"],
    deduct_when=_failed, error_message=_too_many_message("SECOND_FACTOR_LIMIT"),
    scope="second-factor",
)
def second_factor():
    user = pending_user()
    if user is None or not user.has_second_factor:
        flash(_("Your sign-in took too long or was interrupted. Please sign in again."), "warning")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        method = accounts.verify_second_factor(user, form.code.data, address=client_address())
        if method is None:
            g.auth_failed = True
            form.code.errors.append(_("That code is not right. Try the newest code from the app, or a recovery code."))
        else:
            if method == "recovery_code":
                left = accounts.unused_recovery_code_count(user)
                flash(_("You used a recovery code; %(left)s remain. Renew them on your account page.", left=left), "warning")
            return redirect(complete_sign_in(user, method=f"password+{method}"))
    return render_template("auth/second_factor.html", form=form)


def _qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (made here: no image service)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@public
def set_up_second_factor():
    """Turn on an authenticator app: while signing in (roles that require it) or later
    from the account page."""
    if current_user.is_authenticated:
        user = current_user
        if user.has_second_factor:
            # Replacing it needs the password and a current code first (account page).
            return redirect(url_for("auth.account"))
    else:
        user = pending_user()
        # Half-way through signing in, only someone whose role requires a second factor
        # and who has none may set one up; anyone else would skip their existing one.
        if user is None or user.has_second_factor or not accounts.second_factor_required(user):
            return redirect(url_for("auth.login"))
    secret = _setup_secret_for(user)
    form = SetUpSecondFactorForm()
    if form.validate_on_submit():
        try:
            codes = accounts.enable_second_factor(user, secret, form.code.data, address=client_address())
        except AccountError as error:
            form.code.errors.extend(account_error_messages(error))
        else:
            session.pop(SETUP_SECRET, None)
            if not current_user.is_authenticated:
                target = complete_sign_in(user, method="password+totp_setup")
            else:
                target = url_for("auth.account")
            session[NEW_CODES] = seal(" ".join(codes))
            session["after_codes"] = target
            return redirect(url_for("auth.recovery_codes"))
    uri = accounts.totp_uri(user, secret)
    return render_template("auth/set_up_second_factor.html", form=form, secret=secret, qr=_qr_svg(uri),
                           signing_in=not current_user.is_authenticated)


def _setup_secret_for(user) -> str:
    """The secret being set up, kept across the page and its form, for this user only:
    a secret left in a shared browser by someone else is never offered to the next person.
    The session cookie is signed, not encrypted, so the secret is kept in it encrypted
    like the stored ones; one that no longer opens (keys rotated) is replaced."""
    saved = session.get(SETUP_SECRET) or {}
    if saved.get("uid") == user.id:
        secret = unseal(saved.get("secret", ""))
        if secret:
            return secret
    secret = accounts.new_totp_secret()
    session[SETUP_SECRET] = {"uid": user.id, "secret": seal(secret)}
    return secret


@bp.get("/two-factor/recovery-codes")
@signed_in
def recovery_codes():
    """Show freshly made recovery codes, once."""
    sealed = session.pop(NEW_CODES, None)
    codes = (unseal(sealed) or "").split() if isinstance(sealed, str) else None
    if not codes:
        return redirect(url_for("auth.account"))
    target = session.pop("after_codes", None) or url_for("auth.account")
    return render_template("auth/recovery_codes.html", codes=codes, target=target)


# --- Password links --------------------------------------------------------------------------


@bp.route("/password/<purpose>/<token>", methods=["GET", "POST"])
@public
def set_password(purpose: str, token: str):
    if purpose not in accounts.PURPOSES:
        return render_template("auth/link_problem.html", messages=[_("This link is not valid. Check that you copied all of it.")]), 404
    try:
        user = accounts.read_password_token(token, purpose)
    except AccountError as error:
        status = 410 if error.code in ("link_expired", "link_used") else 404
        return render_template("auth/link_problem.html", messages=account_error_messages(error)), status
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password_with_token(token, purpose, form.password.data, address=client_address())
        except AccountError as error:
            form.password.errors.extend(account_error_messages(error))
        else:
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash(_("Your password is saved. Please sign in."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user, purpose=purpose)


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@limiter.limit("5 per hour", methods=["POST"], scope="forgot-password")
@limiter.limit("3 per hour", methods=["POST"], key_func=_account_key, scope="forgot-password-account")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        if mail_configured():
            user = accounts.find_user_by_email(form.email.data)
            if user is not None and user.is_active and idea_accounts.needs_verification(user):
                # An idea box sign-up never confirmed: its confirmation link again.
                idea_accounts.mail_verification_again(user, address=client_address())
            elif user is not None and user.is_active:
                # The mail is a notice the queue sends after the answer, so known and
                # unknown addresses take about as long.
                accounts.reset_link_for(None, user, address=client_address())
            # The same answer whether or not the address has an account.
            flash(ngettext("If an account uses this address, a link to set a new password is on its way. It works for %(num)d hour.",
                           "If an account uses this address, a link to set a new password is on its way. It works for %(num)d hours.",
                           link_hours("reset")), "info")
            return redirect(url_for("auth.login"))
        form.email.errors.append(
            _("This site cannot send e-mail. Please ask your coordinator or an admin for a reset link.")
        )
    return render_template("auth/forgot_password.html", form=form, can_mail=mail_configured())


# --- The account page ------------------------------------------------------------------------


@bp.get("/account")
@signed_in
def account():
    return render_template(
        "auth/account.html",
        action=ActionForm(),
        disable_form=ConfirmWithPasswordForm(),
        codes_left=accounts.unused_recovery_code_count(current_user) if current_user.has_second_factor else 0,
        required=accounts.second_factor_required(current_user),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
@password_tries_limited
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.password.data, address=client_address())
        except AccountError as error:
            g.auth_failed = error.code == "wrong_current_password"
            field = form.current if g.auth_failed else form.password
            field.errors.extend(account_error_messages(error))
        else:
            # Every other session has ended; this one continues under the new version.
            complete_refresh()
            flash(_("Your password is changed. You were signed out everywhere else."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


def complete_refresh() -> None:
    """Re-issue this browser's session after the session version changed."""
    waived = session.get(DEMO_WAIVER)
    login_user(current_user._get_current_object(), remember=False)
    if waived:
        session[DEMO_WAIVER] = True


@bp.post("/account/two-factor/remove")
@signed_in
@password_tries_limited
def disable_second_factor():
    """Remove the authenticator after proving it is you (password and a current code).
    Roles that require one go straight on to set up the new one."""
    form = ConfirmWithPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.remove_second_factor(
                current_user, form.password.data, form.code.data, address=client_address()
            )
        except AccountError as error:
            # A wrong code after the right password also counts: it is a guess too.
            g.auth_failed = True
            for message in account_error_messages(error):
                flash(message, "error")
        else:
            if accounts.second_factor_required(current_user):
                flash(_("The old authenticator is removed. Set up the new one now."), "warning")
                return redirect(url_for("auth.set_up_second_factor"))
            flash(_("The second factor is off."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/recovery-codes")
@signed_in
def renew_recovery_codes():
    if ActionForm().validate_on_submit() and current_user.has_second_factor:
        codes = accounts.regenerate_recovery_codes(current_user, address=client_address())
        session[NEW_CODES] = seal(" ".join(codes))  # the cookie is signed, not encrypted
        session["after_codes"] = url_for("auth.account")
        return redirect(url_for("auth.recovery_codes"))
    return redirect(url_for("auth.account"))
