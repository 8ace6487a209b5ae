"""Pages of the product catalog (商品), categories, price lists (価格表) and currencies (通貨・為替レート).

Every signed-in user reads products and price lists; administrators and managers change them
(edit pages answer 403 to others). Currencies and rates are changed by administrators only. Writes go
through ``catalog.services``; a missing or trashed product answers 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from daifuku.catalog import forms, selectors, services
from daifuku.catalog.models import PriceList, Product, ProductCategory
from daifuku.core.models import Currency, ExchangeRate
from daifuku.core.services import VersionConflict
from daifuku.customers.views import ListPage, _is_htmx, capped_count

HISTORY_LIMIT = 200
RATE_PAGE = 100

ACTION_LABELS = {
    "create": gettext_lazy("登録"),
    "update": gettext_lazy("更新"),
    "delete": gettext_lazy("削除"),
    "restore": gettext_lazy("復元"),
    "item_set": gettext_lazy("価格の設定"),
    "item_delete": gettext_lazy("価格の削除"),
}


# 履歴 (audit entries with field labels and names)


def _names(changes: list[dict[str, list[Any]]]) -> dict[str, dict[Any, str]]:
    ids: set[int] = set()
    for change in changes:
        for value in change.get("category", []):
            if isinstance(value, int):
                ids.add(value)
    categories = dict(ProductCategory.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    return {"category": categories}


def _label(model: type[models.Model], name: str) -> str:
    for candidate in (model, Currency):  # a currency's page lists its own changes and its rates
        try:
            return str(candidate._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            continue
    return name  # a price-list tier ("P001 ≥10")


def _value(model: type[models.Model], name: str, value: Any, names: dict[str, dict[Any, str]]) -> str:
    if value in (None, "", [], {}):
        return "—"
    if name in names:
        return names[name].get(value, f"#{value}")
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    if isinstance(
        value, list
    ):  # a price list's named companies (ids: names may be out of the reader's scope)
        return ", ".join(f"#{v}" for v in value)
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    choices = dict(getattr(field, "flatchoices", None) or [])
    return str(choices.get(value, value))


def _change_rows(
    model: type[models.Model], changes: dict[str, list[Any]], names: dict
) -> list[tuple[str, str, str]]:
    return [
        (_label(model, name), _value(model, name, old, names), _value(model, name, new, names))
        for name, (old, new) in changes.items()
        if not (old in (None, "", [], {}) and new in (None, "", [], {}))
    ]


def _history(model: type[models.Model], entries: Any) -> list[dict[str, Any]]:
    rows = list(entries[:HISTORY_LIMIT])
    names = _names([e.changes for e in rows])
    return [{"entry": e, "changes": _change_rows(model, e.changes, names)} for e in rows]


def _history_context(model: type[models.Model], entries: Any) -> dict[str, Any]:
    return {"history": _history(model, entries), "action_labels": ACTION_LABELS}


def _require_catalog_editor(request: HttpRequest) -> None:
    if not selectors.can_edit_catalog(request.user):
        raise PermissionDenied


def _require_currency_admin(request: HttpRequest) -> None:
    if not selectors.can_edit_currencies(request.user):
        raise PermissionDenied


# Products


@login_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    form = forms.ProductFilterForm(request.GET)
    sort = form.sort_key()
    products = selectors.product_list(user=request.user, filters=form.filters(), sort=sort)
    page = ListPage(products, settings.DAIFUKU_PAGE_SIZE, request.GET.get("page"))
    if page.known:
        total, capped = page.total, page.capped
    else:
        total, capped = capped_count(products)
    htmx = _is_htmx(request)
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "total": total,
        "capped": capped,
        "can_edit": selectors.can_edit_catalog(request.user),
        "is_htmx": htmx,
    }
    template = "catalog/_product_table.html" if htmx else "catalog/product_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(user=request.user, pk=pk, include_deleted=True)
    context = {
        "product": product,
        "can_edit": selectors.can_edit_catalog(request.user) and not product.is_deleted,
        "price_items": selectors.product_price_list_items(product=product),
        **_history_context(Product, selectors.product_history(product=product)),
    }
    return render(request, "catalog/product_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    _require_catalog_editor(request)
    if request.method == "POST":
        form = forms.ProductForm(request.POST)
        if form.is_valid():
            try:
                product = services.product_create(by=request.user, data=form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, _("商品「%(name)s」を登録しました。") % {"name": product.name})
                return redirect("catalog:product_detail", pk=product.pk)
    else:
        form = forms.ProductForm()
    return render(request, "catalog/product_form.html", {"form": form, "product": None})


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_catalog_editor(request)
    product = selectors.product_get(user=request.user, pk=pk)
    conflict = None
    if request.method == "POST":
        form = forms.ProductForm(request.POST, instance=product)
        if form.is_valid():
            try:
                services.product_update(
                    product=product, by=request.user, data=form.service_data(),
                    seen_version=form.cleaned_data["version"],
                )  # fmt: skip
            except VersionConflict as exc:
                changes = exc.changed_fields
                conflict = _change_rows(Product, changes, _names([changes]))
                form.data = form.data.copy()
                form.data["version"] = str(exc.current_version)
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, _("商品を更新しました。"))
                return redirect("catalog:product_detail", pk=product.pk)
    else:
        form = forms.ProductForm(instance=product)
    return render(
        request, "catalog/product_form.html", {"form": form, "product": product, "conflict": conflict}
    )


@login_required
@require_POST
def product_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    _require_catalog_editor(request)
    product = selectors.product_get(user=request.user, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.product_set_active(
            product=product, by=request.user, active=active, seen_version=request.POST.get("version") or None
        )
    except VersionConflict:
        messages.error(
            request, _("この間に他の人が商品を変更しました。内容を確認してもう一度操作してください。")
        )
    else:
        if active:
            messages.success(request, _("「%(name)s」を販売中にしました。") % {"name": product.name})
        else:
            messages.success(request, _("「%(name)s」を販売終了にしました。") % {"name": product.name})
    return redirect("catalog:product_detail", pk=product.pk)


@login_required
@require_http_methods(["GET", "POST"])
def product_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_catalog_editor(request)
    product = selectors.product_get(user=request.user, pk=pk)
    if request.method == "POST":
        services.product_delete(product=product, by=request.user)
        messages.success(request, _("商品「%(name)s」をごみ箱に移動しました。") % {"name": product.name})
        return redirect("catalog:product_list")
    return render(request, "catalog/product_delete.html", {"product": product})


@login_required
@require_GET
def product_trash(request: HttpRequest) -> HttpResponse:
    if not request.user.is_administrator:
        raise Http404
    products = list(selectors.product_trash(user=request.user)[:200])
    return render(request, "catalog/product_trash.html", {"products": products})


@login_required
@require_POST
def product_restore(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_administrator:
        raise Http404
    product = selectors.product_get(user=request.user, pk=pk, include_deleted=True)
    services.product_restore(product=product, by=request.user)
    messages.success(request, _("商品「%(name)s」を復元しました。") % {"name": product.name})
    return redirect("catalog:product_detail", pk=product.pk)


# Categories


@login_required
@require_http_methods(["GET", "POST"])
def category_list(request: HttpRequest) -> HttpResponse:
    can_edit = selectors.can_edit_catalog(request.user)
    form = forms.CategoryForm()
    edit_errors: dict[int, list[str]] = {}
    if request.method == "POST":
        _require_catalog_editor(request)
        action = request.POST.get("action", "create")
        try:
            if action == "create":
                form = forms.CategoryForm(request.POST)
                if form.is_valid():
                    category = services.category_create(by=request.user, data=form.cleaned_data)
                    messages.success(request, _("分類「%(name)s」を追加しました。") % {"name": category.name})
                    return redirect("catalog:category_list")
            else:
                category = selectors.category_get(pk=request.POST.get("pk"))
                if action == "delete":
                    services.category_delete(category=category, by=request.user)
                    messages.success(request, _("分類「%(name)s」を削除しました。") % {"name": category.name})
                else:
                    services.category_update(
                        category=category,
                        by=request.user,
                        data={
                            "name": request.POST.get("name", ""),
                            "sort_order": request.POST.get("sort_order", ""),
                        },
                    )
                    messages.success(request, _("分類を更新しました。"))
                return redirect("catalog:category_list")
        except ValidationError as exc:
            if action == "create":
                form.add_service_errors(exc.message_dict)
            else:
                edit_errors[int(request.POST.get("pk") or 0)] = [
                    m for ms in exc.message_dict.values() for m in ms
                ]
    categories = [{"category": c, "errors": edit_errors.get(c.pk, [])} for c in selectors.category_list()]
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "catalog/category_list.html",
        {"form": form, "categories": categories, "can_edit": can_edit},
        status=status,
    )


# Price lists


@login_required
@require_http_methods(["GET", "POST"])
def price_list_list(request: HttpRequest) -> HttpResponse:
    can_edit = selectors.can_edit_catalog(request.user)
    form = forms.PriceListForm()
    if request.method == "POST":
        _require_catalog_editor(request)
        form = forms.PriceListForm(request.POST)
        if form.is_valid():
            try:
                price_list = services.price_list_create(
                    by=request.user, data={**form.cleaned_data, "companies": []}
                )
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, _("価格表「%(name)s」を作成しました。") % {"name": price_list.name})
                return redirect("catalog:price_list_detail", pk=price_list.pk)
    price_lists = selectors.price_list_list(user=request.user)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "catalog/price_list_list.html",
        {"form": form, "price_lists": price_lists, "can_edit": can_edit},
        status=status,
    )


def _product_by_code(user: Any, code: str) -> Product | None:
    from daifuku.core import jp

    return selectors.product_queryset(user=user).filter(code=jp.nfkc(code).strip()).first()


@login_required
@require_http_methods(["GET", "POST"])
def price_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    price_list = selectors.price_list_get(user=user, pk=pk)
    can_edit = selectors.can_edit_catalog(user)
    form = forms.PriceListForm(instance=price_list)
    item_form = forms.PriceListItemForm()
    company_form = forms.PriceListCompanyForm()
    status = 200
    if request.method == "POST":
        _require_catalog_editor(request)
        action = request.POST.get("action", "")
        status = 422
        if action == "update":
            form = forms.PriceListForm(request.POST, instance=price_list)
            if form.is_valid():
                try:
                    services.price_list_update(price_list=price_list, by=user, data=form.cleaned_data)
                except ValidationError as exc:
                    form.add_service_errors(exc.message_dict)
                else:
                    messages.success(request, _("価格表を更新しました。"))
                    return redirect("catalog:price_list_detail", pk=price_list.pk)
        elif action == "item_set":
            item_form = forms.PriceListItemForm(request.POST)
            if item_form.is_valid():
                data = dict(item_form.cleaned_data)
                product = _product_by_code(user, data["product"])
                if product is None:
                    item_form.add_error(
                        "product",
                        _("商品コード「%(code)s」の商品が見つかりません。") % {"code": data["product"]},
                    )
                else:
                    data["product"] = product.pk
                    try:
                        services.price_list_item_set(price_list=price_list, by=user, data=data)
                    except ValidationError as exc:
                        item_form.add_service_errors(exc.message_dict)
                    else:
                        messages.success(request, _("価格を設定しました。"))
                        return redirect("catalog:price_list_detail", pk=price_list.pk)
        elif action == "item_delete":
            item = price_list.items.filter(pk=request.POST.get("item") or 0).first()
            if item is None:
                raise Http404
            services.price_list_item_delete(item=item, by=user)
            messages.success(request, _("価格を削除しました。"))
            return redirect("catalog:price_list_detail", pk=price_list.pk)
        elif action in ("company_add", "company_remove"):
            current = list(price_list.companies.values_list("pk", flat=True))
            if action == "company_add":
                company_form = forms.PriceListCompanyForm(request.POST)
                wanted = [*current, company_form.cleaned_data["company"]] if company_form.is_valid() else None
            else:
                removed = request.POST.get("company")
                wanted = [c for c in current if str(c) != removed]
            if wanted is not None:
                try:
                    services.price_list_update(price_list=price_list, by=user, data={"companies": wanted})
                except ValidationError as exc:
                    company_form.add_service_errors(
                        {"company" if k == "companies" else k: v for k, v in exc.message_dict.items()}
                    )
                else:
                    messages.success(request, _("対象取引先を更新しました。"))
                    return redirect("catalog:price_list_detail", pk=price_list.pk)
        elif action == "delete":
            services.price_list_delete(price_list=price_list, by=user)
            messages.success(request, _("価格表「%(name)s」を削除しました。") % {"name": price_list.name})
            return redirect("catalog:price_list_list")
        else:
            raise Http404
    context = {
        "price_list": price_list,
        "can_edit": can_edit,
        "form": form,
        "item_form": item_form,
        "company_form": company_form,
        "items": selectors.price_list_items(price_list=price_list),
        "companies": selectors.price_list_companies(user=user, price_list=price_list),
        "product_codes": selectors.product_list(
            user=user, filters=selectors.ProductFilters(active="1")
        ).filter(currency_id=price_list.currency_id)[:500]
        if can_edit
        else [],
        **_history_context(PriceList, selectors.price_list_history(price_list=price_list)),
    }
    return render(request, "catalog/price_list_detail.html", context, status=status)


# Currencies and exchange rates


@login_required
@require_http_methods(["GET", "POST"])
def currency_list(request: HttpRequest) -> HttpResponse:
    form = forms.CurrencyForm()
    status = 200
    if request.method == "POST":
        _require_currency_admin(request)
        action = request.POST.get("action", "create")
        if action == "create":
            form = forms.CurrencyForm(request.POST)
            if form.is_valid():
                try:
                    currency = services.currency_create(by=request.user, data=form.cleaned_data)
                except ValidationError as exc:
                    form.add_service_errors(exc.message_dict)
                else:
                    messages.success(request, _("通貨「%(code)s」を追加しました。") % {"code": currency.code})
                    return redirect("catalog:currency_list")
            status = 422
        else:
            currency = selectors.currency_get(user=request.user, code=request.POST.get("code", ""))
            try:
                services.currency_set_active(currency=currency, by=request.user, active=action == "activate")
            except ValidationError as exc:
                messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
            else:
                messages.success(request, _("通貨「%(code)s」を更新しました。") % {"code": currency.code})
            return redirect("catalog:currency_list")
    context = {
        "form": form,
        "currencies": selectors.currency_list(user=request.user),
        "can_edit": selectors.can_edit_currencies(request.user),
        "import_form": forms.RateImportForm(),
    }
    return render(request, "catalog/currency_list.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def currency_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    currency = selectors.currency_get(user=user, code=code)
    rate_form = forms.ExchangeRateForm()
    status = 200
    if request.method == "POST":
        _require_currency_admin(request)
        if request.POST.get("action") == "delete":
            rate = selectors.exchange_rate_get(user=user, pk=request.POST.get("rate"))
            if rate.currency_id != currency.code:
                raise Http404
            services.exchange_rate_delete(rate=rate, by=user)
            messages.success(request, _("%(day)s のレートを削除しました。") % {"day": rate.date.isoformat()})
            return redirect("catalog:currency_detail", code=currency.code)
        rate_form = forms.ExchangeRateForm(request.POST)
        if rate_form.is_valid():
            try:
                rate = services.exchange_rate_set(
                    by=user, data={**rate_form.cleaned_data, "currency": currency.code}
                )
            except ValidationError as exc:
                rate_form.add_service_errors(exc.message_dict)
            else:
                messages.success(
                    request,
                    _("%(day)s のレートを %(rate)s 円にしました。")
                    % {"day": rate.date.isoformat(), "rate": f"{rate.rate.normalize():f}"},
                )
                return redirect("catalog:currency_detail", code=currency.code)
        status = 422
    filter_form = forms.RateFilterForm(request.GET)
    filters = selectors.RateFilters(currency=currency.code)
    if filter_form.is_valid():
        filters.date_from = filter_form.cleaned_data.get("date_from")
        filters.date_to = filter_form.cleaned_data.get("date_to")
    rates = list(selectors.exchange_rate_list(user=user, filters=filters)[: RATE_PAGE + 1])
    context = {
        "currency": currency,
        "rates": rates[:RATE_PAGE],
        "more_rates": len(rates) > RATE_PAGE,
        "rate_form": rate_form,
        "filter_form": filter_form,
        "can_edit": selectors.can_edit_currencies(user) and currency.code != "JPY",
        **_history_context(ExchangeRate, selectors.currency_history(currency=currency)),
    }
    return render(request, "catalog/currency_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def rate_import(request: HttpRequest) -> HttpResponse:
    _require_currency_admin(request)
    form = forms.RateImportForm()
    result = None
    status = 200
    if request.method == "POST":
        form = forms.RateImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > 5 * 1024 * 1024:
                form.add_error("file", _("ファイルが大きすぎます（5 MB まで）。"))
            else:
                try:
                    result = services.exchange_rates_import(by=request.user, content=upload.read())
                except ValidationError as exc:
                    form.add_service_errors(exc.message_dict)
        if result is None or result.errors:
            status = 422 if result is None else 200
    return render(request, "catalog/rate_import.html", {"form": form, "result": result}, status=status)
