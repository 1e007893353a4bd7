"""A unit's own settings (triage deadlines, task rules): one row per unit, set by whoever
oversees the unit's caseload, on a page that lets a manager of several units choose one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db import models, transaction
from django.http import Http404, HttpRequest

from masip.access.lookup import NOT_FOUND_MESSAGE
from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.accounts.models import Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record

S = TypeVar("S", bound=models.Model)


def units_overseen(*, user: Any) -> list[Unit]:
    """The units whose settings `user` may set: those whose caseload they oversee, by name."""
    units = principal_for(user).units_with(Capability.OVERSEE_UNIT_CASELOAD)
    return list(Unit.objects.filter(pk__in=units).order_by("name"))


def chosen_unit(request: HttpRequest, units: list[Unit]) -> Unit:
    """The unit the page is for: the `unit` asked for among `units`, else the first; a unit
    outside them is the same 404 as a missing page."""
    wanted = request.POST.get("unit") or request.GET.get("unit")
    if not wanted:
        return units[0]
    for unit in units:
        if str(unit.pk) == wanted:
            return unit
    raise Http404(NOT_FOUND_MESSAGE)


def unit_settings_save(
    model: type[S], *, actor: Any, unit: Unit, values: Mapping[str, int], event: str, request: HttpRequest | None
) -> S:
    """Create or update the unit's `model` row with `values` (already checked by the caller),
    under a row lock; when anything changed, audit it in the same transaction with the fields
    changed and their new values (unit settings, no personal data)."""
    with transaction.atomic():
        row = model._default_manager.select_for_update().filter(unit=unit).first()
        created = row is None
        if row is None:
            row = model(unit=unit)
        changed = sorted(name for name, value in values.items() if created or getattr(row, name) != value)
        for name, value in values.items():
            setattr(row, name, value)
        if changed:
            row.save()
            audit_record(
                action=AuditAction.CREATE if created else AuditAction.CHANGE,
                actor=actor,
                request=request,
                unit=unit,
                obj=row,
                fields=changed,
                detail={"event": event, **values},
            )
    return row
