"""Evidence on a case: files kept encrypted, with their hash, exhibit reference and custody log."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from masip.access.managers import CaseScopedQuerySet, VisibleOnly
from masip.access.policy import Compartment
from masip.audit.models import AuditEvent
from masip.core.fields import EncryptedTextField
from masip.core.models import CaseDataModel
from masip.evidence.sniff import ACCEPTED_BY_MIME, FileType


class EvidenceKind(models.TextChoices):
    SCREENSHOT = "screenshot", "Screenshot"
    MESSAGE = "message", "Message (text, email, social media)"
    VOICEMAIL = "voicemail", "Voicemail or call recording"
    PHOTOGRAPH = "photograph", "Photograph"
    VIDEO = "video", "Video"
    DOCUMENT = "document", "Document"
    OTHER = "other", "Other"


class EvidenceItem(CaseDataModel):
    """One exhibit: a file as it was received, kept encrypted, and what is known of its capture."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="evidence")
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.TEAM)
    exhibit_ref = models.CharField("exhibit reference", max_length=64)
    kind = models.CharField(max_length=16, choices=EvidenceKind.choices)
    description = EncryptedTextField()
    captured_by = models.CharField(max_length=200, help_text="Who captured or seized it.")
    captured_from = EncryptedTextField(help_text="From whom or what it was obtained, e.g. the victim's phone.")
    captured_at = models.DateTimeField()
    # The uploaded name, cleaned (no path, no control characters); shown, never used on disk.
    file_name = EncryptedTextField()
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    blob_id = models.CharField(max_length=32, unique=True, editable=False)
    key_id = models.CharField(max_length=32, editable=False)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["case", "created_at"]
        constraints = [models.UniqueConstraint(fields=["case", "exhibit_ref"], name="evidence_exhibit_unique")]

    def __str__(self) -> str:
        return self.exhibit_ref

    @property
    def file_type(self) -> FileType:
        return ACCEPTED_BY_MIME[self.content_type]


class CustodyEvent(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    VIEWED = "viewed", "Viewed"
    DOWNLOADED = "downloaded", "Downloaded"
    EXPORTED = "exported", "Exported"
    HANDED_OVER = "handed_over", "Handed over"
    INTEGRITY_FAILED = "integrity_failed", "Integrity check failed"


class CustodyEntry(CaseDataModel):
    """One link in an exhibit's chain of custody. Append-only; each names its audit row."""

    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="custody")
    event = models.CharField(max_length=20, choices=CustodyEvent.choices)
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    recipient = EncryptedTextField(blank=True, help_text="Who received it, on a hand-over.")
    reason = EncryptedTextField(blank=True)
    # The `seq` of this entry's audit row. A number, not a foreign key: nothing may point into the
    # audit table, whose triggers alone decide that it is never truncated or rewritten. One row per
    # entry, except an export: its one audit row names every exhibit of the bundle.
    audit_seq = models.BigIntegerField(db_index=True)
    # On an export: the SHA-256 of the ZIP file sent, for the recipient to check what they received.
    bundle_sha256 = models.CharField("SHA-256 of the bundle", max_length=64, blank=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "item__case"
    access_compartment_field = "item__compartment"

    class Meta:
        ordering = ["occurred_at", "created_at"]
        verbose_name_plural = "custody entries"

    @property
    def audit_event(self) -> AuditEvent:
        return AuditEvent.objects.get(seq=self.audit_seq)

    def __str__(self) -> str:
        return f"{self.get_event_display()} {self.occurred_at:%Y-%m-%d %H:%M}"
