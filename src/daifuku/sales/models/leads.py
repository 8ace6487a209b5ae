"""引合: inquiries before they are qualified, assignment rules, and the web-to-lead form."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from daifuku.core.models import Team, TimeStampedModel, VersionedModel
from daifuku.customers.models import Company, Contact, Industry


class LeadSource(models.TextChoices):
    WEB_FORM = "web_form", _("Webフォーム")
    PHONE = "phone", _("電話")
    EMAIL = "email", _("メール")
    EVENT = "event", _("展示会・イベント")
    REFERRAL = "referral", _("紹介")
    CAMPAIGN = "campaign", _("キャンペーン")
    BUSINESS_CARD = "business_card", _("名刺")
    OTHER = "other", _("その他")


class LeadStatus(models.TextChoices):
    NEW = "new", _("新規")
    WORKING = "working", _("対応中")
    QUALIFIED = "qualified", _("見込みあり")
    DISQUALIFIED = "disqualified", _("見込みなし")
    CONVERTED = "converted", _("商談化済み")


class DisqualifyReason(models.TextChoices):
    NO_BUDGET = "no_budget", _("予算なし")
    NO_NEED = "no_need", _("ニーズなし")
    NO_RESPONSE = "no_response", _("連絡がつかない")
    COMPETITOR = "competitor", _("競合に決定")
    DUPLICATE = "duplicate", _("重複")
    SPAM = "spam", _("スパム・いたずら")
    OTHER = "other", _("その他")


class Lead(VersionedModel):
    """An inquiry: the person and company as given, the need, and where it came from.

    ``owner`` is empty until the lead is assigned (by a rule or a manager); unassigned leads are
    visible to managers and administrators. Conversion fills the ``converted_*`` links.
    """

    source = models.CharField(
        _("流入経路"), max_length=20, choices=LeadSource.choices, default=LeadSource.OTHER
    )
    source_detail = models.CharField(_("経路の詳細"), max_length=200, blank=True)  # event name, referrer …
    status = models.CharField(_("状態"), max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW)
    disqualify_reason = models.CharField(
        _("見込みなしの理由"), max_length=20, choices=DisqualifyReason.choices, blank=True
    )
    disqualify_note = models.CharField(_("理由の詳細"), max_length=300, blank=True)
    # The company and person as given (not yet matched to records).
    company_name = models.CharField(_("会社名"), max_length=200, blank=True)
    corporate_number = models.CharField(_("法人番号"), max_length=13, blank=True)
    family_name = models.CharField(_("姓"), max_length=100, blank=True)
    given_name = models.CharField(_("名"), max_length=100, blank=True)
    family_name_kana = models.CharField(_("セイ"), max_length=100, blank=True)
    given_name_kana = models.CharField(_("メイ"), max_length=100, blank=True)
    department = models.CharField(_("部署"), max_length=200, blank=True)
    title = models.CharField(_("役職"), max_length=100, blank=True)
    email = models.EmailField(_("メールアドレス"), blank=True)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)  # E.164
    postal_code = models.CharField(_("郵便番号"), max_length=7, blank=True)
    prefecture = models.CharField(_("都道府県"), max_length=10, blank=True)
    city = models.CharField(_("市区町村"), max_length=100, blank=True)
    street = models.CharField(_("町名・番地"), max_length=200, blank=True)
    website = models.URLField(_("Webサイト"), blank=True)
    industry = models.ForeignKey(
        Industry, verbose_name=_("業種"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    need = models.TextField(_("ニーズ・問い合わせ内容"), blank=True)
    budget = models.DecimalField(_("予算"), max_digits=16, decimal_places=0, null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("チーム"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(_("割当日時"), null=True, blank=True)
    # Normalized keys for 名寄せ against companies and contacts at conversion.
    company_name_key = models.CharField(max_length=200, editable=False, default="")
    name_key = models.CharField(max_length=200, editable=False, default="")
    converted_at = models.DateTimeField(_("商談化日時"), null=True, blank=True)
    converted_company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="converted_leads"
    )
    converted_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="converted_leads"
    )
    converted_deal = models.ForeignKey(
        "sales.Deal", null=True, blank=True, on_delete=models.PROTECT, related_name="source_leads"
    )
    # What the web form sent that has no field of its own, and where it came from.
    form_data = models.JSONField(_("フォーム送信内容"), default=dict, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("引合")
        verbose_name_plural = _("引合")
        indexes = [
            models.Index(
                fields=["owner", "deleted_at", "status", "-created_at"], name="lead_owner_status_idx"
            ),
            models.Index(fields=["team", "deleted_at", "status", "-created_at"], name="lead_team_status_idx"),
            models.Index(fields=["status", "deleted_at", "-created_at"], name="lead_status_idx"),
            models.Index(fields=["company_name_key"], name="lead_company_key_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="disqualified") | ~models.Q(disqualify_reason=""),
                name="lead_disqualified_has_reason",
            ),
        ]

    def __str__(self) -> str:
        person = f"{self.family_name} {self.given_name}".strip()
        return " / ".join(part for part in (self.company_name, person) if part) or f"#{self.pk}"


class AssignmentMethod(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("チーム内で順番に")
    FIXED = "fixed", _("特定の担当者")


class LeadAssignmentRule(TimeStampedModel):
    """Who gets a new lead: the first active rule (by order) whose criteria all match.

    Empty criteria match everything. Round robin cycles through the active members of ``team``
    (``last_assigned`` remembers where it stopped; the row is locked while choosing).
    """

    name = models.CharField(_("ルール名"), max_length=100)
    sort_order = models.PositiveIntegerField(_("順序"), default=0)
    is_active = models.BooleanField(_("有効"), default=True)
    prefecture = models.CharField(_("都道府県"), max_length=10, blank=True)
    industry = models.ForeignKey(
        Industry, verbose_name=_("業種"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("流入経路"), max_length=20, choices=LeadSource.choices, blank=True)
    method = models.CharField(
        _("割当方法"), max_length=20, choices=AssignmentMethod.choices, default=AssignmentMethod.ROUND_ROBIN
    )
    team = models.ForeignKey(
        Team, verbose_name=_("チーム"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("引合の割当ルール")
        verbose_name_plural = _("引合の割当ルール")

    def __str__(self) -> str:
        return self.name


class WebLeadForm(TimeStampedModel):
    """An embeddable web-to-lead form: posted cross-site to a URL carrying an unguessable token."""

    name = models.CharField(_("フォーム名"), max_length=100)
    token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe, editable=False)
    is_active = models.BooleanField(_("有効"), default=True)
    source_detail = models.CharField(_("経路の詳細"), max_length=200, blank=True)
    allowed_origins = models.TextField(_("送信を許可するオリジン"), blank=True)  # one per line; empty = any
    thank_you_url = models.URLField(_("送信後に表示するURL"), blank=True)
    owner = models.ForeignKey(  # default owner when no assignment rule matches
        settings.AUTH_USER_MODEL,
        verbose_name=_("既定の担当者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Web引合フォーム")
        verbose_name_plural = _("Web引合フォーム")

    def __str__(self) -> str:
        return self.name
