"""The unit manager's page for the unit's triage deadlines. Thin: the rules live in
referrals.deadline_services."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.core.unit_settings_views import unit_settings_page
from masip.referrals.deadline_forms import TriageDeadlinesForm
from masip.referrals.deadline_services import (
    MAX_DAYS,
    MIN_DAYS,
    triage_deadlines_for,
    triage_deadlines_set,
)


@requires_capability(Capability.OVERSEE_UNIT_CASELOAD)
@require_http_methods(["GET", "POST"])
def triage_deadlines(request: HttpRequest) -> HttpResponse:
    return unit_settings_page(
        request,
        form_class=TriageDeadlinesForm,
        current_for=lambda unit: triage_deadlines_for(unit=unit),
        save=triage_deadlines_set,
        saved_message=lambda unit: (
            f"Triage deadlines saved for {unit.name}. Referrals received from now on get these deadlines; "
            "referrals already received keep the deadline they were given."
        ),
        url_name="referrals:deadlines",
        template="referrals/deadlines/deadlines.html",
        context={"min_days": MIN_DAYS, "max_days": MAX_DAYS},
    )
