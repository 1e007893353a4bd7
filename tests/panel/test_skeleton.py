"""The panel's shared rules: who sees a meeting, the quorum, and entitlement to items."""

import pytest
from django.core.exceptions import ValidationError

from masip.panel.models import AgendaItem, Attendance, Meeting, PanelSettings
from masip.panel.rules import annex_compartments, ensure_quorate, entitled_items, quorum_for
from tests.factories import member
from tests.panel.helpers import make_panel

pytestmark = pytest.mark.django_db


def test_members_see_their_meeting_and_others_do_not():
    panel = make_panel()
    outsider = member("police_investigator", unit=panel.unit)
    assert list(Meeting.objects.visible_to(panel.partner)) == [panel.meeting]
    assert list(Meeting.objects.visible_to(outsider)) == []
    # The chair role sees every meeting of its unit, member or not.
    assert list(Meeting.objects.visible_to(member("unit_manager", unit=panel.unit))) == [panel.meeting]
    assert list(Meeting.objects.visible_to(member("unit_manager"))) == []


def test_quorum_counts_members_agencies_and_police():
    panel = make_panel()
    assert not quorum_for(panel.meeting).met
    with pytest.raises(ValidationError, match="not quorate"):
        ensure_quorate(panel.meeting)
    panel.meeting.members.filter(user__in=[panel.clinician, panel.advocate, panel.partner]).update(
        attendance=Attendance.ATTENDED
    )
    quorum = quorum_for(panel.meeting)
    assert not quorum.met
    assert quorum.shortfalls == ["no police member attending"]
    PanelSettings.objects.create(unit=panel.unit, quorum_requires_police=False)
    assert quorum_for(panel.meeting).met


def test_a_member_is_entitled_to_the_items_of_cases_they_may_see():
    panel = make_panel()
    item = AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.case, position=1)
    other = AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.other_case, position=2)
    items = [item, other]
    assert entitled_items(panel.member_of(panel.officer), items) == {item.pk}
    assert entitled_items(panel.member_of(panel.partner), items) == set()
    assert entitled_items(panel.member_of(panel.chair), items) == {item.pk, other.pk}
    assert [str(c) for c in annex_compartments(panel.member_of(panel.officer), panel.unit.pk)] == ["police"]
    # The clinician's agency is entitled to the health annex; the chair's (police) agency is, but
    # the manager's role may not read police material beyond viewing: viewing is enough.
    assert [str(c) for c in annex_compartments(panel.member_of(panel.clinician), panel.unit.pk)] == ["health"]
    assert annex_compartments(panel.member_of(panel.partner), panel.unit.pk) == []
