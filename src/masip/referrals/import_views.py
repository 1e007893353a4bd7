"""The referral import pages: upload, the dry run's report, confirmation, progress and the
report as CSV. Thin: reads come from import_selectors, writes go through import_services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.accounts.models import Unit
from masip.core.csvfile import FileRefused
from masip.core.uploads import FORM_OVERHEAD_BYTES, UploadLimit, declared_length, limit_uploads
from masip.referrals import import_selectors as selectors
from masip.referrals import import_services as services
from masip.referrals.import_forms import ImportUploadForm
from masip.referrals.imports import COLUMNS, REQUIRED_COLUMNS
from masip.referrals.models import ImportJob, ImportStatus


@requires_capability(Capability.TRIAGE_REFERRALS)
def import_list(request: HttpRequest) -> HttpResponse:
    return render(request, "referrals/imports/list.html", {"jobs": list(selectors.import_jobs_for(user=request.user))})


def _upload_page(request: HttpRequest, unit: Unit | None, form: ImportUploadForm, *, status: int = 200) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "unit": unit,
        "required_columns": REQUIRED_COLUMNS,
        "columns": COLUMNS,
        "max_mb": settings.MASIP_IMPORT_MAX_BYTES // (1024 * 1024),
    }
    return render(request, "referrals/imports/upload.html", context, status=status)


def _refused(message: str) -> ImportUploadForm:
    """An empty upload form showing why the file was refused."""
    form = ImportUploadForm()
    form.cleaned_data = {}
    form.add_error("file", message)
    return form


@requires_capability(Capability.TRIAGE_REFERRALS)
@csrf_exempt  # checked by _upload_checked, once the size limit is in place (Django's documented order)
def import_upload(request: HttpRequest) -> HttpResponse:
    unit = selectors.import_unit_for(user=request.user, current_unit_id=getattr(request, "current_unit_id", None))
    if request.method != "POST":
        return _upload_page(request, unit, ImportUploadForm())
    limit = settings.MASIP_IMPORT_MAX_BYTES
    if declared_length(request) > limit + FORM_OVERHEAD_BYTES:
        # Refused before the body is read: nothing of the file is stored, even for a moment.
        return _upload_page(request, unit, _refused(services.too_large_message(limit)), status=413)
    handler = limit_uploads(request, limit)
    return _upload_checked(request, unit, handler)


@csrf_protect
def _upload_checked(request: HttpRequest, unit: Unit | None, handler: UploadLimit) -> HttpResponse:
    form = ImportUploadForm(request.POST, request.FILES)
    if handler.exceeded:
        return _upload_page(request, unit, _refused(services.too_large_message(handler.limit)), status=413)
    if unit is None or not form.is_valid():
        return _upload_page(request, unit, form)
    upload = form.cleaned_data["file"]
    try:
        job = services.import_job_create(
            actor=request.user,
            unit=unit,
            file_name=upload.name or "upload.csv",
            data=upload.read(),
            windows_1252=form.cleaned_data["windows_1252"],
            request=request,
        )
    except FileRefused as refused:
        form.add_error("file", str(refused))
        return _upload_page(request, unit, form)
    messages.success(request, f"“{job.file_name}” is being checked. Nothing is imported until you confirm.")
    return redirect("referrals:import_detail", import_id=job.pk)


def _job(request: HttpRequest, import_id: str) -> ImportJob:
    return selectors.import_job_get_for(user=request.user, import_id=import_id, request=request)


@requires_capability(Capability.TRIAGE_REFERRALS)
def import_detail(request: HttpRequest, import_id: str) -> HttpResponse:
    job = _job(request, import_id)
    entries = services.import_report_entries(job)
    if entries:
        selectors.import_job_view_audit(user=request.user, job=job, request=request)
    return render(
        request,
        "referrals/imports/detail.html",
        {
            "job": job,
            "rejected_rows": [e for e in entries if e["outcome"] == services.Outcome.REJECTED],
            "may_confirm": job.status == ImportStatus.CHECKED and job.created_by_id == request.user.pk,
            "dry_run": job.status == ImportStatus.CHECKED,
        },
    )


@requires_capability(Capability.TRIAGE_REFERRALS)
def import_progress(request: HttpRequest, import_id: str) -> HttpResponse:
    """The progress block alone, for the page to poll; it asks htmx to reload the whole page
    once the pass has finished, so the report appears."""
    job = _job(request, import_id)
    response = render(request, "referrals/imports/_progress.html", {"job": job})
    if request.headers.get("HX-Request") and job.status not in (ImportStatus.CHECKING, ImportStatus.IMPORTING):
        response["HX-Refresh"] = "true"
    return response


@requires_capability(Capability.TRIAGE_REFERRALS)
@require_POST
def import_confirm(request: HttpRequest, import_id: str) -> HttpResponse:
    job = _job(request, import_id)
    try:
        job = services.import_job_confirm(actor=request.user, job=job, request=request)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        if job.status == ImportStatus.IMPORTED:
            messages.success(
                request,
                f"Import finished: {job.to_create} referrals created, {job.already_received} already received, "
                f"{job.rejected} rejected. They are on the screening queue.",
            )
        else:
            messages.success(request, "The import has started. This page shows its progress.")
    return redirect("referrals:import_detail", import_id=job.pk)


@requires_capability(Capability.TRIAGE_REFERRALS)
@require_POST
def import_cancel(request: HttpRequest, import_id: str) -> HttpResponse:
    job = _job(request, import_id)
    try:
        services.import_job_cancel(actor=request.user, job=job, request=request)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
        return redirect("referrals:import_detail", import_id=job.pk)
    messages.success(request, f"Import of “{job.file_name}” cancelled and the file deleted. Nothing was imported.")
    return redirect("referrals:import_list")


@requires_capability(Capability.TRIAGE_REFERRALS)
def import_report(request: HttpRequest, import_id: str) -> HttpResponse:
    job = _job(request, import_id)
    body = services.import_report_csv(actor=request.user, job=job, request=request)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    stem = job.file_name.rsplit(".", 1)[0]
    safe_stem = "".join(ch for ch in stem if ch.isalnum() or ch in "-_")[:60] or "import"
    response["Content-Disposition"] = f'attachment; filename="{safe_stem}-report.csv"'
    return response
