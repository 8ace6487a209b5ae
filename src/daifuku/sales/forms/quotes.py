"""Forms of the quote pages. They carry what a person typed; the quote services parse and validate it.

Amounts, quantities and dates stay text here so the service's message (naming the row and field) is
the one shown, and full-width digits or 「1,000円」 are understood the same way as in the API.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from daifuku.catalog.models import Product
from daifuku.core.models import Currency, TaxCategory
from daifuku.customers.forms import CompanyChooser, PlainSelect, StyledForm, owner_filter_field
from daifuku.customers.models import Contact
from daifuku.sales.models import Quote, QuoteStatus

BLANK = [("", "—")]


class QuoteFilterForm(StyledForm):
    """List filters; 見積日, 金額 and 取引先 are the searches 電子帳簿保存法 asks for (combinable)."""

    q = forms.CharField(label=_("検索"), required=False, widget=forms.TextInput(attrs={"type": "search"}))
    status = forms.ChoiceField(
        label=_("状態"), required=False, choices=BLANK + QuoteStatus.choices, widget=PlainSelect
    )
    owner = owner_filter_field()  # every active user, as the other lists offer them
    # A typeahead, not a select of every company with a quote: at a million contacts an administrator's
    # list offered ~100,000 of them on every page (the benchmark's quote list).
    company = forms.IntegerField(label=_("取引先"), required=False, widget=CompanyChooser)
    date_from = forms.DateField(
        label=_("見積日（から）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("見積日（まで）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    amount_min = forms.DecimalField(label=_("金額（以上）"), required=False, min_value=0)
    amount_max = forms.DecimalField(label=_("金額（以下）"), required=False, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chooser = self.fields["company"].widget
        assert isinstance(chooser, CompanyChooser)
        chooser.label = self.data.get("company_label", "") if self.is_bound else ""


class QuoteHeaderForm(StyledForm):
    title = forms.CharField(label=_("件名"), max_length=200)
    contact = forms.ChoiceField(label=_("宛先担当者"), required=False)
    recipient_name = forms.CharField(label=_("宛名"), max_length=250, required=False)
    valid_until = forms.CharField(
        label=_("有効期限"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    currency = forms.ChoiceField(label=_("通貨"))
    delivery_terms = forms.CharField(label=_("納期"), max_length=200, required=False)
    payment_terms = forms.CharField(label=_("支払条件"), max_length=200, required=False)
    terms = forms.CharField(
        label=_("取引条件・備考"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, quote: Quote, contacts: list[Contact], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = BLANK + [(c.pk, c.full_name) for c in contacts]
        self.fields["currency"].choices = [
            (c.code, f"{c.code} {c.name}") for c in Currency.objects.filter(is_active=True).order_by("code")
        ]

    @staticmethod
    def initial_for(quote: Quote) -> dict[str, Any]:
        return {
            "title": quote.title,
            "contact": quote.contact_id or "",
            "recipient_name": quote.recipient_name,
            "valid_until": quote.valid_until.isoformat() if quote.valid_until else "",
            "currency": quote.currency_id,
            "delivery_terms": quote.delivery_terms,
            "payment_terms": quote.payment_terms,
            "terms": quote.terms,
        }


class QuoteLineForm(StyledForm):
    product = forms.ChoiceField(label=_("商品"), required=False)
    description = forms.CharField(label=_("品名"), required=False)
    quantity = forms.CharField(
        label=_("数量"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    unit = forms.CharField(label=_("単位"), required=False)
    unit_price = forms.CharField(
        label=_("単価"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    discount_percent = forms.CharField(
        label=_("値引率（％）"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    discount_amount = forms.CharField(
        label=_("値引額"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    tax_category = forms.ChoiceField(label=_("税区分"), required=False, choices=BLANK + TaxCategory.choices)

    def __init__(self, *args: Any, products: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = BLANK + (products or [])

    def row(self) -> dict[str, Any] | None:
        """The row as service input, or None for an empty or deleted row."""
        data = {name: self.cleaned_data.get(name, "") for name in self.fields if name != "DELETE"}
        if self.cleaned_data.get("DELETE"):
            return None
        if not any(str(v).strip() for k, v in data.items() if k != "tax_category"):
            return None
        return {k: v for k, v in data.items() if str(v).strip() != ""}


QuoteLineFormSet = formset_factory(QuoteLineForm, extra=0, can_delete=True)


def product_choices() -> list[tuple[int, str]]:
    return [
        (p.pk, f"{p.code} {p.name}") for p in Product.objects.filter(is_active=True, deleted_at__isnull=True)
    ]


class QuoteSendForm(StyledForm):
    to = forms.CharField(label=_("宛先"), help_text=_("複数のときはカンマで区切ります。"))
    cc = forms.CharField(label=_("CC"), required=False)
    subject = forms.CharField(label=_("件名"), max_length=200)
    body = forms.CharField(label=_("本文"), required=False, widget=forms.Textarea(attrs={"rows": 8}))


class QuoteAcceptForm(StyledForm):
    mark_deal_won = forms.BooleanField(label=_("商談を受注にする"), required=False, initial=True)


class QuoteRejectForm(StyledForm):
    note = forms.CharField(label=_("理由・メモ"), required=False, max_length=300)
