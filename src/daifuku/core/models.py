"""The shared kernel's data: people, teams, roles and scopes, audit, notifications, search index."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """A record edited by people: optimistic version, soft delete (trash), audit identity.

    ``version`` grows by one on every saved change; an edit carries the version the user saw and is
    refused when the row has moved on (see ``core.services.check_version``). ``deleted_at`` set means
    the record is in the trash; selectors hide it and an administrator can restore it.
    """

    version = models.PositiveIntegerField(_("版"), default=1)
    deleted_at = models.DateTimeField(_("削除日時"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("削除者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Team(TimeStampedModel):
    name = models.CharField(_("チーム名"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("チーム")
        verbose_name_plural = _("チーム")

    def __str__(self) -> str:
        return self.name


class Scope(models.TextChoices):
    NONE = "none", _("なし")
    OWN = "own", _("自分の担当")
    TEAM = "team", _("自チーム")
    ALL = "all", _("全件")


class ObjectType(models.TextChoices):
    """Object types whose visibility is governed by role scopes. Later modules add theirs here."""

    COMPANY = "company", _("取引先")
    CONTACT = "contact", _("担当者")
    ACTIVITY = "activity", _("活動")
    TASK = "task", _("タスク")
    EVENT = "event", _("予定")
    DAILY_REPORT = "daily_report", _("日報")
    LEAD = "lead", _("引合")
    DEAL = "deal", _("商談")
    QUOTE = "quote", _("見積")
    CONTRACT = "contract", _("契約")


class Role(TimeStampedModel):
    ADMINISTRATOR = "administrator"
    MANAGER = "manager"
    SALES_REP = "sales_rep"
    SUPPORT_AGENT = "support_agent"
    MARKETING = "marketing"
    READ_ONLY = "read_only"

    slug = models.SlugField(_("識別子"), max_length=50, unique=True)
    name = models.CharField(_("ロール名"), max_length=100)
    name_en = models.CharField(_("ロール名（英語）"), max_length=100, blank=True)
    is_admin = models.BooleanField(_("管理者権限"), default=False)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("ロール")
        verbose_name_plural = _("ロール")

    def __str__(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "ja").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class RoleScope(models.Model):
    """What a role may read and edit of one object type: none / own / team / all."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="scopes", verbose_name=_("ロール"))
    object_type = models.CharField(_("対象"), max_length=40, choices=ObjectType.choices)
    read_scope = models.CharField(_("閲覧範囲"), max_length=10, choices=Scope.choices, default=Scope.NONE)
    edit_scope = models.CharField(_("編集範囲"), max_length=10, choices=Scope.choices, default=Scope.NONE)

    class Meta:
        verbose_name = _("権限範囲")
        verbose_name_plural = _("権限範囲")
        constraints = [
            models.UniqueConstraint(fields=["role", "object_type"], name="rolescope_unique_role_object_type"),
        ]

    def __str__(self) -> str:
        return f"{self.role.slug}:{self.object_type} {self.read_scope}/{self.edit_scope}"


class User(AbstractUser):
    """A person who signs in. ``last_name`` is the family name (姓), ``first_name`` the given name."""

    team = models.ForeignKey(
        Team,
        verbose_name=_("チーム"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    role = models.ForeignKey(
        Role, verbose_name=_("ロール"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    language = models.CharField(_("表示言語"), max_length=8, choices=settings.LANGUAGES, default="ja")
    failed_login_count = models.PositiveIntegerField(_("ログイン失敗回数"), default=0)
    locked_until = models.DateTimeField(_("ロック解除日時"), null=True, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("ユーザー")
        verbose_name_plural = _("ユーザー")
        indexes = [models.Index(fields=["team"], name="user_team_idx")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_of(self.last_name, self.first_name, self.username)

    @staticmethod
    def name_of(last_name: str, first_name: str, username: str) -> str:
        """``display_name`` from the three columns (lists that read values rather than users)."""
        return f"{last_name} {first_name}".strip() or username

    @property
    def is_administrator(self) -> bool:
        return bool(self.is_superuser or (self.role_id and self.role and self.role.is_admin))


class ApiToken(models.Model):
    """A bearer token for the API. Only a SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名前"), max_length=100, blank=True)
    prefix = models.CharField(_("先頭"), max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("APIトークン")
        verbose_name_plural = _("APIトークン")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class TaxRounding(models.TextChoices):
    FLOOR = "floor", _("切り捨て")
    CEILING = "ceiling", _("切り上げ")
    HALF_UP = "half_up", _("四捨五入")


class CompanyProfile(TimeStampedModel):
    """Our own company (the issuer on quotes and invoices). A single row, pk=1."""

    name = models.CharField(_("会社名"), max_length=200, blank=True)
    registration_number = models.CharField(_("適格請求書発行事業者登録番号"), max_length=14, blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=7, blank=True)
    address = models.CharField(_("住所"), max_length=300, blank=True)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    fiscal_month = models.PositiveSmallIntegerField(
        _("決算月"), default=3, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    tax_rounding = models.CharField(
        _("消費税の端数処理"), max_length=10, choices=TaxRounding.choices, default=TaxRounding.FLOOR
    )
    version = models.PositiveIntegerField(_("版"), default=1)

    class Meta:
        verbose_name = _("自社情報")
        verbose_name_plural = _("自社情報")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fiscal_month__gte=1) & models.Q(fiscal_month__lte=12),
                name="companyprofile_fiscal_month_1_12",
            ),
        ]

    def __str__(self) -> str:
        return self.name or "—"


class Currency(models.Model):
    """A currency amounts may be kept in. JPY is the base currency (reports convert to it)."""

    code = models.CharField(_("通貨コード"), max_length=3, primary_key=True)  # ISO 4217
    name = models.CharField(_("名称"), max_length=50)
    symbol = models.CharField(_("記号"), max_length=5, blank=True)
    decimals = models.PositiveSmallIntegerField(_("小数桁数"), default=0)  # JPY 0, USD 2
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("通貨")
        verbose_name_plural = _("通貨")
        constraints = [
            models.CheckConstraint(condition=models.Q(decimals__lte=4), name="currency_decimals_0_4")
        ]

    def __str__(self) -> str:
        return self.code


class ExchangeRate(models.Model):
    """How many yen one unit of ``currency`` was worth on ``date`` (entered or imported from CSV)."""

    currency = models.ForeignKey(
        Currency, verbose_name=_("通貨"), on_delete=models.PROTECT, related_name="rates"
    )
    date = models.DateField(_("適用日"))
    rate = models.DecimalField(_("為替レート（円）"), max_digits=18, decimal_places=6)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-date"]
        verbose_name = _("為替レート")
        verbose_name_plural = _("為替レート")
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="exchangerate_unique_currency_date"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchangerate_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency_id} {self.date}: {self.rate}"


class TaxCategory(models.TextChoices):
    STANDARD = "standard", _("標準税率")
    REDUCED = "reduced", _("軽減税率")
    EXEMPT = "exempt", _("非課税")
    NON_TAXABLE = "non_taxable", _("不課税")


class TaxRate(models.Model):
    """Consumption-tax rate of a category from a date on (data, not code: rates change by law)."""

    category = models.CharField(_("税区分"), max_length=20, choices=TaxCategory.choices)
    rate = models.DecimalField(_("税率（％）"), max_digits=5, decimal_places=2)
    valid_from = models.DateField(_("適用開始日"))

    class Meta:
        ordering = ["category", "-valid_from"]
        verbose_name = _("消費税率")
        verbose_name_plural = _("消費税率")
        constraints = [
            models.UniqueConstraint(fields=["category", "valid_from"], name="taxrate_unique_category_from"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.rate}% ({self.valid_from}〜)"


class NumberSequence(models.Model):
    """A gapless document number counter (見積番号, 請求書番号 …) per name and period.

    Read and advance only through ``core.services.sequence_next`` (row locked with SELECT FOR UPDATE in
    the caller's transaction), so concurrent creations never share or skip a number.
    """

    name = models.CharField(max_length=40)
    period = models.CharField(max_length=10, blank=True)  # e.g. "2026" for yearly numbering
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "period"], name="numbersequence_unique")]

    def __str__(self) -> str:
        return f"{self.name}/{self.period}: {self.last_value}"


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("Audit entries cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit entries cannot be deleted")


class AuditEntry(models.Model):
    """One recorded change: who, when, from where, which fields old → new. Append-only."""

    at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("実行者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(_("実行者名"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IPアドレス"), null=True, blank=True)
    via = models.CharField(_("経路"), max_length=20, blank=True)  # web / api / cli / import / system
    object_type = models.CharField(_("対象種別"), max_length=60)
    object_id = models.BigIntegerField(_("対象ID"))
    object_repr = models.CharField(_("対象"), max_length=300, blank=True)
    action = models.CharField(_("操作"), max_length=30)
    changes = models.JSONField(_("変更内容"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("版"), null=True, blank=True)
    note = models.TextField(_("メモ"), blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")
        indexes = [models.Index(fields=["object_type", "object_id", "-id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit entries cannot be deleted")


class Notification(models.Model):
    """An in-app notice for one user (handover, later comments, reminders …)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("種類"), max_length=60)
    title = models.CharField(_("件名"), max_length=300)
    body = models.TextField(_("本文"), blank=True)
    url = models.CharField(_("リンク"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)
    read_at = models.DateTimeField(_("既読日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """Which notification kinds a user also wants by email (in-app notifications always appear)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_kinds = models.JSONField(_("メールで受け取る通知"), default=list, blank=True)

    class Meta:
        verbose_name = _("通知設定")
        verbose_name_plural = _("通知設定")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email_kinds}"


class SearchDocument(models.Model):
    """The search index row of one record: its folded text. Backends index ``text`` by character bigrams.

    On SQLite an FTS5 table ``core_search_fts`` (rowid = this id) holds the bigram tokens (migration
    ``0002_search_backends``); on PostgreSQL a GIN index on ``daifuku_grams(text)``, the grams computed
    from the text by a SQL function (migration ``0008_search_grams_expression``). Written only through
    ``daifuku.core.search``.
    """

    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    text = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["object_type", "object_id"], name="searchdoc_unique_object"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type}#{self.object_id}"
