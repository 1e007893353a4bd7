"""A case's red flags, their acknowledgement, and the unit's open red flags. Thin: reads come
from timeline.alert_selectors, writes go through timeline.alert_services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from masip.access.decorators import case_permission, reads_audited_together, requires_capability
from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.cases.models import Case
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.timeline import alert_selectors, alert_services
from masip.timeline.alert_forms import AcknowledgeForm
from masip.timeline.models import AlertStatus
from masip.work.services import task_may_work_on


@reads_audited_together
@case_permission(Compartment.TEAM, Action.VIEW)
def alert_list(request: HttpRequest, case: Case) -> HttpResponse:
    """Every red flag on the case the user may read: open first, each with why it was raised."""
    alerts = alert_selectors.case_alerts_for(user=request.user, case=case, request=request)
    may_work = task_may_work_on(user=request.user, case=case)
    principal = principal_for(request.user)
    for alert in alerts:
        alert.may_acknowledge = may_work and principal.may(case.unit_id, alert.compartment, Action.CHANGE)  # type: ignore[attr-defined]
    opened = [a for a in alerts if a.status == AlertStatus.OPEN]
    return render(
        request,
        "timeline/alerts/list.html",
        {"case": case, "alerts": alerts, "open_count": len(opened), "acknowledged_count": len(alerts) - len(opened)},
    )


@case_permission(Compartment.TEAM, Action.CHANGE)
@require_http_methods(["GET", "POST"])
def alert_acknowledge(request: HttpRequest, case: Case, alert_id: str) -> HttpResponse:
    alert = alert_selectors.alert_get_for(user=request.user, case=case, alert_id=alert_id, request=request)
    if not alert_services.alert_may_acknowledge(user=request.user, alert=alert):
        raise PermissionDenied("Only the case team and the unit's managers can acknowledge this case's red flags.")
    if alert.status != AlertStatus.OPEN:
        messages.info(request, "This red flag has already been acknowledged.")
        return redirect("timeline:alerts", case_id=case.pk)
    form = AcknowledgeForm(request.POST or None, initial={"version": alert.version})
    if request.method == "POST" and form.is_valid():
        try:
            alert_services.alert_acknowledge(
                actor=request.user,
                alert=alert,
                expected_version=form.cleaned_data["version"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except StaleEditError:
            # Their change is shown as it now stands; the note typed here stays in the form.
            current = alert_selectors.alert_get_for(user=request.user, case=case, alert_id=alert_id)
            if current.status != AlertStatus.OPEN:
                messages.error(
                    request,
                    f"{current.acknowledged_by} acknowledged this red flag after you opened it, so your note was "
                    "not saved. Their note is below; add yours to the case notes if it says something more.",
                )
                return redirect("timeline:alerts", case_id=case.pk)
            form = AcknowledgeForm({"note": form.cleaned_data["note"], "version": current.version})
            form.is_valid()
            form.add_error(None, "This red flag changed after you opened it. Check it, then acknowledge it again.")
            return render(
                request,
                "timeline/alerts/acknowledge.html",
                {"case": case, "alert": current, "form": form},
                status=409,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Red flag “{alert.title}” acknowledged. It stays on the case's list.")
            return redirect("timeline:alerts", case_id=case.pk)
    return render(request, "timeline/alerts/acknowledge.html", {"case": case, "alert": alert, "form": form})


@reads_audited_together
@requires_capability(Capability.OVERSEE_UNIT_CASELOAD)
def unit_alerts(request: HttpRequest) -> HttpResponse:
    """The open red flags on the cases of the units the manager oversees."""
    alerts = alert_selectors.unit_open_alerts_for(user=request.user, request=request)
    return render(request, "timeline/alerts/unit.html", {"alerts": alerts})
