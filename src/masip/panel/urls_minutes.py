"""URLs of the panel's minutes part: `urlpatterns` under /panel/, `case_urlpatterns` under
/cases/<case_id>/panel/ (composed into the two namespaces by masip.panel.urls)."""

from django.urls import URLPattern, path

from masip.panel import views_minutes

urlpatterns: list[URLPattern] = [
    path("meetings/<uuid:meeting_id>/minutes/", views_minutes.minutes_page, name="minutes"),
    path("meetings/<uuid:meeting_id>/minutes/pdf/", views_minutes.minutes_pdf_download, name="minutes_pdf"),
    path("meetings/<uuid:meeting_id>/minutes/send/", views_minutes.minutes_distribute, name="minutes_distribute"),
    path("meetings/<uuid:meeting_id>/minutes/approve/", views_minutes.minutes_approve, name="minutes_approve"),
]
case_urlpatterns: list[URLPattern] = []
