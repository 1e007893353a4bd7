"""The training package's URLs, composed from the part modules. The public ones (the offer, the
enquiry form, the feedback form) need no login; every other one needs the training capability.
"""

from django.urls import URLPattern, path

from masip.training import (
    urls_agendas,
    urls_catalogue,
    urls_deliveries,
    urls_enquiries,
    urls_feedback,
    urls_public,
    urls_reports,
    views,
)

# The public part last: its one-segment unit pages must never shadow a trainers' page.
_PARTS = (urls_feedback, urls_catalogue, urls_agendas, urls_enquiries, urls_deliveries, urls_reports, urls_public)

app_name = "training"
urlpatterns: list[URLPattern] = [
    path("manage/", views.hub, name="hub"),
    *(pattern for part in _PARTS for pattern in part.urlpatterns),
]
