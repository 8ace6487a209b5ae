"""Pages of the sales module: contracts (契約), plus the competitor pages (``views/competitors.py``).

A contract outside the user's read scope answers 404 (``contract_get``); one the user may read but
not change answers 403 on the edit, cancel, delete and renewal actions. Writes go through
``services.contracts``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from daifuku.core import visibility
from daifuku.core.services import VersionConflict
from daifuku.customers.views import (
    ACTION_LABELS,
    ListPage,
    _conflict,
    _history,
    _list_response,
    count_response,
)
from daifuku.sales.forms.contracts import (
    CancelForm,
    ContractFilterForm,
    ContractForm,
    ContractFromDealForm,
    ContractLineFormSet,
    contract_initial,
    formset_lines,
    line_initial,
)
from daifuku.sales.models import Contract, ContractStatus
from daifuku.sales.selectors import contracts as selectors
from daifuku.sales.selectors.deals import deal_get
from daifuku.sales.services import contracts as services
from daifuku.sales.views import competitors

CONTRACT = "contract"
CONTRACT_ACTION_LABELS = {
    **ACTION_LABELS,
    "cancelled": gettext_lazy("解約"),
    "expired": gettext_lazy("満了"),
    "renewed": gettext_lazy("更新済み"),
    "auto_renew": gettext_lazy("自動更新"),
    "renewal_deal": gettext_lazy("更新商談の作成"),
}


def _editable(request: HttpRequest, pk: int) -> Contract:
    contract = selectors.contract_get(user=request.user, pk=pk)
    if not visibility.can_edit(request.user, contract, CONTRACT):
        raise PermissionDenied
    return contract


def _service_errors(form: Any, formset: Any, exc: ValidationError) -> None:
    """Field errors on their fields; line errors (``lines.<n>.<field>``, row named) above the form."""
    for name, errors in exc.message_dict.items():
        for message in errors:
            form.add_error(name if name in form.fields else None, message)


@login_required
@require_GET
def contract_list(request: HttpRequest) -> HttpResponse:
    form = ContractFilterForm(request.GET)
    contracts = selectors.contract_list(user=request.user, filters=form.filters())
    page = ListPage(contracts, settings.DAIFUKU_PAGE_SIZE, request.GET.get("page"))
    return _list_response(
        request,
        "sales/contracts/contract_list.html",
        "sales/contracts/_contract_table.html",
        {
            "form": form,
            "page": page,
            "today": timezone.localdate(),
            "can_create": visibility.can_create(request.user, CONTRACT),
        },
    )


@login_required
@require_GET
def contract_count(request: HttpRequest) -> HttpResponse:
    form = ContractFilterForm(request.GET)
    contracts = selectors.contract_list(user=request.user, filters=form.filters())
    return count_response(request, contracts, reverse("sales:contract_list"), "contract")


@login_required
@require_GET
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contract = selectors.contract_get(user=user, pk=pk)
    can_edit = visibility.can_edit(user, contract, CONTRACT)
    lines = [(line, line.quantity * line.unit_price) for line in selectors.contract_lines(contract=contract)]
    context = {
        "contract": contract,
        "can_edit": can_edit,
        "can_renew": can_edit
        and contract.renewal_deal_id is None
        and contract.status in (ContractStatus.ACTIVE, ContractStatus.EXPIRED),
        "can_cancel": can_edit and contract.status in services.EDITABLE_STATUSES,
        "lines": lines,
        "days_left": (contract.ends_on - timezone.localdate()).days if contract.ends_on else None,
        "alerts": list(selectors.contract_alerts(contract=contract)[:20]),
        "history": _history(user, Contract, selectors.contract_history(contract=contract)),
        "action_labels": CONTRACT_ACTION_LABELS,
        "cancel_form": CancelForm(),
    }
    return render(request, "sales/contracts/contract_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contract_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not visibility.can_create(user, CONTRACT):
        raise PermissionDenied
    deal_id = request.GET.get("deal") or request.POST.get("deal")
    if deal_id:
        return _create_from_deal(request, deal_id)
    formset = ContractLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST":
        form = ContractForm(request.POST)
        if form.is_valid() and formset.is_valid():
            data = form.service_data()
            data["lines"] = formset_lines(formset)
            try:
                contract = services.contract_create(by=user, data=data)
            except ValidationError as exc:
                _service_errors(form, formset, exc)
            except PermissionDenied:
                form.add_error("owner", _("この担当者には割り当てられません（権限の範囲外です）。"))
            else:
                messages.success(request, _("契約 %(number)s を登録しました。") % {"number": contract.number})
                return redirect("sales:contract_detail", contract.pk)
    else:
        today = timezone.localdate()
        form = ContractForm(
            initial={
                "owner": user.pk,
                "starts_on": today,
                "signed_on": today,
                "currency": "JPY",
                "notice_days": 30,
            }
        )
    return render(
        request, "sales/contracts/contract_form.html", {"form": form, "formset": formset, "contract": None}
    )


def _create_from_deal(request: HttpRequest, deal_id: str) -> HttpResponse:
    user = request.user
    deal = deal_get(user=user, pk=deal_id)
    existing = selectors.contract_for_deal(user=user, deal_id=deal.pk)
    if existing is not None and request.method == "GET":
        messages.info(request, _("この商談の契約は既に登録されています。"))
        return redirect("sales:contract_detail", existing.pk)
    if request.method == "POST":
        form = ContractFromDealForm(request.POST)
        if form.is_valid():
            try:
                contract = services.contract_create_from_deal(deal=deal, by=user, data=form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, _("契約 %(number)s を登録しました。") % {"number": contract.number})
                return redirect("sales:contract_detail", contract.pk)
    else:
        starts_on = deal.closed_on or timezone.localdate()
        form = ContractFromDealForm(
            initial={
                "title": deal.name,
                "billing_type": deal.billing_type,
                "signed_on": starts_on,
                "starts_on": starts_on,
                "ends_on": services.add_months(starts_on, 12) - dt.timedelta(days=1),  # 1年契約
                "notice_days": 30,
            }
        )
    context = {
        "form": form,
        "deal": deal,
        "deal_won": deal.stage.is_won,
        "deal_lines": list(deal.lines.select_related("product").order_by("sort_order", "id")),
    }
    return render(request, "sales/contracts/contract_from_deal.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contract = _editable(request, pk)
    conflict = None
    if request.method == "POST":
        form = ContractForm(request.POST)
        formset = ContractLineFormSet(request.POST, prefix="lines")
        if form.is_valid() and formset.is_valid():
            data = form.service_data()
            data["lines"] = formset_lines(formset)
            try:
                services.contract_update(
                    contract=contract, by=user, data=data, seen_version=form.cleaned_data["version"]
                )
            except VersionConflict as exc:
                conflict = _conflict(user, Contract, exc, form)
            except ValidationError as exc:
                _service_errors(form, formset, exc)
            except PermissionDenied:
                form.add_error("owner", _("この担当者には割り当てられません（権限の範囲外です）。"))
            else:
                messages.success(request, _("契約を更新しました。"))
                return redirect("sales:contract_detail", contract.pk)
    else:
        form = ContractForm(
            initial=contract_initial(contract),
            company_label=contract.company.display_name,
            company_id=contract.company_id,
        )
        formset = ContractLineFormSet(
            initial=line_initial(selectors.contract_lines(contract=contract)), prefix="lines"
        )
    return render(
        request,
        "sales/contracts/contract_form.html",
        {"form": form, "formset": formset, "contract": contract, "conflict": conflict},
    )


@login_required
@require_POST
def contract_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _editable(request, pk)
    form = CancelForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.contract_cancel(contract=contract, by=request.user, note=note)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("契約 %(number)s を解約にしました。") % {"number": contract.number})
    return redirect("sales:contract_detail", contract.pk)


@login_required
@require_http_methods(["GET", "POST"])
def contract_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _editable(request, pk)
    if request.method == "POST":
        services.contract_trash(contract=contract, by=request.user)
        messages.success(request, _("契約 %(number)s をごみ箱に移動しました。") % {"number": contract.number})
        return redirect("sales:contract_list")
    return render(request, "sales/contracts/contract_confirm_delete.html", {"contract": contract})


@login_required
@require_POST
def contract_renewal_deal(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _editable(request, pk)
    try:
        deal = services.contract_create_renewal_deal(contract=contract, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        messages.error(request, _("この担当者の商談は作成できません（権限の範囲外です）。"))
    else:
        messages.success(request, _("更新商談「%(name)s」を作成しました。") % {"name": deal.name})
    return redirect("sales:contract_detail", contract.pk)


urlpatterns: list[URLPattern | URLResolver] = [
    path("contracts/", contract_list, name="contract_list"),
    path("contracts/count/", contract_count, name="contract_count"),
    path("contracts/new/", contract_create, name="contract_create"),
    path("contracts/<int:pk>/", contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/edit/", contract_edit, name="contract_edit"),
    path("contracts/<int:pk>/cancel/", contract_cancel, name="contract_cancel"),
    path("contracts/<int:pk>/delete/", contract_delete, name="contract_delete"),
    path("contracts/<int:pk>/renewal-deal/", contract_renewal_deal, name="contract_renewal_deal"),
    *competitors.urlpatterns,
]
