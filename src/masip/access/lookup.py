"""Fetching one record by the id in a URL: scoped, audited, and the same 404 for
"does not exist" and "not yours", so ids cannot be probed."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.db import models
from django.http import Http404, HttpRequest

from masip.audit.models import AuditAction
from masip.audit.services import audit_record

M = TypeVar("M", bound=models.Model)

NOT_FOUND_MESSAGE = "Page not found"


def route_of(request: HttpRequest | None) -> str:
    """The route a request reached (its URL name), for the audit log.

    Never the raw path: a path can carry a bearer secret (an invitation token) or bytes the
    database refuses (a NUL from a hand-made URL).
    """
    if request is None:
        return ""
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else "(no route)"


def printable_id(value: Any) -> str:
    """An id as typed into a URL, safe to store: printable characters only, at most 64."""
    return "".join(ch for ch in str(value) if ch.isprintable())[:64]


def get_visible_or_404(queryset: models.QuerySet[M], pk: Any, *, user: Any, request: HttpRequest | None = None) -> M:
    """The record with `pk` from an already-scoped queryset, or Http404 (audited as refused)."""
    model = queryset.model
    try:
        if isinstance(model._meta.pk, models.UUIDField):
            pk = uuid.UUID(str(pk))
        return queryset.get(pk=pk)
    except (ValueError, TypeError, models.ObjectDoesNotExist):
        audit_record(
            action=AuditAction.DENIED,
            actor=user,
            request=request,
            object_type=model._meta.label_lower,
            object_id=printable_id(pk),
            detail={"reason": "not found or not visible", "route": route_of(request)},
        )
        raise Http404(NOT_FOUND_MESSAGE) from None
