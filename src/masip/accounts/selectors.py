"""Reads about accounts that views, the header and the API share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.access.policy import Capability
from masip.access.principal import active_memberships, principal_for
from masip.accounts.models import Invitation, Membership, Role, Unit, User


def memberships_for_header(*, user: Any, current_unit_id: int | None) -> dict[str, Any]:
    active = active_memberships(user)
    units = {m.unit_id: m.unit for m in active}
    current = units.get(current_unit_id) if current_unit_id else None
    if current is None and active:
        current = active[0].unit
    roles = [m.get_role_display() for m in active if current is not None and m.unit_id == current.pk]
    return {"current_unit": current, "current_roles": roles, "user_units": list(units.values())}


def manageable_unit_ids(user: Any, capability: Capability = Capability.MANAGE_MEMBERS) -> set[int]:
    """Units where `user` holds `capability` (by default MANAGE_MEMBERS) in the policy table."""
    return principal_for(user).units_with(capability)


def memberships_managed_by(user: Any) -> QuerySet[Membership]:
    """Every membership (any status) in the units `user` manages; nothing for anyone else."""
    return Membership.objects.filter(unit_id__in=manageable_unit_ids(user)).select_related("user", "unit", "granted_by")


def users_managed_by(user: Any, capability: Capability = Capability.MANAGE_MEMBERS) -> QuerySet[User]:
    """Accounts holding any membership in a unit where `user` holds `capability`."""
    units = manageable_unit_ids(user, capability)
    return User.objects.filter(pk__in=Membership.objects.filter(unit_id__in=units).values("user_id"))


def open_invitations_for(user: Any) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        unit_id__in=manageable_unit_ids(user),
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).select_related("unit", "invited_by", "agency")


def locked_out_emails(emails: Iterable[str]) -> set[str]:
    """Which of these accounts django-axes is currently locking out (one query)."""
    from axes.models import AccessAttempt

    # Axes adds up the failures of one username across addresses and browsers, as here.
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return set(
        AccessAttempt.objects.filter(username__in=list(emails), attempt_time__gte=since)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .values_list("username", flat=True)
    )


def active_units_of(user: Any) -> list[Unit]:
    """The units where `user` holds at least one active membership, by name."""
    return list(Unit.objects.filter(memberships__in=Membership.objects.active().filter(user=user)).distinct())


def system_administrator_ids(user_ids: Iterable[int]) -> set[int]:
    """Which of these users hold the system administrator role anywhere, in any status (one query)."""
    return set(
        Membership.objects.filter(user_id__in=list(user_ids), role=Role.SYSTEM_ADMINISTRATOR).values_list(
            "user_id", flat=True
        )
    )


def authenticator_app_states(user_ids: Iterable[int]) -> tuple[set[int], set[int]]:
    """Of these users: (those with any authenticator app, even half set up; those with a confirmed one)."""
    rows = TOTPDevice.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "confirmed")
    any_app: set[int] = set()
    confirmed: set[int] = set()
    for user_id, is_confirmed in rows:
        any_app.add(user_id)
        if is_confirmed:
            confirmed.add(user_id)
    return any_app, confirmed
