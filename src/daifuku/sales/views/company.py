"""The 商談・契約 panel of the company page (registered with ``customers.panels``, loaded over htmx)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from daifuku.core import visibility
from daifuku.customers import selectors as customer_selectors
from daifuku.sales.selectors import contracts as contract_selectors
from daifuku.sales.selectors import deals as deal_selectors

PANEL_LIMIT = 10


@login_required
@require_GET
def company_sales_panel(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    company = customer_selectors.company_get(user=user, pk=pk)
    open_deals, closed_deals, open_count = deal_selectors.company_deals(
        user=user, company=company, limit=PANEL_LIMIT
    )
    context = {
        "company": company,
        "open_deals": open_deals,
        "more_open": open_count > PANEL_LIMIT,
        "closed_deals": closed_deals,
        "contracts": contract_selectors.company_contracts(user=user, company=company, limit=PANEL_LIMIT),
        "can_create_deal": visibility.can_create(user, "deal"),
        "reads_deals": visibility.scope_for(user, "deal") != "none",
        "reads_contracts": visibility.scope_for(user, "contract") != "none",
    }
    return render(request, "sales/_company_panel.html", context)


urlpatterns: list[URLPattern] = [
    path("companies/<int:pk>/sales-panel/", company_sales_panel, name="company_sales_panel"),
]
