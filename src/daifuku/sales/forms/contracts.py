"""Forms of the contract and competitor pages. They parse what a person typed; services validate.

Amounts, quantities and day counts are plain text here, so the service's message for the field
(full-width digits, commas and ¥ accepted) is the one shown.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from daifuku.catalog.models import BillingType, Product
from daifuku.core.models import Currency
from daifuku.customers import selectors as customer_selectors
from daifuku.customers.forms import (
    BLANK,
    CompanyChooser,
    OwnerChoiceField,
    PlainSelect,
    StyledForm,
    owner_filter_field,
    team_filter_field,
)
from daifuku.customers.models import Contact
from daifuku.sales.models import Competitor, Contract, ContractStatus, RenewalType
from daifuku.sales.selectors.contracts import NEXT_QUARTER, THIS_QUARTER, ContractFilters

DATE = {"type": "date"}
EXPIRING_CHOICES = [("", "—"), (THIS_QUARTER, _("今四半期に満了")), (NEXT_QUARTER, _("来四半期に満了"))]
EDITABLE_STATUS_CHOICES = [(s.value, s.label) for s in (ContractStatus.DRAFT, ContractStatus.ACTIVE)]


def _currency_choices() -> list[tuple[str, str]]:
    return [
        (code, code)
        for code in Currency.objects.filter(is_active=True).order_by("code").values_list("code", flat=True)
    ]


class _TermsForm(StyledForm):
    """Dates and renewal terms: what a contract made from a deal is asked for."""

    title = forms.CharField(label=_("契約名"), max_length=200)
    status = forms.ChoiceField(
        label=_("状態"), choices=EDITABLE_STATUS_CHOICES, initial=ContractStatus.ACTIVE
    )
    billing_type = forms.ChoiceField(label=_("請求区分"), choices=BillingType.choices)
    signed_on = forms.DateField(label=_("契約締結日"), required=False, widget=forms.DateInput(attrs=DATE))
    starts_on = forms.DateField(label=_("契約開始日"), required=False, widget=forms.DateInput(attrs=DATE))
    ends_on = forms.DateField(label=_("契約満了日"), required=False, widget=forms.DateInput(attrs=DATE))
    renewal_type = forms.ChoiceField(
        label=_("更新区分"), choices=RenewalType.choices, initial=RenewalType.MANUAL
    )
    notice_days = forms.CharField(
        label=_("解約予告期間（日）"),
        required=False,
        initial=30,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=_("満了日の何日前までに更新・解約を伝えるか"),
    )
    notes = forms.CharField(label=_("メモ"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    fieldsets = [
        (_("契約"), ["title", "status", "billing_type", "signed_on", "starts_on", "ends_on"]),
        (_("更新"), ["renewal_type", "notice_days", "notes"]),
    ]

    def service_data(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class ContractFromDealForm(_TermsForm):
    """A contract of a won deal: company, owner, amount and lines come from the deal."""


class ContractForm(_TermsForm):
    company = forms.IntegerField(label=_("取引先"), required=False, widget=CompanyChooser)
    contact = forms.TypedChoiceField(label=_("先方の担当者"), required=False, coerce=int, empty_value=None)
    owner = OwnerChoiceField(
        empty_label=None, label=_("担当者（自社）"), queryset=customer_selectors.owner_choices()
    )
    amount = forms.CharField(
        label=_("契約金額"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("明細を入力した場合は明細の合計になります"),
    )
    currency = forms.ChoiceField(label=_("通貨"), initial="JPY")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    fieldsets = [
        (_("契約"), ["title", "company", "contact", "owner", "status", "signed_on", "starts_on", "ends_on"]),
        (_("金額"), ["amount", "currency", "billing_type"]),
        (_("更新"), ["renewal_type", "notice_days", "notes"]),
    ]

    def __init__(
        self, *args: Any, company_label: str = "", company_id: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        chooser = self.fields["company"].widget
        assert isinstance(chooser, CompanyChooser)
        chooser.label = self.data.get("company_label", "") if self.is_bound else company_label
        self.fields["currency"].choices = _currency_choices()
        if self.is_bound and str(self.data.get("company", "")).isdigit():
            company_id = int(self.data["company"])
        contacts = (
            Contact.objects.filter(company_id=company_id, deleted_at__isnull=True) if company_id else []
        )
        contact_field = self.fields["contact"]
        assert isinstance(contact_field, forms.TypedChoiceField)
        contact_field.choices = BLANK + [(c.pk, c.full_name) for c in contacts]


def contract_initial(contract: Contract) -> dict[str, Any]:
    return {
        "title": contract.title,
        "company": contract.company_id,
        "contact": contract.contact_id,
        "owner": contract.owner_id,
        "status": contract.status,
        "amount": contract.amount,
        "currency": contract.currency_id,
        "billing_type": contract.billing_type,
        "signed_on": contract.signed_on,
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "renewal_type": contract.renewal_type,
        "notice_days": contract.notice_days,
        "notes": contract.notes,
        "version": contract.version,
    }


class ContractLineForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("商品"),
        required=False,
        empty_label="—",
        queryset=Product.objects.filter(deleted_at__isnull=True, is_active=True).order_by("code"),
        widget=PlainSelect(attrs={"class": "form-select form-select-sm"}),
    )
    description = forms.CharField(
        label=_("品名"),
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    quantity = forms.CharField(
        label=_("数量"),
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    unit = forms.CharField(
        label=_("単位"),
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    unit_price = forms.CharField(
        label=_("単価"),
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    def line(self) -> dict[str, Any] | None:
        """The row as a service line, or None for an empty row."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        if not any(data.get(name) for name in ("product", "description", "quantity", "unit_price")):
            return None
        product = data.get("product")
        return {
            "product": product.pk if product else None,
            "description": data.get("description", ""),
            "quantity": data.get("quantity", ""),
            "unit": data.get("unit", ""),
            "unit_price": data.get("unit_price", ""),
        }


ContractLineFormSet = forms.formset_factory(ContractLineForm, extra=3, max_num=100)


def line_initial(lines: Any) -> list[dict[str, Any]]:
    return [
        {
            "product": line.product_id,
            "description": line.description,
            "quantity": f"{line.quantity.normalize():f}",
            "unit": line.unit,
            "unit_price": f"{line.unit_price:f}",
        }
        for line in lines
    ]


def formset_lines(formset: Any) -> list[dict[str, Any]]:
    return [row for form in formset.forms if (row := form.line()) is not None]


class ContractFilterForm(StyledForm):
    q = forms.CharField(label=_("検索"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("状態"), required=False, choices=BLANK + ContractStatus.choices, widget=PlainSelect
    )
    expiring = forms.ChoiceField(
        label=_("満了時期"), required=False, choices=EXPIRING_CHOICES, widget=PlainSelect
    )
    owner = owner_filter_field()
    team = team_filter_field()
    billing_type = forms.ChoiceField(
        label=_("請求区分"), required=False, choices=BLANK + BillingType.choices, widget=PlainSelect
    )
    renewal_type = forms.ChoiceField(
        label=_("更新区分"), required=False, choices=BLANK + RenewalType.choices, widget=PlainSelect
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("契約名・契約番号")

    def filters(self) -> ContractFilters:
        if not self.is_valid():
            return ContractFilters()
        data = self.cleaned_data
        return ContractFilters(
            q=(data.get("q") or "").strip(),
            status=data.get("status") or "",
            owner=data["owner"].pk if data.get("owner") else None,
            team=data["team"].pk if data.get("team") else None,
            billing_type=data.get("billing_type") or "",
            renewal_type=data.get("renewal_type") or "",
            expiring=data.get("expiring") or "",
        )


class CancelForm(StyledForm):
    note = forms.CharField(label=_("解約の理由・メモ"), required=False, max_length=300)


# Competitors


class CompetitorForm(StyledForm):
    name = forms.CharField(label=_("競合名"), max_length=200)
    website = forms.CharField(label=_("Webサイト"), required=False, max_length=200)
    strengths = forms.CharField(label=_("強み"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    weaknesses = forms.CharField(label=_("弱み"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    products = forms.CharField(
        label=_("主な製品・サービス"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(label=_("メモ"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label=_("有効"), required=False, initial=True)

    fieldsets = [
        (_("競合"), ["name", "website", "is_active"]),
        (_("特徴"), ["strengths", "weaknesses", "products", "notes"]),
    ]

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def competitor_initial(competitor: Competitor) -> dict[str, Any]:
    return {name: getattr(competitor, name) for name in CompetitorForm.base_fields}


class DealCompetitorForm(StyledForm):
    competitor = forms.ModelChoiceField(label=_("競合"), queryset=Competitor.objects.none(), empty_label="—")
    offer_price = forms.CharField(
        label=_("競合の提示価格"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    notes = forms.CharField(label=_("提案内容・メモ"), required=False, max_length=1000)

    def __init__(self, *args: Any, choices: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["competitor"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = choices if choices is not None else Competitor.objects.filter(is_active=True)
