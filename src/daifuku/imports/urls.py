from django.urls import path

from daifuku.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.job_list, name="job_list"),
    path("<int:pk>/", views.job_detail, name="job_detail"),
    path("<int:pk>/mapping/", views.job_mapping, name="job_mapping"),
    path("<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("<int:pk>/errors/", views.job_errors, name="job_errors"),
    path("<int:pk>/undo/", views.job_undo, name="job_undo"),
    path("<int:pk>/resume/", views.job_resume, name="job_resume"),
    path("export/companies/", views.export_companies, name="export_companies"),
    path("export/contacts/", views.export_contacts, name="export_contacts"),
    path("export/log/", views.export_log, name="export_log"),
    path("duplicates/<str:object_type>/", views.duplicates, name="duplicates"),
    path("merge/<str:object_type>/<int:survivor>/<int:merged>/", views.merge_view, name="merge"),
    path("merges/<int:pk>/undo/", views.merge_undo, name="merge_undo"),
    path("resolve/<str:object_type>/<int:pk>/", views.resolve, name="resolve"),
]
