from django.urls import include, path

from daifuku.api import api

urlpatterns = [
    path("", include("daifuku.web.urls")),
    path("", include("daifuku.core.urls")),
    path("customers/", include("daifuku.customers.urls")),
    path("activities/", include("daifuku.activities.urls")),
    path("imports/", include("daifuku.imports.urls")),
    path("catalog/", include("daifuku.catalog.urls")),
    path("sales/", include("daifuku.sales.urls")),
    path("api/v1/", api.urls),
]
