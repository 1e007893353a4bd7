"""A panel meeting in a real browser, from the generated agenda to approved minutes.

The chair builds the agenda (a case with a new red flag comes onto it), records who attended and
opens the meeting; at the item the officer records the discussion, and the chair the decision,
an action for the officer and the next review; the chair closes the meeting. The action is a task
on the officer's "My work". The officer downloads the minutes as a PDF, whose text names the
decision and the action; the probation member, who is on no case team, sees the item as
restricted. At the next meeting the panel approves the minutes, which are then locked.

Each person works in their own browser, signed in once with their password and app code."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from masip.access.models import CaseRole
from masip.accounts.models import AgencyKind, Role
from masip.panel.models import (
    AgendaItem,
    ItemReason,
    Meeting,
    MeetingMember,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    PanelAction,
)
from masip.timeline.models import RedFlagAlert
from masip.work.models import TaskKind
from tests.factories import AgencyFactory, CaseFactory, TeamMemberFactory, UnitFactory, member
from tests.panel.helpers import requires_pdf

from .signin import screenshot, sign_in

pytestmark = [pytest.mark.browser, requires_pdf]

DISCUSSION = "Contact resumed after the warning; he now waits near her workplace at lunchtime."
DECISION = "Apply for a Stalking Protection Order; the officer prepares the application."
ACTION = "Prepare the SPO application"


@pytest.fixture
def desk(browser: Any) -> Iterator[Callable[[], Any]]:
    contexts: list[Any] = []

    def new_page() -> Any:
        context = browser.new_context(locale="en-GB", timezone_id="Europe/London", accept_downloads=True)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


def _go(page: Any, server: Any, name: str, **kwargs: Any) -> None:
    page.goto(server.url + reverse(name, kwargs=kwargs))


def _main(page: Any) -> str:
    return str(page.locator("main").inner_text())


def _meeting(unit: Any, chair: Any, starts_in: timedelta, members: list[Any]) -> Meeting:
    starts = timezone.now().replace(second=0, microsecond=0) + starts_in
    meeting = Meeting.objects.create(
        unit=unit, chair=chair, starts_at=starts, ends_at=starts + timedelta(hours=2), location="Room 4"
    )
    for user in members:
        MeetingMember.objects.create(meeting=meeting, user=user, name=user.full_name, agency=user.agency)
    return meeting


def _open_with_everyone(page: Any, server: Any, meeting: Meeting) -> None:
    _go(page, server, "panel:meeting_attendance", meeting_id=meeting.pk)
    for radio in page.get_by_role("radio", name="Attended").all():
        radio.check()
    page.get_by_role("button", name="Record attendance and open the meeting").click()
    page.wait_for_url(re.compile(rf"/panel/meetings/{meeting.pk}/$"))
    assert "Quorate" in _main(page)


def test_a_meeting_from_its_generated_agenda_to_approved_minutes(
    live_server: Any, transactional_db: None, desk: Any
) -> None:
    unit = UnitFactory()
    police = AgencyFactory(kind=AgencyKind.POLICE, name="Northshire Police")
    nhs = AgencyFactory(kind=AgencyKind.NHS, name="Northshire NHS Trust")
    probation = AgencyFactory(kind=AgencyKind.PROBATION, name="Probation Service")
    chair = member(Role.UNIT_MANAGER, unit=unit, agency=police, full_name="Helen Marsh")
    officer = member(Role.POLICE_INVESTIGATOR, unit=unit, agency=police, full_name="Sam Okafor")
    clinician = member(Role.CLINICIAN, unit=unit, agency=nhs, full_name="Priya Nair")
    partner = member(Role.PARTNER_REFERRER, unit=unit, agency=probation, full_name="Karen Doyle")
    case = CaseFactory(unit=unit)
    for user, role in ((officer, CaseRole.LEAD_INVESTIGATOR), (clinician, CaseRole.LEAD_CLINICIAN)):
        TeamMemberFactory(case=case, user=user, role_on_case=role)
    # The last meeting was a fortnight ago; the red flag came after it.
    previous = _meeting(unit, chair, -timedelta(days=14), [chair])
    Meeting.objects.filter(pk=previous.pk).update(status=MeetingStatus.CLOSED)
    RedFlagAlert.unscoped.create(
        case=case,
        rule_key="breach",
        fingerprint="1" * 64,
        title="Order breached",
        explanation="He came to her workplace, which the order forbids.",
        occurred_on=timezone.localdate() - timedelta(days=2),
    )
    everyone = [chair, officer, clinician, partner]
    meeting = _meeting(unit, chair, timedelta(minutes=5), everyone)
    next_meeting = _meeting(unit, chair, timedelta(minutes=30), everyone)

    chairs_desk = desk()
    sign_in(chairs_desk, live_server, chair)
    # The chair builds the agenda: the case with the new red flag is on it, for that reason.
    _go(chairs_desk, live_server, "panel:agenda", meeting_id=meeting.pk)
    chairs_desk.get_by_role("button", name="Build the agenda").click()
    chairs_desk.wait_for_load_state()
    assert case.reference in _main(chairs_desk)
    item = AgendaItem.unscoped.get(meeting=meeting, case=case)
    assert ItemReason.RED_FLAG in item.reasons
    _open_with_everyone(chairs_desk, live_server, meeting)

    # The probation member is on no case team: the item is restricted for her.
    partners_desk = desk()
    sign_in(partners_desk, live_server, partner)
    _go(partners_desk, live_server, "panel:agenda", meeting_id=meeting.pk)
    assert "Item 1: restricted" in _main(partners_desk)
    assert case.reference not in _main(partners_desk)

    # The officer records what was said, in the team compartment.
    officers_desk = desk()
    sign_in(officers_desk, live_server, officer)
    _go(officers_desk, live_server, "panel:item_detail", meeting_id=meeting.pk, item_id=item.pk)
    assert "Order breached" in _main(officers_desk)  # what changed since the last meeting
    officers_desk.get_by_role("link", name="Record what was said").click()
    officers_desk.get_by_label("What was said").fill(DISCUSSION)
    officers_desk.get_by_role("button", name="Record the note").click()
    officers_desk.wait_for_url(re.compile(rf"/items/{item.pk}/$"))
    assert DISCUSSION in _main(officers_desk)

    # The chair records the decision, an action for the officer, and the outcome.
    _go(chairs_desk, live_server, "panel:item_detail", meeting_id=meeting.pk, item_id=item.pk)
    chairs_desk.get_by_role("link", name="Record a decision").click()
    chairs_desk.get_by_label("Civil or protective order").check()
    chairs_desk.get_by_label("In the panel's words").fill(DECISION)
    chairs_desk.get_by_role("button", name="Record the decision").click()
    chairs_desk.wait_for_url(re.compile(rf"/items/{item.pk}/$"))
    chairs_desk.get_by_role("link", name="Record an action").click()
    chairs_desk.get_by_label("Action", exact=True).fill(ACTION)
    chairs_desk.get_by_label("Owner").select_option(label="Sam Okafor (Northshire Police)")
    # A due date in the past is refused with a clear message; the form keeps what was entered.
    chairs_desk.get_by_label("Due date").fill((timezone.localdate() - timedelta(days=1)).isoformat())
    chairs_desk.get_by_role("button", name="Record the action").click()
    assert "There is a problem" in _main(chairs_desk)
    assert chairs_desk.get_by_label("Action", exact=True).input_value() == ACTION
    due = timezone.localdate() + timedelta(days=10)
    chairs_desk.get_by_label("Due date").fill(due.isoformat())
    chairs_desk.get_by_role("button", name="Record the action").click()
    chairs_desk.wait_for_url(re.compile(rf"/items/{item.pk}/$"))
    chairs_desk.get_by_role("link", name="Record the outcome").click()
    chairs_desk.get_by_label("Discussed", exact=True).check()
    chairs_desk.get_by_label("Next panel review").fill((timezone.localdate() + timedelta(days=28)).isoformat())
    chairs_desk.get_by_role("button", name="Record the outcome").click()
    chairs_desk.wait_for_url(re.compile(rf"/items/{item.pk}/$"))
    screenshot(chairs_desk, "panel-item")
    _go(chairs_desk, live_server, "panel:meeting_detail", meeting_id=meeting.pk)
    chairs_desk.get_by_role("button", name="Close the meeting").click()
    chairs_desk.wait_for_load_state()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED

    # The action is a task on the case, on the officer's "My work".
    action = PanelAction.unscoped.get(item=item)
    assert action.task.kind == TaskKind.PANEL_ACTION
    assert action.task.owner == officer
    assert action.task.due_date == due
    _go(officers_desk, live_server, "work:mine")
    assert ACTION in _main(officers_desk)

    # The officer downloads the minutes: a real PDF naming the discussion, decision and action.
    _go(officers_desk, live_server, "panel:minutes", meeting_id=meeting.pk)
    with officers_desk.expect_download() as download:
        officers_desk.get_by_role("link", name="Download as PDF").click()
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    text = " ".join(page.extract_text() for page in pdf.pages)
    text = re.sub(r"\s+", " ", text)
    for expected in (case.reference, "DRAFT", "Civil or protective order", ACTION, "Sam Okafor"):
        assert expected in text, f"{expected!r} is missing from the PDF"

    # At the next meeting the panel approves the minutes; they are then locked.
    _open_with_everyone(chairs_desk, live_server, next_meeting)
    # The meeting a fortnight ago has minutes to approve too; the panel approves today's.
    day = timezone.localtime(meeting.starts_at)
    chairs_desk.get_by_role("link", name=f"Approve the minutes of {day.day} {day:%B %Y}").click()
    chairs_desk.get_by_role("button", name="Approve and lock").click()
    chairs_desk.wait_for_load_state()
    minutes = Minutes.objects.get(meeting=meeting)
    assert minutes.status == MinutesStatus.APPROVED
    assert minutes.approved_at_meeting == next_meeting
    _go(chairs_desk, live_server, "panel:minutes", meeting_id=meeting.pk)
    assert "locked" in _main(chairs_desk).lower()
    # Recording at the approved meeting is refused with a clear message.
    _go(officers_desk, live_server, "panel_case:note_add", case_id=case.pk, item_id=item.pk)
    assert "approved" in _main(officers_desk)
    assert "locked" in _main(officers_desk)
    screenshot(chairs_desk, "panel-minutes-approved")
