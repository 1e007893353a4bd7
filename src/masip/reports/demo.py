"""The demo unit's reporting: an export key for its evaluation, so that the analyst can take a
pseudonymised export at once (the unit manager made it, as in a live unit)."""

from __future__ import annotations

from masip.accounts.models import Unit, User
from masip.reports.models import ExportKey
from masip.reports.services_exports import export_key_create

DEMO_EXPORT_KEY = "Demo evaluation (university partner)"


def demo_reports(*, unit: Unit, manager: User) -> ExportKey:
    return export_key_create(actor=manager, unit=unit, name=DEMO_EXPORT_KEY)
