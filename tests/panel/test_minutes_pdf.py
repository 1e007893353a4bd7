"""The minutes' page and PDF: each reader's own version, the PDF's text read back with pypdf,
audited as an export; a server without WeasyPrint's libraries answers with a page, not an error."""

import html
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from masip.audit.models import AuditAction, AuditEvent
from masip.core import pdf as pdf_module
from masip.core.pdf import PdfUnavailable
from tests.conftest import verified_client
from tests.factories import member
from tests.panel.helpers import requires_pdf
from tests.panel.minutes_helpers import (
    ACTION_TITLE,
    CONTACT_NOTE,
    DECISION_DETAIL,
    HEALTH_NOTE,
    OTHER_CASE_NOTE,
    POLICE_NOTE,
    TEAM_NOTE,
    recorded_meeting,
)

pytestmark = [pytest.mark.django_db, requires_pdf]


def _pdf_text(user, meeting):
    response = verified_client(user).get(reverse("panel:minutes_pdf", kwargs={"meeting_id": meeting.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(response.content))
    return response, "\n".join(page.extract_text() for page in reader.pages), reader


def _flat(text):
    return " ".join(text.split())


def test_the_officers_pdf_has_the_items_decisions_actions_and_the_police_annex():
    recorded = recorded_meeting()
    _response, text, reader = _pdf_text(recorded.panel.officer, recorded.meeting)
    flat = _flat(text)
    assert f"Item 1: case {recorded.panel.case.reference}" in flat
    assert TEAM_NOTE in flat
    assert "Civil order route" in flat
    assert DECISION_DETAIL in flat
    assert ACTION_TITLE in flat
    assert "Olive Officer" in flat
    assert "Item 2: restricted" in flat
    assert OTHER_CASE_NOTE not in flat
    assert "Police annex" in flat
    assert POLICE_NOTE in flat
    assert HEALTH_NOTE not in flat
    assert CONTACT_NOTE not in flat
    # Every page carries the protective marking and its number; a draft says so.
    first = _flat(reader.pages[0].extract_text())
    assert first.count("OFFICIAL-SENSITIVE") >= 2
    assert f"Page 1 of {len(reader.pages)}" in first
    assert "DRAFT — not yet approved" in flat
    # A4, in points.
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_the_probation_partners_pdf_leaves_the_police_note_and_the_items_out():
    recorded = recorded_meeting()
    _, text, _ = _pdf_text(recorded.panel.partner, recorded.meeting)
    flat = _flat(text)
    assert "Item 1: restricted" in flat
    assert "Item 2: restricted" in flat
    for secret in (POLICE_NOTE, TEAM_NOTE, HEALTH_NOTE, DECISION_DETAIL, ACTION_TITLE, recorded.panel.case.reference):
        assert secret not in flat


def test_the_health_note_is_only_in_the_clinicians_pdf():
    recorded = recorded_meeting()
    panel = recorded.panel
    for user, has_it in ((panel.clinician, True), (panel.officer, False), (panel.advocate, False)):
        _, text, _ = _pdf_text(user, recorded.meeting)
        assert (HEALTH_NOTE in _flat(text)) is has_it, user.full_name


def test_a_pdf_download_is_audited_as_an_export_without_case_data():
    recorded = recorded_meeting()
    officer = recorded.panel.officer
    _response, _, _ = _pdf_text(officer, recorded.meeting)
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.actor == officer
    assert event.detail["meeting_id"] == str(recorded.meeting.pk)
    assert event.detail["member_id"] == recorded.panel.member_of(officer).pk
    assert event.detail["annexes"] == ["police"]
    assert event.detail["purpose"] == "panel minutes"
    assert len(event.detail["sha256"]) == 64
    assert POLICE_NOTE not in str(event.detail)
    assert recorded.panel.case.reference not in str(event.detail)


def test_the_page_shows_the_viewers_version_and_audits_the_items_read(django_assert_max_num_queries):
    recorded = recorded_meeting()
    client = verified_client(recorded.panel.officer)
    url = reverse("panel:minutes", kwargs={"meeting_id": recorded.meeting.pk})
    with django_assert_max_num_queries(30):
        response = client.get(url)
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert TEAM_NOTE in page
    assert POLICE_NOTE in page
    assert "Item 2: restricted" in page
    assert OTHER_CASE_NOTE not in page
    assert HEALTH_NOTE not in page
    assert CONTACT_NOTE not in page
    assert "DRAFT — not yet approved" in page
    views = AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="panel.agendaitem")
    assert [(e.case_id, e.object_id) for e in views] == [(recorded.panel.case.pk, str(recorded.item.pk))]


def test_someone_who_is_not_a_member_gets_the_same_404_as_for_no_meeting():
    recorded = recorded_meeting()
    outsider = member("police_investigator", unit=recorded.panel.unit)
    client = verified_client(outsider)
    for name in ("panel:minutes", "panel:minutes_pdf"):
        response = client.get(reverse(name, kwargs={"meeting_id": recorded.meeting.pk}))
        assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_without_weasyprints_libraries_the_pdf_link_answers_a_page_pointing_to_the_html(monkeypatch):
    recorded = recorded_meeting()

    def missing():
        raise PdfUnavailable("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(pdf_module, "_weasyprint", missing)
    response = verified_client(recorded.panel.officer).get(
        reverse("panel:minutes_pdf", kwargs={"meeting_id": recorded.meeting.pk})
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "cannot be made on this server" in page
    assert reverse("panel:minutes", kwargs={"meeting_id": recorded.meeting.pk}) in page
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_pdf_loads_nothing_from_outside():
    fetcher = pdf_module._refusing_fetcher(pdf_module._weasyprint())
    with pytest.raises(ValueError, match="no external resource"):
        fetcher.fetch("https://example.com/tracker.png")
