"""API errors: one JSON shape, and a 404 body that is the same for missing and forbidden."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

NOT_FOUND_BODY = {"detail": "Not found."}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        # Whatever the reason (missing, another unit's, malformed id), the caller learns nothing more.
        return Response(dict(NOT_FOUND_BODY), status=404)
    if isinstance(exc, DjangoValidationError):
        # A service refused the input: its message says what to change.
        return Response({"detail": " ".join(exc.messages)}, status=400)
    return drf_exception_handler(exc, context)
