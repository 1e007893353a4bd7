"""Every view declares its permission with one of these decorators.

The declaration is kept on the view (`view.masip_permission`) so that a test can walk the
URLconf, find any view without one, and check each role's outcome against the policy table.
All but `public` require a signed-in user who has passed the second factor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for

View = Callable[..., HttpResponse]
Kind = Literal["public", "signed_in", "capability", "case"]


@dataclass(frozen=True)
class ViewPermission:
    kind: Kind
    capability: Capability | None = None
    compartment: Compartment | None = None
    action: Action | None = None

    def describe(self) -> str:
        if self.kind == "capability":
            return f"capability {self.capability}"
        if self.kind == "case":
            return f"case data: {self.action} in {self.compartment}"
        return self.kind


def _declare(view: View, permission: ViewPermission) -> View:
    view.masip_permission = permission  # type: ignore[attr-defined]
    return view


def _gate(request: HttpRequest) -> HttpResponse | None:
    """Signed in, verified with the second factor, not a service account; else where to go."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    if getattr(user, "is_service_account", False):
        raise PermissionDenied("Service accounts use the API with a token; they cannot use the web pages.")
    if not user.is_verified():  # type: ignore[attr-defined]  # set by django_otp.middleware.OTPMiddleware
        return redirect("accounts:second_factor")
    return None


def public(view: View) -> View:
    """Open to anyone, signed in or not (sign-in pages, health check)."""
    return _declare(view, ViewPermission("public"))


def signed_in(view: View) -> View:
    """Any signed-in, verified user, whatever their role (their own profile, sign-out)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _gate(request) or view(request, *args, **kwargs)

    return _declare(wrapper, ViewPermission("signed_in"))


def requires_capability(capability: Capability) -> Callable[[View], View]:
    """Users holding `capability` through a role in at least one unit; others get 403."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            gate = _gate(request)
            if gate is not None:
                return gate
            if not principal_for(request.user).can(capability):
                raise PermissionDenied("Your role does not allow this. Ask your unit manager if you need it.")
            return view(request, *args, **kwargs)

        return _declare(wrapper, ViewPermission("capability", capability=capability))

    return decorate


def case_permission(compartment: Compartment, action: Action) -> Callable[[View], View]:
    """A view of one case's data in `compartment`, reached by a `case_id` URL argument.

    The wrapper fetches the case through `case_get_for` (the same 404 for missing and not
    visible; the break-glass page for a case of the user's own unit outside their caseload),
    checks the policy for `action` in `compartment`, and calls the view with the case.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, case_id: Any, **kwargs: Any) -> HttpResponse:
            from masip.cases.selectors import BreakGlassRequired, case_get_for

            gate = _gate(request)
            if gate is not None:
                return gate
            try:
                case = case_get_for(user=request.user, case_id=case_id, request=request)
            except BreakGlassRequired as outside:
                return redirect("cases:break_glass", case_id=outside.case_id)
            require_case_action(request.user, case.unit_id, compartment, action)
            return view(request, case, *args, **kwargs)

        return _declare(wrapper, ViewPermission("case", compartment=compartment, action=action))

    return decorate


def require_case_action(user: Any, unit_id: int, compartment: str, action: str) -> None:
    """Raise PermissionDenied unless the user's roles in the case's unit allow it."""
    if not principal_for(user).may(unit_id, compartment, action):
        raise PermissionDenied("Your role does not allow this on this case.")


def reads_audited_together(view: View) -> View:
    """Put outside a permission decorator: the audit rows of what the view reads (the case, the
    contact details it shows, the lists it shows) are written together, in one INSERT, once the
    page is built and before it is sent. Every read keeps its own row."""
    from masip.audit.services import audit_batch

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with audit_batch():
            return view(request, *args, **kwargs)

    return wrapper
