"""Delete the files of referral imports left unfinished past MASIP_IMPORT_RETENTION."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from masip.referrals.import_services import import_jobs_expire


class Command(BaseCommand):
    help = "Delete the uploaded files of referral imports nobody finished within MASIP_IMPORT_RETENTION (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = import_jobs_expire()
        self.stdout.write(f"{expired} unfinished import{'s' if expired != 1 else ''} expired and deleted.")
