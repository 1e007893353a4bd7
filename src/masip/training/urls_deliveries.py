"""Training URLs: deliveries (see urls.py for how the parts are composed)."""

from django.urls import URLPattern, path

from masip.training import views_deliveries as views

urlpatterns: list[URLPattern] = [
    path("manage/deliveries/", views.deliveries, name="deliveries"),
    path("manage/deliveries/new/", views.delivery_new, name="delivery_new"),
    path("manage/deliveries/<int:delivery_id>/", views.delivery, name="delivery"),
    path("manage/deliveries/<int:delivery_id>/edit/", views.delivery_edit, name="delivery_edit"),
    path("manage/deliveries/<int:delivery_id>/attendance/", views.delivery_attendance, name="delivery_attendance"),
    path(
        "manage/deliveries/<int:delivery_id>/certificates/", views.delivery_certificates, name="delivery_certificates"
    ),
    path(
        "manage/deliveries/<int:delivery_id>/attendees/<int:attendee_id>/certificate/",
        views.attendee_certificate,
        name="attendee_certificate",
    ),
]
