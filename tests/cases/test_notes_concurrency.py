"""Two people saving the same note at the same moment, on real connections."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from masip.access.policy import Compartment
from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import CaseNote, CaseNoteRevision
from masip.cases.services import case_note_edit
from masip.core.models import StaleEditError
from tests.factories import CaseFactory, CaseNoteFactory, TeamMemberFactory, member


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks across connections (PostgreSQL)")
def test_only_one_of_two_simultaneous_edits_lands_and_the_other_sees_it(transactional_db: None) -> None:
    case = CaseFactory()
    editors = [member(Role.POLICE_INVESTIGATOR, unit=case.unit), member(Role.UNIT_MANAGER, unit=case.unit)]
    for editor in editors:
        TeamMemberFactory(case=case, user=editor)
    note = CaseNoteFactory(case=case, compartment=Compartment.TEAM, body="Original.", created_by=editors[0])
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def edit(editor: Any, body: str) -> None:
        from django.db import connections

        seen = CaseNote.unscoped.select_related("case", "case__unit").get(pk=note.pk)
        start.wait()
        try:
            case_note_edit(actor=editor, note=seen, expected_version=seen.version, body=body)
            outcomes[body] = "saved"
        except StaleEditError as stale:
            outcomes[body] = f"stale, current: {stale.current.body}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit, args=(e, f"Version by {e.pk}.")) for e in editors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values())[0] == "saved"
    stored = CaseNote.unscoped.get(pk=note.pk)
    assert stored.version == 2
    winner = next(body for body, outcome in outcomes.items() if outcome == "saved")
    loser = next(body for body, outcome in outcomes.items() if outcome != "saved")
    assert stored.body == winner
    assert outcomes[loser] == f"stale, current: {winner}"
    assert list(CaseNoteRevision.unscoped.values_list("version", "body")) == [(1, "Original.")]
    assert AuditEvent.objects.filter(action=AuditAction.CHANGE).count() == 1
