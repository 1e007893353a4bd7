"""Sending the minutes: one version per member, each a MinutesDistribution and one `disclose`
event naming no case; an email with a link only; members without an account get their PDF
through the chair's download."""

import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from masip.audit.models import AuditAction, AuditEvent
from masip.core import pdf as pdf_module
from masip.core.pdf import PdfUnavailable
from masip.panel.models import MeetingMember, Minutes, MinutesDistribution, MinutesStatus
from masip.panel.services_minutes import minutes_distribute
from tests.conftest import verified_client
from tests.panel.helpers import requires_pdf
from tests.panel.minutes_helpers import OTHER_CASE_NOTE, POLICE_NOTE, TEAM_NOTE, recorded_meeting

pytestmark = [pytest.mark.django_db, requires_pdf]


def _url(meeting):
    return reverse("panel:minutes_distribute", kwargs={"meeting_id": meeting.pk})


def _guest(recorded):
    return MeetingMember.objects.create(
        meeting=recorded.meeting,
        name="Hal Housing",
        agency=recorded.panel.probation,
        email="hal@housing.example",
        attendance="attended",
    )


def test_sending_records_one_disclosure_per_recipient_and_emails_a_link_only(django_capture_on_commit_callbacks):
    recorded = recorded_meeting()
    panel = recorded.panel
    chosen = [panel.member_of(panel.officer), panel.member_of(panel.partner)]
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_client(panel.chair).post(_url(recorded.meeting), {"members": [m.pk for m in chosen]})
    assert response.status_code == 302
    minutes = Minutes.objects.get(meeting=recorded.meeting)
    assert minutes.status == MinutesStatus.DRAFT  # made when missing
    rows = {d.member_id: d for d in MinutesDistribution.objects.filter(minutes=minutes)}
    assert set(rows) == {m.pk for m in chosen}
    assert rows[chosen[0].pk].annexes == ["police"]
    assert rows[chosen[1].pk].annexes == []
    assert all(len(d.sha256) == 64 and d.sent_by == panel.chair and d.minutes_status == "draft" for d in rows.values())
    events = list(AuditEvent.objects.filter(action=AuditAction.DISCLOSE).order_by("seq"))
    assert [e.detail["member_id"] for e in events] == [m.pk for m in chosen]
    officer_event = events[0]
    assert officer_event.actor == panel.chair
    assert officer_event.object_type == "panel.minutesdistribution"
    assert officer_event.case_id is None
    assert officer_event.detail == {
        "meeting_id": str(recorded.meeting.pk),
        "member_id": chosen[0].pk,
        "agency": panel.police.name,
        "annexes": ["police"],
        "minutes_status": "draft",
        "purpose": "panel minutes",
        "sha256": rows[chosen[0].pk].sha256,
    }
    assert sorted(message.to[0] for message in mail.outbox) == sorted([panel.officer.email, panel.partner.email])
    link = reverse("panel:minutes", kwargs={"meeting_id": recorded.meeting.pk})
    for message in mail.outbox:
        assert link in message.body
        for secret in (panel.case.reference, TEAM_NOTE, POLICE_NOTE, "Olive", "Pat"):
            assert secret not in message.body
            assert secret not in message.subject


def test_the_form_offers_every_member_with_an_account_ticked_and_lists_the_others_for_download():
    recorded = recorded_meeting()
    guest = _guest(recorded)
    page = verified_client(recorded.panel.chair).get(_url(recorded.meeting)).content.decode()
    assert page.count('name="members"') == 5
    assert page.count("checked") == 5
    assert f"{_url(recorded.meeting)}?member={guest.pk}" in page
    assert "Download the PDF for Hal Housing" in page


def test_the_chair_downloads_the_pdf_of_a_member_without_an_account_and_that_is_the_disclosure():
    recorded = recorded_meeting()
    guest = _guest(recorded)
    response = verified_client(recorded.panel.chair).get(_url(recorded.meeting), {"member": guest.pk})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages).split())
    # A member without an account is entitled as a panel member, to no annex (probation).
    assert TEAM_NOTE in text
    assert OTHER_CASE_NOTE in text
    assert POLICE_NOTE not in text
    distribution = MinutesDistribution.objects.get(member=guest)
    event = AuditEvent.objects.get(action=AuditAction.DISCLOSE)
    assert event.detail["member_id"] == guest.pk
    assert event.detail["sha256"] == distribution.sha256


def test_a_member_with_an_account_or_of_another_meeting_is_not_downloadable_here():
    recorded = recorded_meeting()
    other = recorded_meeting()
    client = verified_client(recorded.panel.chair)
    for member_id in (recorded.panel.member_of(recorded.panel.officer).pk, _guest(other).pk, "x"):
        assert client.get(_url(recorded.meeting), {"member": member_id}).status_code == 404
    assert not MinutesDistribution.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSE).exists()


def test_choosing_nobody_or_a_meeting_not_closed_is_refused_and_writes_nothing():
    recorded = recorded_meeting()
    client = verified_client(recorded.panel.chair)
    response = client.post(_url(recorded.meeting), {"members": []})
    assert "Choose at least one member to send the minutes to." in response.content.decode()
    open_one = recorded_meeting(close=False)
    page = verified_client(open_one.panel.chair).get(_url(open_one.meeting)).content.decode()
    assert "has not closed yet" in page
    with pytest.raises(ValidationError, match="has not closed yet"):
        minutes_distribute(
            actor=open_one.panel.chair,
            meeting=open_one.meeting,
            members=[open_one.panel.member_of(open_one.panel.officer)],
        )
    assert not MinutesDistribution.objects.exists()
    assert not Minutes.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSE).exists()


def test_a_member_who_does_not_chair_cannot_send(django_capture_on_commit_callbacks):
    recorded = recorded_meeting()
    officer = recorded.panel.officer
    response = verified_client(officer).post(
        _url(recorded.meeting), {"members": [recorded.panel.member_of(officer).pk]}
    )
    assert response.status_code == 403
    assert not MinutesDistribution.objects.exists()


def test_without_weasyprint_nothing_is_sent_or_recorded(monkeypatch, django_capture_on_commit_callbacks):
    recorded = recorded_meeting()

    def missing():
        raise PdfUnavailable("no pango")

    monkeypatch.setattr(pdf_module, "_weasyprint", missing)
    panel = recorded.panel
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_client(panel.chair).post(
            _url(recorded.meeting), {"members": [panel.member_of(panel.officer).pk]}
        )
    assert response.status_code == 200
    assert "cannot be made on this server" in response.content.decode()
    assert not MinutesDistribution.objects.exists()
    assert not mail.outbox
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSE).exists()
