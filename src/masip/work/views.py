"""My work, the unit's caseloads, task pages and the unit's task rules. Thin: reads come from
work.selectors, writes go through work.services and work.rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from masip.access.decorators import case_permission, requires_capability
from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.cases.models import Case
from masip.core.forms import add_service_errors
from masip.core.unit_settings_views import unit_settings_page
from masip.timeline.alert_selectors import open_alerts_on_my_cases, unit_open_alerts_for
from masip.work import selectors, services
from masip.work.forms import TaskForm, VersionForm, WorkRulesForm
from masip.work.models import Task
from masip.work.rules import work_rules_for, work_rules_set


@requires_capability(Capability.WORK_CASES)
def my_work(request: HttpRequest) -> HttpResponse:
    work = selectors.my_work_for(user=request.user, request=request)
    oversees = principal_for(request.user).can(Capability.OVERSEE_UNIT_CASELOAD)
    red_flags = open_alerts_on_my_cases(user=request.user, request=request)
    return render(request, "work/my_work.html", {"work": work, "oversees": oversees, "red_flags": red_flags})


@requires_capability(Capability.OVERSEE_UNIT_CASELOAD)
def caseloads(request: HttpRequest) -> HttpResponse:
    units = selectors.caseloads_for(user=request.user, request=request)
    red_flags = unit_open_alerts_for(user=request.user, request=request)
    return render(request, "work/caseloads.html", {"units": units, "red_flags": red_flags})


# --- tasks ----------------------------------------------------------------------------------


def _case_tasks_url(case: Case) -> str:
    return reverse("cases:detail", kwargs={"case_id": case.pk}) + "#tasks"


def _require_task_worker(request: HttpRequest, case: Case) -> None:
    if not services.task_may_work_on(user=request.user, case=case):
        raise PermissionDenied("Only the case team and the unit's managers can work on this case's tasks.")


@case_permission(Compartment.TEAM, Action.CREATE)
@require_http_methods(["GET", "POST"])
def task_add(request: HttpRequest, case: Case) -> HttpResponse:
    _require_task_worker(request, case)
    owners = selectors.task_owner_choices(case=case)
    if request.method == "POST":
        form = TaskForm(request.POST, owners=owners)
        if form.is_valid():
            data = form.cleaned_data
            try:
                task = services.task_create(
                    actor=request.user,
                    case=case,
                    title=data["title"],
                    description=data["description"],
                    owner_id=data["owner"],
                    due_date=data["due_date"],
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Task “{task.title}” added, due {task.due_date:%-d %B %Y}.")
                return redirect(_case_tasks_url(case))
    else:
        default_owner = request.user.pk if any(uid == request.user.pk for uid, _ in owners) else ""
        form = TaskForm(owners=owners, initial={"owner": default_owner})
    return render(request, "work/task_form.html", {"case": case, "form": form, "task": None})


def _task(request: HttpRequest, case: Case, task_id: Any) -> Task:
    return selectors.task_get_for(user=request.user, case=case, task_id=task_id, request=request)


@case_permission(Compartment.TEAM, Action.VIEW)
def task_detail(request: HttpRequest, case: Case, task_id: str) -> HttpResponse:
    task = _task(request, case, task_id)
    may_change = services.task_may_work_on(user=request.user, case=case)
    return render(
        request,
        "work/task_detail.html",
        {"case": case, "task": task, "may_change": may_change, "form": VersionForm(initial={"version": task.version})},
    )


@case_permission(Compartment.TEAM, Action.CHANGE)
@require_http_methods(["GET", "POST"])
def task_edit(request: HttpRequest, case: Case, task_id: str) -> HttpResponse:
    _require_task_worker(request, case)
    task = _task(request, case, task_id)
    owners = selectors.task_owner_choices(case=case)
    if not task.is_open:
        messages.info(request, f"This task is {task.get_status_display().lower()}; it can no longer be changed.")
        return redirect("work:task_detail", case_id=case.pk, task_id=task.pk)
    if request.method == "POST":
        form = TaskForm(request.POST, owners=owners)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.task_update(
                    actor=request.user,
                    task=task,
                    expected_version=data["version"] or 0,
                    title=data["title"],
                    description=data["description"],
                    owner_id=data["owner"],
                    due_date=data["due_date"],
                    request=request,
                )
            except services.StaleTaskError as stale:
                form.add_error(None, str(stale))
                task = stale.current
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Task “{task.title}” saved.")
                return redirect(_case_tasks_url(case))
    else:
        form = TaskForm(
            owners=owners,
            initial={
                "title": task.title,
                "description": task.description,
                "owner": task.owner_id or "",
                "due_date": task.due_date,
                "version": task.version,
            },
        )
    return render(request, "work/task_form.html", {"case": case, "form": form, "task": task})


def _close(request: HttpRequest, case: Case, task_id: str, *, complete: bool) -> HttpResponse:
    _require_task_worker(request, case)
    task = _task(request, case, task_id)
    form = VersionForm(request.POST or None, initial={"version": task.version})
    if request.method == "POST" and form.is_valid():
        close = services.task_complete if complete else services.task_cancel
        try:
            close(actor=request.user, task=task, expected_version=form.cleaned_data["version"], request=request)
        except services.StaleTaskError as stale:
            form.add_error(None, str(stale))
            task = stale.current
        except ValidationError as error:
            messages.info(request, " ".join(error.messages))
            return redirect("work:task_detail", case_id=case.pk, task_id=task.pk)
        else:
            done = "marked as done" if complete else "cancelled"
            note = " The next review has been set by the case's risk level." if task.kind == "review" else ""
            messages.success(request, f"Task “{task.title}” {done}.{note}")
            return redirect(_case_tasks_url(case))
    return render(request, "work/task_close.html", {"case": case, "task": task, "form": form, "complete": complete})


@case_permission(Compartment.TEAM, Action.CHANGE)
@require_http_methods(["GET", "POST"])
def task_complete(request: HttpRequest, case: Case, task_id: str) -> HttpResponse:
    return _close(request, case, task_id, complete=True)


@case_permission(Compartment.TEAM, Action.CHANGE)
@require_http_methods(["GET", "POST"])
def task_cancel(request: HttpRequest, case: Case, task_id: str) -> HttpResponse:
    return _close(request, case, task_id, complete=False)


# --- the unit's rules -----------------------------------------------------------------------


@requires_capability(Capability.OVERSEE_UNIT_CASELOAD)
@require_http_methods(["GET", "POST"])
def work_rules(request: HttpRequest) -> HttpResponse:
    return unit_settings_page(
        request,
        form_class=WorkRulesForm,
        current_for=lambda unit: work_rules_for(unit_id=unit.pk),
        save=work_rules_set,
        saved_message=lambda unit: (
            f"Task rules saved for {unit.name}. New reviews and first contacts follow them; an open review "
            "keeps its due date until it is done or its case's risk level changes."
        ),
        url_name="work:rules",
        template="work/rules.html",
    )
