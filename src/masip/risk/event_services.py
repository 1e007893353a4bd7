"""Risk events on a case (breach, new threat, separation...): each one asks for a re-assessment."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.policy import Action, Compartment
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case, CaseStatus
from masip.core.workdays import add_working_days
from masip.risk.current import risk_settings_for
from masip.risk.models import RiskEvent, RiskEventKind

DETAILS_MAX_LENGTH = 5_000
# An event may be recorded ahead (a court date, a release date) but not years ahead.
FUTURE_LIMIT = timedelta(days=366)


def risk_event_compartments_offered(*, user: Any, case: Case) -> list[Compartment]:
    """The compartments `user` may record an event in on `case`, the team's first."""
    principal = principal_for(user)
    return [c for c in Compartment if c != Compartment.VICTIM_CONTACT and principal.may(case.unit_id, c, Action.CREATE)]


def _reassessment_title(event: RiskEvent) -> tuple[str, str]:
    """The task's title and description. The task is read by the whole team, so an event kept
    in a narrower compartment is named only by its date and compartment there."""
    when = f"{event.occurred_on:%-d %B %Y}"
    if event.compartment == Compartment.TEAM:
        title = f"Re-assess risk after an event: {event.get_kind_display().lower()} ({when})"
    else:
        title = f"Re-assess risk after an event recorded in {Compartment(event.compartment).label.lower()} ({when})"
    description = "Made because a risk event was recorded on the case; see the case's risk history."
    return title[:200], description


def risk_event_record(
    *,
    actor: Any,
    case: Case,
    kind: str,
    occurred_on: date,
    details: str,
    compartment: str,
    request: HttpRequest | None = None,
) -> RiskEvent:
    """Record an event on the case's risk history and ask for a re-assessment.

    Guarantees: the actor is on the case team or oversees the unit, and may create data in
    `compartment` there (PermissionDenied; a break-glass reader may not);
    the kind is one masip knows, the date is no more than a year ahead, the details fit
    (ValidationError by field); a closed case takes no events. The event, its audit row (field
    names only) and the re-assessment task are written together: the case's open re-assessment
    task is made, or brought forward, to fall due the unit's set number of working days after
    the later of the event's day and today (never pushed back). The timeline calls this too.
    """
    if compartment not in Compartment.values or compartment == Compartment.VICTIM_CONTACT:
        raise ValidationError({"compartment": "Choose who may see this event."})
    from masip.work.services import task_may_work_on

    if not task_may_work_on(user=actor, case=case):
        raise PermissionDenied("Only the case team and the unit's managers can record risk events on this case.")
    if not principal_for(actor).may(case.unit_id, compartment, Action.CREATE):
        raise PermissionDenied("Your role does not allow recording events in that compartment on this case.")
    errors = {}
    if kind not in RiskEventKind.values:
        errors["kind"] = "Choose what kind of event it was."
    today = timezone.localdate()
    if occurred_on > today + FUTURE_LIMIT:
        errors["occurred_on"] = "The date can be at most a year from today. Check the year."
    details = details.strip()
    if len(details) > DETAILS_MAX_LENGTH:
        errors["details"] = f"The details can be at most {DETAILS_MAX_LENGTH} characters."
    if kind == RiskEventKind.OTHER and not details:
        errors["details"] = "Say what happened: an event of another kind needs details."
    if errors:
        raise ValidationError(errors)
    if case.status == CaseStatus.CLOSED:
        raise ValidationError("This case is closed. Reopen it before recording risk events.")
    with transaction.atomic():
        event = RiskEvent.unscoped.create(
            case=case,
            kind=kind,
            occurred_on=occurred_on,
            details=details,
            compartment=compartment,
            created_by=actor,
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=event,
            case_id=case.pk,
            fields=["kind", "occurred_on", "details", "compartment"],
        )
        title, description = _reassessment_title(event)
        reassessment_request(
            case=case, occurred_on=occurred_on, title=title, description=description, actor=actor, request=request
        )
        from masip.timeline.redflags import redflags_evaluate_case

        redflags_evaluate_case(case=case, actor=actor, request=request)
    return event


def reassessment_request(
    *, case: Case, occurred_on: date, title: str, description: str, actor: Any, request: HttpRequest | None = None
) -> Any:
    """Make or bring forward the case's re-assessment task because of something that happened on
    `occurred_on` (a risk event, a red flag): due the unit's set number of working days after the
    later of that day and today (`work_reassessment_for_event` keeps one open task, never pushed
    back). Returns the task made or moved, None when nothing changed."""
    from masip.work.services import work_reassessment_for_event

    counted_from = max(occurred_on, timezone.localdate())
    days = risk_settings_for(unit_id=case.unit_id).reassess_after_event_working_days
    return work_reassessment_for_event(
        case=case,
        due_date=add_working_days(counted_from, days),
        occurred_on=counted_from,
        title=title,
        description=description,
        actor=actor,
        request=request,
    )
