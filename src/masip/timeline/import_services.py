"""Importing an incident log into a case's timeline: upload and dry run, then confirm or cancel
(docs/timeline-import.md).

All or nothing: the dry run checks every row with the same rules as the entry form and reports
each wrong line; a file with any wrong line cannot be imported (and is not kept). A clean file
is kept, encrypted, until the person who uploaded it confirms or cancels, or it expires; the
confirmation imports every row in one transaction and deletes the file.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case
from masip.core.csvfile import FileRefused
from masip.timeline.imports import ParsedRow, parse_row, read_rows
from masip.timeline.models import EntrySource, ImportStatus, TimelineImport
from masip.timeline.services import (
    BatchInvalid,
    EntryRules,
    timeline_compartment_writable,
    timeline_entries_create,
)

# The report keeps this many wrong lines; the count of the others is kept too.
REPORT_MAX_LINES = 1_000
FIELD_COLUMNS = {
    "occurred_on": "date",
    "occurred_until": "until",
    "occurred_time": "time",
    "behaviours": "behaviours",
    "incidents": "count",
    "reported_by": "reported_by",
    "reported_on": "reported_on",
    "location": "location",
    "description": "description",
}


def _report(parsed: list[ParsedRow], rules: EntryRules) -> list[dict[str, Any]]:
    """Each wrong line, with what is wrong (each message says what to do)."""
    wrong: list[dict[str, Any]] = []
    for row in parsed:
        problems = list(row.errors)
        if row.draft is not None:
            try:
                rules.check(row.draft)
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    column = FIELD_COLUMNS.get(name, name)
                    problems += [f"{column}: {message}" for message in messages]
        if problems:
            wrong.append({"line": row.line, "problems": problems})
    return wrong


def timeline_import_check(
    *,
    actor: Any,
    case: Case,
    compartment: str,
    file_name: str,
    data: bytes,
    request: HttpRequest | None = None,
) -> TimelineImport:
    """Check an uploaded incident log for `case` (the dry run); store nothing of the timeline.

    Guarantees: the actor may add entries to `compartment` (PermissionDenied); a file too large,
    empty, binary, not UTF-8, not comma-separated, without the required columns or with more
    than MAX_ROWS rows raises FileRefused and nothing is written. Otherwise the import is kept
    with its report: `checked` with the file (encrypted) when every line is right, `refused`
    without the file when any is wrong. The upload is audited in the same transaction.
    """
    chosen = timeline_compartment_writable(actor=actor, case=case, compartment=compartment)
    rows = read_rows(data)
    parsed = [parse_row(row) for row in rows]
    wrong = _report(parsed, EntryRules(case=case, actor=actor))
    timeline_imports_expire()
    clean = not wrong
    with transaction.atomic():
        upload = TimelineImport.unscoped.create(
            case=case,
            compartment=chosen,
            created_by=actor,
            status=ImportStatus.CHECKED if clean else ImportStatus.REFUSED,
            file_name=(file_name or "incident-log.csv")[:255],
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            content=data.decode("utf-8-sig") if clean else "",
            content_deleted_at=None if clean else timezone.now(),
            total_rows=len(rows),
            rejected_rows=len(wrong),
            report=json.dumps(wrong[:REPORT_MAX_LINES]),
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=upload,
            case_id=case.pk,
            fields=["file_name", "size", "sha256", "report", *(["content"] if clean else [])],
            detail={"event": "checked", "rows": len(rows), "wrong": len(wrong)},
        )
    return upload


def _require_uploader(actor: Any, upload: TimelineImport) -> None:
    if upload.created_by_id != getattr(actor, "pk", None):
        raise PermissionDenied("Only the person who uploaded this incident log can import or cancel it.")


def timeline_import_confirm(
    *, actor: Any, upload: TimelineImport, request: HttpRequest | None = None
) -> TimelineImport:
    """Import a checked incident log: every row, in one transaction, or none.

    Guarantees: only its uploader, still allowed to add entries to its compartment, and only
    while it is `checked` (a second click imports nothing again). The rows are checked again
    against the case as it is now; if any has become wrong the import turns `refused` with the
    new report and nothing is imported. Otherwise the entries (source `import`), the audit rows,
    one red-flag re-evaluation and the deletion of the file commit together.
    """
    _require_uploader(actor, upload)
    case = upload.case
    timeline_compartment_writable(actor=actor, case=case, compartment=upload.compartment)
    with transaction.atomic():
        current = TimelineImport.unscoped.select_for_update().get(pk=upload.pk)
        if current.status != ImportStatus.CHECKED or not current.content:
            raise ValidationError(f"This import is “{current.get_status_display()}”, so it cannot be imported now.")
        parsed = [parse_row(row) for row in read_rows(current.content.encode("utf-8"))]
        drafts = [row.draft for row in parsed if row.draft is not None]
        now = timezone.now()
        try:
            if len(drafts) != len(parsed):
                raise BatchInvalid({})
            entries = timeline_entries_create(
                actor=actor,
                case=case,
                compartment=current.compartment,
                drafts=drafts,
                source=EntrySource.IMPORT,
                max_rows=None,
                request=request,
                audit_obj=current,
            )
        except BatchInvalid:
            wrong = _report(parsed, EntryRules(case=case, actor=actor))
            current.status = ImportStatus.REFUSED
            current.rejected_rows = len(wrong)
            current.report = json.dumps(wrong[:REPORT_MAX_LINES])
            fields = ["status", "rejected_rows", "report"]
        else:
            current.status = ImportStatus.IMPORTED
            current.imported_count = len(entries)
            current.confirmed_at = now
            fields = ["status", "imported_count", "confirmed_at"]
        current.content = ""
        current.content_deleted_at = now
        fields += ["content", "content_deleted_at"]
        current.save(update_fields=[*fields, "updated_at"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=current,
            case_id=case.pk,
            fields=fields,
            detail={"event": current.status, "imported": current.imported_count},
        )
    return current


def timeline_import_cancel(*, actor: Any, upload: TimelineImport, request: HttpRequest | None = None) -> TimelineImport:
    """Drop a checked incident log without importing it; its file is deleted at once."""
    _require_uploader(actor, upload)
    now = timezone.now()
    with transaction.atomic():
        updated = TimelineImport.unscoped.filter(pk=upload.pk, status=ImportStatus.CHECKED).update(
            status=ImportStatus.CANCELLED, content="", content_deleted_at=now, updated_at=now
        )
        if updated != 1:
            upload.refresh_from_db()
            raise ValidationError(f"This import is “{upload.get_status_display()}”, so it cannot be cancelled.")
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=upload.case.unit,
            obj=upload,
            case_id=upload.case_id,
            fields=["status", "content", "content_deleted_at"],
            detail={"event": "cancelled"},
        )
    upload.refresh_from_db()
    return upload


def timeline_imports_expire(*, now: datetime | None = None) -> int:
    """Delete the files of checked incident logs left unconfirmed longer than MASIP_IMPORT_RETENTION."""
    cutoff = (now or timezone.now()) - settings.MASIP_IMPORT_RETENTION
    stale = list(
        TimelineImport.unscoped.filter(status=ImportStatus.CHECKED, updated_at__lt=cutoff).select_related("case__unit")
    )
    expired = 0
    for upload in stale:
        with transaction.atomic():
            moment = timezone.now()
            if TimelineImport.unscoped.filter(pk=upload.pk, status=ImportStatus.CHECKED).update(
                status=ImportStatus.EXPIRED, content="", content_deleted_at=moment, updated_at=moment
            ):
                audit_record(
                    action=AuditAction.CHANGE,
                    unit=upload.case.unit,
                    obj=upload,
                    case_id=upload.case_id,
                    fields=["status", "content", "content_deleted_at"],
                    detail={"event": "expired"},
                )
                expired += 1
    return expired


def import_report_lines(upload: TimelineImport) -> list[dict[str, Any]]:
    return list(json.loads(upload.report)) if upload.report else []


__all__ = [
    "FileRefused",
    "import_report_lines",
    "timeline_import_cancel",
    "timeline_import_check",
    "timeline_import_confirm",
    "timeline_imports_expire",
]
