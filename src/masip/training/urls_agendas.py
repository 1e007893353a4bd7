"""Training URLs: agendas (see urls.py for how the parts are composed)."""

from django.urls import URLPattern, path

from masip.training import views_agendas

urlpatterns: list[URLPattern] = [
    path("manage/agendas/", views_agendas.agendas, name="agendas"),
    path("manage/agendas/new/", views_agendas.agenda_new, name="agenda_new"),
    path("manage/agendas/<int:agenda_id>/", views_agendas.agenda, name="agenda"),
    path("manage/agendas/<int:agenda_id>/edit/", views_agendas.agenda_edit, name="agenda_edit"),
    path("manage/agendas/<int:agenda_id>/reorder/", views_agendas.agenda_reorder, name="agenda_reorder"),
    path("manage/agendas/<int:agenda_id>/print/", views_agendas.agenda_print, name="agenda_print"),
    path("manage/agendas/<int:agenda_id>/pdf/", views_agendas.agenda_pdf, name="agenda_pdf"),
]
