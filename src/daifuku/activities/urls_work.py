"""URLs of activities, timeline, tasks and "my day"."""

from django.urls import path

from daifuku.activities import views

urlpatterns: list = [
    path("", views.activity_list, name="activity_list"),
    path("new/", views.activity_create, name="activity_create"),
    path("quick/", views.activity_quick_log, name="activity_quick_log"),
    path("<int:pk>/", views.activity_detail, name="activity_detail"),
    path("<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("<int:pk>/status/", views.activity_status, name="activity_status"),
    path("<int:pk>/delete/", views.activity_delete, name="activity_delete"),
    path("timeline/company/<int:pk>/", views.company_timeline, name="company_timeline"),
    path("timeline/contact/<int:pk>/", views.contact_timeline, name="contact_timeline"),
    path("open-items/company/<int:pk>/", views.company_open_items, name="company_open_items"),
    path("today/", views.my_day, name="my_day"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("tasks/<int:pk>/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:pk>/delete/", views.task_delete, name="task_delete"),
]
