from django.urls import path

from daifuku.customers import views

app_name = "customers"
urlpatterns = [
    path("companies/", views.company_list, name="company_list"),
    path("companies/count/", views.company_count, name="company_count"),
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/duplicates/", views.company_duplicates, name="company_duplicates"),
    path("companies/choices/", views.company_choices, name="company_choices"),
    path("companies/<int:pk>/", views.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", views.company_edit, name="company_edit"),
    path("companies/<int:pk>/delete/", views.company_delete, name="company_delete"),
    path("companies/<int:pk>/handover/", views.company_handover, name="company_handover"),
    path("companies/<int:pk>/restore/", views.company_restore, name="company_restore"),
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/count/", views.contact_count, name="contact_count"),
    path("contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/duplicates/", views.contact_duplicates, name="contact_duplicates"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("contacts/<int:pk>/restore/", views.contact_restore, name="contact_restore"),
    path("trash/", views.trash, name="trash"),
    path("postal/", views.postal_lookup, name="postal_lookup"),
]
