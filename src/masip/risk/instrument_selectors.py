"""Reads of instruments: what an assessor is offered, and what a unit's manager looks after."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q
from django.http import Http404

from masip.access.lookup import NOT_FOUND_MESSAGE
from masip.access.policy import Action, Capability
from masip.access.principal import principal_for
from masip.accounts.models import Unit
from masip.risk.models import Instrument, InstrumentVersion


def instruments_offered(*, user: Any, unit: Unit, case: Any = None) -> list[InstrumentVersion]:
    """The versions `user` may start an assessment with in `unit`: for each of the unit's own
    instruments and those masip ships, the latest loaded version not withdrawn, when the
    definition lists a role the user holds in the unit and the user may write in the
    definition's compartment. Ordered by name. `case` is the case being assessed, if any (the
    offer does not depend on it yet)."""
    roles = principal_for(user).roles_by_unit.get(unit.pk, frozenset())
    if not roles:
        return []
    principal = principal_for(user)
    versions = (
        InstrumentVersion.objects.filter(Q(instrument__unit=unit) | Q(instrument__unit__isnull=True))
        .filter(withdrawn_at__isnull=True)
        .select_related("instrument")
        .order_by("instrument_id", "-created_at", "-pk")
    )
    latest: dict[int, InstrumentVersion] = {}
    for version in versions:
        latest.setdefault(version.instrument_id, version)
    offered = [
        v
        for v in latest.values()
        if roles & set(v.definition.get("roles", ()))
        and principal.may(unit.pk, v.definition.get("compartment", "team"), Action.CREATE)
    ]
    return sorted(offered, key=lambda v: (v.instrument.name, v.instrument.key))


def instrument_units_managed(*, user: Any) -> list[Unit]:
    """The units whose instruments `user` manages, by name."""
    units = principal_for(user).units_with(Capability.MANAGE_INSTRUMENTS)
    return list(Unit.objects.filter(pk__in=units).order_by("name"))


def instruments_for_manager(*, unit: Unit) -> tuple[list[Instrument], list[Instrument]]:
    """The unit's own instruments and those masip ships, each with its versions (newest
    first) and who loaded them: two queries."""
    versions = Prefetch(
        "versions", queryset=InstrumentVersion.objects.select_related("loaded_by").order_by("-created_at", "-pk")
    )
    instruments = list(
        Instrument.objects.filter(Q(unit=unit) | Q(unit__isnull=True)).prefetch_related(versions).order_by("name")
    )
    return [i for i in instruments if i.unit_id == unit.pk], [i for i in instruments if i.unit_id is None]


def instrument_version_get_for(*, user: Any, version_id: Any) -> InstrumentVersion:
    """A version the manager may see: of one of the units whose instruments they manage, or
    shipped. The same 404 for missing and not theirs."""
    units = principal_for(user).units_with(Capability.MANAGE_INSTRUMENTS)
    try:
        return InstrumentVersion.objects.select_related("instrument__unit", "loaded_by").get(
            Q(instrument__unit__in=units) | Q(instrument__unit__isnull=True), pk=int(version_id)
        )
    except (InstrumentVersion.DoesNotExist, ValueError, TypeError):
        raise Http404(NOT_FOUND_MESSAGE) from None
