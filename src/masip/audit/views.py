"""The audit viewer: a unit's log, filtered, paginated, and its own reading audited."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.accounts.models import Unit
from masip.audit.forms import AuditFilterForm
from masip.audit.models import AuditAction, AuditEvent
from masip.audit.selectors import (
    USER_OBJECT_TYPE,
    audit_events_for,
    audit_units_for,
    case_references_for,
    user_emails_for,
)
from masip.audit.services import audit_record

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    case_reference: str
    target_email: str


def _rows(request: HttpRequest, events: list[AuditEvent]) -> list[AuditRow]:
    case_ids = {e.case_id for e in events if e.case_id is not None}
    references = case_references_for(user=request.user, case_ids=case_ids)
    targets = user_emails_for(user_ids={e.object_id for e in events if e.object_type == USER_OBJECT_TYPE})
    return [
        AuditRow(
            event=e,
            case_reference=references.get(e.case_id, "") if e.case_id else "",
            target_email=targets.get(e.object_id, "") if e.object_type == USER_OBJECT_TYPE else "",
        )
        for e in events
    ]


@requires_capability(Capability.VIEW_AUDIT)
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    context: dict[str, object] = {"form": form, "page": None, "rows": []}
    if form.is_valid():
        filters = form.filters()
        page = Paginator(audit_events_for(user=request.user, filters=filters), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        # Rows are read before this reading is recorded, so the page shows the log as it was.
        context.update(page=page, rows=_rows(request, list(page.object_list)))
        units = audit_units_for(user=request.user)
        audit_record(
            action=AuditAction.VIEW,
            actor=request.user,
            request=request,
            # A reader of several units' logs read across them: the event belongs to no one unit.
            unit=Unit.objects.get(pk=next(iter(units))) if len(units) == 1 else None,
            object_type="audit.log",
            detail={"filters": filters.describe(), "page": page.number, "rows_shown": len(page.object_list)},
        )
    return render(request, "audit/list.html", context)
