from daifuku.sales.views import company, contracts, deals, forecast, leads, quotes

app_name = "sales"
urlpatterns = [
    *leads.urlpatterns,
    *deals.urlpatterns,
    *quotes.urlpatterns,
    *contracts.urlpatterns,
    *forecast.urlpatterns,
    *company.urlpatterns,
]
