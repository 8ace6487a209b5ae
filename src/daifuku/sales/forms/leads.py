"""Forms of the lead pages and of the public web-to-lead form.

They parse what a person typed; the services normalize and validate (phones, postal codes, 法人番号,
amounts with full-width digits stay plain text here so the service's message is the one shown).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from daifuku.core import jp
from daifuku.customers import selectors as customer_selectors
from daifuku.customers.forms import OwnerChoiceField, PlainSelect, StyledForm
from daifuku.sales.models import (
    AssignmentMethod,
    DisqualifyReason,
    Lead,
    LeadAssignmentRule,
    LeadSource,
    LeadStatus,
    Pipeline,
    WebLeadForm,
)
from daifuku.sales.selectors.leads import LeadFilters

BLANK = [("", "—")]
PREFECTURE_CHOICES = BLANK + [(p, p) for p in customer_selectors.PREFECTURES]
MANUAL_STATUS_CHOICES = [(v, label) for v, label in LeadStatus.choices if v != LeadStatus.CONVERTED]


class LeadForm(StyledForm):
    source = forms.ChoiceField(label=_("流入経路"), choices=LeadSource.choices, initial=LeadSource.PHONE)
    source_detail = forms.CharField(
        label=_("経路の詳細"), required=False, max_length=200, help_text=_("展示会名、紹介者など")
    )
    company_name = forms.CharField(label=_("会社名"), required=False, max_length=200)
    corporate_number = forms.CharField(label=_("法人番号"), required=False, max_length=20)
    department = forms.CharField(label=_("部署"), required=False, max_length=200)
    title = forms.CharField(label=_("役職"), required=False, max_length=100)
    family_name = forms.CharField(label=_("姓"), required=False, max_length=100)
    given_name = forms.CharField(label=_("名"), required=False, max_length=100)
    family_name_kana = forms.CharField(label=_("セイ"), required=False, max_length=100)
    given_name_kana = forms.CharField(label=_("メイ"), required=False, max_length=100)
    email = forms.CharField(
        label=_("メールアドレス"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"type": "email"}),
    )
    phone = forms.CharField(
        label=_("電話番号"), required=False, max_length=30, widget=forms.TextInput(attrs={"type": "tel"})
    )
    postal_code = forms.CharField(label=_("郵便番号"), required=False, max_length=10)
    prefecture = forms.ChoiceField(label=_("都道府県"), required=False, choices=PREFECTURE_CHOICES)
    city = forms.CharField(label=_("市区町村"), required=False, max_length=100)
    street = forms.CharField(label=_("町名・番地"), required=False, max_length=200)
    website = forms.CharField(label=_("Webサイト"), required=False, max_length=200)
    industry = forms.ModelChoiceField(
        label=_("業種"), required=False, empty_label="—", queryset=customer_selectors.industry_choices()
    )
    need = forms.CharField(
        label=_("ニーズ・問い合わせ内容"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    budget = forms.CharField(label=_("予算（円）"), required=False, max_length=30)
    owner = OwnerChoiceField(
        empty_label=_("割当ルールに従う"),
        label=_("担当者"),
        required=False,
        queryset=customer_selectors.owner_choices(),
        widget=PlainSelect,
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    fieldsets = [
        (_("経路"), ["source", "source_detail"]),
        (_("会社"), ["company_name", "corporate_number", "industry", "website", "department", "title"]),
        (_("氏名"), ["family_name", "given_name", "family_name_kana", "given_name_kana"]),
        (_("連絡先"), ["email", "phone", "postal_code", "prefecture", "city", "street"]),
        (_("内容"), ["need", "budget"]),
    ]

    def __init__(self, *args: Any, instance: Lead | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = {**lead_initial(instance), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.instance = instance
        if instance is not None:
            del self.fields["owner"]  # the owner changes through 割り当て
        else:
            self.fieldsets = [*self.fieldsets, (_("担当"), ["owner"])]

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("version", "owner")}
        data["industry"] = data["industry"].pk if data.get("industry") else None
        return data


def lead_initial(lead: Lead) -> dict[str, Any]:
    return {
        "source": lead.source,
        "source_detail": lead.source_detail,
        "company_name": lead.company_name,
        "corporate_number": lead.corporate_number,
        "department": lead.department,
        "title": lead.title,
        "family_name": lead.family_name,
        "given_name": lead.given_name,
        "family_name_kana": lead.family_name_kana,
        "given_name_kana": lead.given_name_kana,
        "email": lead.email,
        "phone": jp.phone_display(lead.phone),
        "postal_code": jp.postal_display(lead.postal_code),
        "prefecture": lead.prefecture,
        "city": lead.city,
        "street": lead.street,
        "website": lead.website,
        "industry": lead.industry_id,
        "need": lead.need,
        "budget": "" if lead.budget is None else str(lead.budget),
        "version": lead.version,
    }


class LeadFilterForm(StyledForm):
    q = forms.CharField(
        label=_("検索"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("会社名・氏名・メール")}),
    )
    status = forms.ChoiceField(
        label=_("状態"), required=False, choices=[("", _("未完了")), *list(LeadStatus.choices)]
    )
    source = forms.ChoiceField(label=_("流入経路"), required=False, choices=BLANK + list(LeadSource.choices))
    owner = forms.ChoiceField(label=_("担当者"), required=False, widget=PlainSelect)

    def __init__(self, *args: Any, show_unassigned: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = [("", "—")]
        if show_unassigned:
            choices.append(("none", str(_("未割当"))))
        choices += [(str(u.pk), u.display_name) for u in customer_selectors.owner_choices()]
        self.fields["owner"].choices = choices

    def filters(self) -> LeadFilters:
        data = self.cleaned_data if self.is_valid() else {}
        owner = data.get("owner") or ""
        status = data.get("status") or ""
        return LeadFilters(
            q=data.get("q", ""),
            status=status,
            open_only=not status,
            source=data.get("source") or "",
            owner=int(owner) if owner.isdigit() else None,
            unassigned=owner == "none",
        )


class LeadAssignForm(StyledForm):
    owner = OwnerChoiceField(
        empty_label="—", label=_("新しい担当者"), required=False, queryset=customer_selectors.owner_choices()
    )
    use_rules = forms.BooleanField(label=_("割当ルールで決める"), required=False)
    note = forms.CharField(label=_("メモ"), required=False, max_length=300)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("use_rules") and data.get("owner") is None:
            self.add_error("owner", _("担当者を選ぶか、割当ルールで決めるを選んでください。"))
        return data


class LeadStatusForm(StyledForm):
    status = forms.ChoiceField(label=_("状態"), choices=MANUAL_STATUS_CHOICES)
    disqualify_reason = forms.ChoiceField(
        label=_("見込みなしの理由"), required=False, choices=BLANK + list(DisqualifyReason.choices)
    )
    disqualify_note = forms.CharField(label=_("理由の詳細"), required=False, max_length=300)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class LeadConvertForm(StyledForm):
    """Use an existing company/contact (its id) or create one from the lead ("new")."""

    company = forms.CharField(label=_("取引先"), initial="new")
    contact = forms.CharField(label=_("担当者"), initial="new")
    create_deal = forms.BooleanField(label=_("商談を作成する"), required=False, initial=True)
    deal_name = forms.CharField(label=_("商談名"), required=False, max_length=200)
    deal_amount = forms.CharField(label=_("金額（円）"), required=False, max_length=30)
    pipeline = forms.ModelChoiceField(
        label=_("パイプライン"),
        required=False,
        empty_label=None,
        queryset=Pipeline.objects.filter(is_active=True).order_by("sort_order", "id"),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def _choice(self, name: str) -> int | None:
        value = (self.cleaned_data.get(name) or "new").strip()
        if value == "new":
            return None
        if not value.isdigit():
            raise forms.ValidationError(_("選択肢にない値です。"))
        return int(value)

    def clean_company(self) -> int | None:
        return self._choice("company")

    def clean_contact(self) -> int | None:
        return self._choice("contact")


class AssignmentRuleForm(StyledForm):
    name = forms.CharField(label=_("ルール名"), max_length=100)
    sort_order = forms.IntegerField(label=_("順序"), min_value=0, initial=10)
    is_active = forms.BooleanField(label=_("有効"), required=False, initial=True)
    prefecture = forms.ChoiceField(label=_("都道府県"), required=False, choices=PREFECTURE_CHOICES)
    industry = forms.ModelChoiceField(
        label=_("業種"), required=False, empty_label="—", queryset=customer_selectors.industry_choices()
    )
    source = forms.ChoiceField(label=_("流入経路"), required=False, choices=BLANK + list(LeadSource.choices))
    method = forms.ChoiceField(label=_("割当方法"), choices=AssignmentMethod.choices)
    team = forms.ModelChoiceField(
        label=_("チーム"), required=False, empty_label="—", queryset=customer_selectors.team_choices()
    )
    assignee = OwnerChoiceField(
        label=_("担当者"), required=False, empty_label="—", queryset=customer_selectors.owner_choices()
    )

    def __init__(self, *args: Any, instance: LeadAssignmentRule | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = {
                "name": instance.name,
                "sort_order": instance.sort_order,
                "is_active": instance.is_active,
                "prefecture": instance.prefecture,
                "industry": instance.industry_id,
                "source": instance.source,
                "method": instance.method,
                "team": instance.team_id,
                "assignee": instance.assignee_id,
            }
        super().__init__(*args, **kwargs)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("industry", "team", "assignee"):
            data[name] = data[name].pk if data.get(name) else None
        return data


class WebLeadFormForm(StyledForm):
    name = forms.CharField(label=_("フォーム名"), max_length=100)
    is_active = forms.BooleanField(label=_("有効"), required=False, initial=True)
    source_detail = forms.CharField(
        label=_("経路の詳細"), required=False, max_length=200, help_text=_("引合の「経路の詳細」に入ります")
    )
    allowed_origins = forms.CharField(
        label=_("送信を許可するオリジン"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://www.example.co.jp"}),
        help_text=_("1行に1つ。空欄ならどのサイトからの送信も受け付けます。"),
    )
    thank_you_url = forms.CharField(
        label=_("送信後に表示するURL"),
        required=False,
        max_length=200,
        help_text=_("空欄なら標準のお礼ページ"),
    )
    owner = OwnerChoiceField(
        label=_("既定の担当者"),
        required=False,
        empty_label="—",
        queryset=customer_selectors.owner_choices(),
        help_text=_("割当ルールに合わないときの担当者。空欄なら未割当になります。"),
    )

    def __init__(self, *args: Any, instance: WebLeadForm | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = {
                "name": instance.name,
                "is_active": instance.is_active,
                "source_detail": instance.source_detail,
                "allowed_origins": instance.allowed_origins,
                "thank_you_url": instance.thank_you_url,
                "owner": instance.owner_id,
            }
        super().__init__(*args, **kwargs)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["owner"] = data["owner"].pk if data.get("owner") else None
        return data


# The public web-to-lead form: the fields a visitor fills, in order (name, label, input type, required).
PUBLIC_FIELDS: list[tuple[str, Any, str, bool]] = [
    ("company_name", _("会社名"), "text", False),
    ("department", _("部署"), "text", False),
    ("family_name", _("姓"), "text", True),
    ("given_name", _("名"), "text", False),
    ("email", _("メールアドレス"), "email", True),
    ("phone", _("電話番号"), "tel", False),
    ("need", _("お問い合わせ内容"), "textarea", True),
]
PUBLIC_FIELD_NAMES = {name for name, _label, _type, _required in PUBLIC_FIELDS}
# Bots fill every input they find; people never see this one (moved off-screen, no JS needed).
HONEYPOT_FIELD = "homepage"
