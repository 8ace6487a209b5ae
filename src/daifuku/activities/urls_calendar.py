"""URLs of the calendar (events, ICS feeds and import), daily reports and the activity dashboard."""

from django.urls import path

from daifuku.activities import views_calendar as views

urlpatterns = [
    path("calendar/", views.calendar_view, name="calendar"),
    path("calendar/events/new/", views.event_create, name="event_create"),
    path("calendar/events/<int:pk>/", views.event_detail, name="event_detail"),
    path("calendar/events/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("calendar/events/<int:pk>/delete/", views.event_delete, name="event_delete"),
    path("calendar/import/", views.calendar_import, name="calendar_import"),
    path("calendar/feeds/", views.calendar_feeds, name="calendar_feeds"),
    path("calendar/ics/<str:token>/", views.calendar_ics, name="calendar_ics"),
    path("reports/", views.report_index, name="report_index"),
    path("reports/day/<str:day>/", views.report_day, name="report_day"),
    path("reports/team/", views.report_team, name="report_team"),
    path("reports/export/", views.report_export, name="report_export"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/comment/", views.report_comment, name="report_comment"),
    path("reports/<int:pk>/read/", views.report_read, name="report_read"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
    path("dashboard/data/", views.dashboard_data, name="dashboard_data"),
]
