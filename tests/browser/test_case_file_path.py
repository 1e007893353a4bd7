"""The case file in a real browser: a screened referral is accepted and opens a case, the unit
manager allocates the team, a clinician's health-only note stays hidden from the advocate until
a summary is released, evidence is uploaded with its SHA-256 shown, the review the risk level
sets is on the case's tasks, and the case is moved through its workflow and closed.

Each person works in their own browser, signed in once with their password and app code."""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Role
from masip.cases.models import Case, CaseNote, CaseStatus, RiskLevel
from masip.evidence.models import EvidenceItem
from masip.referrals.models import Referral
from masip.referrals.services import screening_save
from masip.work.models import Task, TaskKind, TaskStatus
from masip.work.rules import work_rules_for
from tests.factories import UnitFactory, member
from tests.referrals.helpers import submitted_referral

from .signin import screenshot, sign_in

pytestmark = pytest.mark.browser

ACCEPT_REASONS = "Fixated ex-partner, nightly messages and waiting outside her work: meets the unit's threshold."
CLINICAL_NOTE = (
    "Assessment with the GP's letter: he describes intrusive thoughts about her, drinks heavily at "
    "night and has stopped his antidepressants."
)
SUMMARY = "Clinical assessment done: the risk of him turning up rises when he drinks. Tell me of any new contact."
EXHIBIT_DESCRIPTION = "Screenshot of the message sent at 02:14 saying she would regret leaving him."


def _png(width: int = 6, height: int = 4) -> bytes:
    """A small but real PNG image: a red rectangle."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes((200, 30, 30)) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _day(value: Any) -> str:
    """A date as the task tables show it: 7 Apr 2026."""
    return f"{value.day} {value:%b %Y}"


@pytest.fixture
def desk(browser: Any) -> Iterator[Callable[[], Any]]:
    """A fresh browser window for each person, as if on their own computer."""
    contexts: list[Any] = []

    def new_page() -> Any:
        context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


def _set_up() -> dict[str, Any]:
    unit = UnitFactory(name="Thames Valley Stalking Unit", code="TVS")
    people = {
        "manager": member(Role.UNIT_MANAGER, unit=unit, full_name="Morgan Reid"),
        "investigator": member(Role.POLICE_INVESTIGATOR, unit=unit, full_name="Sam Okafor"),
        "clinician": member(Role.CLINICIAN, unit=unit, full_name="Leah Byrne"),
        "advocate": member(Role.STALKING_ADVOCATE, unit=unit, full_name="Jo Ellis"),
    }
    referral = submitted_referral(unit=unit)  # victim Alice Hart, suspect Robert Mason
    screening_save(
        actor=people["investigator"],
        referral=referral,
        fixated="yes",
        obsessive="yes",
        unwanted="yes",
        repeated="yes",
        answers={},
        notes="Spoke to the officer in the case: he has a key to her flat.",
    )
    return {"unit": unit, "referral": referral, **people}


def _nav(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Menu").get_by_role("link", name=name).click()


def _main(page: Any) -> str:
    return str(page.locator("main").inner_text())


def _open_my_case(page: Any, server: Any, case: Case) -> None:
    """From "My work", the case in the table of cases the person is on the team of."""
    _nav(page, "My work")
    page.wait_for_url(server.url + reverse("work:mine"))
    mine = page.get_by_role("table", name="Open cases where you are on the case team")
    mine.get_by_role("link", name=case.reference, exact=True).click()
    page.wait_for_url(server.url + reverse("cases:detail", kwargs={"case_id": case.pk}))


def _accept(page: Any, server: Any, referral: Referral) -> Case:
    """As the investigator who screened it: the queue, the referral, the triage decision."""
    _nav(page, "Screening queue")
    page.wait_for_url(server.url + reverse("referrals:queue"))
    page.get_by_role("link", name=referral.reference, exact=True).click()
    page.wait_for_url(server.url + reverse("referrals:screen", kwargs={"referral_id": referral.pk}))
    page.get_by_role("link", name="Record the triage decision").click()
    page.wait_for_url(server.url + reverse("referrals:decide", kwargs={"referral_id": referral.pk}))
    page.get_by_label("Accepted for unit risk management").check()
    page.get_by_label("Reasons for the decision").fill(ACCEPT_REASONS)
    screenshot(page, "case-file-1-decision")
    page.get_by_role("button", name="Record decision").click()

    page.wait_for_url(re.compile(r"/cases/[^/]+/$"))
    case = Case.unscoped.get(referrals=referral)
    assert page.url == server.url + reverse("cases:detail", kwargs={"case_id": case.pk})
    page.get_by_text(f"Referral {referral.reference} accepted. Case {case.reference} is open.").wait_for()
    page.get_by_role("heading", name=f"Case {case.reference}").wait_for()
    main = _main(page)
    for shown in ("Open", "Not yet assessed", "Alice Hart", "Robert Mason", "Sam Okafor"):
        assert shown in main, shown
    return case


def _check_review_task(page: Any, case: Case) -> None:
    """The case opens not yet assessed: the unit's review rule has put a review on its tasks."""
    review = Task.unscoped.get(case=case, kind=TaskKind.REVIEW, status=TaskStatus.OPEN)
    due = work_rules_for(unit_id=case.unit_id).review_due(RiskLevel.NOT_ASSESSED, timezone.localdate(case.opened_at))
    assert review.due_date == due
    page.get_by_role("heading", name="Tasks").wait_for()
    tasks = page.get_by_role("table", name="Open tasks on this case")
    row = tasks.get_by_role("row", name=re.compile(re.escape(review.title)))
    assert "Case review" in row.inner_text()
    assert _day(due) in row.inner_text()
    assert "Sam Okafor" in row.inner_text()  # the only lead-like member so far: who accepted it
    assert review.title == "Review the case (risk not yet assessed)"
    assert "Make first contact with the victim" in tasks.inner_text()


def _allocate(page: Any, server: Any, case: Case, person: str, role: str, purpose: str) -> None:
    form = page.get_by_role("heading", name="Allocate someone")
    form.wait_for()
    page.get_by_label("Person", exact=True).select_option(label=person)
    page.get_by_label(role, exact=True).check()
    page.get_by_label("Purpose").fill(purpose)
    page.get_by_role("button", name="Allocate", exact=True).click()
    name = person.split(" (")[0]
    page.get_by_text(f"{name} joined case {case.reference} as {role}.").wait_for()


def _allocate_team(page: Any, server: Any, case: Case) -> None:
    """As the unit manager: the case from the unit's cases, then the team page."""
    _nav(page, "Cases")
    page.wait_for_url(re.compile(re.escape(server.url + reverse("cases:list"))))
    page.get_by_role("link", name=case.reference, exact=True).click()
    page.wait_for_url(server.url + reverse("cases:detail", kwargs={"case_id": case.pk}))
    page.get_by_role("link", name="Allocate or reallocate the case team").click()
    page.wait_for_url(server.url + reverse("cases:team", kwargs={"case_id": case.pk}))
    _allocate(page, server, case, "Leah Byrne (Clinician)", "Lead clinician", "Clinical assessment of the suspect")
    _allocate(page, server, case, "Jo Ellis (Stalking advocate (ISAC))", "Stalking advocate (ISAC)", "ISAC for Alice")
    members = page.get_by_role("table", name="Members, past and present")
    for name, role in (("Leah Byrne", "Lead clinician"), ("Jo Ellis", "Stalking advocate (ISAC)")):
        row = members.get_by_role("row", name=re.compile(name))
        assert role in row.inner_text()
        assert "Still on the team" in row.inner_text()
    screenshot(page, "case-file-2-team")


def _write_health_note(page: Any, server: Any, case: Case) -> CaseNote:
    _open_my_case(page, server, case)
    page.get_by_role("heading", name="Add a note").wait_for()
    page.get_by_label("Clinical (health) only").check()
    page.get_by_label("Note", exact=True).fill(CLINICAL_NOTE)
    page.get_by_role("button", name="Add note").click()
    page.get_by_text("Note added. Only people allowed the “Clinical (health) only” compartment can read it.").wait_for()
    assert CLINICAL_NOTE in _main(page)
    note = CaseNote.unscoped.get(case=case, compartment="health", created_by__full_name="Leah Byrne")
    return note


def _note_pages(case: Case, note: CaseNote) -> list[str]:
    kwargs = {"case_id": case.pk, "note_id": note.pk}
    return [reverse(f"cases:{name}", kwargs=kwargs) for name in ("note_history", "note_edit", "note_release")]


def _advocate_cannot_read(page: Any, server: Any, case: Case, note: CaseNote) -> None:
    assert CLINICAL_NOTE not in _main(page)
    assert "intrusive thoughts" not in page.content()
    # Nor on the note's own pages, even with their addresses: not found, or (releasing, which
    # only a clinician may do at all) refused before the note is looked up.
    for path in _note_pages(case, note):
        response = page.goto(server.url + path)
        assert response.status in (403, 404), path
        assert "intrusive thoughts" not in page.content(), path
    page.goto(server.url + reverse("cases:detail", kwargs={"case_id": case.pk}))


def _release_summary(page: Any, server: Any, case: Case) -> None:
    page.reload()
    page.get_by_role("link", name="Release a summary to the team").click()
    page.wait_for_url(re.compile(r"/release/$"))
    page.get_by_role("heading", name="Release a summary to the team").wait_for()
    page.get_by_label("Summary for the case team").fill(SUMMARY)
    screenshot(page, "case-file-4-release")
    page.get_by_role("button", name="Release summary to the team").click()
    page.wait_for_url(server.url + reverse("cases:detail", kwargs={"case_id": case.pk}) + "#notes")
    page.get_by_text("Summary released to the case team.").wait_for()


def _upload_evidence(page: Any, server: Any, case: Case) -> str:
    image = _png()
    digest = hashlib.sha256(image).hexdigest()
    page.get_by_role("link", name="Upload evidence").click()
    page.wait_for_url(server.url + reverse("evidence:upload", kwargs={"case_id": case.pk}))
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "message-0214.png", "mimeType": "image/png", "buffer": image}
    )
    page.get_by_label("Screenshot", exact=True).check()
    page.get_by_label("Description").fill(EXHIBIT_DESCRIPTION)
    page.get_by_label("Captured by").fill("PC 1234 Jones")
    page.get_by_label("Obtained from").fill("Alice Hart's phone")
    # Yesterday: 09:30 today is still to come when the suite runs in the early hours.
    page.get_by_label("Date captured").fill((timezone.localdate() - timedelta(days=1)).strftime("%d/%m/%Y"))
    page.get_by_label("Time captured").fill("09:30")
    page.get_by_label("Case team").check()
    screenshot(page, "case-file-6-upload")
    page.get_by_role("button", name="Upload evidence").click()
    # The exhibit exists once the browser has been sent to its page (a slow machine may take a while).
    page.wait_for_url(re.compile(re.escape(server.url + f"/cases/{case.pk}/evidence/") + r"[0-9a-f-]{36}/$"))
    item = EvidenceItem.unscoped.get(case=case)
    assert page.url == server.url + reverse("evidence:detail", kwargs={"case_id": case.pk, "evidence_id": item.pk})
    page.get_by_text(f"Exhibit {item.exhibit_ref} saved. Its SHA-256 is {digest}.").wait_for()
    page.get_by_role("heading", name=f"Exhibit {item.exhibit_ref}").wait_for()
    assert page.get_by_text(digest, exact=True).count() == 1  # the SHA-256 row, beside the message
    assert "PNG image" in _main(page)
    screenshot(page, "case-file-7-exhibit")
    return digest


def _move(page: Any, server: Any, case: Case, to: str, reason: str = "") -> None:
    page.get_by_role("link", name="Change status").click()
    page.wait_for_url(server.url + reverse("cases:status", kwargs={"case_id": case.pk}))
    page.get_by_label(to, exact=True).check()
    if reason:
        page.get_by_role("textbox", name=re.compile(r"^Reason\b")).fill(reason)


def _close(page: Any, server: Any, case: Case) -> None:
    """As the unit manager: active risk management, review, then closed with its reason and risk."""
    _move(page, server, case, "Active risk management")
    page.get_by_role("button", name="Change status").click()
    page.get_by_text(f"Case {case.reference} is now “Active risk management”.").wait_for()
    _move(page, server, case, "Under review", "Three months without contact; review before closing.")
    page.get_by_role("button", name="Change status").click()
    page.get_by_text(f"Case {case.reference} is now “Under review”.").wait_for()

    _move(page, server, case, "Closed", "No contact since the order; Alice and the officer in the case agree.")
    page.get_by_role("combobox", name=re.compile(r"^Why is the case being closed\?")).select_option(
        label="Risk reduced: the stalking has stopped"
    )
    page.get_by_role("combobox", name=re.compile(r"^Risk level at closure")).select_option(label="Low")
    screenshot(page, "case-file-8-closing")
    page.get_by_role("button", name="Change status").click()
    page.wait_for_url(re.compile(re.escape(server.url + reverse("cases:detail", kwargs={"case_id": case.pk}))))
    page.get_by_text(f"Case {case.reference} is now “Closed”.").wait_for()


def test_a_case_file_from_acceptance_to_closure_with_compartments_evidence_and_review(live_server, desk):
    known = _set_up()
    referral: Referral = known["referral"]

    investigator = desk()
    sign_in(investigator, live_server, known["investigator"])
    case = _accept(investigator, live_server, referral)
    _check_review_task(investigator, case)
    screenshot(investigator, "case-file-1-case-opened")

    manager = desk()
    sign_in(manager, live_server, known["manager"])
    _allocate_team(manager, live_server, case)

    clinician = desk()
    sign_in(clinician, live_server, known["clinician"])
    note = _write_health_note(clinician, live_server, case)
    screenshot(clinician, "case-file-3-health-note")

    advocate = desk()
    sign_in(advocate, live_server, known["advocate"])
    _open_my_case(advocate, live_server, case)
    _advocate_cannot_read(advocate, live_server, case, note)

    _release_summary(clinician, live_server, case)
    assert SUMMARY in _main(clinician)
    assert CLINICAL_NOTE in _main(clinician)  # the clinician still reads the clinical note itself

    advocate.reload()
    main = _main(advocate)
    assert SUMMARY in main
    assert "Released clinical summary" in main
    assert CLINICAL_NOTE not in main
    _advocate_cannot_read(advocate, live_server, case, note)
    screenshot(advocate, "case-file-5-advocate-sees-summary")

    investigator.reload()
    digest = _upload_evidence(investigator, live_server, case)
    investigator.get_by_role("link", name="Back to the evidence").click()
    assert digest in _main(investigator)
    _open_my_case(investigator, live_server, case)
    assert digest in _main(investigator)  # the case page's evidence section
    assert CLINICAL_NOTE not in _main(investigator)

    manager.goto(live_server.url + reverse("cases:detail", kwargs={"case_id": case.pk}))
    _close(manager, live_server, case)
    main = _main(manager)
    assert "Closed Risk reduced: the stalking has stopped; risk at closure: low" in main
    manager.get_by_role("heading", name="Status history").wait_for()
    screenshot(manager, "case-file-9-closed")

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.risk_at_closure == RiskLevel.LOW
