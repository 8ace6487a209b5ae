"""Pages of the sales module: quotes (見積) — list, editor for drafts, detail with status actions, PDF.

Views parse the request, call ``selectors.quotes`` / ``services.quotes`` and render. A quote the user
may not read is a 404; a write the user may not make is a 403 (services raise ``PermissionDenied``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from daifuku.core import visibility
from daifuku.core.models import Currency
from daifuku.core.money import TAXED
from daifuku.core.services import VersionConflict, profile_get
from daifuku.customers.views import ListPage
from daifuku.sales.forms.quotes import (
    QuoteAcceptForm,
    QuoteFilterForm,
    QuoteHeaderForm,
    QuoteLineFormSet,
    QuoteRejectForm,
    QuoteSendForm,
    product_choices,
)
from daifuku.sales.models import Quote, QuoteStatus
from daifuku.sales.rows import quote_rows
from daifuku.sales.selectors import quotes as selectors
from daifuku.sales.services import quotes as services

QUOTE = "quote"
LINES_PREFIX = "lines"


def _money_format(quote_or_currency: Any) -> str:
    """The ``floatformat`` argument for a currency: its decimals with grouping (``0g``, ``2g``)."""
    currency = getattr(quote_or_currency, "currency", quote_or_currency)
    return f"{currency.decimals}g"


def _summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored per-rate totals with amounts as numbers and whether the rate carries tax."""
    return [
        {**row, "base": Decimal(row["base"]), "tax": Decimal(row["tax"]), "taxed": row["category"] in TAXED}
        for row in rows
    ]


# List


@login_required
@require_GET
def quote_list(request: HttpRequest) -> HttpResponse:
    form = QuoteFilterForm(request.GET or None)
    filters = selectors.QuoteFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.QuoteFilters(
            q=data["q"] or "",
            status=data["status"] or "",
            owner=data["owner"].pk if data["owner"] else None,
            company=data["company"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            amount_min=data["amount_min"],
            amount_max=data["amount_max"],
        )
    page = ListPage(
        selectors.quote_list(user=request.user, filters=filters),
        settings.DAIFUKU_PAGE_SIZE,
        request.GET.get("page"),
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "sales/quotes/quote_list.html",
        {"form": form, "page": page, "rows": quote_rows(page.object_list), "base_query": query.urlencode()},
    )


# Create, edit


@login_required
@require_POST
def quote_create(request: HttpRequest, deal_pk: int) -> HttpResponse:
    from daifuku.sales.selectors.deals import deal_get

    deal = deal_get(user=request.user, pk=deal_pk)
    try:
        quote = services.quote_create_from_deal(deal=deal, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sales:deal_detail", pk=deal.pk)
    messages.success(request, _("見積 %(number)s を作成しました。") % {"number": quote.display_number})
    return redirect("sales:quote_edit", pk=quote.pk)


def _line_initial(quote: Quote) -> list[dict[str, Any]]:
    return [
        {
            "product": line.product_id or "",
            "description": line.description,
            "quantity": f"{line.quantity.normalize():f}",
            "unit": line.unit,
            "unit_price": f"{line.unit_price.normalize():f}",
            "discount_percent": f"{line.discount_percent.normalize():f}" if line.discount_percent else "",
            "discount_amount": f"{line.discount_amount.normalize():f}" if line.discount_amount else "",
            "tax_category": line.tax_category,
        }
        for line in selectors.quote_lines(quote=quote)
    ]


def _rows(formset: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    """Service rows from the formset and the form of each row (to put row errors back on it)."""
    rows, forms = [], []
    for form in formset.forms:
        row = form.row() if form.is_valid() else None
        if row is not None:
            rows.append(row)
            forms.append(form)
    return rows, forms


def _put_errors(exc: ValidationError, header: QuoteHeaderForm, row_forms: list[Any]) -> None:
    for key, errors in exc.message_dict.items():
        message = " ".join(errors)
        if key.startswith("lines."):
            parts = key.split(".")
            index = int(parts[1]) if parts[1].isdigit() else -1
            field = parts[2] if len(parts) > 2 else None
            if 0 <= index < len(row_forms):
                form = row_forms[index]
                form.add_error(field if field in form.fields else None, message)
                continue
        if key in header.fields:
            header.add_error(key, message)
        else:
            header.add_error(None, message)


@login_required
@require_http_methods(["GET", "POST"])
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_get(user=request.user, pk=pk)
    if not quote.is_editable:
        messages.info(request, _("発行済みの見積は変更できません。変更するには改訂版を作成してください。"))
        return redirect("sales:quote_detail", pk=quote.pk)
    visibility.check_can_edit(request.user, quote, QUOTE)
    contacts = list(quote.company.contacts.filter(deleted_at__isnull=True).order_by("kana_key", "id"))
    products = product_choices()
    form_kwargs = {"products": products}
    status = 200
    conflict = None
    if request.method == "POST":
        header = QuoteHeaderForm(request.POST, quote=quote, contacts=contacts)
        formset = QuoteLineFormSet(request.POST, prefix=LINES_PREFIX, form_kwargs=form_kwargs)
        header_ok = header.is_valid()
        rows, row_forms = _rows(formset)
        if "add_row" in request.POST:
            data = request.POST.copy()
            data[f"{LINES_PREFIX}-TOTAL_FORMS"] = str(formset.total_form_count() + 1)
            formset = QuoteLineFormSet(data, prefix=LINES_PREFIX, form_kwargs=form_kwargs)
            formset.is_valid()
        elif header_ok and formset.is_valid():
            data = {name: value for name, value in header.cleaned_data.items()}
            data["lines"] = rows
            try:
                services.quote_update(
                    quote=quote, by=request.user, data=data, seen_version=request.POST.get("version")
                )
            except VersionConflict as exc:
                conflict = exc
                status = 409
            except ValidationError as exc:
                _put_errors(exc, header, row_forms)
                status = 422
            else:
                messages.success(request, _("見積を保存しました。"))
                if "issue" in request.POST:
                    return redirect(reverse("sales:quote_detail", kwargs={"pk": quote.pk}) + "#issue")
                return redirect("sales:quote_detail", pk=quote.pk)
        else:
            status = 422
    else:
        header = QuoteHeaderForm(initial=QuoteHeaderForm.initial_for(quote), quote=quote, contacts=contacts)
        initial = _line_initial(quote) or [{}]
        formset = QuoteLineFormSet(initial=initial, prefix=LINES_PREFIX, form_kwargs=form_kwargs)
    context = {
        "quote": quote,
        "header": header,
        "formset": formset,
        "conflict": conflict,
        "money_format": _money_format(quote),
        "summary": _summary(quote.tax_summary),
    }
    return render(request, "sales/quotes/quote_form.html", context, status=status)


@login_required
@require_POST
def quote_totals(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor's live totals (htmx): the typed rows computed by the service, nothing saved."""
    quote = selectors.quote_get(user=request.user, pk=pk)
    formset = QuoteLineFormSet(request.POST, prefix=LINES_PREFIX, form_kwargs={"products": product_choices()})
    rows, _forms = _rows(formset)
    currency = Currency.objects.filter(code=request.POST.get("currency") or quote.currency_id).first()
    context: dict[str, Any] = {"quote": quote}
    try:
        if currency is None:
            raise ValidationError({"currency": _("選択肢にない値です。")})
        totals = services.lines_preview(rows=rows, currency_code=currency.code)
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
    else:
        context.update(
            subtotal=totals.subtotal,
            tax_total=totals.tax,
            total=totals.total,
            summary=_summary(services.tax_summary(totals, decimals=currency.decimals)),
            money_format=_money_format(currency),
        )
    return render(request, "sales/quotes/_totals.html", context)


# Detail and status actions


@login_required
@require_GET
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_get(user=request.user, pk=pk)
    can_edit = visibility.can_edit(request.user, quote, QUOTE)
    superseded = hasattr(quote, "next_revision")
    profile = profile_get()
    send_form = QuoteSendForm(
        initial={
            "to": quote.contact.email if quote.contact_id and quote.contact else "",
            "subject": _("御見積書 %(number)s のご送付（%(issuer)s）")
            % {"number": quote.display_number, "issuer": (quote.issuer or {}).get("name") or profile.name},
            "body": _(
                "%(recipient)s\n\nいつもお世話になっております。\n%(title)s の御見積書をお送りいたします。\n"
                "添付のPDFをご確認くださいますようお願い申し上げます。\n\n%(sender)s"
            )
            % {"recipient": quote.recipient_name, "title": quote.title, "sender": request.user.display_name},
        }
    )
    context = {
        "quote": quote,
        "lines": selectors.quote_lines(quote=quote),
        "summary": _summary(quote.tax_summary),
        "has_reduced": any(row.get("reduced") for row in quote.tax_summary),
        "revisions": selectors.quote_revisions(user=request.user, quote=quote),
        "superseded": superseded,
        "can_edit": can_edit,
        "can_issue": can_edit and quote.status == QuoteStatus.DRAFT,
        "can_send": can_edit and quote.status in (QuoteStatus.ISSUED, QuoteStatus.SENT),
        "can_decide": can_edit and quote.status in services.DECIDABLE and not superseded,
        "can_revise": can_edit and quote.status in services.REVISABLE and not superseded,
        "send_form": send_form,
        "accept_form": QuoteAcceptForm(),
        "reject_form": QuoteRejectForm(),
        "money_format": _money_format(quote),
    }
    return render(request, "sales/quotes/quote_detail.html", context)


def _action(request: HttpRequest, pk: int, run: Any, done: str) -> HttpResponse:
    quote = selectors.quote_get(user=request.user, pk=pk)
    try:
        result = run(quote)
    except VersionConflict:
        messages.error(request, _("他の人が先に変更しました。画面を読み込み直してください。"))
        return redirect("sales:quote_detail", pk=quote.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sales:quote_detail", pk=quote.pk)
    messages.success(request, done % {"number": result.display_number})
    return redirect("sales:quote_detail", pk=result.pk)


@login_required
@require_POST
def quote_issue(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda q: services.quote_issue(quote=q, by=request.user, seen_version=request.POST.get("version")),
        _("見積 %(number)s を発行しました。"),
    )


@login_required
@require_http_methods(["POST"])
def quote_send(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_get(user=request.user, pk=pk)
    form = QuoteSendForm(request.POST)
    if form.is_valid():
        try:
            services.quote_send(quote=quote, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                form.add_error(key if key in form.fields else None, " ".join(errors))
        else:
            messages.success(
                request, _("見積 %(number)s を送付しました。") % {"number": quote.display_number}
            )
            return redirect("sales:quote_detail", pk=quote.pk)
    return render(request, "sales/quotes/quote_send.html", {"quote": quote, "form": form}, status=422)


@login_required
@require_POST
def quote_accept(request: HttpRequest, pk: int) -> HttpResponse:
    form = QuoteAcceptForm(request.POST)
    form.is_valid()
    won = bool(form.cleaned_data.get("mark_deal_won"))
    return _action(
        request,
        pk,
        lambda q: services.quote_accept(quote=q, by=request.user, mark_deal_won=won),
        _("見積 %(number)s を受注にしました。"),
    )


@login_required
@require_POST
def quote_reject(request: HttpRequest, pk: int) -> HttpResponse:
    form = QuoteRejectForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "")
    return _action(
        request,
        pk,
        lambda q: services.quote_reject(quote=q, by=request.user, note=note),
        _("見積 %(number)s を不採用にしました。"),
    )


@login_required
@require_POST
def quote_revise(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_get(user=request.user, pk=pk)
    try:
        revision = services.quote_revise(quote=quote, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sales:quote_detail", pk=quote.pk)
    messages.success(request, _("改訂版 %(number)s を作成しました。") % {"number": revision.display_number})
    return redirect("sales:quote_edit", pk=revision.pk)


@login_required
@require_POST
def quote_delete(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_get(user=request.user, pk=pk)
    try:
        services.quote_delete(quote=quote, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sales:quote_detail", pk=quote.pk)
    messages.success(request, _("見積 %(number)s をごみ箱に移しました。") % {"number": quote.display_number})
    return redirect("sales:deal_detail", pk=quote.deal_id)


@login_required
@require_GET
def quote_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The stored PDF once issued (checked against its SHA-256); a 下書き render for drafts."""
    quote = selectors.quote_get(user=request.user, pk=pk)
    try:
        content = services.quote_pdf_bytes(quote=quote)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=500, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{services.attachment_name(quote)}"'
    return response


@login_required
@require_GET
def deal_quotes(request: HttpRequest, deal_pk: int) -> HttpResponse:
    """The deal page's quotes section (loaded by ``_deal_quotes.html`` when the page did not pass them)."""
    from daifuku.sales.selectors.deals import deal_get

    deal = deal_get(user=request.user, pk=deal_pk)
    quotes = selectors.quotes_for_deal(user=request.user, deal=deal)
    return render(
        request,
        "sales/quotes/_deal_quotes.html",
        {"deal": deal, "quotes": quotes, "can_create": visibility.can_create(request.user, QUOTE)},
    )


urlpatterns: list[URLPattern] = [
    path("quotes/", quote_list, name="quote_list"),
    path("quotes/<int:pk>/", quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/edit/", quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/totals/", quote_totals, name="quote_totals"),
    path("quotes/<int:pk>/issue/", quote_issue, name="quote_issue"),
    path("quotes/<int:pk>/send/", quote_send, name="quote_send"),
    path("quotes/<int:pk>/accept/", quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/reject/", quote_reject, name="quote_reject"),
    path("quotes/<int:pk>/revise/", quote_revise, name="quote_revise"),
    path("quotes/<int:pk>/delete/", quote_delete, name="quote_delete"),
    path("quotes/<int:pk>/pdf", quote_pdf, name="quote_pdf"),
    path("deals/<int:deal_pk>/quotes/", deal_quotes, name="deal_quotes"),
    path("deals/<int:deal_pk>/quotes/new/", quote_create, name="quote_create"),
]
