"""Reads every training page shares: which units a trainer works for, and one record of a unit
by its id (the same 404 for missing and for another unit's)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404, HttpRequest

from masip.access.lookup import NOT_FOUND_MESSAGE
from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.accounts.models import Unit
from masip.core.unit_settings import chosen_unit
from masip.training.models import TrainingSettings

M = TypeVar("M", bound=models.Model)


def units_trained(*, user: Any) -> list[Unit]:
    """The units whose training `user` manages (a trainer's units), by name."""
    units = principal_for(user).units_with(Capability.MANAGE_TRAINING)
    return list(Unit.objects.filter(pk__in=units).order_by("name"))


def training_unit(request: HttpRequest) -> tuple[Unit, list[Unit]]:
    """The unit a training page is for (`?unit=` among the user's, else the first) and all of
    the user's training units. The view's permission guarantees there is at least one."""
    units = units_trained(user=request.user)
    if not units:
        raise Http404(NOT_FOUND_MESSAGE)
    return chosen_unit(request, units), units


def of_unit(queryset: models.QuerySet[M, Any] | type[M], *, unit: Unit, pk: Any) -> M:
    """The record `pk` of `unit`; a missing record and another unit's are the same 404, so ids
    cannot be probed."""
    rows: models.QuerySet[M, Any] = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    try:
        return rows.get(unit=unit, pk=int(pk))
    except (ValueError, TypeError, ObjectDoesNotExist) as exc:
        raise Http404(NOT_FOUND_MESSAGE) from exc


def settings_of(unit: Unit) -> TrainingSettings:
    """The unit's training settings; the defaults (unsaved) when it has set none."""
    return TrainingSettings.objects.filter(unit=unit).first() or TrainingSettings(unit=unit)


def trainers_of(unit: Unit) -> models.QuerySet[Any, Any]:
    """The unit's members who hold the trainer role now (they may present topics and deliver)."""
    from masip.accounts.models import Membership, Role, User

    members = Membership.objects.active().filter(unit=unit, role=Role.TRAINER).values("user")
    return User.objects.filter(pk__in=members).order_by("full_name")
