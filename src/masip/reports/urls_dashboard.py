from django.urls import path

from masip.reports import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
