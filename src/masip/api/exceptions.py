"""API errors: one JSON shape, and a 404 body that is the same for missing and forbidden.

Refused input answers like a serializer does: `{"field": ["message", ...]}`, with
`non_field_errors` for what belongs to no one field; any other refusal is `{"detail": "..."}`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from masip.referrals.services import ExternalReferenceConflict

NOT_FOUND_BODY = {"detail": "Not found."}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        # Whatever the reason (missing, another unit's, malformed id), the caller learns nothing more.
        return Response(dict(NOT_FOUND_BODY), status=404)
    if isinstance(exc, ExternalReferenceConflict):
        # The reference is taken by different content: a conflict with what is stored, not bad input.
        return Response({"detail": " ".join(exc.messages)}, status=409)
    if isinstance(exc, DjangoValidationError):
        # A service refused the input: its message says what to change.
        if hasattr(exc, "error_dict"):
            return Response(
                {
                    (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
                    for field, messages in exc.message_dict.items()
                },
                status=400,
            )
        return Response({"detail": " ".join(exc.messages)}, status=400)
    return drf_exception_handler(exc, context)
