"""Person pages. Thin: reads come from people.selectors, writes go through people.services."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from masip.access.decorators import requires_capability
from masip.access.lookup import get_visible_or_404
from masip.access.policy import Capability
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.people.models import Person


@requires_capability(Capability.WORK_CASES)
def person_history(request: HttpRequest, person_id: str) -> HttpResponse:
    person = get_visible_or_404(Person.objects.visible_to(request.user), person_id, user=request.user, request=request)
    audit_record(action=AuditAction.VIEW, actor=request.user, request=request, unit=person.unit, obj=person)
    return render(request, "people/person_history.html", {"person": person})
