"""Signing in (password, then TOTP), sessions, and member administration. Thin: services decide."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as axes_reset
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.access.decorators import public, requires_capability, signed_in
from masip.access.lookup import get_visible_or_404
from masip.access.policy import Capability
from masip.accounts import selectors, services
from masip.accounts.forms import (
    WRONG_CODE,
    AcceptInvitationForm,
    ChangeRoleForm,
    CodeForm,
    InvitationForm,
    LoginForm,
    SecondFactorResetForm,
)
from masip.accounts.middleware import CurrentMembershipMiddleware
from masip.accounts.models import Membership, MembershipStatus, Role, User
from masip.audit.models import AuditAction
from masip.audit.services import audit_record

LOCKED_OUT_MESSAGE = (
    "This account is locked for 15 minutes after 5 failed sign-in attempts. Wait and try again, "
    "or ask your unit manager or system administrator to unlock it."
)
NEXT = "next"


def _user(request: HttpRequest) -> User:
    """The signed-in user (only called once sign-in has been checked)."""
    return cast(User, request.user)


def _verified(request: HttpRequest) -> bool:
    """Signed in and past the second factor (django-otp adds `is_verified` to the user)."""
    return request.user.is_authenticated and bool(getattr(request.user, "is_verified", lambda: False)())


# --- where to go after signing in --------------------------------------------------------


def _local(request: HttpRequest, candidate: str) -> str:
    """`candidate` when it is a path on this site ("/cases/12/"), else ''.

    Only an absolute path is taken: a full URL (even to this site) or a bare word ("cases") is
    not. `//host` and `/\\host` are other sites to a browser; control characters and spaces,
    which browsers drop or trim, could turn a path into one of those.
    """
    if not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return ""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in candidate):
        return ""
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if allowed else ""


def _path_of(request: HttpRequest, referer: str) -> str:
    """The path and query of a Referer from this site, for `_local` to check; '' for anything else."""
    try:
        parts = urlsplit(referer)
    except ValueError:  # "http://[" and the like: a malformed header is no address
        return ""
    if parts.scheme not in ("http", "https") or parts.netloc != request.get_host():
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _safe_next(request: HttpRequest) -> str:
    """The `next` address from the query or form, only when it is a local page of this site."""
    return _local(request, request.POST.get(NEXT) or request.GET.get(NEXT) or "")


def _with_next(url_name: str, next_url: str) -> str:
    url = reverse(url_name)
    return f"{url}?{urlencode({NEXT: next_url})}" if next_url else url


def _after_sign_in(next_url: str) -> HttpResponseRedirect:
    # Never redirect(next_url): it would try a bare word as a URL name. `next_url` is already a
    # checked local path (see `_local`).
    return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


# --- sign-in --------------------------------------------------------------------------------


@public
@sensitive_post_parameters("password")
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if _verified(request):
        return _after_sign_in(next_url)
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    if form.is_valid() and form.user is not None:
        # Rotates the session key: nothing fixed before sign-in survives it.
        auth_login(request, form.user)
        return redirect(_with_next("accounts:second_factor", next_url))
    # After the fifth failure AxesMiddleware swaps this response for `locked_out`.
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


def _confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def _is_locked(request: HttpRequest, user: Any) -> bool:
    return bool(AxesProxyHandler.is_locked(request, credentials={"username": user.email}))


def _second_factor_failed(request: HttpRequest, user: Any) -> None:
    # Counted by axes like a wrong password: five wrong codes lock the account, and then
    # AxesMiddleware answers with `locked_out`, which signs this half-signed-in session out.
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.email, "masip_reason": "wrong or reused second-factor code"},
        request=request,
    )


def _complete_sign_in(request: HttpRequest, device: TOTPDevice, *, enrolled: bool) -> None:
    user = _user(request)
    django_otp.login(request, device)
    request.session.cycle_key()
    first = Membership.objects.active().filter(user_id=user.pk).order_by("unit__name", "role").first()
    request.session[CurrentMembershipMiddleware.SESSION_KEY] = first.unit_id if first else None
    axes_reset(username=user.email)  # a full sign-in clears earlier wrong codes
    audit_record(
        action=AuditAction.LOGIN,
        actor=user,
        request=request,
        unit=first.unit if first else None,
        detail={"step": "second_factor", "enrolled": enrolled},
    )


def _half_signed_in(request: HttpRequest, next_url: str) -> HttpResponse | None:
    """Where to send someone who should not be on a second-factor page, if anywhere."""
    if not request.user.is_authenticated:
        return redirect(_with_next("accounts:login", next_url))
    if _verified(request):
        return _after_sign_in(next_url)
    user = _user(request)
    if _is_locked(request, user):
        return locked_out(request, None, {"username": user.email})
    return None


@public
@never_cache
def second_factor(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    elsewhere = _half_signed_in(request, next_url)
    if elsewhere is not None:
        return elsewhere
    user = _user(request)
    device = _confirmed_device(user)
    if device is None:
        return redirect(_with_next("accounts:enrol", next_url))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        # django-otp refuses a code already used (last_t) and throttles repeated failures.
        verified = django_otp.verify_token(user, device.persistent_id, form.cleaned_data["code"])
        if verified is not None:
            _complete_sign_in(request, verified, enrolled=False)
            return _after_sign_in(next_url)
        _second_factor_failed(request, user)
        form.add_error("code", WRONG_CODE)
    return render(request, "accounts/second_factor.html", {"form": form, "next": next_url})


def _grouped_secret(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@public
@never_cache
def enrol(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    elsewhere = _half_signed_in(request, next_url)
    if elsewhere is not None:
        return elsewhere
    user = _user(request)
    if _confirmed_device(user) is not None:
        messages.info(request, "You have already set up an authenticator app. Enter the code it shows.")
        return redirect(_with_next("accounts:second_factor", next_url))
    # Reuse the pending secret so that reloading the page does not break an app already set up.
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        verified = django_otp.verify_token(user, device.persistent_id, form.cleaned_data["code"])
        if verified is not None:
            services.totp_device_confirm(device=verified, actor=user, request=request)
            _complete_sign_in(request, verified, enrolled=True)
            messages.success(request, "Your authenticator app is set up. You will need it every time you sign in.")
            return _after_sign_in(next_url)
        _second_factor_failed(request, user)
        form.add_error("code", WRONG_CODE)
    context = {
        "form": form,
        "next": next_url,
        "qr_code": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
        "secret": _grouped_secret(device),
    }
    return render(request, "accounts/enrol.html", context)


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """django-axes' AXES_LOCKOUT_CALLABLE (axes 8 calls it with these three arguments)."""
    username = str((credentials or {}).get("username") or "").strip().lower()
    known = User.objects.filter(email=username).first() if username else None
    audit_record(
        action=AuditAction.LOCKED_OUT,
        actor=None,
        request=request,
        object_type="accounts.user" if known else "",
        object_id=known.pk if known else None,
        detail={"path": request.path[:300]},
    )
    if request.user.is_authenticated:
        # Locked during the second-factor step: the password half of the sign-in ends too.
        auth_logout(request)
    response = render(request, "accounts/locked_out.html", {"message": LOCKED_OUT_MESSAGE}, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


# --- signing out, profile, current unit ---------------------------------------------------


@public
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    # Public, so that someone half-way through signing in can abandon it. logout() is audited
    # by the user_logged_out receiver. `next` carries on to sign in as someone else, for
    # example to accept an invitation addressed to another account.
    next_url = _safe_next(request)
    auth_logout(request)
    messages.info(request, "You have signed out.")
    return HttpResponseRedirect(_with_next("accounts:login", next_url))


@signed_in
@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    services.user_logout_everywhere(user=user, actor=user, request=request)
    auth_logout(request)
    messages.info(request, "You have been signed out on every device and browser.")
    return redirect("accounts:login")


@signed_in
def profile(request: HttpRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user=_user(request)).select_related("unit", "granted_by")
    return render(request, "accounts/profile.html", {"memberships": memberships})


@signed_in
@require_POST
def switch_unit(request: HttpRequest) -> HttpResponse:
    units = {str(unit.pk): unit for unit in selectors.active_units_of(request.user)}
    chosen = units.get(request.POST.get("unit", ""))
    if chosen is None:
        messages.error(request, "You can only work in a unit where you have an active role. Choose one of yours.")
        return redirect("accounts:profile")
    request.session[CurrentMembershipMiddleware.SESSION_KEY] = chosen.pk
    messages.success(request, f"You are now working in {chosen}.")
    # Back to the page the switch was made on (the header form is on every page).
    back = _safe_next(request) or _local(request, _path_of(request, request.headers.get("referer", "")))
    return HttpResponseRedirect(back or resolve_url("home"))


# --- member administration ---------------------------------------------------------------


def _site_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


@requires_capability(Capability.MANAGE_MEMBERS)
def members(request: HttpRequest) -> HttpResponse:
    memberships = list(selectors.memberships_managed_by(request.user).order_by("unit__name", "user__full_name"))
    locked = selectors.locked_out_emails({m.user.email for m in memberships})
    people = {m.user_id for m in memberships}
    with_app, app_confirmed = selectors.authenticator_app_states(people)
    context = {
        "memberships": memberships,
        "locked": locked,
        "invitations": list(selectors.open_invitations_for(request.user)),
        # Per unit, because a viewer may administer accounts in one unit and only manage members in another.
        "accounts_unit_ids": selectors.manageable_unit_ids(request.user, Capability.MANAGE_ACCOUNTS),
        "administrator_ids": selectors.system_administrator_ids(people),
        "with_app": with_app,
        "app_confirmed": app_confirmed,
    }
    return render(request, "accounts/members.html", context)


@requires_capability(Capability.MANAGE_MEMBERS)
def invite(request: HttpRequest) -> HttpResponse:
    unit_ids = selectors.manageable_unit_ids(request.user)
    form = InvitationForm(request.POST if request.method == "POST" else None, actor=request.user, unit_ids=unit_ids)
    if form.is_valid():
        try:
            invitation = services.membership_invite(
                actor=_user(request),
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                agency=form.cleaned_data["agency"],
                unit=form.cleaned_data["unit"],
                role=form.cleaned_data["role"],
                site_url=_site_url(request),
                request=request,
            )
        except services.AccountAdminError as refusal:
            form.add_error(None, str(refusal))
        else:
            # The link is only in the email: shown here, it would let the inviter accept it.
            return render(request, "accounts/invitation_sent.html", {"invitation": invitation})
    return render(request, "accounts/invite.html", {"form": form})


def _sign_in_as_owner_first(request: HttpRequest, invitation: Any, owner: User) -> HttpResponse:
    """The invitation is for an existing account and this browser is not signed in as it."""
    here = request.path
    context: dict[str, Any] = {"invitation": invitation, "message": services.sign_in_as_owner_first(owner.email)}
    if request.user.is_authenticated and request.user.pk == owner.pk:
        context["continue_url"] = _with_next("accounts:second_factor", here)  # password given, code not yet
    elif request.user.is_authenticated:
        context["signed_in_as"] = request.user
        context["next"] = here
    else:
        context["continue_url"] = _with_next("accounts:login", here)
    status = 200
    if request.method == "POST":
        audit_record(
            action=AuditAction.DENIED,
            request=request,
            obj=invitation,
            detail={"reason": "invitation for an existing account, not signed in as it"},
        )
        status = 403
    return render(request, "accounts/accept_invitation_sign_in.html", context, status=status)


@public
@sensitive_post_parameters("password1", "password2")
@never_cache
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    found = services.invitation_for_token(token)
    if found is None:
        # Not the token itself: the log is not a place to keep even a dead secret.
        audit_record(action=AuditAction.DENIED, request=request, detail={"reason": "invitation link not valid"})
        return render(
            request, "accounts/invitation_invalid.html", {"message": services.INVITATION_NOT_VALID}, status=404
        )
    invitation, existing = found
    actor = _user(request) if _verified(request) else None
    if existing is not None and not services.may_accept(existing=existing, actor=actor):
        return _sign_in_as_owner_first(request, invitation, existing)
    needs_password = services.needs_password(existing)
    data = request.POST if request.method == "POST" else None
    # Someone who already has a password only confirms: their form has no fields.
    form = AcceptInvitationForm(data, invitation=invitation) if needs_password else forms.Form(data)
    if form.is_valid():
        try:
            accepted = services.invitation_accept(
                token=token,
                full_name=form.cleaned_data.get("full_name", ""),
                password=form.cleaned_data.get("password1"),
                actor=actor,
                request=request,
            )
        except services.AccountAdminError as refusal:
            form.add_error(None, str(refusal))
        else:
            role = f"{accepted.membership.get_role_display()} in {accepted.membership.unit}"
            if not needs_password:
                # The owner, signed in and past the second factor: the role applies from the next page.
                messages.success(request, f"You now have the role {role}.")
                return HttpResponseRedirect(resolve_url(settings.LOGIN_REDIRECT_URL))
            if request.user.is_authenticated and request.user.pk != accepted.user.pk:
                auth_logout(request)
            messages.success(
                request,
                f"You now have the role {role}. Sign in to carry on"
                + (": you will set up an authenticator app first." if accepted.new_account else "."),
            )
            return redirect("accounts:login")
    context = {"form": form, "invitation": invitation, "needs_password": needs_password}
    return render(request, "accounts/accept_invitation.html", context)


def _managed_membership(request: HttpRequest, membership_id: int) -> Membership:
    return get_visible_or_404(
        selectors.memberships_managed_by(request.user), membership_id, user=request.user, request=request
    )


def _run(request: HttpRequest, action: Any, success: str) -> HttpResponse | None:
    """Call a service; on success add `success` and go back to the members page."""
    try:
        action()
    except services.AccountAdminError as refusal:
        messages.error(request, str(refusal))
        return None
    messages.success(request, success)
    return redirect("accounts:members")


@requires_capability(Capability.MANAGE_MEMBERS)
def membership_change_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _managed_membership(request, membership_id)
    refusal = services.own_roles_refusal(actor=request.user, membership=membership)
    data = request.POST if request.method == "POST" and not refusal else None
    form = ChangeRoleForm(data, actor=request.user, membership=membership)
    if form.is_valid():
        role = form.cleaned_data["role"]
        done = _run(
            request,
            lambda: services.membership_change_role(
                membership=membership,
                role=role,
                actor=_user(request),
                request=request,
            ),
            f"{membership.user} is now {Role(role).label} in {membership.unit}.",
        )
        if done is not None:
            return done
    context = {"form": form, "membership": membership, "refusal": refusal}
    return render(request, "accounts/membership_change_role.html", context)


@requires_capability(Capability.MANAGE_MEMBERS)
def membership_suspend(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _managed_membership(request, membership_id)
    if request.method == "POST":
        done = _run(
            request,
            lambda: services.membership_suspend(
                membership=membership,
                actor=_user(request),
                request=request,
            ),
            f"{membership.user}'s role as {membership.get_role_display()} in {membership.unit} is suspended.",
        )
        if done is not None:
            return done
    context = {"membership": membership, "suspending": True, "already": membership.status == MembershipStatus.SUSPENDED}
    return render(request, "accounts/membership_confirm.html", context)


@requires_capability(Capability.MANAGE_MEMBERS)
def membership_reinstate(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _managed_membership(request, membership_id)
    refusal = services.own_roles_refusal(actor=request.user, membership=membership)
    if request.method == "POST" and not refusal:
        done = _run(
            request,
            lambda: services.membership_reinstate(
                membership=membership,
                actor=_user(request),
                request=request,
            ),
            f"{membership.user}'s role as {membership.get_role_display()} in {membership.unit} is active again.",
        )
        if done is not None:
            return done
    context = {
        "membership": membership,
        "suspending": False,
        "already": membership.status == MembershipStatus.ACTIVE,
        "refusal": refusal,
    }
    return render(request, "accounts/membership_confirm.html", context)


def _confirm_for_account(
    request: HttpRequest,
    user_id: int,
    *,
    capability: Capability,
    act: Callable[..., Any],
    success: str,
    template: str,
    context: Callable[[User], dict[str, Any]] = lambda target: {},
) -> HttpResponse:
    """A confirmation page for one action on one account of a unit the viewer administers
    with `capability`; POST runs the service `act(user=, actor=, request=)`."""
    target = get_visible_or_404(
        selectors.users_managed_by(request.user, capability), user_id, user=request.user, request=request
    )
    if request.method == "POST":
        done = _run(
            request,
            lambda: act(user=target, actor=_user(request), request=request),
            success.format(target=target),
        )
        if done is not None:
            return done
    return render(request, template, {"target": target, **context(target)})


@requires_capability(Capability.MANAGE_ACCOUNTS)
def user_suspend(request: HttpRequest, user_id: int) -> HttpResponse:
    return _confirm_for_account(
        request,
        user_id,
        capability=Capability.MANAGE_ACCOUNTS,
        act=services.user_suspend,
        success="{target}'s account is suspended and every session they had is ended.",
        template="accounts/user_suspend.html",
    )


@requires_capability(Capability.MANAGE_MEMBERS)
def unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    return _confirm_for_account(
        request,
        user_id,
        capability=Capability.MANAGE_MEMBERS,
        act=services.user_unlock,
        success="{target} can sign in again.",
        template="accounts/unlock.html",
        context=lambda target: {"locked": target.email in selectors.locked_out_emails([target.email])},
    )


@requires_capability(Capability.MANAGE_ACCOUNTS)
def user_reinstate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _confirm_for_account(
        request,
        user_id,
        capability=Capability.MANAGE_ACCOUNTS,
        act=services.user_reinstate,
        success="{target}'s account is active again. They can sign in with their password and authenticator app.",
        template="accounts/user_reinstate.html",
    )


# Unit managers reset their staff's second factor too (a lost phone should not wait for a system
# administrator); the service keeps system administrators' own second factor for their peers.
@requires_capability(Capability.MANAGE_MEMBERS)
def reset_second_factor(request: HttpRequest, user_id: int) -> HttpResponse:
    target = get_visible_or_404(selectors.users_managed_by(request.user), user_id, user=request.user, request=request)
    actor = _user(request)
    refusal = services.second_factor_reset_refusal(actor=actor, user=target)
    with_app, app_confirmed = selectors.authenticator_app_states([target.pk])
    has_app = target.pk in with_app
    # When the page already says why nothing can be done, a POST is not treated as a request to do it.
    may_reset = not refusal and has_app
    form = SecondFactorResetForm(request.POST if request.method == "POST" and may_reset else None)
    if form.is_valid():
        try:
            services.user_second_factor_reset(
                actor=actor, user=target, reason=form.cleaned_data["reason"], request=request
            )
        except services.AccountAdminError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(
                request,
                f"{target}'s authenticator app is removed and they are signed out everywhere. "
                "Tell them to sign in again: they will set up the app on their phone before they carry on.",
            )
            return redirect("accounts:members")
    context = {
        "target": target,
        "form": form,
        "refusal": refusal,
        "has_app": has_app,
        "app_confirmed": target.pk in app_confirmed,
    }
    return render(request, "accounts/reset_second_factor.html", context)
