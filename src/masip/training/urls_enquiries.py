"""Training URLs: enquiries (see urls.py for how the parts are composed)."""

from django.urls import URLPattern, path

from masip.training import views_enquiries

urlpatterns: list[URLPattern] = [
    path("manage/enquiries/", views_enquiries.enquiries, name="enquiries"),
    path("manage/enquiries/<int:enquiry_id>/", views_enquiries.enquiry, name="enquiry"),
]
