"""Training URLs: catalogue (see urls.py for how the parts are composed)."""

from django.urls import URLPattern, path

from masip.training import views_catalogue

urlpatterns: list[URLPattern] = [
    path("manage/topics/", views_catalogue.topics, name="topics"),
    path("manage/topics/install/", views_catalogue.catalogue_install, name="catalogue_install"),
    path("manage/topics/new/", views_catalogue.topic_new, name="topic_new"),
    path("manage/topics/<int:topic_id>/", views_catalogue.topic_edit, name="topic_edit"),
    path("manage/topics/<int:topic_id>/outcomes/", views_catalogue.topic_outcome, name="topic_outcome"),
    path("manage/settings/", views_catalogue.training_settings, name="settings"),
]
