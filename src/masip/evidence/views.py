"""Evidence pages: the case's exhibits, upload, one exhibit with its custody log, download,
hand-over and export. Thin: reads come from evidence.selectors, writes go through evidence.services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from masip.access.decorators import case_permission
from masip.access.policy import Action, Compartment
from masip.cases.models import Case
from masip.core.forms import add_service_errors
from masip.core.uploads import FORM_OVERHEAD_BYTES, UploadLimit, declared_length, limit_uploads
from masip.evidence import selectors, services
from masip.evidence.forms import EvidenceUploadForm, ExportForm, HandOverForm
from masip.evidence.models import EvidenceItem
from masip.evidence.names import content_disposition, download_filename
from masip.evidence.sniff import ACCEPTED, FileRefused

# Service errors about these details belong next to the form field that asked for them.
_FIELD_FOR = {"captured_at": "captured_on"}


@case_permission(Compartment.TEAM, Action.VIEW)
def evidence_list(request: HttpRequest, case: Case) -> HttpResponse:
    items = selectors.evidence_list_for(user=request.user, case=case)
    selectors.evidence_list_audit(user=request.user, case=case, items=items, request=request)
    return render(
        request,
        "evidence/list.html",
        {
            "case": case,
            "items": items,
            "may_upload": bool(selectors.evidence_compartments_offered(user=request.user, case=case)),
            "may_export": bool(selectors.evidence_exportable_for(user=request.user, case=case)),
        },
    )


def _upload_page(request: HttpRequest, case: Case, form: EvidenceUploadForm, *, status: int = 200) -> HttpResponse:
    context: dict[str, Any] = {
        "case": case,
        "form": form,
        "max_size": services.size_text(settings.MASIP_EVIDENCE_MAX_BYTES),
        "accepted": ACCEPTED,
    }
    return render(request, "evidence/upload.html", context, status=status)


def _refused(offered: list[Compartment], message: str) -> EvidenceUploadForm:
    form = EvidenceUploadForm(offered=offered)
    form.cleaned_data = {}
    form.add_error("file", message)
    return form


@case_permission(Compartment.TEAM, Action.CREATE)
@csrf_exempt  # checked by _upload_checked, once the size limit is in place (Django's documented order)
def evidence_upload(request: HttpRequest, case: Case) -> HttpResponse:
    offered = selectors.evidence_compartments_offered(user=request.user, case=case)
    if request.method != "POST":
        return _upload_page(request, case, EvidenceUploadForm(offered=offered))
    limit = settings.MASIP_EVIDENCE_MAX_BYTES
    if declared_length(request) > limit + FORM_OVERHEAD_BYTES:
        # Refused before the body is read: nothing of the file is kept, even for a moment.
        return _upload_page(request, case, _refused(offered, services.too_large_message(limit)), status=413)
    handler = limit_uploads(request, limit)
    return _upload_checked(request, case, offered, handler)


@csrf_protect
def _upload_checked(request: HttpRequest, case: Case, offered: list[Compartment], handler: UploadLimit) -> HttpResponse:
    form = EvidenceUploadForm(request.POST, request.FILES, offered=offered)
    if handler.exceeded:
        return _upload_page(request, case, _refused(offered, services.too_large_message(handler.limit)), status=413)
    if not form.is_valid():
        return _upload_page(request, case, form)
    upload = form.cleaned_data["file"]
    try:
        item = services.evidence_upload(
            actor=request.user,
            case=case,
            data=upload.read(),
            file_name=upload.name or "",
            compartment=form.cleaned_data["compartment"],
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
            captured_by=form.cleaned_data["captured_by"],
            captured_from=form.cleaned_data["captured_from"],
            captured_at=form.captured_at(),
            exhibit_ref=form.cleaned_data["exhibit_ref"],
            request=request,
        )
    except FileRefused as refused:
        form.add_error("file", str(refused))
        return _upload_page(request, case, form)
    except ValidationError as error:
        add_service_errors(form, error, _FIELD_FOR)
        return _upload_page(request, case, form)
    messages.success(request, f"Exhibit {item.exhibit_ref} saved. Its SHA-256 is {item.sha256}.")
    return redirect("evidence:detail", case_id=case.pk, evidence_id=item.pk)


def _detail_page(
    request: HttpRequest, case: Case, item: EvidenceItem, hand_over_form: HandOverForm | None = None
) -> HttpResponse:
    may_hand_over = selectors.evidence_may_hand_over(user=request.user, item=item)
    return render(
        request,
        "evidence/detail.html",
        {
            "case": case,
            "item": item,
            "custody": selectors.custody_log_for(item=item),
            "hand_over_form": (hand_over_form or HandOverForm()) if may_hand_over else None,
        },
    )


@case_permission(Compartment.TEAM, Action.VIEW)
def evidence_detail(request: HttpRequest, case: Case, evidence_id: str) -> HttpResponse:
    item = selectors.evidence_get_for(user=request.user, case=case, evidence_id=evidence_id, request=request)
    services.evidence_view_record(actor=request.user, item=item, request=request)
    return _detail_page(request, case, item)


@case_permission(Compartment.TEAM, Action.VIEW)  # type: ignore[arg-type]  # a streamed response
def evidence_download(request: HttpRequest, case: Case, evidence_id: str) -> HttpResponseBase:
    item = selectors.evidence_get_for(user=request.user, case=case, evidence_id=evidence_id, request=request)
    try:
        download = services.evidence_download(actor=request.user, item=item, request=request)
    except services.IntegrityFailure as failure:
        return render(
            request, "evidence/integrity_failed.html", {"case": case, "item": item, "message": str(failure)}, status=409
        )
    file_type = download.file_type
    content_type = f"{file_type.mime}; charset=utf-8" if file_type.mime.startswith("text/") else file_type.mime
    response = StreamingHttpResponse(download.chunks, content_type=content_type)
    response["Content-Disposition"] = content_disposition(download_filename(item.file_name, file_type))
    response["Content-Length"] = str(item.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    # Should a browser render it after all, it renders with no script, no plugins, no origin.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@case_permission(Compartment.TEAM, Action.VIEW)
@require_POST
def evidence_hand_over(request: HttpRequest, case: Case, evidence_id: str) -> HttpResponse:
    item = selectors.evidence_get_for(user=request.user, case=case, evidence_id=evidence_id, request=request)
    if not selectors.evidence_may_hand_over(user=request.user, item=item):
        messages.error(
            request,
            f"Your role does not allow handing over evidence in the “{item.get_compartment_display()}” "
            "compartment. Ask someone who may disclose it, such as the unit manager or the lead investigator.",
        )
        return redirect("evidence:detail", case_id=case.pk, evidence_id=item.pk)
    form = HandOverForm(request.POST)
    if form.is_valid():
        try:
            entry = services.evidence_hand_over(
                actor=request.user,
                item=item,
                recipient=form.cleaned_data["recipient"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error, _FIELD_FOR)
        else:
            messages.success(request, f"Hand-over of exhibit {item.exhibit_ref} to {entry.recipient} recorded.")
            return redirect("evidence:detail", case_id=case.pk, evidence_id=item.pk)
    return _detail_page(request, case, item, form)


def _export_page(
    request: HttpRequest, case: Case, items: list[EvidenceItem], form: ExportForm, *, status: int = 200
) -> HttpResponse:
    selectors.evidence_list_audit(user=request.user, case=case, items=items, request=request)
    context = {
        "case": case,
        "form": form,
        "items": items,
        "exports": selectors.evidence_exports_for(user=request.user, case=case, request=request),
    }
    return render(request, "evidence/export.html", context, status=status)


@case_permission(Compartment.TEAM, Action.VIEW)  # type: ignore[arg-type]  # a streamed response
def evidence_export(request: HttpRequest, case: Case) -> HttpResponseBase:
    """Choose exhibits and receive them as one ZIP with a manifest; the ZIP's SHA-256 is in
    the `X-Bundle-SHA256` header and, for the person sending it, in the list of exports."""
    items = selectors.evidence_exportable_for(user=request.user, case=case)
    if request.method != "POST":
        return _export_page(request, case, items, ExportForm(items=items))
    form = ExportForm(request.POST, items=items)
    if not form.is_valid():
        return _export_page(request, case, items, form)
    try:
        exported = services.evidence_export(
            actor=request.user,
            case=case,
            evidence_ids=form.cleaned_data["exhibits"],
            recipient=form.cleaned_data["recipient"],
            purpose=form.cleaned_data["purpose"],
            request=request,
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _export_page(request, case, items, form)
    except PermissionDenied as refused:
        form.add_error("exhibits", str(refused))
        return _export_page(request, case, items, form, status=403)
    except services.IntegrityFailure as failure:
        form.add_error("exhibits", str(failure))
        return _export_page(request, case, items, form, status=409)
    response = StreamingHttpResponse(exported.chunks, content_type="application/zip")
    response["Content-Disposition"] = content_disposition(exported.file_name)
    response["Content-Length"] = str(exported.size)
    response["X-Bundle-SHA256"] = exported.sha256
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
