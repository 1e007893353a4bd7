"""The behaviour taxonomy is data: mirrored into the table on migrate, and a code marked
inactive stops being offered (and accepted) while entries naming it keep it."""

from __future__ import annotations

import pytest

from masip.accounts.models import Role
from masip.timeline.models import BehaviourType
from masip.timeline.selectors import behaviour_choices_grouped
from masip.timeline.services import EntryRules
from masip.timeline.taxonomy import behaviours_sync, taxonomy
from tests.timeline.helpers import draft, on_team

pytestmark = pytest.mark.django_db


def test_every_behaviour_of_the_file_has_an_active_row_after_migrate():
    rows = {b.code: b for b in BehaviourType.objects.all()}
    for behaviour in taxonomy().behaviours:
        assert rows[behaviour.code].label == behaviour.label
        assert rows[behaviour.code].group == behaviour.group
        assert rows[behaviour.code].active


def test_a_code_made_inactive_stops_being_offered_and_accepted():
    BehaviourType.objects.filter(code="comm_letter").update(active=False)
    offered = {code for _, choices in behaviour_choices_grouped() for code, _ in choices}
    assert "comm_letter" not in offered
    assert "comm_text" in offered
    case, user = on_team(Role.OUTREACH_WORKER)
    with pytest.raises(Exception, match="does not offer the behaviour “comm_letter”"):
        EntryRules(case=case, actor=user).check(draft(behaviour_codes=["comm_letter"]))
    # An entry being edited keeps the code it already has.
    EntryRules(case=case, actor=user, keep_codes=["comm_letter"]).check(draft(behaviour_codes=["comm_letter"]))


def test_a_row_the_file_no_longer_lists_is_kept_but_not_offered():
    BehaviourType.objects.create(code="retired_code", label="Retired", group="communication")
    behaviours_sync()
    assert not BehaviourType.objects.get(code="retired_code").active
