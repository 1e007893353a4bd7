"""Session hygiene: idle timeout, and the unit the user is working in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from masip.audit.models import AuditAction
from masip.audit.services import audit_record

_LAST_SEEN = "masip_last_seen"
IDLE_MESSAGE = (
    "You were signed out after 15 minutes without activity, to protect the records. Sign in again to carry on."
)


class IdleTimeoutMiddleware:
    """Ends a session after MASIP_IDLE_TIMEOUT without a request, audited, with a clear message.

    The time of the last request is written to the session at most once per
    MASIP_IDLE_RESOLUTION, not on every page (a session write is a database UPDATE): a session
    may therefore end up to that much sooner than the timeout, never later.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = timezone.now()
            last_seen = request.session.get(_LAST_SEEN)
            if last_seen and now - datetime.fromisoformat(last_seen) > settings.MASIP_IDLE_TIMEOUT:
                user = request.user
                audit_record(action=AuditAction.SESSION_EXPIRED, actor=user, request=request)
                logout(request)
                messages.warning(request, IDLE_MESSAGE)
            elif not last_seen or now - datetime.fromisoformat(last_seen) >= settings.MASIP_IDLE_RESOLUTION:
                request.session[_LAST_SEEN] = now.isoformat()
        return self.get_response(request)


class CurrentMembershipMiddleware:
    """Puts the unit the user is working in (chosen in the header) on `request.current_unit_id`."""

    SESSION_KEY = "masip_current_unit"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.current_unit_id = request.session.get(self.SESSION_KEY) if request.user.is_authenticated else None  # type: ignore[attr-defined]
        return self.get_response(request)
