"""Importing a file of referrals: upload, dry run, confirmation, import (docs/referral-import.md).

Every row goes through `referral_receive`, the same service as the API, so a file is held to
the same rules. The dry run runs each row through it inside a transaction that is then rolled
back (row by row, so the audit chain's lock is never held for a whole file and the chain never
sees a row that was undone); the import runs each row in its own transaction, so a bad row
never loses a good one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.accounts.models import Agency, Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.core.csvfile import FileRefused
from masip.core.text import csv_safe
from masip.referrals.imports import (
    ParsedRow,
    count_rows,
    decode_upload,
    iter_rows,
    parse_row,
    read_header,
    row_reference,
)
from masip.referrals.models import IMPORT_ACTIVE_STATUSES, Channel, ImportJob, ImportStatus, Referral
from masip.referrals.services import ExternalReferenceConflict, ReferralDraft, referral_receive

logger = logging.getLogger(__name__)

# How often the job's progress is written for the page that polls it.
PROGRESS_EVERY_ROWS = 50
PROGRESS_EVERY_SECONDS = 1.0


class Outcome:
    CREATED = "created"
    ALREADY_RECEIVED = "already_received"
    REJECTED = "rejected"


OUTCOME_LABELS = {
    Outcome.CREATED: "Created",
    Outcome.ALREADY_RECEIVED: "Already received",
    Outcome.REJECTED: "Rejected",
}
DRY_RUN_LABELS = {**OUTCOME_LABELS, Outcome.CREATED: "Would be created"}


def _require_triage(actor: Any, unit_id: int) -> None:
    if not principal_for(actor).can(Capability.TRIAGE_REFERRALS, unit_id=unit_id):
        raise PermissionDenied("Your role does not allow importing referrals into this unit.")


# Upload ------------------------------------------------------------------------------------------


def import_job_create(
    *,
    actor: Any,
    unit: Unit,
    file_name: str,
    data: bytes,
    windows_1252: bool = False,
    request: HttpRequest | None = None,
) -> ImportJob:
    """Keep an uploaded file (encrypted) as an import job of `unit` and queue its dry run.

    Guarantees: the actor may triage the unit's referrals; a file larger than
    MASIP_IMPORT_MAX_BYTES, empty, binary, not in UTF-8 (or Windows-1252 when the actor says
    so), without a header naming the required columns, or without any row raises FileRefused
    and nothing is written. The job, its audit row and its queued dry run commit together.
    """
    _require_triage(actor, unit.pk)
    limit = settings.MASIP_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise FileRefused(too_large_message(limit))
    decoded = decode_upload(data, windows_1252=windows_1252)
    columns = read_header(decoded.text)
    total = count_rows(decoded.text, columns)
    if total == 0:
        raise FileRefused("The file has a header row but no referrals under it. Check you exported the right file.")
    import_jobs_expire()
    with transaction.atomic():
        job = ImportJob.unscoped.create(
            unit=unit,
            created_by=actor,
            file_name=file_name[:255],
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            encoding=decoded.encoding,
            content=decoded.text,
            total_rows=total,
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=unit,
            obj=job,
            fields=["file_name", "size", "sha256", "content"],
            detail={"event": "uploaded", "rows": total, "encoding": decoded.encoding},
        )
        from masip.referrals.tasks import check_referral_import

        check_referral_import.enqueue(str(job.pk))
    return job


def _size(limit: int) -> str:
    mib = 1024 * 1024
    return f"{limit // mib} MB" if limit >= mib else f"{max(1, limit // 1024)} KB"


def too_large_message(limit: int) -> str:
    return (
        f"The file is larger than {_size(limit)}, the most masip takes in one import. "
        "Split it into smaller files (each with the header row) and import them one after another."
    )


# Running a pass over the rows -------------------------------------------------------------------


class _DryRunRollback(Exception):
    """Undoes one row's dry run, carrying what the service answered."""

    def __init__(self, created: bool) -> None:
        super().__init__()
        self.created = created


@dataclass
class _Pass:
    job: ImportJob
    actor: Any
    dry_run: bool
    agencies: dict[str, Agency]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOME_LABELS, 0))
    entries: list[dict[str, Any]] = field(default_factory=list)
    # (agency id, reference) of rows taken so far in this file: line and what the row said.
    seen: dict[tuple[int, str], tuple[int, ReferralDraft, datetime | None]] = field(default_factory=dict)


def _agency_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _agencies() -> dict[str, Agency]:
    return {_agency_key(agency.name): agency for agency in Agency.objects.all()}


def _messages(error: ValidationError) -> str:
    return " ".join(dict.fromkeys(error.messages))


def _take_row(state: _Pass, line: int, reference: str, parsed: ParsedRow) -> tuple[str, str, str]:
    """(outcome, masip reference, reason) for one row."""
    if parsed.draft is None:
        return Outcome.REJECTED, "", " ".join(parsed.errors)
    agency = state.agencies.get(_agency_key(parsed.agency_name))
    if agency is None:
        return (
            Outcome.REJECTED,
            "",
            f"Unknown agency “{parsed.agency_name}”: masip has no agency of that name. Check the spelling "
            "against the agencies listed in masip, or ask your system administrator to add it.",
        )
    received_at = parsed.received_at()
    key = (agency.pk, reference)
    earlier = state.seen.get(key)
    if earlier is not None:
        if (earlier[1], earlier[2]) == (parsed.draft, received_at):
            return Outcome.ALREADY_RECEIVED, "", f"The same referral as line {earlier[0]} of this file."
        return (
            Outcome.REJECTED,
            "",
            f"Line {earlier[0]} of this file already uses the reference “{reference}” for {agency.name} "
            "with different content. Give each referral its own reference.",
        )
    try:
        if state.dry_run:
            try:
                with transaction.atomic():
                    referral, created = _receive(state, agency, parsed.draft, received_at)
                    raise _DryRunRollback(created)
            except _DryRunRollback as undone:
                created, masip_reference = undone.created, ""
        else:
            referral, created = _receive(state, agency, parsed.draft, received_at)
            masip_reference = referral.reference
    except ExternalReferenceConflict as conflict:
        # Named only when it is this unit's own referral: another unit's is not the importer's to know.
        existing = (
            Referral.unscoped.filter(source_agency=agency, external_reference=reference, unit=state.job.unit)
            .values_list("reference", flat=True)
            .first()
        )
        if existing is None:
            return Outcome.REJECTED, "", _messages(conflict)
        return (
            Outcome.REJECTED,
            "",
            f"Referral {existing} was already received from {agency.name} under the reference “{reference}” "
            "with different content. Nothing was changed: send the correction to the unit's screeners, or give "
            "this referral a new reference if it is a different one.",
        )
    except ValidationError as error:
        return Outcome.REJECTED, "", _messages(error)
    state.seen[key] = (line, parsed.draft, received_at)
    if created:
        return Outcome.CREATED, masip_reference, ""
    return Outcome.ALREADY_RECEIVED, masip_reference, "Received before, with the same content: nothing was changed."


def _receive(state: _Pass, agency: Agency, draft: ReferralDraft, received_at: datetime | None) -> tuple[Referral, bool]:
    return referral_receive(
        actor=state.actor,
        unit=state.job.unit,
        draft=draft,
        channel=Channel.IMPORT,
        received_at=received_at,
        source_agency=agency,
    )


def _run_pass(job: ImportJob, actor: Any, *, dry_run: bool) -> _Pass:
    columns = read_header(job.content)
    state = _Pass(job=job, actor=actor, dry_run=dry_run, agencies=_agencies())
    last_write = time.monotonic()
    for done, row in enumerate(iter_rows(job.content, columns), start=1):
        parsed = parse_row(row)
        try:
            outcome, masip_reference, reason = _take_row(state, row.line, row_reference(row), parsed)
        except PermissionDenied:
            raise
        except Exception:
            # One row must not cost the others: this one is reported, and the error logged.
            logger.exception("Import %s: line %s could not be taken", job.pk, row.line)
            outcome, masip_reference = Outcome.REJECTED, ""
            reason = "masip could not take this row because of an error on its side. Try importing it again later."
        state.counts[outcome] += 1
        state.entries.append(
            {
                "line": row.line,
                "reference": row_reference(row)[:64],
                "outcome": outcome,
                "referral": masip_reference,
                "reason": reason,
            }
        )
        if done % PROGRESS_EVERY_ROWS == 0 or time.monotonic() - last_write > PROGRESS_EVERY_SECONDS:
            _write_progress(job, done, state.counts)
            last_write = time.monotonic()
    return state


def _write_progress(job: ImportJob, done: int, counts: dict[str, int]) -> None:
    ImportJob.unscoped.filter(pk=job.pk).update(
        rows_done=done,
        to_create=counts[Outcome.CREATED],
        already_received=counts[Outcome.ALREADY_RECEIVED],
        rejected=counts[Outcome.REJECTED],
        updated_at=timezone.now(),
    )


def _finish(
    job: ImportJob,
    actor: Any,
    *,
    status: ImportStatus,
    state: _Pass | None = None,
    failure: str = "",
    keep_content: bool = False,
) -> None:
    now = timezone.now()
    running = job.status
    job.status = status
    job.failure = failure
    fields = ["status", "failure", "updated_at"]
    if state is not None:
        job.total_rows = job.rows_done = len(state.entries)
        job.to_create = state.counts[Outcome.CREATED]
        job.already_received = state.counts[Outcome.ALREADY_RECEIVED]
        job.rejected = state.counts[Outcome.REJECTED]
        job.report = json.dumps(state.entries)
        fields += ["total_rows", "rows_done", "to_create", "already_received", "rejected", "report"]
    if status == ImportStatus.CHECKED:
        job.checked_at = now
        fields.append("checked_at")
    if status in (ImportStatus.IMPORTED, ImportStatus.FAILED):
        job.finished_at = now
        fields.append("finished_at")
    if not keep_content:
        job.content = ""
        job.content_deleted_at = now
        fields += ["content", "content_deleted_at"]
    job.updated_at = now
    with transaction.atomic():
        # Only if nobody cancelled (or the sweep expired) the job while the pass ran: then the
        # pass's result is dropped, and the file is already gone.
        if not ImportJob.unscoped.filter(pk=job.pk, status=running).update(**{f: getattr(job, f) for f in fields}):
            return
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            unit=job.unit,
            obj=job,
            fields=[f for f in fields if f != "updated_at"],
            detail={
                "event": status.value,
                "created" if status == ImportStatus.IMPORTED else "to_create": job.to_create,
                "already_received": job.already_received,
                "rejected": job.rejected,
            },
        )


def _load(job_id: str, expected: ImportStatus) -> ImportJob | None:
    job = ImportJob.unscoped.select_related("unit", "created_by", "confirmed_by").filter(pk=job_id).first()
    if job is None or job.status != expected or not job.content:
        # Cancelled, expired or already run: a task delivered twice does nothing.
        return None
    return job


def _run(job: ImportJob, actor: Any, *, dry_run: bool) -> None:
    try:
        if not principal_for(actor).can(Capability.TRIAGE_REFERRALS, unit_id=job.unit_id):
            _finish(
                job,
                actor,
                status=ImportStatus.FAILED,
                failure="The person who started this import can no longer import referrals into this unit.",
            )
            return
        state = _run_pass(job, actor, dry_run=dry_run)
    except FileRefused as refused:
        _finish(job, actor, status=ImportStatus.FAILED, failure=str(refused))
        return
    except Exception:
        _finish(
            job,
            actor,
            status=ImportStatus.FAILED,
            failure="masip could not finish reading this file because of an error on its side. "
            "Rows imported before it stopped are kept; upload the file again to import the rest "
            "(rows already imported will show as already received).",
        )
        raise
    if dry_run:
        _finish(job, actor, status=ImportStatus.CHECKED, state=state, keep_content=True)
    else:
        _finish(job, actor, status=ImportStatus.IMPORTED, state=state)


def import_job_check(*, job_id: str) -> None:
    """The dry run (a background task): every row through the import's own checks, nothing kept.

    Guarantees: no referral, subject or audit row of a referral outlives the pass; the job ends
    `checked` with the counts and the report of every row, or `failed` (file deleted) when the
    file cannot be read to its end.
    """
    job = _load(job_id, ImportStatus.CHECKING)
    if job is not None:
        _run(job, job.created_by, dry_run=True)


def import_job_run(*, job_id: str) -> None:
    """The import (a background task), as the person who confirmed it.

    Guarantees: each row is received on its own (see `referral_receive`): a row is either a
    whole new referral, a referral already received with the same content, or rejected with its
    reason; the job ends `imported` with the counts and the report, and the file is deleted.
    """
    job = _load(job_id, ImportStatus.IMPORTING)
    if job is not None:
        _run(job, job.confirmed_by, dry_run=False)


# What the person does with a checked file -------------------------------------------------------


def import_job_confirm(*, actor: Any, job: ImportJob, request: HttpRequest | None = None) -> ImportJob:
    """Start the import of a checked file.

    Guarantees: only the person who uploaded the file, still allowed to triage the unit's
    referrals, can confirm; only a job that is `checked` (not expired, cancelled or already
    started: a second click changes nothing); the change, its audit row and the queued import
    commit together.
    """
    _require_triage(actor, job.unit_id)
    if job.created_by_id != actor.pk:
        raise ValidationError("Only the person who uploaded this file can import it. Upload it yourself to import it.")
    with transaction.atomic():
        now = timezone.now()
        updated = ImportJob.unscoped.filter(pk=job.pk, status=ImportStatus.CHECKED).update(
            status=ImportStatus.IMPORTING, confirmed_by=actor, confirmed_at=now, rows_done=0, updated_at=now
        )
        if updated != 1:
            job.refresh_from_db()
            raise ValidationError(f"This import is “{job.get_status_display()}”, so it cannot be started now.")
        job.refresh_from_db()
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=job.unit,
            obj=job,
            fields=["status", "confirmed_by", "confirmed_at"],
            detail={"event": "confirmed"},
        )
        from masip.referrals.tasks import run_referral_import

        run_referral_import.enqueue(str(job.pk))
    job.refresh_from_db()
    return job


def import_job_cancel(*, actor: Any, job: ImportJob, request: HttpRequest | None = None) -> ImportJob:
    """Drop a file that was checked but not imported: the file is deleted at once.

    Guarantees: the actor may triage the unit's referrals; only a job still being checked or
    waiting for confirmation can be cancelled; nothing was imported from it.
    """
    _require_triage(actor, job.unit_id)
    now = timezone.now()
    with transaction.atomic():
        updated = ImportJob.unscoped.filter(pk=job.pk, status__in=[ImportStatus.CHECKING, ImportStatus.CHECKED]).update(
            status=ImportStatus.CANCELLED, content="", content_deleted_at=now, updated_at=now
        )
        if updated != 1:
            job.refresh_from_db()
            raise ValidationError(f"This import is “{job.get_status_display()}”, so it cannot be cancelled.")
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=job.unit,
            obj=job,
            fields=["status", "content"],
            detail={"event": "cancelled"},
        )
    job.refresh_from_db()
    return job


def import_jobs_expire(*, now: datetime | None = None) -> int:
    """Delete the files of jobs left unfinished for longer than MASIP_IMPORT_RETENTION.

    Guarantees: such a job becomes `expired`, its file is gone and the expiry is audited; a
    finished job has no file to delete. Returns the number of jobs expired.
    """
    cutoff = (now or timezone.now()) - settings.MASIP_IMPORT_RETENTION
    stale = list(
        ImportJob.unscoped.filter(status__in=IMPORT_ACTIVE_STATUSES, updated_at__lt=cutoff).values_list("pk", "unit_id")
    )
    expired = 0
    for pk, unit_id in stale:
        with transaction.atomic():
            moment = timezone.now()
            if ImportJob.unscoped.filter(pk=pk, status__in=IMPORT_ACTIVE_STATUSES, updated_at__lt=cutoff).update(
                status=ImportStatus.EXPIRED, content="", content_deleted_at=moment, updated_at=moment
            ):
                audit_record(
                    action=AuditAction.CHANGE,
                    unit=Unit.objects.get(pk=unit_id),
                    object_type=ImportJob._meta.label_lower,
                    object_id=pk,
                    fields=["status", "content"],
                    detail={"event": "expired"},
                )
                expired += 1
    return expired


# The report ---------------------------------------------------------------------------------------


def import_report_entries(job: ImportJob) -> list[dict[str, Any]]:
    return list(json.loads(job.report)) if job.report else []


REPORT_COLUMNS = ("line", "reference", "outcome", "masip_referral", "reason")


def import_report_csv(*, actor: Any, job: ImportJob, request: HttpRequest | None = None) -> str:
    """The job's report as CSV, one line per row of the file, audited as an export.

    Every cell goes through `csv_safe`: a reference or reason quoting `=HYPERLINK(...)` from
    the file is shown as text by a spreadsheet, never evaluated.
    """
    _require_triage(actor, job.unit_id)
    entries = import_report_entries(job)
    labels = DRY_RUN_LABELS if job.status == ImportStatus.CHECKED else OUTCOME_LABELS
    out = io.StringIO()
    out.write("\ufeff")  # the byte-order mark makes spreadsheets read the file as UTF-8
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    for entry in entries:
        writer.writerow(
            _safe_cells(
                [
                    str(entry["line"]),
                    entry["reference"],
                    labels.get(entry["outcome"], entry["outcome"]),
                    entry.get("referral", ""),
                    entry["reason"],
                ]
            )
        )
    audit_record(
        action=AuditAction.EXPORT,
        actor=actor,
        request=request,
        unit=job.unit,
        obj=job,
        fields=["report"],
        detail={"rows": len(entries), "format": "csv"},
    )
    return out.getvalue()


def _safe_cells(cells: Iterable[str]) -> list[str]:
    return [csv_safe(cell) for cell in cells]
