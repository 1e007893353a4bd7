"""Primitives every app's models share: timestamps, the acting user, optimistic versions."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone


class StaleEditError(Exception):
    """Someone else saved this record after it was loaded; nothing was written. `current` is the
    record as it now stands (when known), for the page to show beside the editor's entries."""

    def __init__(self, label: str, current: Any = None) -> None:
        super().__init__(
            f"This {label} was changed by someone else after you opened it. "
            "Nothing you entered was saved: reload the page to see their change, then make yours again."
        )
        self.current = current


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class CaseDataModel(TimeStampedModel):
    """Base for records that hold case data: a UUID key (ids in URLs reveal no counts),
    who created it, and a version that refuses stale edits."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


M = TypeVar("M", bound="CaseDataModel")
V = TypeVar("V", bound=models.Model)


def locked_at_version(
    queryset: models.QuerySet[V, Any] | models.Manager[V], pk: Any, *, expected_version: int, label: str
) -> V:
    """The row `pk`, locked until the transaction ends, if it is still at `expected_version`;
    otherwise StaleEditError carrying it as it now stands. Two editors of one record queue on
    the lock, so the second always sees the first's version. For any model with a `version`
    field (case data, panel and training records)."""
    current = queryset.select_for_update().get(pk=pk)
    if current.version != expected_version:  # type: ignore[union-attr]  # every caller's model has one
        raise StaleEditError(label, current=current)
    return current


def save_versioned(instance: CaseDataModel, *, expected_version: int, fields: list[str]) -> None:
    """Write `fields` only if the stored version is still `expected_version`, then bump it.

    Raises StaleEditError (and writes nothing) when another edit landed in between.
    """
    model = type(instance)
    values: dict[str, Any] = {name: getattr(instance, name) for name in fields}
    values["updated_at"] = instance.updated_at = timezone.now()
    updated = model._default_manager.filter(pk=instance.pk, version=expected_version).update(
        version=F("version") + 1, **values
    )
    if updated != 1:
        label = str(model._meta.verbose_name or model.__name__)
        raise StaleEditError(label, current=model._default_manager.filter(pk=instance.pk).first())
    instance.version = expected_version + 1
