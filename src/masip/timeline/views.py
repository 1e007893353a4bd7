"""The timeline entry pages of a case: the table of entries, one entry (add, see, edit), a batch
typed on one page, and an incident log imported from a CSV file. Thin: reads come from
timeline.selectors, writes go through timeline.services and timeline.import_services."""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from masip.access.decorators import case_permission, reads_audited_together
from masip.access.policy import Action, Compartment
from masip.cases.models import Case
from masip.core.csvfile import FileRefused
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.core.uploads import FORM_OVERHEAD_BYTES, UploadLimit, declared_length, limit_uploads
from masip.timeline import import_services, selectors, services
from masip.timeline.forms import (
    BULK_ROWS_MAX,
    BULK_ROWS_STEP,
    BulkCommonForm,
    BulkRow,
    EntryEditForm,
    EntryFilterForm,
    EntryForm,
    ImportUploadForm,
    bulk_rows_blank,
    bulk_rows_from,
)
from masip.timeline.imports import (
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    REQUIRED_COLUMNS,
    SAMPLE_FILE,
    too_large_message,
)
from masip.timeline.models import ImportStatus, TimelineEntry
from masip.timeline.selectors import EntryFilter
from masip.timeline.taxonomy import taxonomy

PAGE_SIZE = 50


def _entries_url(case: Case) -> str:
    return reverse("timeline:entries", kwargs={"case_id": case.pk})


@reads_audited_together
@case_permission(Compartment.TEAM, Action.VIEW)
def entries(request: HttpRequest, case: Case) -> HttpResponse:
    form = EntryFilterForm(
        request.GET or None, groups=taxonomy().groups, behaviours=selectors.behaviour_choices_grouped()
    )
    filters = EntryFilter()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = EntryFilter(
            group=data["group"],
            behaviour=data["behaviour"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            compartment=data["compartment"],
        )
    page = Paginator(selectors.timeline_entries_for(user=request.user, case=case, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    shown: list[TimelineEntry] = list(page.object_list)
    selectors.timeline_entries_audit(user=request.user, case=case, entries=shown, request=request)
    offered = services.timeline_compartments_offered(user=request.user, case=case)
    return render(
        request,
        "timeline/entries/list.html",
        {
            "case": case,
            "form": form,
            "page": page,
            "entries": shown,
            "filtered": filters != EntryFilter(),
            "may_add": bool(offered),
        },
    )


def _entry_form_kwargs(request: HttpRequest, case: Case, keep: set[str] | None = None) -> dict[str, Any]:
    return {
        "behaviours": selectors.behaviour_choices_grouped(keep=keep),
        "evidence": selectors.timeline_evidence_choices(user=request.user, case=case),
        "orders": selectors.timeline_order_choices(user=request.user, case=case),
    }


def _saved_message(request: HttpRequest, entry: TimelineEntry, what: str) -> None:
    messages.success(
        request, f"{what} Only people allowed the “{entry.get_compartment_display()}” compartment can read it."
    )
    if services.breach_without_order(entry):
        messages.info(
            request,
            "This entry records a breach but names no order. If the order is one of the case's, edit the entry "
            "and choose it, so that the breach shows against the order.",
        )


@case_permission(Compartment.TEAM, Action.CREATE)
def entry_add(request: HttpRequest, case: Case) -> HttpResponse:
    offered = services.timeline_compartments_offered(user=request.user, case=case)
    kwargs = _entry_form_kwargs(request, case)
    if request.method == "POST":
        form = EntryForm(request.POST, offered=offered, **kwargs)
        if form.is_valid():
            try:
                entry = services.timeline_entry_create(
                    actor=request.user,
                    case=case,
                    compartment=form.cleaned_data["compartment"],
                    draft=form.draft(),
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                _saved_message(request, entry, "Entry added to the timeline.")
                return redirect(_entries_url(case))
    else:
        form = EntryForm(offered=offered, initial={"incidents": 1}, **kwargs)
    return render(request, "timeline/entries/form.html", {"case": case, "form": form, "adding": True})


@reads_audited_together
@case_permission(Compartment.TEAM, Action.VIEW)
def entry_detail(request: HttpRequest, case: Case, entry_id: str) -> HttpResponse:
    entry = selectors.timeline_entry_get_for(user=request.user, case=case, entry_id=entry_id, request=request)
    return render(
        request,
        "timeline/entries/detail.html",
        {
            "case": case,
            "entry": entry,
            "may_edit": services.timeline_entry_may_edit(actor=request.user, entry=entry),
            "breach_without_order": services.breach_without_order(entry),
        },
    )


@case_permission(Compartment.TEAM, Action.CREATE)
def entry_edit(request: HttpRequest, case: Case, entry_id: str) -> HttpResponse:
    entry = selectors.timeline_entry_get_for(user=request.user, case=case, entry_id=entry_id, request=request)
    if not services.timeline_entry_may_edit(actor=request.user, entry=entry):
        raise PermissionDenied(
            "Only the author of this entry, or a role allowed to change entries in its compartment, can edit it."
        )
    kwargs = _entry_form_kwargs(request, case, keep={b.code for b in entry.behaviours.all()})
    conflict: TimelineEntry | None = None
    changed: list[str] = []
    if request.method == "POST":
        form = EntryEditForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                entry = services.timeline_entry_update(
                    actor=request.user,
                    entry=entry,
                    expected_version=form.cleaned_data["version"],
                    draft=form.draft(),
                    request=request,
                )
            except StaleEditError as stale:
                conflict = stale.current
                changed = _differences(form, conflict)
                # The editor's values stay in the form; sending them again now replaces the
                # version they have just been shown, knowingly.
                data = request.POST.copy()
                data["version"] = str(conflict.version)
                form = EntryEditForm(data, **kwargs)
                form.is_valid()
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                _saved_message(request, entry, "Your change was saved.")
                return redirect("timeline:entry_detail", case_id=case.pk, entry_id=entry.pk)
    else:
        form = EntryEditForm(initial=EntryForm.initial_for(entry), **kwargs)
    return render(
        request,
        "timeline/entries/form.html",
        {"case": case, "form": form, "entry": entry, "conflict": conflict, "changed": changed, "adding": False},
        status=409 if conflict is not None else 200,
    )


def _differences(form: EntryForm, current: TimelineEntry) -> list[str]:
    """The labels of the fields where the saved entry now differs from what the editor sent."""
    theirs = EntryForm.initial_for(current)
    mine = form.cleaned_data
    labels = []
    for name, field in form.fields.items():
        if name == "version" or name not in theirs:
            continue
        a, b = theirs[name], mine.get(name)
        if isinstance(a, list):
            a, b = sorted(a), sorted(b or [])
        if name == "occurred_time" and b is not None:
            b = b.strftime("%H:%M")
        if (a or None) != (b or None):
            labels.append(str(field.label))
    return labels


# The bulk page ------------------------------------------------------------------------------------


@case_permission(Compartment.TEAM, Action.CREATE)
def entry_bulk(request: HttpRequest, case: Case) -> HttpResponse:
    offered = services.timeline_compartments_offered(user=request.user, case=case)
    grouped = selectors.behaviour_choices_grouped()
    context: dict[str, Any] = {"case": case, "behaviours": grouped, "max_rows": BULK_ROWS_MAX, "row_errors": []}
    if request.method != "POST":
        context |= {"common": BulkCommonForm(offered=offered), "rows": bulk_rows_blank()}
        return render(request, "timeline/entries/bulk.html", context)
    common = BulkCommonForm(request.POST, offered=offered)
    rows = bulk_rows_from(request.POST)
    context |= {"common": common, "rows": rows}
    if "more" in request.POST:
        more = min(len(rows) + BULK_ROWS_STEP, BULK_ROWS_MAX)
        context["rows"] = rows + [BulkRow(index, dict.fromkeys(BulkRow.FIELDS, "")) for index in range(len(rows), more)]
        context["common"] = BulkCommonForm(initial=_common_initial(request.POST), offered=offered)
        return render(request, "timeline/entries/bulk.html", context)
    filled = [row for row in rows if not row.blank]
    if not common.is_valid():
        return render(request, "timeline/entries/bulk.html", context)
    if not filled:
        common.add_error(None, "Fill in at least one row: a date and what happened.")
        return render(request, "timeline/entries/bulk.html", context)
    known = {code for _, choices in grouped for code, _ in choices}
    for row in filled:
        row.parse(
            reported_by=common.cleaned_data["reported_by"],
            reported_on=common.cleaned_data.get("reported_on"),
            known_codes=known,
        )
    if not any(row.errors for row in filled):
        try:
            created = services.timeline_entries_create(
                actor=request.user,
                case=case,
                compartment=common.cleaned_data["compartment"],
                drafts=[row.draft for row in filled if row.draft is not None],
                source="bulk",
                request=request,
            )
        except services.BatchInvalid as invalid:
            for index, problems in invalid.rows.items():
                filled[index].errors = [message for messages_ in problems.values() for message in messages_]
        except ValidationError as error:
            add_service_errors(common, error)
            return render(request, "timeline/entries/bulk.html", context)
        else:
            messages.success(request, f"{len(created)} entries added to the timeline.")
            return redirect(_entries_url(case))
    context["row_errors"] = [row for row in filled if row.errors]
    return render(request, "timeline/entries/bulk.html", context, status=200)


def _common_initial(data: Any) -> dict[str, Any]:
    initial: dict[str, Any] = {"reported_by": data.get("reported_by", ""), "compartment": data.get("compartment")}
    parts = [data.get(f"reported_on_{part}", "") for part in ("day", "month", "year")]
    if all(parts) and all(p.isdigit() for p in parts):
        with contextlib.suppress(ValueError):
            initial["reported_on"] = date(int(parts[2]), int(parts[1]), int(parts[0]))
    return initial


# Importing an incident log -------------------------------------------------------------------------


def _upload_page(request: HttpRequest, case: Case, form: ImportUploadForm, *, status: int = 200) -> HttpResponse:
    context = {
        "case": case,
        "form": form,
        "columns": COLUMNS,
        "required_columns": REQUIRED_COLUMNS,
        "max_rows": MAX_ROWS,
        "max_mb": MAX_BYTES // (1024 * 1024),
    }
    return render(request, "timeline/entries/import_upload.html", context, status=status)


@case_permission(Compartment.TEAM, Action.CREATE)
@csrf_exempt  # checked by _upload_checked, once the size limit is in place (Django's documented order)
def import_upload(request: HttpRequest, case: Case) -> HttpResponse:
    offered = services.timeline_compartments_offered(user=request.user, case=case)
    if request.method != "POST":
        return _upload_page(request, case, ImportUploadForm(offered=offered))
    if declared_length(request) > MAX_BYTES + FORM_OVERHEAD_BYTES:
        # Refused before the body is read: nothing of the file is stored, even for a moment.
        return _upload_page(request, case, _refused(offered, too_large_message()), status=413)
    handler = limit_uploads(request, MAX_BYTES)
    return _upload_checked(request, case, offered, handler)


def _refused(offered: list[Compartment], message: str) -> ImportUploadForm:
    form = ImportUploadForm(offered=offered)
    form.cleaned_data = {}
    form.add_error("file", message)
    return form


@csrf_protect
def _upload_checked(request: HttpRequest, case: Case, offered: list[Compartment], handler: UploadLimit) -> HttpResponse:
    form = ImportUploadForm(request.POST, request.FILES, offered=offered)
    if handler.exceeded:
        return _upload_page(request, case, _refused(offered, too_large_message()), status=413)
    if not form.is_valid():
        return _upload_page(request, case, form)
    upload = form.cleaned_data["file"]
    try:
        checked = import_services.timeline_import_check(
            actor=request.user,
            case=case,
            compartment=form.cleaned_data["compartment"],
            file_name=upload.name or "incident-log.csv",
            data=upload.read(),
            request=request,
        )
    except FileRefused as refused:
        form.add_error("file", str(refused))
        return _upload_page(request, case, form)
    except ValidationError as error:
        add_service_errors(form, error)
        return _upload_page(request, case, form)
    return redirect("timeline:import_detail", case_id=case.pk, log_id=checked.pk)


@reads_audited_together
@case_permission(Compartment.TEAM, Action.CREATE)
def import_detail(request: HttpRequest, case: Case, log_id: str) -> HttpResponse:
    upload = selectors.timeline_import_get_for(user=request.user, case=case, log_id=log_id, request=request)
    selectors.timeline_import_view_audit(user=request.user, upload=upload, request=request)
    lines = import_services.import_report_lines(upload)
    return render(
        request,
        "timeline/entries/import_detail.html",
        {
            "case": case,
            "upload": upload,
            "lines": lines,
            "more_lines": max(0, upload.rejected_rows - len(lines)),
            "may_confirm": upload.status == ImportStatus.CHECKED and upload.created_by_id == request.user.pk,
        },
    )


@case_permission(Compartment.TEAM, Action.CREATE)
@require_POST
def import_confirm(request: HttpRequest, case: Case, log_id: str) -> HttpResponse:
    upload = selectors.timeline_import_get_for(user=request.user, case=case, log_id=log_id, request=request)
    try:
        upload = import_services.timeline_import_confirm(actor=request.user, upload=upload, request=request)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
        return redirect("timeline:import_detail", case_id=case.pk, log_id=upload.pk)
    if upload.status == ImportStatus.IMPORTED:
        messages.success(request, f"{upload.imported_count} entries imported from “{upload.file_name}”.")
        return redirect(_entries_url(case))
    messages.error(request, "The case has changed since the check: some lines are now wrong. Nothing was imported.")
    return redirect("timeline:import_detail", case_id=case.pk, log_id=upload.pk)


@case_permission(Compartment.TEAM, Action.CREATE)
@require_POST
def import_cancel(request: HttpRequest, case: Case, log_id: str) -> HttpResponse:
    upload = selectors.timeline_import_get_for(user=request.user, case=case, log_id=log_id, request=request)
    try:
        import_services.timeline_import_cancel(actor=request.user, upload=upload, request=request)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
        return redirect("timeline:import_detail", case_id=case.pk, log_id=upload.pk)
    messages.success(request, "Import cancelled and the file deleted. Nothing was imported.")
    return redirect(_entries_url(case))


@case_permission(Compartment.TEAM, Action.CREATE)
def import_sample(request: HttpRequest, case: Case) -> HttpResponse:
    """The sample incident log (made-up entries), to fill in or copy the columns from."""
    response = HttpResponse(SAMPLE_FILE.read_bytes(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="incident-log-sample.csv"'
    return response
