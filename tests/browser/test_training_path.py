"""The training package in a real browser, from an organisation's enquiry to the feedback report.

A police force's training lead finds the unit's offer on the public page and sends an enquiry,
getting a reference. The unit's trainer finds it in the queue, has an agenda proposed for the
audience (the opening items first, what was left out explained, within the half-day slot), moves
an item, and books a delivery for today from the enquiry. After the session the trainer records
who came and marks the delivery held; two attendees give feedback through the delivery's link,
one with a script in the comment. The trainer reads the feedback report (the means worked out by
hand below, the comment shown as text) and the period report counts the people trained.

The contact and the attendees use the public pages without signing in, each in their own
browser; the trainer signs in with their password and app code."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from masip.accounts.models import Role
from masip.training.models import Topic, TrainingSettings
from masip.training.services_catalogue import catalogue_install
from tests.factories import UnitFactory, member

from .accessibility import accessibility_violations
from .signin import screenshot, sign_in

pytestmark = pytest.mark.browser

ORGANISATION = "Northshire Police"
COUNCIL = "Northshire Council"
COMMENT = "Very useful. <script>alert(1)</script> More case studies, please."
OPENING = ("Identifying stalking through a victim's story and the lessons learned", "The scale of the problem")


@pytest.fixture
def desk(browser: Any) -> Iterator[Callable[[], Any]]:
    """A new browser of its own for each person (own cookies, own session)."""
    contexts: list[Any] = []

    def new_page() -> Any:
        context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


def _main(page: Any) -> str:
    return str(page.locator("main").inner_text())


def _cells(page: Any, table: str, row_header: str) -> list[str]:
    """The data cells of the row of `table` headed `row_header`, as the page shows them."""
    row = page.locator(f"{table} tbody tr").filter(has=page.get_by_role("rowheader", name=row_header, exact=True))
    return [text.strip() for text in row.locator("td").all_inner_texts()]


def _agenda_titles(page: Any) -> list[str]:
    """The agenda's items in order, by title (without the "Opening" tag or the format)."""
    cells = page.locator("#agenda tbody tr td:nth-child(2)").all_inner_texts()
    return [re.sub(r"\s+(Opening|\((presentation|workshop)\))$", "", text.strip()) for text in cells]


def _rate_every_outcome(page: Any, before: str, after: str) -> int:
    """Choose `before` and `after` for every learning outcome on the form; how many outcomes."""
    befores = page.get_by_role("group", name=re.compile(r"how confident were you before the session\?$")).all()
    afters = page.get_by_role("group", name=re.compile(r"how confident were you after the session\?$")).all()
    assert len(befores) == len(afters) > 0
    for group in befores:
        group.get_by_label(before, exact=True).check()
    for group in afters:
        group.get_by_label(after, exact=True).check()
    return len(befores)


def _give_feedback(page: Any, link: str, *, role: str, before: str, after: str, comment: str = "") -> int:
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Feedback on Stalking training for {ORGANISATION}")
    page.get_by_role("group", name="Which role did you come in? (optional)").get_by_label(role, exact=True).check()
    rated = _rate_every_outcome(page, before, after)
    if comment:
        page.get_by_label("Any comments on the session").fill(comment)
    with page.expect_navigation():
        page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Feedback sent")
    assert "Thank you for your feedback." in _main(page)
    return rated


def test_an_enquiry_becomes_a_delivery_with_feedback_and_reports(
    live_server: Any, transactional_db: None, desk: Any
) -> None:
    # What the unit's admin set up beforehand: the published offer, a trainer, the catalogue.
    unit = UnitFactory(name="Northshire Stalking Unit", code="NSU")
    TrainingSettings.objects.create(unit=unit, offer_published=True, contact_email="training@nsu.example.org")
    trainer = member(Role.TRAINER, unit=unit, full_name="Tess Trainer")
    catalogue_install(unit=unit)
    for topic in Topic.objects.filter(unit=unit):
        topic.trainers.add(trainer)
    year = timezone.localdate().year
    today = timezone.localdate()

    # The police force's training lead reads the offer and sends an enquiry.
    contact = desk()
    contact.goto(live_server.url + reverse("training:offer"))
    expect(contact.get_by_role("heading", level=1)).to_have_text("Training on stalking")
    assert "Northshire Stalking Unit" in _main(contact)
    assert contact.get_by_role("heading", name="Every session opens with").is_visible()
    for title in OPENING:
        assert contact.get_by_role("heading", name=title, exact=True).is_visible()
    assert "a half day, about 3 hours 30 minutes including breaks" in _main(contact)
    assert accessibility_violations(contact) == []
    contact.get_by_role("button", name="Send an enquiry").click()
    contact.wait_for_url(re.compile(r"/training/NSU/enquire/$"))
    expect(contact.get_by_role("heading", level=1)).to_have_text("Ask for training")
    assert accessibility_violations(contact) == []
    contact.get_by_label("Name of your organisation").fill(ORGANISATION)
    contact.get_by_label("What kind of organisation is it?").select_option(label="Police force")
    contact.get_by_label("Where is it?").select_option(label="North East England")
    contact.get_by_label("Your name").fill("Dana Reid")
    contact.get_by_label("Email address").fill("dana.reid@northshire-police.example.org")
    contact.get_by_label("Stalking single points of contact (SPOCs)", exact=True).fill("12")
    contact.get_by_label("Managers", exact=True).fill("3")
    contact.get_by_role("group", name="Which format would you prefer? (optional)").get_by_label("Half day").check()
    contact.get_by_label("Preferred dates").fill("Any weekday this month")
    contact.get_by_role("button", name="Send the enquiry").click()
    contact.wait_for_url(re.compile(r"/training/NSU/enquiry-sent/$"))
    enquiry_ref = f"NSU-TRN-{year}-0001"
    assert contact.get_by_role("heading", name="Enquiry sent").is_visible()
    assert f"Your reference\n{enquiry_ref}" in _main(contact)
    assert accessibility_violations(contact) == []
    screenshot(contact, "training-enquiry-sent")

    # The trainer finds the enquiry in the queue.
    desk_page = desk()
    dialogs: list[str] = []
    desk_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(desk_page, live_server, trainer)
    desk_page.get_by_role("navigation", name="Menu").get_by_role("link", name="Training").click()
    expect(desk_page.get_by_role("heading", level=1)).to_have_text("Training")
    desk_page.get_by_role("link", name="Enquiries", exact=True).click()
    expect(desk_page.get_by_role("heading", level=1)).to_have_text("Enquiries")
    desk_page.get_by_role("link", name=enquiry_ref).click()
    expect(desk_page.get_by_role("heading", level=1)).to_have_text(f"Enquiry {enquiry_ref}")
    enquiry_page = desk_page.url
    main = _main(desk_page)
    assert ORGANISATION in main
    assert "Stalking single points of contact (SPOCs): 12" in main
    assert "Managers: 3" in main

    # An agenda is proposed for the enquiry's audience, pre-filled from it.
    desk_page.get_by_role("link", name="Propose an agenda").click()
    expect(desk_page.get_by_role("heading", level=1)).to_have_text("Propose an agenda")
    assert f"For enquiry {enquiry_ref} from {ORGANISATION}." in _main(desk_page)
    assert desk_page.get_by_label("Title").input_value() == f"Training for {ORGANISATION}"
    assert desk_page.get_by_label("Half day").is_checked()
    assert desk_page.get_by_label("Stalking single points of contact (SPOCs)").input_value() == "12"
    assert desk_page.get_by_label("Managers").input_value() == "3"
    desk_page.get_by_label("Tess Trainer").check()
    desk_page.get_by_role("button", name="Propose the agenda").click()
    desk_page.wait_for_url(re.compile(r"/training/manage/agendas/\d+/$"))
    expect(desk_page.get_by_role("heading", level=1)).to_have_text(f"Training for {ORGANISATION}")
    titles = _agenda_titles(desk_page)
    assert tuple(titles[:2]) == OPENING  # the opening items always open the agenda
    # It fits the half-day slot (3 h 30 min), breaks included.
    assert desk_page.locator("#agenda-total").inner_text().startswith("3 h 30 min of the 3 h 30 min slot.")
    assert "Break" in titles
    explanation = desk_page.locator("#explanation").inner_text()
    assert "Left out: local procedures — lowest priority for managers" in explanation
    # The trainer moves "What stalking is" one place down; the new order shows.
    moved = titles[2]
    assert moved == "What stalking is"
    row = desk_page.locator("#agenda tbody tr").filter(has=desk_page.get_by_role("cell", name=moved))
    with desk_page.expect_navigation():
        row.get_by_role("button", name=f"Down {moved}", exact=True).click()
    moved_order = [*titles[:2], titles[3], moved, *titles[4:]]
    assert _agenda_titles(desk_page) == moved_order
    screenshot(desk_page, "training-agenda")

    # Back at the enquiry, the trainer books a delivery for today with that agenda.
    desk_page.goto(enquiry_page)
    desk_page.get_by_role("link", name="Book a delivery").click()
    expect(desk_page.get_by_role("heading", level=1)).to_have_text("Book a delivery")
    assert desk_page.get_by_label("Title").input_value() == f"Stalking training for {ORGANISATION}"
    desk_page.get_by_label("Date", exact=True).fill(today.isoformat())
    desk_page.get_by_label("Start time").fill("09:30")
    desk_page.get_by_label("In person").check()
    desk_page.get_by_label("Venue or online platform").fill("Northshire Police HQ, Training Suite 2")
    desk_page.get_by_role("group", name="Trainers").get_by_label("Tess Trainer").check()
    desk_page.get_by_label("Agenda used").select_option(label=f"Training for {ORGANISATION}")
    desk_page.get_by_role("button", name="Book the delivery").click()
    delivery_ref = f"NSU-DEL-{year}-0001"
    desk_page.wait_for_url(re.compile(r"/training/manage/deliveries/\d+/$"))
    delivery_page = desk_page.url
    assert f"Delivery {delivery_ref} booked." in desk_page.locator("body").inner_text()
    main = _main(desk_page)
    assert delivery_ref in main
    assert "Northshire Police HQ, Training Suite 2" in main
    assert "Tess Trainer" in main
    assert enquiry_ref in main
    agenda_on_delivery = desk_page.locator("main ol li").all_inner_texts()
    assert [re.sub(r" \(\d+ min\)$", "", text) for text in agenda_on_delivery] == moved_order

    # After the session: who came, by organisation and role, one of them by name.
    desk_page.get_by_role("link", name="Record the attendance").click()
    rows = (
        ("Row 1", ORGANISATION, "Stalking single point of contact (SPOC)", "10"),
        ("Row 2", ORGANISATION, "Manager", "3"),
        ("Row 3", COUNCIL, "Front-line staff", "2"),
    )
    for legend, organisation, role, count in rows:
        row = desk_page.get_by_role("group", name=legend, exact=True)
        row.get_by_label("Organisation").fill(organisation)
        row.get_by_label("Role").select_option(label=role)
        row.get_by_label("How many").fill(count)
    named = desk_page.get_by_role("group", name="Attendee 1", exact=True)
    named.get_by_label("Name").fill("Alex Morgan")
    named.get_by_label("Organisation").fill(ORGANISATION)
    named.get_by_label("Role").select_option(label="Stalking single point of contact (SPOC)")
    desk_page.get_by_role("button", name="Save the attendance").click()
    desk_page.wait_for_url(delivery_page)
    assert desk_page.get_by_role("table").filter(has_text="15 attended").is_visible()
    assert f"Alex Morgan, {ORGANISATION}, Stalking single point of contact (SPOC)" in _main(desk_page)
    # ... and marks it held.
    desk_page.get_by_role("link", name=f"Change the delivery {delivery_ref}").click()
    expect(desk_page.get_by_role("heading", level=1)).to_have_text(f"Change delivery {delivery_ref}")
    desk_page.get_by_label("Status").select_option(label="Held")
    desk_page.get_by_role("button", name="Save changes").click()
    desk_page.wait_for_url(delivery_page)
    assert desk_page.locator("main .govuk-tag").first.inner_text() == "Held"
    link = desk_page.get_by_label("The feedback link to give the attendees").input_value()
    assert link.startswith(live_server.url + "/training/feedback/")
    assert "(open now)" in _main(desk_page)
    screenshot(desk_page, "training-delivery")

    # Two attendees give feedback through the link, each on their own phone.
    first = desk()
    rated = _give_feedback(
        first, link, role="Stalking single point of contact (SPOC)", before="2", after="4", comment=COMMENT
    )
    assert rated == 19  # every learning outcome of the seven topics on the agenda
    first.goto(link)  # the same browser again: no second form
    expect(first.get_by_role("heading", level=1)).to_have_text("Feedback already given")
    second = desk()
    _give_feedback(second, link, role="Manager", before="3", after="4")

    # The trainer reads the delivery's feedback report.
    desk_page.get_by_role("link", name=f"The feedback report of {delivery_ref}").click()
    expect(desk_page.get_by_role("heading", level=1)).to_have_text(f"Feedback on Stalking training for {ORGANISATION}")
    assert desk_page.locator("#responses").inner_text() == "2"
    assert desk_page.locator("#attended").inner_text() == "15"
    assert desk_page.locator("#response-rate").inner_text() == "13%"  # 2 of 15
    # Victim impact: changes 4 - 2 = 2 and 4 - 3 = 1; mean 1.5, before 2.5, after 4. The 95%
    # interval of two values 2 and 1 is 1.5 ± t(0.975, 1) x 0.5 = 1.5 ± 6.35.
    assert _cells(desk_page, "#topics", "Victim impact") == ["2", "1.50", "-4.85 to 7.85"]
    outcome = desk_page.locator("#outcomes tbody tr").filter(has_text="Victim impact").first
    assert [t.strip() for t in outcome.locator("td").all_inner_texts()][:4] == ["2", "2.50", "4.00", "1.50"]
    comments = desk_page.locator("#comments")
    assert comments.get_by_text(COMMENT, exact=True).is_visible()  # the script shown as text...
    assert "<script>" in comments.inner_text()
    assert dialogs == []  # ... and never run
    screenshot(desk_page, "training-feedback-report")

    # The period report counts the people trained, by organisation and role.
    desk_page.get_by_role("link", name="All training reports").click()
    expect(desk_page.get_by_role("heading", level=1)).to_have_text("Training reports")
    shown = desk_page.locator("#period-shown").inner_text()
    assert "1 delivery held, 15 people trained, 2 feedback responses." in shown
    # Columns: Manager, SPOC, Front-line staff, Other, Total.
    assert _cells(desk_page, "#people", f"{ORGANISATION} (Police force)") == ["3", "10", "0", "0", "13"]
    assert _cells(desk_page, "#people", f"{COUNCIL} (Other)") == ["0", "0", "2", "0", "2"]
    assert desk_page.locator("#people-total").inner_text() == "15"
    assert _cells(desk_page, "#topics", "Victim impact") == ["2", "1.50", "-4.85 to 7.85"]
    assert dialogs == []
    screenshot(desk_page, "training-reports")
