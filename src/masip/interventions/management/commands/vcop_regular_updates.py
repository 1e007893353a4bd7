"""`manage.py vcop_regular_updates`: bring every victim's open regular Victims' Code update in
line with what was agreed with them. Safe to run any number of times.

Not needed day to day: the regular update is made, moved or withdrawn whenever what was agreed
changes or an update is given, and it turns overdue on its own as days pass. Run it once after
upgrading (victims who agreed a frequency before regular updates existed get theirs), and
whenever a check is wanted (e.g. with the daily `apply_work_rules`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from masip.interventions.services_vcop import regular_updates_sync_all


class Command(BaseCommand):
    help = "Make, move or withdraw each victim's regular Victims' Code update as agreed. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        victims, open_now = regular_updates_sync_all()
        self.stdout.write(f"{victims} victims' agreements checked; {open_now} regular updates to give.")
