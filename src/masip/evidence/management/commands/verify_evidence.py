"""`manage.py verify_evidence`: check every exhibit's stored file against its SHA-256."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from masip.evidence.services import evidence_verify_all


class Command(BaseCommand):
    help = (
        "Decrypt every stored evidence file and compare it with the SHA-256 taken at upload. "
        "Exits non-zero if any file is missing, fails to decrypt or no longer matches."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = evidence_verify_all()
        for item, why in report.failures:
            self.stderr.write(f"MISMATCH case {item.case.reference} exhibit {item.exhibit_ref} (id {item.pk}): {why}")
        for name in report.orphans:
            self.stdout.write(f"Stray file with no exhibit (left by an interrupted upload or key rotation?): {name}")
        for key_id, count in sorted(report.by_key.items()):
            self.stdout.write(f"{count} evidence files are encrypted with key {key_id!r}: keep it in MASIP_KEYS.")
        if report.failures:
            raise CommandError(f"{len(report.failures)} of {report.checked} evidence files failed their check.")
        self.stdout.write(self.style.SUCCESS(f"All {report.checked} evidence files decrypt and match their SHA-256."))
