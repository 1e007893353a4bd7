"""The demo unit's panel: a fortnightly meeting on Tuesdays, its last three meetings as they were
run (agenda, attendance, discussion in its compartments, decisions, actions that became tasks,
minutes approved at the following meeting, the latest still a draft), and its next meetings with
the next agenda built by the same service a chair uses.

The past is written directly, like the rest of the demo's history (the services stamp "now");
the present goes through the services, so their rules and audit apply.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from django.utils import timezone

from masip.access.models import CaseTeamMember
from masip.access.policy import Compartment
from masip.accounts.models import Membership, Unit, User
from masip.cases.models import Case, CaseStatus
from masip.panel.models import (
    AgendaItem,
    Attendance,
    DecisionOption,
    DiscussionNote,
    Frequency,
    ItemDecision,
    ItemReason,
    ItemStatus,
    Meeting,
    MeetingMember,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    PanelAction,
    PanelSchedule,
    Weekday,
)
from masip.panel.services_agenda import agenda_build
from masip.panel.services_items import decision_options_for
from masip.panel.services_meetings import schedule_generate
from masip.work.models import Task, TaskKind, TaskStatus

PAST_MEETINGS = 3
ITEMS_PER_MEETING = 5
START = time(10, 0)

TEAM_NOTES = (
    "Contact continues despite the warning; the victim has changed her route to work again.",
    "Messages have moved to new accounts each time one is blocked; the pattern is escalating.",
    "Quieter since the arrest, but the victim reports him driving past her home at night.",
    "Victim engaged well with the advocate; wants an order and is keeping her diary.",
    "Suspect now says he will 'wait as long as it takes'; fixation appears entrenched.",
)
POLICE_NOTES = (
    "Intelligence links the suspect to a second address near the victim's workplace.",
    "Pre-charge bail ends next month; the file goes to the CPS for a charging decision.",
)
HEALTH_NOTES = (
    "Assessed as suitable for the treatment programme; motivation fragile, attendance to be watched.",
    "Known to community mental health services; a referral back has been made.",
)
ACTIONS = (
    ("Prepare the Stalking Protection Order application", "police_investigator"),
    ("Review the safety plan with the victim", "stalking_advocate"),
    ("Complete the clinical risk formulation", "clinician"),
    ("Check the suspect's bail conditions with the custody sergeant", "police_investigator"),
    ("Arrange a home security visit", "stalking_advocate"),
)
ROUTES = (
    ("civil-order", "Apply for an SPO and ask for a positive requirement to attend treatment."),
    ("criminal-justice", "Pursue the s4A charge; gather the workplace CCTV."),
    ("psychological-intervention", "Offer the treatment programme once he is assessed."),
    ("social-support", "Support the victim's rehousing application."),
    ("refer-marac", "Refer to MARAC given the threats to the new partner."),
)


def _tuesdays_before(day: date, count: int) -> list[date]:
    last = day - timedelta(days=(day.weekday() - Weekday.TUESDAY) % 7 or 7)
    return [last - timedelta(days=14 * n) for n in reversed(range(count))]


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, START))


def demo_panel(*, unit: Unit, staff: dict[str, User], chair: User, partner: User, rng: random.Random) -> int:
    """Load the demo unit's panel; returns how many meetings it made."""
    # The unit's people who can sign in and attend panels (the colleagues who cannot are left out).
    attending = set(Membership.objects.filter(unit=unit, role__in=_PANEL_ROLES).values_list("user_id", flat=True))
    members = sorted(
        (user for user in staff.values() if user.has_usable_password() and user.pk in attending),
        key=lambda user: user.full_name,
    )
    schedule = PanelSchedule.objects.create(
        unit=unit,
        title="Northshire stalking panel",
        frequency=Frequency.FORTNIGHTLY,
        weekday=Weekday.TUESDAY,
        starts_on=_tuesdays_before(timezone.localdate(), PAST_MEETINGS)[0],
        start_time=START,
        duration_minutes=150,
        location="Conference room 2, Northshire Police HQ",
        chair=chair,
        created_by=chair,
    )
    schedule.members.set(members)
    options = {option.key: option for option in decision_options_for(unit=unit)}
    cases = list(Case.unscoped.filter(unit=unit).exclude(status=CaseStatus.CLOSED).order_by("reference"))
    teams = _teams(unit, cases)
    meetings = []
    for day in _tuesdays_before(timezone.localdate(), PAST_MEETINGS):
        open_then = [case for case in cases if timezone.localdate(case.opened_at) < day]
        chosen = rng.sample(open_then, min(ITEMS_PER_MEETING, len(open_then)))
        meetings.append(_past_meeting(schedule, day, members, partner, chosen, teams, options, rng))
    # Each meeting's minutes were approved at the next; the latest meeting's wait for the next one.
    for earlier, later in pairwise(meetings):
        Minutes.objects.filter(meeting=earlier).update(
            status=MinutesStatus.APPROVED,
            approved_at=later.starts_at + timedelta(minutes=5),
            approved_by=chair,
            approved_at_meeting=later,
        )
    upcoming = schedule_generate(actor=chair, schedule=schedule, weeks=6).made
    if upcoming:
        agenda_build(actor=chair, meeting=upcoming[0])
    return len(meetings) + len(upcoming)


_PANEL_ROLES = (
    "unit_manager",
    "police_investigator",
    "clinician",
    "stalking_advocate",
    "outreach_worker",
    "support_officer",
    "partner_referrer",
)


def _teams(unit: Unit, cases: Sequence[Case]) -> dict[object, dict[str, User]]:
    """Each case's current team by the member's role in the unit (one of each)."""
    working = ("police_investigator", "clinician", "stalking_advocate")
    roles = dict(Membership.objects.filter(unit=unit, role__in=working).values_list("user_id", "role"))
    teams: dict[object, dict[str, User]] = {case.pk: {} for case in cases}
    rows = CaseTeamMember.objects.filter(case__in=cases, until__isnull=True).select_related("user")
    for row in rows.order_by("since", "pk"):
        role = roles.get(row.user_id)
        if role:
            teams[row.case_id].setdefault(role, row.user)
    return teams


def _past_meeting(
    schedule: PanelSchedule,
    day: date,
    members: Sequence[User],
    partner: User,
    cases: Sequence[Case],
    teams: dict[object, dict[str, User]],
    options: dict[str, DecisionOption],
    rng: random.Random,
) -> Meeting:
    starts = _at(day)
    meeting = Meeting.objects.create(
        unit=schedule.unit,
        schedule=schedule,
        title=schedule.title,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=schedule.duration_minutes),
        location=schedule.location,
        chair=schedule.chair,
        status=MeetingStatus.CLOSED,
        opened_at=starts,
        closed_at=starts + timedelta(minutes=140),
        agenda_built_at=starts - timedelta(days=2),
        created_by=schedule.chair,
    )
    away = rng.choice([m for m in members if m not in (schedule.chair, partner)])
    MeetingMember.objects.bulk_create(
        MeetingMember(
            meeting=meeting,
            user=user,
            name=user.full_name,
            agency=user.agency or schedule.unit.lead_agency,
            attendance=Attendance.APOLOGIES if user == away else Attendance.ATTENDED,
        )
        for user in members
    )
    for position, case in enumerate(cases, start=1):
        _item(meeting, position, case, teams[case.pk], options, rng)
    Minutes.objects.create(meeting=meeting)
    return meeting


def _item(
    meeting: Meeting,
    position: int,
    case: Case,
    team: dict[str, User],
    options: dict[str, DecisionOption],
    rng: random.Random,
) -> None:
    discussed = meeting.starts_at + timedelta(minutes=20 * position)
    reasons = rng.sample([ItemReason.RED_FLAG, ItemReason.REVIEW_DUE, ItemReason.NEW_REFERRAL], k=rng.randint(1, 2))
    item = AgendaItem.unscoped.create(
        meeting=meeting,
        case=case,
        position=position,
        reasons=[str(reason) for reason in reasons],
        status=ItemStatus.DISCUSSED,
        discussed_at=discussed,
        next_review_on=meeting.starts_at.date() + timedelta(days=rng.choice((28, 42, 56))),
        created_by=meeting.chair,
    )
    author = team.get("police_investigator") or meeting.chair
    notes = [DiscussionNote(item=item, case=case, text=rng.choice(TEAM_NOTES), created_by=author)]
    if "police_investigator" in team and rng.random() < 0.5:
        notes.append(
            DiscussionNote(
                item=item,
                case=case,
                compartment=Compartment.POLICE,
                text=rng.choice(POLICE_NOTES),
                created_by=team["police_investigator"],
            )
        )
    if "clinician" in team and rng.random() < 0.4:
        notes.append(
            DiscussionNote(
                item=item,
                case=case,
                compartment=Compartment.HEALTH,
                text=rng.choice(HEALTH_NOTES),
                created_by=team["clinician"],
            )
        )
    DiscussionNote.unscoped.bulk_create(notes)
    key, words = rng.choice(ROUTES)
    ItemDecision.unscoped.create(item=item, case=case, option=options[key], detail=words, created_by=meeting.chair)
    title, role = rng.choice(ACTIONS)
    owner = team.get(role) or meeting.chair
    due = meeting.starts_at.date() + timedelta(days=rng.choice((7, 14, 21)))
    done = due < timezone.localdate() and rng.random() < 0.7
    task = Task.unscoped.create(
        case=case,
        title=title,
        owner=owner,
        due_date=due,
        kind=TaskKind.PANEL_ACTION,
        status=TaskStatus.DONE if done else TaskStatus.OPEN,
        closed_by=owner if done else None,
        closed_at=timezone.make_aware(datetime.combine(due, time(16, 0))) if done else None,
        created_by=meeting.chair,
    )
    PanelAction.unscoped.create(
        item=item,
        meeting=meeting,
        case=case,
        title=title,
        owner=owner,
        agency=owner.agency or case.unit.lead_agency,
        due_on=due,
        task=task,
        created_by=meeting.chair,
    )
