"""Person pages. Thin: reads come from people.selectors, writes go through people.services."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.people.selectors import person_history_for


@requires_capability(Capability.WORK_CASES)
def person_history(request: HttpRequest, person_id: str) -> HttpResponse:
    history = person_history_for(user=request.user, person_id=person_id, request=request)
    return render(request, "people/person_history.html", {"history": history, "person": history.person})
