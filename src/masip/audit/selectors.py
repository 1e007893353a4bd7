"""Reads of the audit log that the viewer shares: always limited to the reader's audit units."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.accounts.models import Membership, User
from masip.audit.models import AuditAction, AuditEvent

# Unit-less rows (sign-ins, failed sign-ins, lockouts) name their user either as the actor or,
# when nobody was signed in yet, as the target object.
USER_OBJECT_TYPE = "accounts.user"


@dataclass(frozen=True)
class AuditFilters:
    """What the reader asked for; every field is optional. Dates are Europe/London days."""

    person_id: uuid.UUID | None = None
    case: str = ""
    user_email: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def describe(self) -> dict[str, str]:
        """The filters as plain strings, for the audit record of this reading."""
        values = {
            "person_id": self.person_id,
            "case": self.case,
            "user": self.user_email,
            "action": self.action,
            "date_from": self.date_from,
            "date_to": self.date_to,
        }
        return {name: str(value) for name, value in values.items() if value not in (None, "")}


def audit_units_for(*, user: Any) -> set[int]:
    """The units whose audit log `user` may read."""
    return principal_for(user).units_with(Capability.VIEW_AUDIT)


def _start_of_london_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def _user_ids_as_text(users: QuerySet[Any], user_field: str) -> QuerySet[Any]:
    # AuditEvent.object_id is text; compare like with like on SQLite and PostgreSQL.
    return users.annotate(user_id_text=Cast(user_field, output_field=CharField())).values("user_id_text")


# Rows with no unit that a unit's log shows for its members: their own sign-in history. Other
# unit-less rows (refusals naming an id, for instance) may concern another unit's records.
_ACCOUNT_ACTIONS = (
    AuditAction.LOGIN,
    AuditAction.LOGIN_FAILED,
    AuditAction.LOGOUT,
    AuditAction.SESSION_EXPIRED,
    AuditAction.LOCKED_OUT,
)


def _scope(units: set[int]) -> Q:
    # Suspended and ended memberships count: their sign-in attempts are what a manager looks for.
    members = Membership.objects.filter(unit_id__in=units)
    unitless_of_members = Q(unit__isnull=True, action__in=_ACCOUNT_ACTIONS) & (
        Q(actor_id__in=members.values("user_id"))
        | Q(object_type=USER_OBJECT_TYPE, object_id__in=_user_ids_as_text(members, "user_id"))
    )
    return Q(unit_id__in=units) | unitless_of_members


def _case_filter(user: Any, units: set[int], case: str) -> Q:
    try:
        return Q(case_id=uuid.UUID(case))
    except ValueError:
        pass
    from masip.cases.models import Case

    # The reference resolves only to a case the reader may see in a unit whose log they read.
    cases = Case.objects.visible_to(user).filter(unit_id__in=units, reference__iexact=case)
    return Q(case_id__in=cases.values("pk"))


def _user_filter(email: str) -> Q:
    named = User.objects.filter(email__iexact=email)
    return (
        Q(actor_label__iexact=email)
        | Q(actor_id__in=named.values("pk"))
        | Q(object_type=USER_OBJECT_TYPE, object_id__in=_user_ids_as_text(named, "pk"))
    )


def audit_events_for(*, user: Any, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Audit events `user` may read, newest first, narrowed by `filters`.

    Guarantees: only rows of units where the user holds VIEW_AUDIT, plus unit-less rows
    (sign-ins, failed sign-ins, lockouts) whose actor or target user is a member of one of
    those units; a user with no such unit gets nothing.
    """
    units = audit_units_for(user=user)
    if not units:
        return AuditEvent.objects.none()
    q = _scope(units)
    if filters.person_id is not None:
        q &= Q(person_id=filters.person_id)
    if filters.case:
        q &= _case_filter(user, units, filters.case)
    if filters.user_email:
        q &= _user_filter(filters.user_email)
    if filters.action:
        q &= Q(action=filters.action)
    if filters.date_from is not None:
        q &= Q(occurred_at__gte=_start_of_london_day(filters.date_from))
    if filters.date_to is not None:
        q &= Q(occurred_at__lt=_start_of_london_day(filters.date_to + timedelta(days=1)))
    return AuditEvent.objects.filter(q).select_related("unit").order_by("-seq")


def case_references_for(*, user: Any, case_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """References of the cases among `case_ids` that the reader may see (one query)."""
    if not case_ids:
        return {}
    from masip.cases.models import Case

    return dict(Case.objects.visible_to(user).filter(pk__in=case_ids).values_list("pk", "reference"))


def user_emails_for(*, user_ids: set[str]) -> dict[str, str]:
    """Emails of the target users named by unit-less rows (failed sign-ins), by id as text."""
    ids = [int(value) for value in user_ids if value.isdigit()]
    if not ids:
        return {}
    return {str(pk): email for pk, email in User.objects.filter(pk__in=ids).values_list("pk", "email")}
