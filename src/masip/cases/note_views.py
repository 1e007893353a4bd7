"""Notes and contact records on a case: recording a contact, editing with a visible history,
and releasing a clinical summary to the team. Thin: reads come from cases.selectors, writes go
through cases.services (which check the policy again)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from masip.access.decorators import case_permission
from masip.access.policy import Action, Compartment
from masip.cases import selectors, services
from masip.cases.models import Case, CaseNote
from masip.cases.note_forms import ContactEditForm, ContactForm, NoteEditForm, ReleaseSummaryForm
from masip.core.models import StaleEditError


def _timeline(case: Case) -> str:
    return reverse("cases:detail", kwargs={"case_id": case.pk}) + "#notes"


def _contact_form_kwargs(request: HttpRequest, case: Case) -> dict[str, Any]:
    return {
        "team": selectors.case_team_choices_for(case=case, actor=request.user),
        "participants": selectors.case_participants_named_for(user=request.user, case=case),
    }


@case_permission(Compartment.TEAM, Action.CREATE)
def contact_add(request: HttpRequest, case: Case) -> HttpResponse:
    offered = selectors.note_compartments_offered(user=request.user, case=case)
    kwargs = _contact_form_kwargs(request, case)
    if request.method == "POST":
        form = ContactForm(request.POST, offered=offered, **kwargs)
        if form.is_valid():
            try:
                note = services.case_contact_record(
                    actor=request.user,
                    case=case,
                    compartment=form.cleaned_data["compartment"],
                    summary=form.cleaned_data["body"],
                    details=form.details(),
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    "Contact recorded. Only people allowed the "
                    f"“{note.get_compartment_display()}” compartment can read it.",
                )
                return redirect(_timeline(case))
    else:
        form = ContactForm(offered=offered, initial={"contact_by": str(request.user.pk)}, **kwargs)
    return render(request, "cases/notes/contact_form.html", {"case": case, "form": form})


@case_permission(Compartment.TEAM, Action.CREATE)
def note_edit(request: HttpRequest, case: Case, note_id: str) -> HttpResponse:
    note = selectors.case_note_get_for(user=request.user, case=case, note_id=note_id, request=request)
    if not services.case_note_may_edit(actor=request.user, note=note):
        raise PermissionDenied(
            "Only the author of this entry, or a role allowed to change entries in its compartment, can edit it."
        )
    conflict: CaseNote | None = None
    form: Form
    if request.method == "POST":
        form = _edit_form(request, case, note, data=request.POST)
        if form.is_valid():
            try:
                services.case_note_edit(
                    actor=request.user,
                    note=note,
                    expected_version=form.cleaned_data["version"],
                    body=form.cleaned_data["body"],
                    details=form.details() if isinstance(form, ContactForm) else None,
                    request=request,
                )
            except StaleEditError as stale:
                conflict = stale.current
                # The editor's text stays in the form; sending it again now replaces the version
                # they have just been shown, knowingly (and that version is kept in the history).
                data = request.POST.copy()
                data["version"] = str(conflict.version)
                form = _edit_form(request, case, note, data=data)
                form.is_valid()
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Your change was saved. The earlier version is kept in the entry's history.")
                return redirect(_timeline(case))
    else:
        initial = ContactForm.initial_for(note) if note.is_contact else {"body": note.body}
        form = _edit_form(request, case, note, initial={**initial, "version": note.version})
    return render(
        request,
        "cases/notes/edit.html",
        {"case": case, "note": note, "form": form, "conflict": conflict},
        status=409 if conflict is not None else 200,
    )


def _edit_form(request: HttpRequest, case: Case, note: CaseNote, **kwargs: Any) -> Form:
    if note.is_contact:
        return ContactEditForm(**kwargs, **_contact_form_kwargs(request, case))
    return NoteEditForm(**kwargs)


@case_permission(Compartment.TEAM, Action.VIEW)
def note_history(request: HttpRequest, case: Case, note_id: str) -> HttpResponse:
    note = selectors.case_note_get_for(user=request.user, case=case, note_id=note_id, request=request)
    revisions = selectors.case_note_revisions_for(user=request.user, note=note, request=request)
    return render(request, "cases/notes/history.html", {"case": case, "note": note, "revisions": revisions})


@case_permission(Compartment.HEALTH, Action.CREATE)
def note_release(request: HttpRequest, case: Case, note_id: str) -> HttpResponse:
    note = selectors.case_note_get_for(user=request.user, case=case, note_id=note_id, request=request)
    if note.compartment != Compartment.HEALTH or note.is_released_summary:
        messages.error(request, "Only a clinical (health) note can have a summary released to the team.")
        return redirect(_timeline(case))
    form = ReleaseSummaryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_note_release_summary(
                actor=request.user, note=note, summary=form.cleaned_data["summary"], request=request
            )
        except ValidationError as error:
            form.add_error("summary", error)
        else:
            messages.success(
                request, "Summary released to the case team. The clinical note stays in the health compartment."
            )
            return redirect(_timeline(case))
    return render(request, "cases/notes/release.html", {"case": case, "note": note, "form": form})
