from django.urls import path

from masip.reports import views_quarterly

urlpatterns = [
    path("quarterly/", views_quarterly.quarterly, name="quarterly"),
]
