"""The shell's pages: home and global search. Thin: parse, call selectors, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from daifuku.core.selectors import notification_list
from daifuku.customers.selectors import company_list, contact_list, global_search
from daifuku.web.search_sections import search_all

HOME_NOTIFICATIONS = 5
SEARCH_LIMIT = 20
SUGGEST_LIMIT = 5
SUGGEST_SECTION_LIMIT = 3  # per module section (商談, 引合 …) in the typeahead


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "company_count": company_list(user=user).count(),
        "contact_count": contact_list(user=user).count(),
        "notifications": list(notification_list(user=user).filter(read_at__isnull=True)[:HOME_NOTIFICATIONS]),
    }
    return render(request, "web/home.html", context)


@require_GET
@login_required
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    results = global_search(user=request.user, q=q, limit=SEARCH_LIMIT)
    sections = search_all(user=request.user, q=q, limit=SEARCH_LIMIT)
    context = {"search_query": q, "results": results, "sections": sections, "limit": SEARCH_LIMIT}
    return render(request, "web/search.html", context)


@require_GET
@login_required
def search_suggest(request: HttpRequest) -> HttpResponse:
    """The header's typeahead: a few matches as a dropdown list (htmx partial)."""
    q = request.GET.get("q", "").strip()[:200]
    results = global_search(user=request.user, q=q, limit=SUGGEST_LIMIT)
    sections = search_all(user=request.user, q=q, limit=SUGGEST_SECTION_LIMIT)
    context = {"search_query": q, "results": results, "sections": sections}
    return render(request, "web/_search_suggest.html", context)
