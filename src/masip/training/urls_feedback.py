"""Training URLs: feedback (see urls.py for how the parts are composed)."""

from django.urls import URLPattern, path

from masip.training import views_feedback

urlpatterns: list[URLPattern] = [
    path("feedback/<str:feedback_token>/", views_feedback.feedback, name="feedback"),
]
