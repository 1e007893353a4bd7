"""The public feedback form of a delivery (no login): one link per delivery, open from the day of
the delivery until its closing day; a form is stored once, and a browser that has sent one is
thanked instead of being given another."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from masip.access.decorators import public
from masip.training.forms_feedback import FeedbackForm, new_form_key
from masip.training.models import Delivery
from masip.training.selectors import settings_of
from masip.training.selectors_feedback import LinkState, delivery_by_feedback_token, link_state, outcomes_to_rate
from masip.training.services_feedback import FeedbackAlreadySent, feedback_submit

TEMPLATE = "training/feedback/form.html"
MESSAGE = "training/feedback/message.html"


def _sent_cookie(delivery: Delivery) -> str:
    return f"masip_feedback_{delivery.pk}"


def _message(request: HttpRequest, delivery: Delivery | None, state: str, status: int) -> HttpResponse:
    contact = settings_of(delivery.unit).contact_email if delivery is not None else ""
    return render(request, MESSAGE, {"delivery": delivery, "state": state, "contact": contact}, status=status)


@public
def feedback(request: HttpRequest, feedback_token: str) -> HttpResponse:
    delivery = delivery_by_feedback_token(feedback_token)
    if delivery is None:
        return _message(request, None, "unknown", 404)
    state = link_state(delivery)
    if state is LinkState.NOT_YET:
        return _message(request, delivery, "not_yet", 200)
    if state in (LinkState.CLOSED, LinkState.CANCELLED):
        return _message(request, delivery, state.value, 410)
    if request.method == "GET" and request.COOKIES.get(_sent_cookie(delivery)):
        return _message(request, delivery, "given", 200)

    topics = outcomes_to_rate(delivery)
    if request.method != "POST":
        form = FeedbackForm(delivery=delivery, topics=topics, initial={"form_key": new_form_key(delivery)})
        return render(request, TEMPLATE, {"delivery": delivery, "form": form})
    form = FeedbackForm(request.POST, delivery=delivery, topics=topics)
    if not form.is_valid():
        return render(request, TEMPLATE, {"delivery": delivery, "form": form}, status=400)
    try:
        feedback_submit(
            delivery=delivery,
            nonce=form.cleaned_data["form_key"],
            role=form.cleaned_data["role"],
            comments=form.cleaned_data["comments"],
            ratings=form.ratings(),
            request=request,
        )
    except FeedbackAlreadySent:
        return _message(request, delivery, "already_sent", 409)
    response = _message(request, delivery, "thanks", 200)
    closes_at = timezone.make_aware(datetime.combine(delivery.feedback_closes_on + timedelta(days=1), time.min))
    response.set_cookie(
        _sent_cookie(delivery),
        "1",
        max_age=max(int((closes_at - timezone.now()).total_seconds()), 0),
        path=request.path,
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    return response
