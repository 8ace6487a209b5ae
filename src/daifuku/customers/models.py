"""取引先 (companies), 担当者/個人 (contacts), their affiliations and handovers."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from daifuku.core import jp
from daifuku.core.models import Team, TimeStampedModel, VersionedModel

LIVE = models.Q(deleted_at__isnull=True)


class Industry(models.Model):
    """業種: seeded with the JSIC (日本標準産業分類) major groups A–T."""

    code = models.CharField(_("コード"), max_length=4, unique=True)
    name = models.CharField(_("業種"), max_length=100)
    name_en = models.CharField(_("業種（英語）"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("業種")
        verbose_name_plural = _("業種")

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.label(english=(get_language() or "ja").startswith("en"))

    def label(self, *, english: bool) -> str:
        """The name in English where there is one and English is asked for, else Japanese."""
        return self.label_of(self.name, self.name_en, english=english)

    @staticmethod
    def label_of(name: str, name_en: str, *, english: bool) -> str:
        """``label`` from the two columns (lists that read values rather than industries)."""
        return name_en if english and name_en else name


class Tag(models.Model):
    name = models.CharField(_("タグ"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("タグ")
        verbose_name_plural = _("タグ")

    def __str__(self) -> str:
        return self.name


class LegalFormPosition(models.TextChoices):
    NONE = "none", _("なし")
    BEFORE = "before", _("前（前株）")
    AFTER = "after", _("後（後株）")


class CompanyStatus(models.TextChoices):
    PROSPECT = "prospect", _("見込み")
    CUSTOMER = "customer", _("取引中")
    DORMANT = "dormant", _("休眠")
    LOST = "lost", _("失注・取引終了")


class CompanyRank(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


class Company(VersionedModel):
    """取引先. ``name`` is the name without the legal form; ``display_name`` puts the form where it goes."""

    name = models.CharField(_("会社名"), max_length=200)
    name_kana = models.CharField(_("フリガナ"), max_length=200, blank=True)
    legal_form = models.CharField(_("法人格"), max_length=20, choices=jp.LEGAL_FORM_CHOICES, blank=True)
    legal_form_position = models.CharField(
        _("法人格の位置"), max_length=10, choices=LegalFormPosition.choices, default=LegalFormPosition.NONE
    )
    corporate_number = models.CharField(_("法人番号"), max_length=13, blank=True)
    invoice_registration_number = models.CharField(
        _("適格請求書発行事業者登録番号"), max_length=14, blank=True
    )
    postal_code = models.CharField(_("郵便番号"), max_length=7, blank=True)
    prefecture = models.CharField(_("都道府県"), max_length=10, blank=True)
    city = models.CharField(_("市区町村"), max_length=100, blank=True)
    street = models.CharField(_("町名・番地"), max_length=200, blank=True)
    building = models.CharField(_("建物名"), max_length=200, blank=True)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)  # E.164
    fax = models.CharField(_("FAX"), max_length=20, blank=True)  # E.164
    email = models.EmailField(_("メール"), blank=True)
    website = models.URLField(_("ウェブサイト"), blank=True)
    sns = models.JSONField(_("SNSアカウント"), default=dict, blank=True)
    representative = models.CharField(_("代表者"), max_length=100, blank=True)
    capital = models.DecimalField(_("資本金（円）"), max_digits=16, decimal_places=0, null=True, blank=True)
    employees = models.PositiveIntegerField(_("従業員数"), null=True, blank=True)
    is_listed = models.BooleanField(_("上場"), default=False)
    fiscal_month = models.PositiveSmallIntegerField(
        _("決算月"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    industry = models.ForeignKey(
        Industry, verbose_name=_("業種"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("事業内容"), blank=True)
    rank = models.CharField(_("ランク"), max_length=2, choices=CompanyRank.choices, blank=True)
    status = models.CharField(
        _("ステータス"), max_length=10, choices=CompanyStatus.choices, default=CompanyStatus.PROSPECT
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("親会社"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当者（自社）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_companies",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("チーム"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="companies",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("タグ"), blank=True, related_name="companies")
    notes = models.TextField(_("メモ"), blank=True)
    # Derived keys, kept by services: dedup (名寄せ) and 五十音 sort.
    name_key = models.CharField(max_length=200, editable=False, default="")
    kana_key = models.CharField(max_length=200, editable=False, default="")
    # 名寄せ: a merged company is kept (in the trash) as a tombstone pointing at the surviving record.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("統合先"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        editable=False,
    )

    class Meta:
        verbose_name = _("取引先")
        verbose_name_plural = _("取引先")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fiscal_month__isnull=True)
                | (models.Q(fiscal_month__gte=1) & models.Q(fiscal_month__lte=12)),
                name="company_fiscal_month_1_12",
            ),
        ]
        indexes = [
            # Live rows only (trash excluded): lists filter deleted_at IS NULL and order by these.
            models.Index(fields=["kana_key", "id"], name="company_live_kana_idx", condition=LIVE),
            models.Index(fields=["updated_at", "id"], name="company_live_updated_idx", condition=LIVE),
            models.Index(
                fields=["team", "kana_key", "id"], name="company_team_live_kana_idx", condition=LIVE
            ),
            # team last: the owner half of a team-scoped page (visibility.page_ids) tests "team ≠ mine"
            # in the index instead of reading every row the owner has.
            models.Index(
                fields=["owner", "kana_key", "id", "team"], name="company_owner_live_kana_idx", condition=LIVE
            ),
            # The same two halves for the list sorted by 更新日 (newest first is a rep's "what moved").
            models.Index(
                fields=["team", "updated_at", "id"], name="company_team_live_upd_idx", condition=LIVE
            ),
            models.Index(
                fields=["owner", "updated_at", "id", "team"],
                name="company_owner_live_upd_idx",
                condition=LIVE,
            ),
            models.Index(fields=["name_key"], name="company_name_key_idx"),
            models.Index(fields=["corporate_number"], name="company_corpno_idx"),
            models.Index(fields=["phone"], name="company_phone_idx"),
            models.Index(fields=["status", "deleted_at"], name="company_status_idx"),
            models.Index(fields=["prefecture", "deleted_at"], name="company_pref_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("customers:company_detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        return jp.company_display_name(self.name, self.legal_form, self.legal_form_position)

    @property
    def address(self) -> str:
        return jp.address_line(self.prefecture, self.city, self.street, self.building)

    @property
    def phone_display(self) -> str:
        return jp.phone_display(self.phone)

    @property
    def fax_display(self) -> str:
        return jp.phone_display(self.fax)

    @property
    def postal_code_display(self) -> str:
        return jp.postal_display(self.postal_code)


class Gender(models.TextChoices):
    UNKNOWN = "", _("未回答")
    FEMALE = "female", _("女性")
    MALE = "male", _("男性")
    OTHER = "other", _("その他")


class MailConsent(models.TextChoices):
    UNKNOWN = "unknown", _("未確認")
    OPTED_IN = "opted_in", _("同意あり")
    OPTED_OUT = "opted_out", _("配信停止")


class ConsentMethod(models.TextChoices):
    NONE = "", _("—")
    WEB_FORM = "web_form", _("ウェブフォーム")
    BUSINESS_CARD = "business_card", _("名刺交換")
    BUSINESS_RELATION = "business_relation", _("取引関係")
    WRITTEN = "written", _("書面")
    VERBAL = "verbal", _("口頭")
    EMAIL = "email", _("メール返信")
    UNSUBSCRIBE = "unsubscribe", _("配信停止手続き")
    IMPORT = "import", _("データ取込")


class Contact(VersionedModel):
    """担当者 (a person at a company) or 個人 (a B2C customer, no company)."""

    family_name = models.CharField(_("姓"), max_length=100)
    given_name = models.CharField(_("名"), max_length=100, blank=True)
    family_name_kana = models.CharField(_("セイ"), max_length=100, blank=True)
    given_name_kana = models.CharField(_("メイ"), max_length=100, blank=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("会社"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        db_index=False,  # contact_company_kana_idx (company, kana, id) serves every lookup by company
    )
    department = models.CharField(_("部署"), max_length=200, blank=True)
    title = models.CharField(_("役職"), max_length=100, blank=True)
    mobile_phone = models.CharField(_("携帯電話"), max_length=20, blank=True)  # E.164
    office_phone = models.CharField(_("会社電話"), max_length=20, blank=True)  # E.164
    email = models.EmailField(_("メール"), blank=True)
    email_alt = models.EmailField(_("メール（予備）"), blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=7, blank=True)
    prefecture = models.CharField(_("都道府県"), max_length=10, blank=True)
    city = models.CharField(_("市区町村"), max_length=100, blank=True)
    street = models.CharField(_("町名・番地"), max_length=200, blank=True)
    building = models.CharField(_("建物名"), max_length=200, blank=True)
    birthday = models.DateField(_("誕生日"), null=True, blank=True)
    gender = models.CharField(_("性別"), max_length=10, choices=Gender.choices, blank=True, default="")
    household_size = models.PositiveSmallIntegerField(_("世帯人数"), null=True, blank=True)
    preferences = models.TextField(_("趣味・嗜好"), blank=True)
    sns = models.JSONField(_("SNSアカウント"), default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当者（自社）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_contacts",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("チーム"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("タグ"), blank=True, related_name="contacts")
    notes = models.TextField(_("メモ"), blank=True)
    mail_consent = models.CharField(
        _("メール配信同意"), max_length=10, choices=MailConsent.choices, default=MailConsent.UNKNOWN
    )
    mail_consent_at = models.DateTimeField(_("同意・停止日時"), null=True, blank=True)
    mail_consent_method = models.CharField(
        _("同意・停止の方法"), max_length=20, choices=ConsentMethod.choices, blank=True, default=""
    )
    mail_consent_note = models.CharField(_("同意の記録"), max_length=300, blank=True)
    name_key = models.CharField(max_length=200, editable=False, default="")
    kana_key = models.CharField(max_length=200, editable=False, default="")
    # 名寄せ: a merged contact is kept (in the trash) as a tombstone pointing at the surviving record.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("統合先"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        editable=False,
    )

    class Meta:
        verbose_name = _("担当者")
        verbose_name_plural = _("担当者")
        indexes = [
            # Live rows only (trash excluded): lists filter deleted_at IS NULL and order by these.
            models.Index(fields=["kana_key", "id"], name="contact_live_kana_idx", condition=LIVE),
            models.Index(fields=["updated_at", "id"], name="contact_live_updated_idx", condition=LIVE),
            models.Index(
                fields=["team", "kana_key", "id"], name="contact_team_live_kana_idx", condition=LIVE
            ),
            # team last: the owner half of a team-scoped page (visibility.page_ids) tests "team ≠ mine"
            # in the index instead of reading every row the owner has.
            models.Index(
                fields=["owner", "kana_key", "id", "team"], name="contact_owner_live_kana_idx", condition=LIVE
            ),
            # A company's contacts in フリガナ order (its page): an index range in list order, where
            # PostgreSQL walked every live contact in kana order for the company's first 51 (16–19 ms at
            # 1m, 2,820 contacts). No deleted_at in it: PostgreSQL does not order through an IS NULL
            # column, and a company's few trashed contacts are filtered on the way.
            models.Index(fields=["company", "kana_key", "id"], name="contact_company_kana_idx"),
            models.Index(fields=["name_key"], name="contact_name_key_idx"),
            models.Index(fields=["email"], name="contact_email_idx"),
            models.Index(fields=["mobile_phone"], name="contact_mobile_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("customers:contact_detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return jp.full_name(self.family_name, self.given_name)

    @property
    def full_name_kana(self) -> str:
        return jp.full_name(self.family_name_kana, self.given_name_kana)

    @property
    def address(self) -> str:
        return jp.address_line(self.prefecture, self.city, self.street, self.building)

    @property
    def mobile_phone_display(self) -> str:
        return jp.phone_display(self.mobile_phone)

    @property
    def office_phone_display(self) -> str:
        return jp.phone_display(self.office_phone)


class ContactAffiliation(models.Model):
    """A period of a contact at a company (経歴). The open row (``ended_on`` null) is the current one."""

    # db_index=False: affiliation_contact_idx (contact, -id) serves every lookup by contact
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="affiliations", db_index=False
    )
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    company_name = models.CharField(_("会社名（当時）"), max_length=250, blank=True)
    department = models.CharField(_("部署"), max_length=200, blank=True)
    title = models.CharField(_("役職"), max_length=100, blank=True)
    started_on = models.DateField(_("開始"), null=True, blank=True)
    ended_on = models.DateField(_("終了"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("所属履歴")
        verbose_name_plural = _("所属履歴")
        indexes = [models.Index(fields=["contact", "-id"], name="affiliation_contact_idx")]

    def __str__(self) -> str:
        return f"{self.contact_id} @ {self.company_name}"


class CompanyHandover(TimeStampedModel):
    """引き継ぎ: a change of a company's owner, with who did it and why."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="handovers")
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("理由"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("引き継ぎ")
        verbose_name_plural = _("引き継ぎ")

    def __str__(self) -> str:
        return f"{self.company_id}: {self.from_owner_id} → {self.to_owner_id}"
