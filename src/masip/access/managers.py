"""`visible_to(user)`: the only way case data is queried for a person.

A case is visible to a user who holds a case-working role in its unit and is either on its
case team, holds a live break-glass grant for it, or oversees the unit's caseload (unit
manager). Records inside a case that carry a compartment are further limited to the
compartments the user's roles in that unit may view. Anyone else gets nothing.
"""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from masip.access.policy import Action, Capability
from masip.access.principal import principal_for

_NOTHING = Q(pk__in=[])
M = TypeVar("M", bound=models.Model)


def _join(path: str, name: str) -> str:
    return f"{path}__{name}" if path else name


def case_visibility(user: Any, case_path: str = "") -> Q:
    """A Q over a model whose case is reached by `case_path` ('' for Case itself)."""
    from masip.access.models import BreakGlassGrant, CaseTeamMember

    principal = principal_for(user)
    user_id = principal.user_id
    if user_id is None:
        return _NOTHING
    now = timezone.now()
    case_pk = OuterRef(_join(case_path, "pk"))
    q = _NOTHING
    overseen = principal.units_with(Capability.OVERSEE_UNIT_CASELOAD)
    if overseen:
        q |= Q(**{_join(case_path, "unit_id__in"): overseen})
    working = principal.units_with(Capability.WORK_CASES)
    # A grant counts only while its holder still holds a role that may break glass there.
    glass_units = principal.units_with(Capability.BREAK_GLASS) & working
    if working:
        on_team = CaseTeamMember.objects.filter(case_id=case_pk, user_id=user_id, since__lte=now).filter(
            Q(until__isnull=True) | Q(until__gt=now)
        )
        q |= Q(Exists(on_team), **{_join(case_path, "unit_id__in"): working})
    if glass_units:
        glass = BreakGlassGrant.objects.filter(case_id=case_pk, user_id=user_id, since__lte=now, until__gt=now)
        q |= Q(Exists(glass), **{_join(case_path, "unit_id__in"): glass_units})
    return q


def compartment_visibility(user: Any, case_path: str, compartment_field: str, action: str = Action.VIEW) -> Q:
    """Rows whose compartment the user's roles in the case's unit allow for `action`."""
    principal = principal_for(user)
    q = _NOTHING
    for unit_id in principal.roles_by_unit:
        allowed = principal.compartments(unit_id, action)
        if allowed:
            q |= Q(**{_join(case_path, "unit_id"): unit_id, f"{compartment_field}__in": sorted(allowed)})
    return q


class CaseScopedQuerySet(models.QuerySet[M]):
    """Manager for case data. Models set `access_case_path` ('' on Case, 'case' on records of
    one case) and, when their rows carry a compartment, `access_compartment_field`. A model
    reached through a to-many relation (a person on several cases) gives `visibility_q(user)`."""

    def visible_to(self, user: Any, action: str = Action.VIEW) -> CaseScopedQuerySet[M]:
        custom = getattr(self.model, "visibility_q", None)
        if custom is not None:
            # A model's own visibility may depend on the action (compartments allow per action).
            takes_action = "action" in inspect.signature(custom).parameters
            return self.filter(custom(user, action) if takes_action else custom(user))
        path: str = self.model.access_case_path  # type: ignore[attr-defined]
        q = case_visibility(user, path)
        compartment_field = getattr(self.model, "access_compartment_field", None)
        if compartment_field:
            q &= compartment_visibility(user, path, compartment_field, action)
        return self.filter(q)


class ReferralQuerySet(models.QuerySet[M]):
    def visible_to(self, user: Any) -> ReferralQuerySet[M]:
        """Triage roles see their unit's referrals; a referrer sees their own; a case team, its case's."""
        principal = principal_for(user)
        if principal.is_anonymous:
            return self.none()
        q = Q(unit_id__in=principal.units_with(Capability.TRIAGE_REFERRALS))
        q |= Q(unit_id__in=principal.units_with(Capability.SUBMIT_REFERRALS), referred_by_id=principal.user_id)
        q |= Q(case__isnull=False) & case_visibility(user, "case")
        return self.filter(q)


class ScopeRequiredError(AttributeError):
    """Case data was queried without saying for whom."""


class VisibleOnly:
    """`Model.objects` for case data: the only query it answers is `visible_to(user)`.

    Anything else (`Case.unscoped.filter(...)`, `.all()`, `.get()`) raises at once, so a view or
    selector cannot forget to scope. Services and the access layer, which check the policy
    themselves, use `Model.unscoped`, the model's default manager; a test keeps `unscoped` out
    of views, forms and the API.
    """

    model: type[models.Model]

    def contribute_to_class(self, cls: type[models.Model], name: str) -> None:
        self.model = cls
        setattr(cls, name, self)

    def visible_to(self, user: Any, *args: Any, **kwargs: Any) -> Any:
        return self.model.unscoped.visible_to(user, *args, **kwargs)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        label = getattr(self, "model", None)
        model = label.__name__ if label is not None else "This model"
        raise ScopeRequiredError(
            f"{model}.objects.{name} would read case data without saying for whom. Use "
            f"{model}.objects.visible_to(user) for a person's view, or {model}.unscoped in a service "
            "that has checked the access policy itself."
        )
