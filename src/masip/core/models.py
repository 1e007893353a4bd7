"""Primitives every app's models share: timestamps, the acting user, optimistic versions."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone


class StaleEditError(Exception):
    """Someone else saved this record after it was loaded; nothing was written."""

    def __init__(self, label: str) -> None:
        super().__init__(
            f"This {label} was changed by someone else after you opened it. "
            "Nothing you entered was saved: reload the page to see their change, then make yours again."
        )


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
        raise StaleEditError(str(model._meta.verbose_name or model.__name__))
    instance.version = expected_version + 1
