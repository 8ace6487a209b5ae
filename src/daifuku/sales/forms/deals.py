"""Forms of the deal pages: filters, the deal with its lines, lost reason, pipeline and stage settings.

They parse what a person typed; amounts, dates and ids stay text here so the service's message for the
field (``services.common.Cleaner``) is the one shown.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from daifuku.catalog.models import BillingType, Product
from daifuku.core.models import Currency, TaxCategory
from daifuku.customers.forms import (
    CompanyChooser,
    FixedChoiceField,
    OwnerChoiceField,
    PlainSelect,
    StyledForm,
    owner_filter_field,
    team_filter_field,
)
from daifuku.sales.models import LostReason, Pipeline, Stage
from daifuku.sales.selectors import deals as selectors

BLANK = [("", "—")]
SORT_CHOICES = [
    ("close", _("受注予定日順")),
    ("-close", _("受注予定日の遅い順")),
    ("-amount", _("金額の大きい順")),
    ("amount", _("金額の小さい順")),
    ("-updated", _("更新が新しい順")),
    ("-created", _("登録が新しい順")),
    ("name", _("商談名順")),
]
STATUS_CHOICES = [("open", _("進行中")), ("won", _("受注")), ("lost", _("失注"))]


def _pipeline_choices() -> list[tuple[Any, str]]:
    return [(p.pk, p.name) for p in selectors.pipeline_list()]


class BoardFilterForm(StyledForm):
    """Filters of the board: pipeline, owner, team and expected close month."""

    pipeline = forms.TypedChoiceField(label=_("パイプライン"), required=False, coerce=int, widget=PlainSelect)
    owner = owner_filter_field()
    team = team_filter_field()
    close_month = forms.CharField(
        label=_("受注予定月"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-04"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].choices = _pipeline_choices()  # type: ignore[attr-defined]

    def filters(self) -> selectors.DealFilters:
        """Valid fields filter; an unreadable one is left out (and shown as invalid)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        month = selectors.parse_month(data.get("close_month") or "")
        if data.get("close_month") and month is None:
            self.add_error("close_month", gettext("「2026-04」の形で入力してください。"))
        return selectors.DealFilters(
            owner=data["owner"].pk if data.get("owner") else None,
            team=data["team"].pk if data.get("team") else None,
            close_month=month,
            pipeline=data.get("pipeline") or None,
        )


class DealFilterForm(BoardFilterForm):
    """Filters of the deal list: the board's plus search, stage, status, stale only and the sort."""

    field_order = ["q", "pipeline", "stage", "status", "owner", "team", "close_month", "stale", "sort"]

    q = forms.CharField(label=_("検索"), required=False, max_length=200)
    stage = forms.TypedChoiceField(label=_("ステージ"), required=False, coerce=int, widget=PlainSelect)
    status = FixedChoiceField(
        label=_("状態"), required=False, choices=BLANK + STATUS_CHOICES, widget=PlainSelect
    )
    stale = forms.BooleanField(label=_("放置中のみ"), required=False)
    sort = FixedChoiceField(label=_("並び順"), required=False, choices=SORT_CHOICES, widget=PlainSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].choices = BLANK + _pipeline_choices()  # type: ignore[attr-defined]
        stages = Stage.objects.filter(is_active=True, pipeline__is_active=True).select_related("pipeline")
        grouped: dict[str, list[tuple[int, str]]] = {}
        for stage in stages.order_by("pipeline__sort_order", "pipeline_id", "sort_order", "id"):
            grouped.setdefault(stage.pipeline.name, []).append((stage.pk, stage.name))
        self.fields["stage"].choices = BLANK + list(grouped.items())  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": _("商談名・取引先名")})

    def filters(self) -> selectors.DealFilters:
        filters = super().filters()
        data = getattr(self, "cleaned_data", {})
        filters.q = data.get("q") or ""
        filters.stage = data.get("stage") or None
        filters.status = data.get("status") or ""
        filters.stale = bool(data.get("stale"))
        return filters

    def sort_key(self) -> str:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("sort") or selectors.DEFAULT_SORT


class DealForm(StyledForm):
    """The deal's own fields (the lines are a formset beside it)."""

    fieldsets = [
        (_("基本情報"), ["name", "company", "contacts", "owner"]),
        (
            _("進捗"),
            [
                "pipeline",
                "stage",
                "probability",
                "expected_close_date",
                "next_action",
                "next_action_date",
                "lost_reason",
                "lost_note",
            ],
        ),
        (_("金額"), ["amount", "currency", "quantity", "cost", "billing_type"]),
        (_("その他"), ["notes"]),
    ]

    name = forms.CharField(label=_("商談名"), max_length=200)
    company = forms.IntegerField(label=_("取引先"), widget=CompanyChooser)
    contacts = forms.MultipleChoiceField(
        label=_("先方の担当者"), required=False, widget=forms.CheckboxSelectMultiple
    )
    owner = OwnerChoiceField(
        label=pgettext_lazy("自社の担当者", "担当者"), queryset=selectors.owner_choices(), widget=PlainSelect
    )
    pipeline = forms.TypedChoiceField(label=_("パイプライン"), coerce=int, widget=PlainSelect)
    stage = forms.TypedChoiceField(label=_("ステージ"), coerce=int, widget=PlainSelect)
    probability = forms.CharField(
        label=_("確度（％）"),
        required=False,
        help_text=_("空欄ならステージの確度を使います。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    amount = forms.CharField(
        label=_("金額"),
        required=False,
        help_text=_("明細があるときは明細の合計になります。"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    currency = forms.ChoiceField(label=_("通貨"), widget=PlainSelect)
    quantity = forms.CharField(
        label=_("数量・契約数"), required=False, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    cost = forms.CharField(
        label=_("仕入原価"),
        required=False,
        help_text=_("明細があるときは明細の原価の合計になります。"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    billing_type = forms.ChoiceField(label=_("請求区分"), choices=BillingType.choices, widget=PlainSelect)
    expected_close_date = forms.CharField(
        label=_("受注予定日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    next_action = forms.CharField(label=_("次のアクション"), required=False, max_length=200)
    next_action_date = forms.CharField(
        label=_("次のアクション日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    lost_reason = forms.ChoiceField(
        label=_("失注理由"),
        required=False,
        choices=BLANK + LostReason.choices,
        help_text=_("失注のステージにするときに選びます。"),
        widget=PlainSelect,
    )
    lost_note = forms.CharField(label=_("失注理由の詳細"), required=False, max_length=300)
    notes = forms.CharField(label=_("メモ"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, contact_choices: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].choices = _pipeline_choices()  # type: ignore[attr-defined]
        stages = Stage.objects.filter(is_active=True, pipeline__is_active=True).select_related("pipeline")
        grouped: dict[str, list[tuple[int, str]]] = {}
        for stage in stages.order_by("pipeline__sort_order", "pipeline_id", "sort_order", "id"):
            label = gettext("%(name)s（%(p)s％）") % {"name": stage.name, "p": stage.probability}
            grouped.setdefault(stage.pipeline.name, []).append((stage.pk, label))
        self.fields["stage"].choices = list(grouped.items())  # type: ignore[attr-defined]
        self.fields["currency"].choices = [  # type: ignore[attr-defined]
            (c.code, c.code) for c in Currency.objects.filter(is_active=True).order_by("code")
        ]
        self.fields["contacts"].choices = contact_choices or []  # type: ignore[attr-defined]
        self.fields["contacts"].widget.attrs["class"] = ""

    def service_data(self, *, creating: bool) -> dict[str, Any]:
        data = {name: value for name, value in self.cleaned_data.items() if name != "version"}
        data["owner"] = data["owner"].pk if data.get("owner") else None
        if not data.get("probability") and (creating or "probability" not in self.changed_data):
            data.pop("probability", None)
        if not creating and "probability" not in self.changed_data and "stage" in self.changed_data:
            data.pop("probability", None)  # a new stage brings its own probability
        return data


class DealLineForm(StyledForm):
    product = forms.ModelChoiceField(
        label=_("商品"), required=False, empty_label="—", queryset=Product.objects.none(), widget=PlainSelect
    )
    description = forms.CharField(label=_("品名"), required=False, max_length=200)
    quantity = forms.CharField(
        label=_("数量"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    unit = forms.CharField(label=_("単位"), required=False, max_length=20)
    unit_price = forms.CharField(
        label=_("単価"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    unit_cost = forms.CharField(
        label=_("原価単価"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    tax_category = forms.ChoiceField(
        label=_("税区分"), choices=TaxCategory.choices, initial=TaxCategory.STANDARD, widget=PlainSelect
    )

    def __init__(self, *args: Any, products: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products if products is not None else Product.objects.none()  # type: ignore[attr-defined]
        # Narrow table cells would squeeze the selects to their arrow.
        self.fields["product"].widget.attrs["style"] = "min-width: 10rem"
        self.fields["tax_category"].widget.attrs["style"] = "min-width: 8rem"

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("product") or data.get("description") or data.get("unit_price"))

    def service_row(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("DELETE", None)
        data["product"] = data["product"].pk if data.get("product") else None
        return {k: v for k, v in data.items() if v not in (None, "")}


class _LineFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, products: Any = None, **kwargs: Any) -> None:
        self.products = (
            products
            if products is not None
            else Product.objects.filter(is_active=True, deleted_at__isnull=True)
        )
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "products": self.products}

    def service_rows(self) -> tuple[list[dict[str, Any]], list[forms.Form]]:
        """Non-blank, non-deleted rows for the service, and the form of each (to put errors back)."""
        rows, forms_of_rows = [], []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE") or form.is_blank():
                continue
            rows.append(form.service_row())
            forms_of_rows.append(form)
        return rows, forms_of_rows


DealLineFormSet = forms.formset_factory(DealLineForm, formset=_LineFormSet, extra=2, can_delete=True)


class LostForm(StyledForm):
    lost_reason = forms.ChoiceField(
        label=_("失注理由"), choices=BLANK + LostReason.choices, widget=PlainSelect
    )
    lost_note = forms.CharField(
        label=_("失注理由の詳細"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class PipelineForm(StyledForm):
    name = forms.CharField(label=_("パイプライン名"), max_length=100)
    stale_days = forms.IntegerField(
        label=_("放置とみなす日数"), min_value=1, max_value=3650, initial=14,
        help_text=_("この日数、活動のない進行中の商談に「放置」の印を付けます。"),
    )  # fmt: skip
    is_default = forms.BooleanField(label=_("既定のパイプライン"), required=False)
    is_active = forms.BooleanField(label=_("有効"), required=False, initial=True)


class StageForm(StyledForm):
    name = forms.CharField(label=_("ステージ名"), max_length=100)
    probability = forms.IntegerField(label=_("確度（％）"), min_value=0, max_value=100, initial=0)
    is_won = forms.BooleanField(label=_("受注"), required=False)
    is_lost = forms.BooleanField(label=_("失注"), required=False)
    is_active = forms.BooleanField(label=_("有効"), required=False, initial=True)


def pipeline_initial(pipeline: Pipeline) -> dict[str, Any]:
    return {
        "name": pipeline.name,
        "stale_days": pipeline.stale_days,
        "is_default": pipeline.is_default,
        "is_active": pipeline.is_active,
    }
