"""Writes to evidence: upload, and every link of the chain of custody.

Each custody entry and its audit row are written in one transaction; a custody entry names
its audit row, so the log on the item's page and the audit log cannot disagree.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.policy import Action, Compartment
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case
from masip.core.keyring import DecryptionError
from masip.evidence import bundle, storage
from masip.evidence.models import CustodyEntry, CustodyEvent, EvidenceItem, EvidenceKind
from masip.evidence.names import clean_filename
from masip.evidence.sniff import FileRefused, FileType, check_upload

# Evidence sits in the compartments of case data; victim contact details are not evidence.
EVIDENCE_COMPARTMENTS: tuple[Compartment, ...] = (
    Compartment.TEAM,
    Compartment.POLICE,
    Compartment.HEALTH,
    Compartment.ADVOCACY,
)
DESCRIPTION_MAX_LENGTH = 5000
HAND_OVER_REASON_MIN_LENGTH = 10
EXPORT_NOT_LISTED = (
    "One or more of the exhibits chosen is not on this case, or is not one you can see. "
    "Choose the exhibits again from the list."
)
_EXHIBIT_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 /._-]{0,63}$")


class IntegrityFailure(Exception):
    """The stored file no longer decrypts, or no longer matches the hash taken at upload."""

    def __init__(self, item: EvidenceItem, why: str, *, outcome: str = "It has not been sent.") -> None:
        super().__init__(
            f"Exhibit {item.exhibit_ref} failed its integrity check: {why} {outcome} "
            "Tell your unit manager at once: the original may need to be recovered from a backup."
        )
        self.item = item
        self.why = why


def size_text(size: int) -> str:
    mib = 1024 * 1024
    if size >= mib:
        return f"{size / mib:.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def too_large_message(limit: int) -> str:
    return (
        f"The file is larger than {size_text(limit)}, the most masip takes for one exhibit. "
        "Ask the police digital forensics team how to preserve larger files, or split a long recording."
    )


def _require(actor: Any, case: Case, compartment: str, action: Action, what: str) -> None:
    if not principal_for(actor).may(case.unit_id, compartment, action):
        label = Compartment(compartment).label
        raise PermissionDenied(f"Your role does not allow {what} evidence in the “{label}” compartment.")


def _custody(
    *,
    item: EvidenceItem,
    event: CustodyEvent,
    actor: Any,
    action: AuditAction,
    request: HttpRequest | None,
    recipient: str = "",
    reason: str = "",
    fields: tuple[str, ...] = (),
    detail: dict[str, Any] | None = None,
) -> CustodyEntry:
    with transaction.atomic():
        audit = audit_record(
            action=action,
            actor=actor,
            request=request,
            unit=item.case.unit,
            obj=item,
            case_id=item.case_id,
            fields=fields,
            justification=reason,
            detail={"custody": str(event), "exhibit": item.exhibit_ref, **(detail or {})},
        )
        return CustodyEntry.unscoped.create(
            item=item,
            event=event,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            occurred_at=audit.occurred_at,
            recipient=recipient,
            reason=reason,
            audit_seq=audit.seq,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )


def _next_exhibit_ref(case: Case) -> str:
    prefix = f"{case.reference}/EX/"
    numbers = [
        int(suffix)
        for ref in EvidenceItem.unscoped.filter(case=case, exhibit_ref__startswith=prefix).values_list(
            "exhibit_ref", flat=True
        )
        if (suffix := ref.removeprefix(prefix)).isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


def _clean_text(value: str, *, field: str, required: str, max_length: int) -> str:
    text = value.strip()
    if not text:
        raise ValidationError({field: required})
    if len(text) > max_length:
        raise ValidationError({field: f"Keep this to {max_length} characters or fewer."})
    return text


def evidence_upload(
    *,
    actor: Any,
    case: Case,
    data: bytes,
    file_name: str,
    compartment: str,
    kind: str,
    description: str,
    captured_by: str,
    captured_from: str,
    captured_at: datetime,
    exhibit_ref: str = "",
    request: HttpRequest | None = None,
) -> EvidenceItem:
    """Keep an uploaded file as an exhibit of `case`, encrypted, with its SHA-256.

    Guarantees: the actor's roles in the case's unit allow `create` in `compartment` (else
    PermissionDenied); a file that is empty, larger than MASIP_EVIDENCE_MAX_BYTES, of a type not
    accepted (detected from its bytes) or named like a program raises FileRefused; missing or
    invalid details raise ValidationError. In every refusal nothing is written. Otherwise the
    encrypted blob is on disk before the row, its audit row and the first custody entry commit
    together; if that transaction fails the blob is deleted, so there is never a row without
    its file nor a file left from a failed upload. The exhibit reference is `<CASE REF>/EX/nnn`
    (the next free number) unless the officer gives their own, unique on the case.
    """
    try:
        chosen = Compartment(compartment)
    except ValueError:
        raise ValidationError({"compartment": "Choose who may see this evidence."}) from None
    if chosen not in EVIDENCE_COMPARTMENTS:
        raise ValidationError({"compartment": "Choose who may see this evidence."})
    _require(actor, case, chosen, Action.CREATE, "adding")
    limit = settings.MASIP_EVIDENCE_MAX_BYTES
    if len(data) > limit:
        raise FileRefused(too_large_message(limit))
    file_type = check_upload(name=file_name, data=data)
    if kind not in EvidenceKind.values:
        raise ValidationError({"kind": "Choose what kind of evidence this is."})
    details = {
        "description": _clean_text(
            description,
            field="description",
            required="Describe the evidence.",
            max_length=DESCRIPTION_MAX_LENGTH,
        ),
        "captured_by": _clean_text(
            captured_by, field="captured_by", required="Enter who captured this evidence.", max_length=200
        ),
        "captured_from": _clean_text(
            captured_from,
            field="captured_from",
            required="Enter who or what it was obtained from, for example “the victim's phone”.",
            max_length=500,
        ),
    }
    if timezone.is_naive(captured_at):
        raise ValidationError({"captured_at": "Enter the date and time it was captured."})
    if captured_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"captured_at": "The date it was captured cannot be in the future."})
    own_ref = exhibit_ref.strip()
    if own_ref and not _EXHIBIT_REF.match(own_ref):
        raise ValidationError(
            {"exhibit_ref": "An exhibit number uses letters, digits, spaces and / . _ - only, up to 64 characters."}
        )
    sha256 = hashlib.sha256(data).hexdigest()
    blob_id = storage.new_blob_id()
    key_id = storage.blob_write(blob_id, data)
    try:
        with transaction.atomic():
            locked = Case.unscoped.select_for_update().get(pk=case.pk)
            ref = own_ref or _next_exhibit_ref(locked)
            if EvidenceItem.unscoped.filter(case=case, exhibit_ref=ref).exists():
                raise ValidationError(
                    {"exhibit_ref": f"Exhibit {ref} is already on this case. Use another exhibit number."}
                )
            item = EvidenceItem.unscoped.create(
                case=case,
                compartment=chosen,
                exhibit_ref=ref,
                kind=kind,
                file_name=clean_filename(file_name),
                content_type=file_type.mime,
                size=len(data),
                sha256=sha256,
                blob_id=blob_id,
                key_id=key_id,
                captured_at=captured_at,
                created_by=actor,
                **details,
            )
            _custody(
                item=item,
                event=CustodyEvent.UPLOADED,
                actor=actor,
                action=AuditAction.CREATE,
                request=request,
                fields=("file", "sha256", "exhibit_ref", "description", "captured_by", "captured_from", "captured_at"),
                detail={"sha256": sha256, "size": len(data), "type": file_type.mime},
            )
    except IntegrityError:
        storage.blob_delete(blob_id)
        raise ValidationError(
            {"exhibit_ref": "Someone else added an exhibit with this number at the same moment. Upload it again."}
        ) from None
    except BaseException:
        storage.blob_delete(blob_id)
        raise
    return item


def evidence_view_record(*, actor: Any, item: EvidenceItem, request: HttpRequest | None = None) -> CustodyEntry:
    """Record that the actor opened the exhibit's page (custody entry and audit `view`)."""
    _require(actor, item.case, item.compartment, Action.VIEW, "seeing")
    return _custody(
        item=item,
        event=CustodyEvent.VIEWED,
        actor=actor,
        action=AuditAction.VIEW,
        request=request,
        fields=("description", "captured_from", "file_name"),
    )


def _verified_hash(item: EvidenceItem) -> str | None:
    """Why the stored file fails its check, or None when it decrypts and matches its hash."""
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in storage.blob_chunks(item.blob_id):
            digest.update(chunk)
            size += len(chunk)
    except storage.BlobMissing:
        return "the stored file is missing."
    except DecryptionError as error:
        return f"{error}"
    if digest.hexdigest() != item.sha256 or size != item.size:
        return "the file no longer matches the SHA-256 taken when it was uploaded."
    return None


@dataclass(frozen=True)
class Download:
    item: EvidenceItem
    file_type: FileType
    chunks: Iterator[bytes]


def evidence_download(*, actor: Any, item: EvidenceItem, request: HttpRequest | None = None) -> Download:
    """The exhibit's original bytes, after checking them against the hash taken at upload.

    Guarantees: the actor may view the item's compartment (else PermissionDenied); a stored file
    that is missing, fails to decrypt or no longer matches its SHA-256 raises IntegrityFailure,
    recorded in the custody log and the audit log as a failed check, and nothing is sent;
    otherwise the download is a custody entry and an audit `export` row before any byte is sent.
    """
    _require(actor, item.case, item.compartment, Action.VIEW, "downloading")
    why = _verified_hash(item)
    if why is not None:
        _custody(
            item=item,
            event=CustodyEvent.INTEGRITY_FAILED,
            actor=actor,
            action=AuditAction.DENIED,
            request=request,
            detail={"reason": why},
        )
        raise IntegrityFailure(item, why)
    _custody(
        item=item,
        event=CustodyEvent.DOWNLOADED,
        actor=actor,
        action=AuditAction.EXPORT,
        request=request,
        fields=("file",),
        detail={"sha256": item.sha256},
    )
    return Download(item=item, file_type=item.file_type, chunks=storage.blob_chunks(item.blob_id))


def evidence_hand_over(
    *, actor: Any, item: EvidenceItem, recipient: str, reason: str, request: HttpRequest | None = None
) -> CustodyEntry:
    """Record that the exhibit was handed to someone outside the unit (CPS, another agency).

    Guarantees: the actor's roles allow `disclose` in the item's compartment (else
    PermissionDenied); a recipient and a reason of at least HAND_OVER_REASON_MIN_LENGTH
    characters are required (else ValidationError, nothing written); the custody entry and an
    audit `disclose` row with the reason as justification commit together.
    """
    _require(actor, item.case, item.compartment, Action.DISCLOSE, "handing over")
    who = _clean_text(
        recipient,
        field="recipient",
        required="Enter who received it, for example “CPS, Jane Smith (reviewing lawyer)”.",
        max_length=300,
    )
    why = _clean_text(reason, field="reason", required="Enter why it was handed over.", max_length=2000)
    if len(why) < HAND_OVER_REASON_MIN_LENGTH:
        raise ValidationError({"reason": f"Explain in at least {HAND_OVER_REASON_MIN_LENGTH} characters why."})
    return _custody(
        item=item,
        event=CustodyEvent.HANDED_OVER,
        actor=actor,
        action=AuditAction.DISCLOSE,
        request=request,
        recipient=who,
        reason=why,
        fields=("file", "recipient"),
    )


def _exportable(*, actor: Any, case: Case, evidence_ids: Iterable[Any]) -> list[EvidenceItem]:
    wanted: set[uuid.UUID] = set()
    for raw in evidence_ids:
        try:
            wanted.add(uuid.UUID(str(raw)))
        except ValueError:
            raise ValidationError({"exhibits": EXPORT_NOT_LISTED}) from None
    if not wanted:
        raise ValidationError({"exhibits": "Choose at least one exhibit to export."})
    items = list(
        EvidenceItem.objects.visible_to(actor, Action.VIEW)
        .filter(case=case, pk__in=wanted)
        .select_related("case__unit")
        .order_by("created_at", "exhibit_ref")
    )
    if len(items) != len(wanted):
        raise ValidationError({"exhibits": EXPORT_NOT_LISTED})
    principal = principal_for(actor)
    for item in items:
        if not principal.may(case.unit_id, item.compartment, Action.EXPORT):
            raise PermissionDenied(
                f"Your role does not allow exporting evidence in the “{item.get_compartment_display()}” "
                f"compartment, so exhibit {item.exhibit_ref} cannot be exported by you. Untick it, or ask "
                "someone who may export it."
            )
    return items


@dataclass(frozen=True)
class ExportBundle:
    """A built bundle: its name, size and SHA-256, the exhibits in it, and its bytes (once)."""

    file_name: str
    sha256: str
    size: int
    items: list[EvidenceItem]
    entries: list[CustodyEntry]
    chunks: Iterator[bytes]


def evidence_export(
    *,
    actor: Any,
    case: Case,
    evidence_ids: Iterable[Any],
    recipient: str,
    purpose: str,
    request: HttpRequest | None = None,
) -> ExportBundle:
    """Build one ZIP of the chosen exhibits of `case` and their manifest (see evidence.bundle).

    Guarantees: a recipient and a purpose are required, and at least one exhibit; an id that is
    not an exhibit of `case` the actor may view raises ValidationError, and one in a compartment
    where the actor's roles do not allow `export` raises PermissionDenied naming it; in these
    refusals nothing at all is written. Each exhibit is decrypted and re-hashed as it goes into
    the bundle: if any is missing, fails to decrypt or no longer matches its SHA-256, the whole
    export is refused with IntegrityFailure naming it, nothing is exported, and the failure is
    recorded in that exhibit's custody log (as a download's would be). Otherwise, in one
    transaction with the build, one audit `export` row (the purpose as justification, the
    bundle's SHA-256 and the exhibits in its detail) and an `exported` custody entry per
    exhibit naming the recipient, the purpose and the bundle's SHA-256 and that audit row.
    Evidence plaintext never touches the disk, and the bundle is never all in memory.
    """
    who = _clean_text(
        recipient,
        field="recipient",
        required="Enter who the evidence is for, for example “CPS, Jane Smith (reviewing lawyer)”.",
        max_length=300,
    )
    why = _clean_text(
        purpose,
        field="purpose",
        required="Enter why the evidence is being exported, for example “file for a charging decision”.",
        max_length=2000,
    )
    items = _exportable(actor=actor, case=case, evidence_ids=evidence_ids)
    custody: dict[Any, list[CustodyEntry]] = {}
    for entry in CustodyEntry.unscoped.filter(item__in=items).select_related("actor"):
        custody.setdefault(entry.item_id, []).append(entry)
    now = timezone.now()
    spool = bundle.SealedSpool()
    try:
        with transaction.atomic():
            sha256 = bundle.build(
                spool,
                export=bundle.Export(
                    case_reference=case.reference,
                    exported_by=str(actor),
                    exported_at=now,
                    recipient=who,
                    purpose=why,
                ),
                items=items,
                custody=custody,
            )
            audit = audit_record(
                action=AuditAction.EXPORT,
                actor=actor,
                request=request,
                unit=case.unit,
                object_type=EvidenceItem._meta.label_lower,
                case_id=case.pk,
                fields=("file", "recipient", "sha256", "description", "captured_from", "file_name"),
                justification=why,
                detail={
                    "custody": str(CustodyEvent.EXPORTED),
                    "exhibits": [item.exhibit_ref for item in items],
                    "items": [str(item.pk) for item in items],
                    "bundle_sha256": sha256,
                    "bundle_size": spool.size,
                },
            )
            entries = [
                CustodyEntry.unscoped.create(
                    item=item,
                    event=CustodyEvent.EXPORTED,
                    actor=actor,
                    occurred_at=audit.occurred_at,
                    recipient=who,
                    reason=why,
                    audit_seq=audit.seq,
                    bundle_sha256=sha256,
                    created_by=actor,
                )
                for item in items
            ]
    except bundle.ExhibitFailed as failed:
        spool.close()
        _custody(
            item=failed.item,
            event=CustodyEvent.INTEGRITY_FAILED,
            actor=actor,
            action=AuditAction.DENIED,
            request=request,
            detail={"reason": failed.why},
        )
        raise IntegrityFailure(
            failed.item, failed.why, outcome="Nothing has been exported: no exhibit was sent."
        ) from None
    except BaseException:
        spool.close()
        raise
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
    case_part = re.sub(r"[^A-Za-z0-9._-]+", "-", case.reference).strip("-.") or "case"
    return ExportBundle(
        file_name=f"{case_part}-evidence-{stamp}.zip",
        sha256=sha256,
        size=spool.size,
        items=items,
        entries=entries,
        chunks=spool.chunks(),
    )


@dataclass(frozen=True)
class VerifyReport:
    checked: int
    failures: list[tuple[EvidenceItem, str]]
    orphans: list[str]
    by_key: dict[str, int]


def evidence_verify_all() -> VerifyReport:
    """Check every exhibit's stored file decrypts and matches its SHA-256; list stray files.

    Read-only: it changes nothing and is meant to run from cron (manage.py verify_evidence).
    """
    failures: list[tuple[EvidenceItem, str]] = []
    known: set[str] = set()
    by_key: dict[str, int] = {}
    checked = 0
    for item in EvidenceItem.unscoped.select_related("case").order_by("case__reference", "exhibit_ref").iterator():
        checked += 1
        known.add(item.blob_id)
        by_key[item.key_id] = by_key.get(item.key_id, 0) + 1
        why = _verified_hash(item)
        if why is not None:
            failures.append((item, why))
    return VerifyReport(checked=checked, failures=failures, orphans=storage.blob_orphans(known), by_key=by_key)
