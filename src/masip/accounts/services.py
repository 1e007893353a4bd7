"""Every change to accounts: invitations, roles, suspensions, lockouts, sessions, second factor.

Each service runs in one transaction and writes its audit event inside it, so a change and its
record commit or roll back together. Services check the actor's right to make the change
themselves (views have already scoped what the actor can reach; this is the second lock).
Refusals a user can cause raise `AccountAdminError` with a message saying what to do next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.access.policy import Capability, has_capability, roles_with_capability
from masip.access.principal import forget_principal, principal_for
from masip.accounts.models import (
    INVITATION_LIFETIME,
    Agency,
    AgencyKind,
    Invitation,
    Membership,
    MembershipStatus,
    Role,
    Unit,
    User,
)
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.core.mail import SEND_ERRORS, email_after_commit, email_now


class AccountAdminError(Exception):
    """A change the actor asked for that cannot be made; the message tells them why and what to do."""


INVITATION_NOT_VALID = (
    "This invitation link has expired, has already been used, or is not valid. "
    "Ask the person who invited you to send you a new invitation."
)
OWN_ROLES_REFUSED = "You cannot change your own roles. Ask another unit manager or a system administrator."
OWN_INVITATION_REFUSED = (
    "You cannot invite yourself. Ask another unit manager or a system administrator to give you the role."
)


def sign_in_as_owner_first(email: str) -> str:
    """The refusal for an invitation to an existing account opened by anyone but its owner."""
    return f"Sign in as {email} first, then open the link again."


def _require_manages(actor: Any, unit_id: int) -> None:
    if not principal_for(actor).can(Capability.MANAGE_MEMBERS, unit_id):
        raise PermissionDenied("You do not manage the members of this unit.")


SYSTEM_ADMINISTRATOR_ROLE_REFUSED = (
    "Only a system administrator can give or change the system administrator role. Ask one to do it."
)
CASE_ROLE_GRANT_REFUSED = (
    "Roles that can see case data are given by the unit's manager, who answers for who sees the unit's "
    "cases. Ask the unit manager to invite this person. A system administrator can appoint a unit's first "
    "manager while it has none."
)


def sees_case_data(role: str) -> bool:
    return has_capability(role, Capability.WORK_CASES) or has_capability(role, Capability.OVERSEE_UNIT_CASELOAD)


def grant_refusal(actor: Any, unit_id: int, role: str) -> str | None:
    """Why `actor` may not give `role` in the unit, or None when they may.

    Separation of duties: system administrators run accounts but see no case data, so they
    give no role that sees it, except a unit's first manager (someone has to start a unit).
    """
    principal = principal_for(actor)
    if role == Role.SYSTEM_ADMINISTRATOR and not principal.can(Capability.MANAGE_ACCOUNTS, unit_id):
        return SYSTEM_ADMINISTRATOR_ROLE_REFUSED
    if sees_case_data(role) and not principal.can(Capability.OVERSEE_UNIT_CASELOAD, unit_id):
        managers = roles_with_capability(Capability.OVERSEE_UNIT_CASELOAD)
        has_manager = Membership.objects.active().filter(unit_id=unit_id, role__in=managers).exists()
        if role != Role.UNIT_MANAGER or has_manager:
            return CASE_ROLE_GRANT_REFUSED
    return None


def _require_may_grant(actor: Any, unit_id: int, role: str) -> None:
    refusal = grant_refusal(actor, unit_id, role)
    if refusal is not None:
        raise AccountAdminError(refusal)


def _require_may_touch(actor: Any, membership: Membership) -> None:
    """A unit manager administers the unit's staff, not the system administrators above them.
    (Taking access away is open to every member administrator of the unit; giving it is not.)"""
    _require_manages(actor, membership.unit_id)
    if membership.role == Role.SYSTEM_ADMINISTRATOR and not principal_for(actor).can(
        Capability.MANAGE_ACCOUNTS, membership.unit_id
    ):
        raise AccountAdminError(SYSTEM_ADMINISTRATOR_ROLE_REFUSED)


def _refuse_losing_own_management(actor: Any, membership: Membership, *, doing: str) -> None:
    if membership.user_id != actor.pk or not has_capability(membership.role, Capability.MANAGE_MEMBERS):
        return
    others = (
        Membership.objects.active()
        .filter(user_id=actor.pk, unit_id=membership.unit_id)
        .exclude(pk=membership.pk)
        .values_list("role", flat=True)
    )
    if not any(has_capability(role, Capability.MANAGE_MEMBERS) for role in others):
        raise AccountAdminError(
            f"You cannot {doing} your own {membership.get_role_display().lower()} role: nobody could then "
            "manage this unit's members through you. Ask another unit manager or a system administrator."
        )


def _refuse_own(actor: Any, membership: Membership) -> None:
    # A member administrator could otherwise give themself a role that sees case data, which
    # the policy denies to their own role (a system administrator sees none).
    if membership.user_id == actor.pk:
        raise AccountAdminError(OWN_ROLES_REFUSED)


def own_roles_refusal(*, actor: Any, membership: Membership) -> str:
    """Why `actor` may not change or reinstate `membership`, in words for them; '' if nothing forbids it here."""
    return OWN_ROLES_REFUSED if membership.user_id == actor.pk else ""


def _sees_case_data(role: str) -> bool:
    """Whether holders of `role` see a unit's case data (granting one is told to the unit's managers)."""
    return has_capability(role, Capability.WORK_CASES) or has_capability(role, Capability.OVERSEE_UNIT_CASELOAD)


def _tell_managers_of_case_access(*, membership: Membership, granted_by: User | None, acted_by: User, how: str) -> None:
    """After commit, email the unit's managers (not the granter, not whoever acted) about a role that sees case data.

    A detective control: it does not stop a member administrator from giving case access to an
    account they control (an address of their own, a colleague's account), but it makes sure
    someone else responsible for the unit hears of it. Names, role, unit and granter only.
    """
    if not _sees_case_data(membership.role):
        return
    # The unit's managers: those answerable for both its members and its caseload (the unit
    # manager role), not the system administrators, who may be the ones granting.
    managers = roles_with_capability(Capability.MANAGE_MEMBERS) & roles_with_capability(
        Capability.OVERSEE_UNIT_CASELOAD
    )
    skip = {acted_by.pk} | ({granted_by.pk} if granted_by is not None else set())
    recipients = list(
        Membership.objects.active()
        .filter(unit_id=membership.unit_id, role__in=managers, user__is_service_account=False)
        .exclude(user_id__in=skip)
        .order_by("user__email")
        .values_list("user__email", flat=True)
        .distinct()
    )
    if not recipients:
        return
    context = {
        "member": membership.user,
        "role": membership.get_role_display(),
        "unit": membership.unit,
        "granted_by": granted_by,
        "how": how,
        "when": timezone.now(),
    }
    # One line whatever the names hold: a line break in a subject makes sending fail.
    subject = " ".join(f"{membership.user} now has the role {context['role']} in {membership.unit} on masip".split())
    body = render_to_string("accounts/email/case_access_granted.txt", context)
    email_after_commit([(subject, body, [email]) for email in recipients])


def _end_sessions(user: User) -> None:
    # The session auth hash includes the epoch, so every existing session stops matching.
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


def _lock(model: type[Any], pk: int) -> Any:
    return model.objects.select_for_update().get(pk=pk)


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    link: str


def _invitation_link(site_url: str, token: str) -> str:
    return site_url.rstrip("/") + reverse("accounts:accept_invitation", kwargs={"token": token})


def _issue_invitation(
    *, email: str, full_name: str, agency: Agency, unit: Unit, role: str, invited_by: User, site_url: str
) -> IssuedInvitation:
    token, token_hash = Invitation.new_token()
    invitation = Invitation.objects.create(
        email=email,
        full_name=full_name,
        agency=agency,
        unit=unit,
        role=role,
        token_hash=token_hash,
        invited_by=invited_by,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    return IssuedInvitation(invitation=invitation, link=_invitation_link(site_url, token))


def membership_invite(
    *,
    actor: User,
    email: str,
    full_name: str,
    agency: Agency,
    unit: Unit,
    role: str,
    site_url: str,
    request: HttpRequest | None = None,
) -> Invitation:
    """Invite someone to hold `role` in `unit`.

    Guarantees: the actor manages `unit` and may grant `role`; nobody invites their own email
    address; nobody already holds that role there; only the token's hash is stored; the link
    goes only into the email sent to `email`, sent before the invitation commits (it is never
    returned, so no page can show it to the inviter). Valid for `INVITATION_LIFETIME`.
    """
    email = email.strip().lower()
    _require_manages(actor, unit.pk)
    _require_may_grant(actor, unit.pk, role)
    if email == actor.email.strip().lower():
        raise AccountAdminError(OWN_INVITATION_REFUSED)
    if Membership.objects.filter(user__email=email, unit=unit, role=role).exists():
        raise AccountAdminError(
            f"{email} already holds this role in {unit}. If it is suspended, reinstate it from the members page."
        )
    with transaction.atomic():
        issued = _issue_invitation(
            email=email,
            full_name=full_name.strip(),
            agency=agency,
            unit=unit,
            role=role,
            invited_by=actor,
            site_url=site_url,
        )
        invitation = issued.invitation
        audit_record(
            action=AuditAction.ADMIN,
            actor=actor,
            request=request,
            unit=unit,
            obj=invitation,
            fields=["email", "full_name", "agency", "unit", "role"],
            detail={"operation": "membership_invite", "role": role},
        )
        body = render_to_string(
            "accounts/email/invitation.txt",
            {
                "invitation": invitation,
                "link": issued.link,
                "inviter": actor,
                "days": INVITATION_LIFETIME.days,
                "has_account": not needs_password(User.objects.filter(email=email).first()),
            },
        )
        # The link exists only in this email: if it cannot go, no invitation is made.
        try:
            email_now([(f"You are invited to join {unit} on masip", body, [email])])
        except SEND_ERRORS as exc:
            raise AccountAdminError(
                "masip could not send the invitation email, so no invitation was made. Ask your system "
                "administrator to check masip's email settings, then invite again."
            ) from exc
    return invitation


@dataclass(frozen=True)
class AcceptedInvitation:
    user: User
    membership: Membership
    new_account: bool


def invitation_for_token(token: str) -> tuple[Invitation, User | None] | None:
    """The open invitation behind `token` and the existing account for its email, if any."""
    invitation = Invitation.find_open(token)
    if invitation is None:
        return None
    return invitation, User.objects.filter(email=invitation.email).first()


def needs_password(user: User | None) -> bool:
    """Whether accepting must set a password: a new account, or one created without one."""
    return user is None or not user.has_usable_password()


def may_accept(*, existing: User | None, actor: User | None) -> bool:
    """Whether `actor` may accept an invitation addressed to the account `existing` (None: no account yet).

    An account with a password accepts only while its owner is signed in (and, as the caller
    ensures, past the second factor): otherwise whoever holds the link, such as the manager who
    sent it, could add the role to someone else's account. A new account, or one created
    without a password by `create_administrator`, is claimed by choosing its password through
    the link.
    """
    if needs_password(existing):
        return True
    return actor is not None and existing is not None and actor.pk == existing.pk


def invitation_accept(
    *,
    token: str,
    full_name: str,
    password: str | None,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> AcceptedInvitation:
    """Accept the invitation behind `token`: one use only, before it expires.

    Creates the account with the chosen password (validated by Django's password validators),
    or adds the role to an existing account with that email (whose password is left alone).
    For an existing account with a password, `actor` must be that account, signed in and past
    the second factor (the view passes `actor` only then); nobody accepts an invitation they
    sent to themselves. Raises AccountAdminError with the same message for an unknown, used or
    expired token. When the role can see case data, the unit's other managers are emailed once
    it commits.
    """
    with transaction.atomic():
        found = invitation_for_token(token)
        if found is None:
            raise AccountAdminError(INVITATION_NOT_VALID)
        invitation = _lock(Invitation, found[0].pk)
        if not invitation.is_open:  # accepted by a parallel request a moment ago
            raise AccountAdminError(INVITATION_NOT_VALID)
        existing = User.objects.select_for_update().filter(email=invitation.email).first()
        if existing is not None and existing.is_service_account:
            raise AccountAdminError(INVITATION_NOT_VALID)
        if not may_accept(existing=existing, actor=actor):
            raise AccountAdminError(sign_in_as_owner_first(invitation.email))
        if existing is not None and existing.has_usable_password() and invitation.invited_by_id == existing.pk:
            # Sent before self-invitations were refused: it must not grant a role now.
            raise AccountAdminError(OWN_INVITATION_REFUSED)
        new_account = existing is None
        user = existing if existing is not None else User(email=invitation.email, agency=invitation.agency)
        sets_password = needs_password(existing)
        if sets_password:
            if not password:
                raise AccountAdminError("Choose a password.")
            user.full_name = full_name.strip() or invitation.full_name
            try:
                validate_password(password, user=user)
            except ValidationError as weak:
                raise AccountAdminError(" ".join(weak.messages)) from weak
            user.agency = user.agency or invitation.agency
            user.set_password(password)
            user.save()
        membership = Membership.objects.filter(user=user, unit_id=invitation.unit_id, role=invitation.role).first()
        if membership is not None and membership.status != MembershipStatus.ACTIVE:
            raise AccountAdminError(
                "You already hold this role in this unit but it is suspended. Ask your unit manager to reinstate it."
            )
        if membership is None:
            membership = Membership.objects.create(
                user=user, unit_id=invitation.unit_id, role=invitation.role, granted_by=invitation.invited_by
            )
            _tell_managers_of_case_access(
                membership=membership, granted_by=invitation.invited_by, acted_by=user, how="invitation sent"
            )
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at", "updated_at"])
        audit_record(
            action=AuditAction.ADMIN,
            actor=user,
            request=request,
            unit=invitation.unit,
            obj=membership,
            fields=["role", "status"]
            + (["email", "full_name"] if new_account else [])
            + (["password"] if sets_password else []),
            detail={"operation": "invitation_accept", "invitation_id": invitation.pk, "new_account": new_account},
        )
    if actor is not None:
        forget_principal(actor)
    return AcceptedInvitation(user=user, membership=membership, new_account=new_account)


def membership_change_role(
    *, membership: Membership, role: str, actor: User, request: HttpRequest | None = None
) -> Membership:
    """Give the member `role` instead of their current role in the same unit.

    Guarantees: the actor manages the unit and may grant both the old and the new role; nobody
    changes a role of their own (that is how a member administrator would give themself case
    access); the member does not already hold `role` there. Audited with `fields == ["role"]`;
    takes effect on the member's next request. When the new role can see case data, the unit's
    other managers are emailed once it commits.
    """
    with transaction.atomic():
        membership = _lock(Membership, membership.pk)
        _require_may_touch(actor, membership)
        _require_may_grant(actor, membership.unit_id, role)
        _refuse_own(actor, membership)
        if membership.role == role:
            raise AccountAdminError(f"{membership.user} already has this role. Choose a different role.")
        if Membership.objects.filter(user_id=membership.user_id, unit_id=membership.unit_id, role=role).exists():
            raise AccountAdminError(
                f"{membership.user} already holds that role in {membership.unit}. Suspend this one instead."
            )
        previous = membership.role
        membership.role = role
        membership.granted_by = actor
        membership.save(update_fields=["role", "granted_by", "updated_at"])
        if membership.status == MembershipStatus.ACTIVE:
            _tell_managers_of_case_access(membership=membership, granted_by=actor, acted_by=actor, how="role changed")
        audit_record(
            action=AuditAction.ADMIN,
            actor=actor,
            request=request,
            unit=membership.unit,
            obj=membership,
            fields=["role"],
            detail={"operation": "membership_change_role", "from": previous, "to": role},
        )
    forget_principal(actor)
    return membership


def membership_suspend(*, membership: Membership, actor: User, request: HttpRequest | None = None) -> Membership:
    """Suspend one membership: its role stops counting from the member's next request.

    When it was the member's last active membership, all their sessions end too. A manager
    cannot suspend their own last managing membership of the unit.
    """
    with transaction.atomic():
        membership = _lock(Membership, membership.pk)
        _require_may_touch(actor, membership)
        if membership.status == MembershipStatus.SUSPENDED:
            raise AccountAdminError("This membership is already suspended.")
        _refuse_losing_own_management(actor, membership, doing="suspend")
        membership.status = MembershipStatus.SUSPENDED
        membership.save(update_fields=["status", "updated_at"])
        changed = ["status"]
        if not Membership.objects.active().filter(user_id=membership.user_id).exists():
            _end_sessions(membership.user)
            changed.append("session_epoch")
        audit_record(
            action=AuditAction.ADMIN,
            actor=actor,
            request=request,
            unit=membership.unit,
            obj=membership,
            fields=changed,
            detail={"operation": "membership_suspend", "role": membership.role},
        )
    forget_principal(actor)
    return membership


def membership_reinstate(*, membership: Membership, actor: User, request: HttpRequest | None = None) -> Membership:
    """Make a suspended membership active again (it does not reactivate a suspended account).

    Guarantees: the actor manages the unit and may grant the role; nobody reinstates a role of
    their own. When the role can see case data, the unit's other managers are emailed once it
    commits.
    """
    with transaction.atomic():
        membership = _lock(Membership, membership.pk)
        _require_may_touch(actor, membership)
        _require_may_grant(actor, membership.unit_id, membership.role)
        _refuse_own(actor, membership)
        if membership.status == MembershipStatus.ACTIVE:
            raise AccountAdminError("This membership is already active.")
        membership.status = MembershipStatus.ACTIVE
        membership.granted_by = actor
        membership.save(update_fields=["status", "granted_by", "updated_at"])
        _tell_managers_of_case_access(membership=membership, granted_by=actor, acted_by=actor, how="role reinstated")
        audit_record(
            action=AuditAction.ADMIN,
            actor=actor,
            request=request,
            unit=membership.unit,
            obj=membership,
            fields=["status"],
            detail={"operation": "membership_reinstate", "role": membership.role},
        )
    return membership


def _shared_unit(actor: User, user: User, capability: Capability) -> int | None:
    units = principal_for(actor).units_with(capability)
    return (
        Membership.objects.filter(user=user, unit_id__in=units).order_by("unit__name").values_list("unit_id", flat=True)
    ).first()


def user_suspend(*, user: User, actor: User, request: HttpRequest | None = None) -> User:
    """Suspend a whole account: no sign-in, every session ended, every role void.

    Only a system administrator of a unit the user belongs to may do it, and never to themself.
    """
    with transaction.atomic():
        user = _lock(User, user.pk)
        unit_id = _shared_unit(actor, user, Capability.MANAGE_ACCOUNTS)
        if unit_id is None:
            raise PermissionDenied("Only a system administrator of one of this person's units can suspend them.")
        if user.pk == actor.pk:
            raise AccountAdminError("You cannot suspend your own account. Ask another system administrator.")
        if not user.is_active:
            raise AccountAdminError(f"{user}'s account is already suspended.")
        user.is_active = False
        user.save(update_fields=["is_active"])
        _end_sessions(user)
        audit_record(
            action=AuditAction.ADMIN,
            actor=actor,
            request=request,
            unit=Unit.objects.get(pk=unit_id),
            obj=user,
            fields=["is_active", "session_epoch"],
            detail={"operation": "user_suspend"},
        )
    return user


def user_reinstate(*, actor: User, user: User, request: HttpRequest | None = None) -> User:
    """Let a suspended account sign in again.

    Guarantees: only a system administrator of a unit the user belongs to may do it; an account
    that is not suspended is refused and nothing is written. Roles suspended one by one stay
    suspended, and the sessions ended by the suspension stay ended: the person signs in afresh.
    Audited with `fields == ["is_active"]`. Each of their active roles that sees case data is
    told to that unit's other managers once it commits, as when such a role is granted.
    """
    with transaction.atomic():
        user = _lock(User, user.pk)
        unit_id = _shared_unit(actor, user, Capability.MANAGE_ACCOUNTS)
        if unit_id is None:
            raise PermissionDenied("Only a system administrator of one of this person's units can reinstate them.")
        if user.is_active:
            raise AccountAdminError(f"{user}'s account is not suspended, so there is nothing to reinstate.")
        user.is_active = True
        user.save(update_fields=["is_active"])
        for membership in Membership.objects.active().filter(user_id=user.pk).select_related("user", "unit"):
            _tell_managers_of_case_access(
                membership=membership, granted_by=actor, acted_by=actor, how="account reinstated"
            )
        audit_record(
            action=AuditAction.ADMIN,
            actor=actor,
            request=request,
            unit=Unit.objects.get(pk=unit_id),
            obj=user,
            fields=["is_active"],
            detail={"operation": "user_reinstate"},
        )
    return user


SECOND_FACTOR_RESET_REASON_MIN_LENGTH = 10


def _holds_system_administrator_role(user: User) -> bool:
    # Any status: a suspended administrator role can be reinstated, so it is protected too.
    return Membership.objects.filter(user_id=user.pk, role=Role.SYSTEM_ADMINISTRATOR).exists()


def second_factor_reset_refusal(*, actor: User, user: User) -> str:
    """Why `actor` may not reset `user`'s second factor, in words for the actor; '' if they may.

    Does not check scope (that the actor manages a unit of the user's): views reach the user
    through `selectors.users_managed_by`, and `user_second_factor_reset` checks it again.
    """
    is_administrator = _holds_system_administrator_role(user)
    if user.pk == actor.pk:
        # Resetting your own would let whoever holds your password enrol their own phone.
        who = "another system administrator" if is_administrator else "another unit manager or a system administrator"
        return f"You cannot reset your own second factor. Ask {who} to reset it for you."
    if user.is_service_account:
        return f"{user} is a system account: it uses an API token and has no authenticator app to reset."
    if is_administrator and _shared_unit(actor, user, Capability.MANAGE_ACCOUNTS) is None:
        return "Only a system administrator can reset a system administrator's second factor. Ask one to do it."
    return ""


def user_second_factor_reset(*, actor: User, user: User, reason: str, request: HttpRequest | None = None) -> int:
    """Remove every authenticator app of `user` (phone lost or replaced) and end all their sessions.

    Guarantees: the actor manages the members of a unit the user belongs to; nobody resets their
    own second factor, and only a system administrator resets a system administrator's; the
    reason (at least SECOND_FACTOR_RESET_REASON_MIN_LENGTH characters: how the person's identity
    was confirmed) is the audit event's justification. On their next sign-in, after the
    password, the user must set up a new app. The user is emailed once the change commits, so
    that a reset they did not ask for comes to light. Refusals write nothing. Returns how many
    devices were removed.
    """
    text = reason.strip()
    with transaction.atomic():
        user = _lock(User, user.pk)
        unit_id = _shared_unit(actor, user, Capability.MANAGE_MEMBERS)
        if unit_id is None:
            raise PermissionDenied("You do not manage any unit this person belongs to.")
        refusal = second_factor_reset_refusal(actor=actor, user=user)
        if refusal:
            raise AccountAdminError(refusal)
        if len(text) < SECOND_FACTOR_RESET_REASON_MIN_LENGTH:
            raise AccountAdminError(
                f"Explain in at least {SECOND_FACTOR_RESET_REASON_MIN_LENGTH} characters why the second factor "
                "is reset and how you confirmed who asked for it."
            )
        devices = TOTPDevice.objects.filter(user_id=user.pk)
        removed = devices.count()
        if not removed:
            raise AccountAdminError(
                f"{user} has no authenticator app to reset. They will be asked to set one up when they next sign in."
            )
        devices.delete()
        _end_sessions(user)
        audit_record(
            action=AuditAction.ADMIN,
            actor=actor,
            request=request,
            unit=Unit.objects.get(pk=unit_id),
            obj=user,
            fields=["totp_device", "session_epoch"],
            justification=text,
            detail={"operation": "user_second_factor_reset", "devices_removed": removed},
        )
        body = render_to_string("accounts/email/second_factor_reset.txt", {"user": user, "actor": actor})
        email_after_commit([("Your masip authenticator app was reset", body, [user.email])])
    return removed


def user_unlock(*, user: User, actor: User, request: HttpRequest | None = None) -> int:
    """Clear the failed sign-in attempts that lock `user` out; returns how many were cleared."""
    with transaction.atomic():
        unit_id = _shared_unit(actor, user, Capability.MANAGE_MEMBERS)
        if unit_id is None:
            raise PermissionDenied("You do not manage any unit this person belongs to.")
        cleared = axes_reset(username=user.email)
        audit_record(
            action=AuditAction.ADMIN,
            actor=actor,
            request=request,
            unit=Unit.objects.get(pk=unit_id),
            obj=user,
            fields=["failed_sign_in_attempts"],
            detail={"operation": "user_unlock", "attempts_cleared": cleared},
        )
    return cleared


def user_logout_everywhere(*, user: User, actor: User, request: HttpRequest | None = None) -> User:
    """End every session of `user`, on every device, including the one making the request."""
    if user.pk != actor.pk:
        raise PermissionDenied("You can only sign yourself out everywhere.")
    with transaction.atomic():
        _end_sessions(user)
        audit_record(
            action=AuditAction.ADMIN,
            actor=actor,
            request=request,
            obj=user,
            fields=["session_epoch"],
            detail={"operation": "user_logout_everywhere"},
        )
    return user


def totp_device_confirm(*, device: TOTPDevice, actor: User, request: HttpRequest | None = None) -> TOTPDevice:
    """Mark the user's newly set-up authenticator app as their second factor.

    Guarantees: the device is the actor's own; any other unconfirmed set-up attempts are removed,
    so only the confirmed secret remains usable.
    """
    if device.user_id != actor.pk:
        raise PermissionDenied("This is not your authenticator app.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user_id=actor.pk, confirmed=False).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(
            action=AuditAction.ADMIN,
            actor=actor,
            request=request,
            object_type="otp_totp.totpdevice",
            object_id=device.pk,
            fields=["confirmed"],
            detail={"operation": "totp_device_confirm"},
        )
    return device


def administrator_create(
    *, email: str, full_name: str, unit_code: str, unit_name: str, agency_name: str, site_url: str
) -> IssuedInvitation:
    """Bootstrap a system administrator for a fresh install, from the command line.

    Creates (or reuses) the agency, the unit, and an account without a password holding the
    system administrator role there, and returns a one-time invitation link through which the
    person chooses their own password. Refuses an account that already has a password.
    """
    email = email.strip().lower()
    with transaction.atomic():
        agency, _ = Agency.objects.get_or_create(name=agency_name, defaults={"kind": AgencyKind.OTHER})
        if Unit.objects.filter(name=unit_name).exclude(code=unit_code).exists():
            raise AccountAdminError(f"A unit called {unit_name!r} already exists with another code. Use its code.")
        unit, _ = Unit.objects.get_or_create(code=unit_code, defaults={"name": unit_name, "lead_agency": agency})
        user = User.objects.filter(email=email).first()
        if user is not None and user.has_usable_password():
            raise AccountAdminError(
                f"{email} already has an account with a password. Sign in as them, or ask a system administrator "
                "to invite them from the members page."
            )
        if user is None:
            user = User.objects.create_user(email=email, password=None, full_name=full_name, agency=agency)
        membership, _ = Membership.objects.get_or_create(
            user=user, unit=unit, role=Role.SYSTEM_ADMINISTRATOR, defaults={"granted_by": None}
        )
        # Earlier links for this bootstrap stop working: only the newest one is valid.
        Invitation.objects.filter(email=email, accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        issued = _issue_invitation(
            email=email,
            full_name=full_name,
            agency=agency,
            unit=unit,
            role=Role.SYSTEM_ADMINISTRATOR,
            invited_by=user,
            site_url=site_url,
        )
        audit_record(
            action=AuditAction.ADMIN,
            actor=None,
            unit=unit,
            obj=membership,
            fields=["email", "full_name", "role"],
            detail={"operation": "administrator_create", "via": "manage.py create_administrator"},
        )
    return issued
