from django.urls import path

from daifuku.catalog import views

app_name = "catalog"
urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/trash/", views.product_trash, name="product_trash"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("products/<int:pk>/active/", views.product_set_active, name="product_set_active"),
    path("products/<int:pk>/delete/", views.product_delete, name="product_delete"),
    path("products/<int:pk>/restore/", views.product_restore, name="product_restore"),
    path("categories/", views.category_list, name="category_list"),
    path("price-lists/", views.price_list_list, name="price_list_list"),
    path("price-lists/<int:pk>/", views.price_list_detail, name="price_list_detail"),
    path("currencies/", views.currency_list, name="currency_list"),
    path("currencies/import/", views.rate_import, name="rate_import"),
    path("currencies/<str:code>/", views.currency_detail, name="currency_detail"),
]
