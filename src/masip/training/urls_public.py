"""Training URLs: public (see urls.py for how the parts are composed). No login."""

from django.urls import URLPattern, path

from masip.training import views_public

urlpatterns: list[URLPattern] = [
    path("", views_public.offer, name="offer"),
    path("<slug:unit_code>/", views_public.offer_unit, name="offer_unit"),
    path("<slug:unit_code>/enquire/", views_public.enquire, name="enquire"),
    path("<slug:unit_code>/enquiry-sent/", views_public.enquiry_sent, name="enquiry_sent"),
]
