"""Pages of competitors (競合): the list with win/loss figures, details, and the competitors of a deal.

Everyone reads competitors; managers and administrators change them (403 otherwise). The deal page
includes ``sales/competitors/_deal_competitors.html``, which loads :func:`deal_competitors` over
htmx; adding and removing a deal's competitor needs the edit right on the deal. These URLs are
mounted through ``views/contracts.py``.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from daifuku.core import visibility
from daifuku.sales.forms.contracts import CompetitorForm, DealCompetitorForm, competitor_initial
from daifuku.sales.models import Deal
from daifuku.sales.selectors import competitors as selectors
from daifuku.sales.selectors.deals import deal_get
from daifuku.sales.services import competitors as services

DEAL = "deal"


def _check_manager(request: HttpRequest) -> None:
    if not services.can_manage_competitors(request.user):
        raise PermissionDenied


@login_required
@require_GET
def competitor_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    show = request.GET.get("show", "active")
    active = None if show == "all" else True
    competitors = list(selectors.competitor_list(user=request.user, q=q, active=active))
    stats = selectors.competitor_stats(user=request.user, competitor_ids=[c.pk for c in competitors])
    rows = [(c, stats.get(c.pk, selectors.CompetitorStats())) for c in competitors]
    context = {
        "rows": rows,
        "q": q,
        "show": show,
        "can_manage": services.can_manage_competitors(request.user),
    }
    return render(request, "sales/competitors/competitor_list.html", context)


@login_required
@require_GET
def competitor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    competitor = selectors.competitor_get(user=request.user, pk=pk)
    stats = selectors.competitor_stats(user=request.user, competitor_ids=[competitor.pk])
    context = {
        "competitor": competitor,
        "stats": stats.get(competitor.pk, selectors.CompetitorStats()),
        "links": list(selectors.competitor_deals(user=request.user, competitor=competitor)[:200]),
        "can_manage": services.can_manage_competitors(request.user),
    }
    return render(request, "sales/competitors/competitor_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def competitor_create(request: HttpRequest) -> HttpResponse:
    _check_manager(request)
    form = CompetitorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            competitor = services.competitor_create(by=request.user, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("競合「%(name)s」を登録しました。") % {"name": competitor.name})
            return redirect("sales:competitor_detail", competitor.pk)
    return render(request, "sales/competitors/competitor_form.html", {"form": form, "competitor": None})


@login_required
@require_http_methods(["GET", "POST"])
def competitor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _check_manager(request)
    competitor = selectors.competitor_get(user=request.user, pk=pk)
    if request.method == "POST":
        form = CompetitorForm(request.POST)
        if form.is_valid():
            try:
                services.competitor_update(competitor=competitor, by=request.user, data=form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, _("競合を更新しました。"))
                return redirect("sales:competitor_detail", competitor.pk)
    else:
        form = CompetitorForm(initial=competitor_initial(competitor))
    return render(request, "sales/competitors/competitor_form.html", {"form": form, "competitor": competitor})


@login_required
@require_POST
def competitor_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _check_manager(request)
    competitor = selectors.competitor_get(user=request.user, pk=pk)
    try:
        services.competitor_delete(competitor=competitor, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sales:competitor_detail", competitor.pk)
    messages.success(request, _("競合「%(name)s」を削除しました。") % {"name": competitor.name})
    return redirect("sales:competitor_list")


# Competitors of a deal (htmx partial on the deal page)


def _deal_panel(
    request: HttpRequest, deal: Deal, form: DealCompetitorForm | None = None, status: int = 200
) -> HttpResponse:
    can_edit = visibility.can_edit(request.user, deal, DEAL)
    choices = selectors.competitor_choices(deal=deal)
    context: dict[str, Any] = {
        "deal": deal,
        "links": list(selectors.deal_competitors(deal=deal)),
        "can_edit": can_edit,
        "form": form or DealCompetitorForm(choices=choices),
    }
    return render(request, "sales/competitors/_deal_competitors_panel.html", context, status=status)


@login_required
@require_GET
def deal_competitors(request: HttpRequest, deal_pk: int) -> HttpResponse:
    return _deal_panel(request, deal_get(user=request.user, pk=deal_pk))


@login_required
@require_POST
def deal_competitor_add(request: HttpRequest, deal_pk: int) -> HttpResponse:
    deal = deal_get(user=request.user, pk=deal_pk)
    if not visibility.can_edit(request.user, deal, DEAL):
        raise PermissionDenied
    form = DealCompetitorForm(request.POST, choices=selectors.competitor_queryset(user=request.user))
    if not form.is_valid():
        return _deal_panel(request, deal, form, status=422)
    try:
        services.deal_competitor_set(
            deal=deal,
            competitor=form.cleaned_data["competitor"],
            by=request.user,
            data={"offer_price": form.cleaned_data["offer_price"], "notes": form.cleaned_data["notes"]},
        )
    except ValidationError as exc:
        form.add_service_errors(exc.message_dict)
        return _deal_panel(request, deal, form, status=422)
    return _deal_panel(request, deal)


@login_required
@require_POST
def deal_competitor_remove(request: HttpRequest, deal_pk: int, competitor_pk: int) -> HttpResponse:
    deal = deal_get(user=request.user, pk=deal_pk)
    if not visibility.can_edit(request.user, deal, DEAL):
        raise PermissionDenied
    competitor = selectors.competitor_get(user=request.user, pk=competitor_pk)
    # Already removed (in another tab): show the current list all the same.
    with contextlib.suppress(ValidationError):
        services.deal_competitor_remove(deal=deal, competitor=competitor, by=request.user)
    return _deal_panel(request, deal)


urlpatterns: list[URLPattern] = [
    path("competitors/", competitor_list, name="competitor_list"),
    path("competitors/new/", competitor_create, name="competitor_create"),
    path("competitors/<int:pk>/", competitor_detail, name="competitor_detail"),
    path("competitors/<int:pk>/edit/", competitor_edit, name="competitor_edit"),
    path("competitors/<int:pk>/delete/", competitor_delete, name="competitor_delete"),
    path("deals/<int:deal_pk>/competitors/", deal_competitors, name="deal_competitors"),
    path("deals/<int:deal_pk>/competitors/add/", deal_competitor_add, name="deal_competitor_add"),
    path(
        "deals/<int:deal_pk>/competitors/<int:competitor_pk>/remove/",
        deal_competitor_remove,
        name="deal_competitor_remove",
    ),
]
