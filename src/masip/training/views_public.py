"""The public training pages (no login): the offer, the enquiry form and its thank-you page.
Thin: the form checks the input, services_enquiries keeps it (and counts each address's
enquiries)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from masip.access.decorators import public
from masip.training import selectors_enquiries as selectors
from masip.training import services_enquiries as services
from masip.training.forms_enquiries import EnquiryForm
from masip.training.models import AudienceType, TrainingSettings

SENT_KEY = "training_enquiry_sent"


@public
def offer(request: HttpRequest) -> HttpResponse:
    offers = selectors.published_offers()
    if len(offers) == 1:
        return _offer_page(request, offers[0])
    return render(request, "training/public/offers.html", {"offers": offers})


@public
def offer_unit(request: HttpRequest, unit_code: str) -> HttpResponse:
    return _offer_page(request, selectors.offer_settings(unit_code))


def duration_words(minutes: int) -> str:
    """`210` as "3 hours 30 minutes"."""
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if rest:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts) or "0 minutes"


def _offer_page(request: HttpRequest, settings: TrainingSettings) -> HttpResponse:
    return render(
        request,
        "training/public/offer.html",
        {
            "offer": selectors.offer_of(settings),
            "audiences": [label for _, label in AudienceType.choices],
            "half_day": duration_words(settings.half_day_minutes),
            "full_day": duration_words(settings.full_day_minutes),
        },
    )


@public
@never_cache
def enquire(request: HttpRequest, unit_code: str) -> HttpResponse:
    settings = selectors.offer_settings(unit_code)
    context = {"unit": settings.unit, "settings": settings}
    if request.method != "POST":
        return render(request, "training/public/enquire.html", {**context, "form": EnquiryForm()})
    form = EnquiryForm(request.POST)
    if form.is_bot():
        # The same thank-you as a person gets, so the bot learns nothing; nothing is kept.
        request.session[SENT_KEY] = {"unit": settings.unit.code, "reference": ""}
        return redirect("training:enquiry_sent", unit_code=settings.unit.code)
    if not form.is_valid():
        return render(request, "training/public/enquire.html", {**context, "form": form}, status=400)
    try:
        enquiry = services.enquiry_submit(unit=settings.unit, draft=form.draft(), request=request)
    except services.EnquiryFlood as flood:
        return render(request, "training/public/too_many.html", {**context, "message": str(flood)}, status=429)
    request.session[SENT_KEY] = {"unit": settings.unit.code, "reference": enquiry.reference}
    return redirect("training:enquiry_sent", unit_code=settings.unit.code)


@public
@never_cache
def enquiry_sent(request: HttpRequest, unit_code: str) -> HttpResponse:
    settings = selectors.offer_settings(unit_code)
    sent = request.session.get(SENT_KEY)
    if not isinstance(sent, dict) or sent.get("unit") != settings.unit.code:
        return redirect("training:enquire", unit_code=settings.unit.code)
    return render(
        request,
        "training/public/sent.html",
        {"unit": settings.unit, "settings": settings, "reference": sent.get("reference", "")},
    )
