"""Pages that belong to no bounded context: home, health check, error pages."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from masip.access.decorators import public, signed_in
from masip.access.lookup import route_of
from masip.audit.models import AuditAction
from masip.audit.services import audit_record


@signed_in
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@public
def healthz(request: HttpRequest) -> HttpResponse:
    connection.ensure_connection()
    return JsonResponse({"status": "ok"})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    audit_record(
        action=AuditAction.DENIED,
        actor=request.user if hasattr(request, "user") else None,
        request=request,
        detail={"reason": "csrf", "route": route_of(request)},
    )
    return render(request, "errors/csrf.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    audit_record(
        action=AuditAction.DENIED,
        actor=getattr(request, "user", None),
        request=request,
        detail={"reason": "forbidden", "route": route_of(request)},
    )
    message = str(exception) if exception and str(exception) else "Your role does not allow this."
    return render(request, "errors/403.html", {"message": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Without the request: its context processors read the database, which may be what failed.
    return HttpResponseServerError(render_to_string("errors/500.html"))
