"""Writes of the sales module: contracts (契約管理), their expiry alerts and renewals.

Input is a plain ``dict`` cleaned by :class:`~daifuku.sales.services.common.Cleaner`; bad values raise
``ValidationError`` keyed by field name (``lines.<row>.<field>`` for a line, with the row number in
the message). Every write locks the row, checks the edit scope and the version the user saw, bumps
``version``, writes an audit entry and emits a ``contract.*`` event.

The daily job (``tasks_contracts.py``) calls :func:`contracts_roll_over` (expire, or roll auto-renewing
contracts forward) and :func:`contract_alerts_send` (expiry alerts, exactly once per contract,
threshold and end date).
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from daifuku.catalog.models import BillingType, Product
from daifuku.core import audit, events, visibility
from daifuku.core.models import User
from daifuku.core.money import currency_decimals, round_amount
from daifuku.core.services import NOTIFICATION_KINDS, check_version, notify, sequence_next, trash_record
from daifuku.sales.models import Contract, ContractAlert, ContractLine, ContractStatus, Deal, RenewalType
from daifuku.sales.services.common import Cleaner

CONTRACT = "contract"
DEAL = "deal"
ALERT_KIND = "contract.expiring"
DEFAULT_ALERT_DAYS = (90, 30, 7)

# Users may also receive expiry alerts by e-mail (chosen on the notifications page).
NOTIFICATION_KINDS.setdefault(ALERT_KIND, gettext_lazy("契約満了の予告"))

CONTRACT_FIELDS = [
    "title", "company", "contact", "owner", "status", "amount", "currency", "billing_type", "signed_on",
    "starts_on", "ends_on", "renewal_type", "notice_days", "notes", "lines",
]  # fmt: skip
# What a contract made from a won deal may set besides what it copies from the deal.
FROM_DEAL_FIELDS = [
    "title", "status", "billing_type", "signed_on", "starts_on", "ends_on", "renewal_type", "notice_days",
    "notes",
]  # fmt: skip
LINE_FIELDS = ["product", "description", "quantity", "unit", "unit_price"]
# Statuses a person sets by editing; the others come from actions (cancel, renewal, the daily job).
EDITABLE_STATUSES = (ContractStatus.DRAFT, ContractStatus.ACTIVE)
AUDITED_FIELDS = [name for name in CONTRACT_FIELDS if name != "lines"] + ["team", "deal", "renewal_deal"]


def alert_days() -> list[int]:
    """The alert thresholds in days before the end date, largest first (read at call time)."""
    raw = getattr(settings, "DAIFUKU_CONTRACT_ALERT_DAYS", DEFAULT_ALERT_DAYS)
    return sorted({int(days) for days in raw}, reverse=True)


# Input cleaning


def _clean_lines(raw: Any, errors: dict[str, str]) -> list[ContractLine]:
    """Unsaved lines from a list of dicts; errors are keyed ``lines.<n>.<field>`` and name the row."""
    if not isinstance(raw, list | tuple):
        errors["lines"] = _("明細は一覧で指定してください。")
        return []
    lines: list[ContractLine] = []
    for index, row in enumerate(raw):
        if not isinstance(row, dict):
            errors[f"lines.{index}"] = _("明細%(n)s行目の形式が不正です。") % {"n": index + 1}
            continue
        try:
            cleaner = Cleaner(row, LINE_FIELDS)
        except ValidationError as exc:
            for name in exc.message_dict:
                errors[f"lines.{index}.{name}"] = _(
                    "明細%(n)s行目: 「%(field)s」という項目はありません。"
                ) % {
                    "n": index + 1,
                    "field": name,
                }
            continue
        product = None
        product_id = cleaner.integer("product", lo=1)
        if product_id is not None:
            product = Product.objects.filter(pk=product_id, deleted_at__isnull=True).first()
            if product is None:
                cleaner.error("product", _("指定された商品が見つかりません。"))
        description = cleaner.text("description", max_length=200) or (product.name if product else "")
        if not description:
            cleaner.error("description", _("品名を入力してください。"))
        quantity = cleaner.decimal("quantity", places=3, default=Decimal(1))
        unit = cleaner.text("unit", max_length=20) or (product.unit if product else "")
        default_price = product.unit_price if product else Decimal(0)
        unit_price = cleaner.decimal("unit_price", default=default_price)
        for name, message in cleaner.errors.items():
            errors[f"lines.{index}.{name}"] = _("明細%(n)s行目: %(message)s") % {
                "n": index + 1,
                "message": message,
            }
        lines.append(
            ContractLine(
                sort_order=index + 1,
                product=product,
                description=description,
                quantity=quantity if quantity is not None else Decimal(1),
                unit=unit,
                unit_price=unit_price if unit_price is not None else Decimal(0),
            )
        )
    return lines


def _lines_total(lines: list[ContractLine], decimals: int) -> Decimal:
    return round_amount(
        sum((line.quantity * line.unit_price for line in lines), Decimal(0)), decimals=decimals
    )


def _clean(
    *, by: User, data: dict[str, Any], allowed: list[str], contract: Contract
) -> list[ContractLine] | None:
    """Set the cleaned values on ``contract`` (unsaved); return its new lines, or None when not given.

    Raises one ``ValidationError`` naming every bad field.
    """
    cleaner = Cleaner(data, allowed)
    errors = cleaner.errors
    if "title" in cleaner or not contract.title:
        contract.title = cleaner.text("title", required=True, max_length=200)
    if "company" in cleaner:
        company = cleaner.company(by, required=True)
        if company is not None:
            contract.company = company
    if "contact" in cleaner:
        contact = cleaner.contact(by)
        contract.contact = contact
    if "owner" in cleaner:
        owner = cleaner.user("owner", required=True)
        if owner is not None:
            contract.owner = owner
            contract.team_id = owner.team_id
    if "status" in cleaner:
        status = cleaner.choice("status", EDITABLE_STATUSES, default=contract.status)
        if status != contract.status and contract.status not in EDITABLE_STATUSES:
            cleaner.error("status", _("解約・満了・更新済みの契約の状態は変更できません。"))
        else:
            contract.status = status
    if "currency" in cleaner:
        currency = cleaner.currency()
        if currency is not None:
            contract.currency = currency
    if "amount" in cleaner:
        amount = cleaner.decimal("amount", default=Decimal(0))
        contract.amount = amount if amount is not None else Decimal(0)
    if "billing_type" in cleaner:
        contract.billing_type = cleaner.choice(
            "billing_type", BillingType.values, default=BillingType.LUMP_SUM
        )
    if "signed_on" in cleaner:
        contract.signed_on = cleaner.date("signed_on")
    if "starts_on" in cleaner or contract.pk is None:
        starts_on = cleaner.date("starts_on", required=True)
        if starts_on is not None:
            contract.starts_on = starts_on
    if "ends_on" in cleaner:
        contract.ends_on = cleaner.date("ends_on")
    if "renewal_type" in cleaner:
        contract.renewal_type = cleaner.choice("renewal_type", RenewalType.values, default=RenewalType.MANUAL)
    if "notice_days" in cleaner:
        notice = cleaner.integer("notice_days", lo=0, hi=3650, default=0)
        contract.notice_days = notice if notice is not None else 0
    if "notes" in cleaner:
        contract.notes = cleaner.text("notes")
    lines = _clean_lines(cleaner.data["lines"], errors) if "lines" in cleaner else None

    if contract.company_id is None and "company" not in errors:
        cleaner.error("company", _("取引先を選んでください。"))
    if (
        contract.contact is not None
        and contract.company_id
        and contract.contact.company_id != contract.company_id
    ):
        cleaner.error("contact", _("先方の担当者は契約先の取引先の人を選んでください。"))
    if (
        contract.ends_on is not None
        and getattr(contract, "starts_on", None) is not None
        and contract.ends_on < contract.starts_on
    ):
        cleaner.error("ends_on", _("契約満了日は契約開始日以降の日付にしてください。"))
    cleaner.raise_errors()
    if lines:
        contract.amount = _lines_total(lines, currency_decimals(contract.currency_id or "JPY"))
    return lines


def _save_lines(contract: Contract, lines: list[ContractLine]) -> None:
    contract.lines.all().delete()
    for line in lines:
        line.contract = contract
    ContractLine.objects.bulk_create(lines)


def _line_summary(lines: list[ContractLine]) -> list[str]:
    """Lines as audit text; saved and freshly cleaned lines give the same text for the same values."""
    return [
        f"{line.description} × {Decimal(line.quantity).normalize():f} @ "
        f"{Decimal(line.unit_price).quantize(Decimal('0.01')):f}"
        for line in lines
    ]


# Create


@transaction.atomic
def contract_create(*, by: User, data: dict[str, Any]) -> Contract:
    """Enter a contract directly. The owner defaults to ``by``; the amount is the lines' sum when given.

    The number ``C-<year>-<n:05d>`` comes from a gapless counter taken in this transaction.
    """
    if not visibility.can_create(by, CONTRACT):
        raise PermissionDenied(_("契約を登録する権限がありません。"))
    contract = Contract(owner=by, team_id=by.team_id)
    lines = _clean(by=by, data=data, allowed=CONTRACT_FIELDS, contract=contract)
    return _insert(contract, lines or [], by=by)


def _insert(contract: Contract, lines: list[ContractLine], *, by: User) -> Contract:
    visibility.check_can_assign(by, CONTRACT, contract.owner_id, contract.team_id)
    year = timezone.localdate().year
    contract.number = f"C-{year}-{sequence_next(name='contract', period=str(year)):05d}"
    contract.save()
    _save_lines(contract, lines)
    changes = audit.diff({}, audit.snapshot(contract, AUDITED_FIELDS))
    if lines:
        changes["lines"] = [[], _line_summary(lines)]
    audit.record(contract, by=by, action="create", changes=changes)
    events.emit("contract.created", contract=contract, by=by)
    return contract


@transaction.atomic
def contract_create_from_deal(*, deal: Deal, by: User, data: dict[str, Any] | None = None) -> Contract:
    """Make the contract of a won deal: company, first contact, owner, team, amount, currency, billing
    type and lines are copied; ``data`` gives the dates, renewal terms and notes (FROM_DEAL_FIELDS).

    ``deal`` must be one ``by`` may read (fetched through ``deal_get``). A contract made from the
    renewal deal of an earlier contract points back to it (``previous``).
    """
    if not visibility.can_create(by, CONTRACT):
        raise PermissionDenied(_("契約を登録する権限がありません。"))
    deal = Deal.objects.select_for_update().select_related("stage", "currency").get(pk=deal.pk)
    if deal.deleted_at is not None or not visibility.can_read(by, deal, DEAL):
        raise PermissionDenied(_("この商談は参照できません。"))
    if not deal.stage.is_won:
        raise ValidationError({"deal": _("受注した商談からだけ契約を作成できます。")})
    existing = Contract.objects.filter(deal=deal, deleted_at__isnull=True).first()
    if existing is not None:
        raise ValidationError(
            {
                "deal": _("この商談からは既に契約 %(number)s が作成されています。")
                % {"number": existing.number}
            }
        )
    data = {"starts_on": deal.closed_on or timezone.localdate(), **(data or {})}
    contract = Contract(
        title=deal.name,
        company_id=deal.company_id,
        # The deal's first contact still at the company (people move on; the contract names the customer's).
        contact=deal.contacts.filter(company_id=deal.company_id, deleted_at__isnull=True)
        .order_by("pk")
        .first(),
        deal=deal,
        owner_id=deal.owner_id,
        team_id=deal.team_id,
        amount=deal.amount,
        currency_id=deal.currency_id,
        billing_type=deal.billing_type,
        previous=Contract.objects.filter(renewal_deal=deal, deleted_at__isnull=True).order_by("pk").first(),
    )
    _clean(by=by, data=data, allowed=FROM_DEAL_FIELDS, contract=contract)
    lines = [
        ContractLine(
            sort_order=index,
            product_id=line.product_id,
            description=line.description,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
        )
        for index, line in enumerate(deal.lines.order_by("sort_order", "id"), start=1)
    ]
    return _insert(contract, lines, by=by)


# Change


def _locked(contract: Contract, by: User) -> Contract:
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    visibility.check_can_edit(by, contract, CONTRACT)
    if contract.is_deleted:
        raise ValidationError({"__all__": _("ごみ箱の契約は変更できません。")})
    return contract


@transaction.atomic
def contract_update(
    *, contract: Contract, by: User, data: dict[str, Any], seen_version: int | None = None
) -> Contract:
    """Change a contract (refuses a stale ``seen_version``). ``lines`` replaces all lines when given.

    An expired contract whose end date is moved to today or later is active again.
    """
    contract = _locked(contract, by)
    check_version(contract, seen_version)
    before = audit.snapshot(contract, AUDITED_FIELDS)
    old_lines = list(contract.lines.all())
    lines = _clean(by=by, data=data, allowed=CONTRACT_FIELDS, contract=contract)
    if (
        contract.status == ContractStatus.EXPIRED
        and contract.ends_on is not None
        and contract.ends_on >= timezone.localdate()
    ):
        contract.status = ContractStatus.ACTIVE
    if "owner" in data:
        visibility.check_can_assign(by, CONTRACT, contract.owner_id, contract.team_id)
    delta = audit.diff(before, audit.snapshot(contract, AUDITED_FIELDS))
    if lines is not None and _line_summary(lines) != _line_summary(old_lines):
        delta["lines"] = [_line_summary(old_lines), _line_summary(lines)]
        _save_lines(contract, lines)
    if not delta:
        return contract
    contract.version += 1
    contract.save()
    audit.record(contract, by=by, action="update", changes=delta)
    events.emit("contract.updated", contract=contract, by=by, changes=delta)
    return contract


def _set_status(contract: Contract, status: str, *, by: User | None, action: str, note: str = "") -> None:
    """Save a status change with its audit entry. Call with the row locked."""
    old = contract.status
    contract.status = status
    contract.version += 1
    contract.save(update_fields=["status", "version", "updated_at"])
    audit.record(contract, by=by, action=action, changes={"status": [old, status]}, note=note)
    events.emit(f"contract.{action}", contract=contract, by=by)


@transaction.atomic
def contract_cancel(*, contract: Contract, by: User, note: str = "") -> Contract:
    """Cancel (解約) a draft or active contract; its expiry alerts stop."""
    contract = _locked(contract, by)
    if contract.status not in EDITABLE_STATUSES:
        raise ValidationError({"status": _("締結前または有効な契約だけを解約できます。")})
    _set_status(contract, ContractStatus.CANCELLED, by=by, action="cancelled", note=note.strip())
    return contract


@transaction.atomic
def contract_trash(*, contract: Contract, by: User) -> Contract:
    """Move a contract to the trash (an administrator restores it)."""
    contract = _locked(contract, by)
    trash_record(contract, by=by, object_type=CONTRACT)
    return contract


@transaction.atomic
def contract_create_renewal_deal(*, contract: Contract, by: User) -> Deal:
    """Open the renewal deal of a contract: 「<title>（更新）」 for its company and owner, its amount and
    lines, expected to close ``notice_days`` before the end date. Only one renewal deal per contract.

    When that deal is won the contract becomes 更新済み (``subscribers_contracts``).
    """
    from daifuku.sales.services.deals import deal_create

    contract = _locked(contract, by)
    if contract.renewal_deal_id is not None:
        existing = Deal.objects.filter(pk=contract.renewal_deal_id).first()
        raise ValidationError(
            {"renewal_deal": _("この契約の更新商談「%(name)s」は既に作成されています。") % {"name": existing}}
        )
    if contract.status not in (ContractStatus.ACTIVE, ContractStatus.EXPIRED):
        raise ValidationError({"status": _("有効または満了した契約だけ更新商談を作成できます。")})
    expected = contract.ends_on - dt.timedelta(days=contract.notice_days) if contract.ends_on else None
    deal = deal_create(
        by=by,
        data={
            "name": f"{contract.title}（更新）",  # data, not UI: the same name whatever the user's language
            "company": contract.company_id,
            "contacts": [contract.contact_id] if contract.contact_id else [],
            "owner": contract.owner_id,
            "amount": contract.amount,
            "currency": contract.currency_id,
            "billing_type": contract.billing_type,
            "expected_close_date": expected,
            "lines": [
                {
                    "product": line.product_id,
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit": line.unit,
                    "unit_price": line.unit_price,
                }
                for line in contract.lines.all()
            ],
        },
    )
    contract.renewal_deal = deal
    contract.version += 1
    contract.save(update_fields=["renewal_deal", "version", "updated_at"])
    audit.record(contract, by=by, action="renewal_deal", changes={"renewal_deal": [None, deal.pk]})
    events.emit("contract.renewal_deal_created", contract=contract, deal=deal, by=by)
    return deal


def contract_mark_renewed(*, deal: Deal, by: User | None) -> list[Contract]:
    """The renewal deal ``deal`` was won: its contracts become 更新済み (inside the deal's transaction)."""
    renewed = []
    for contract in Contract.objects.select_for_update().filter(
        renewal_deal=deal,
        deleted_at__isnull=True,
        status__in=[ContractStatus.ACTIVE, ContractStatus.EXPIRED],
    ):
        _set_status(contract, ContractStatus.RENEWED, by=by, action="renewed", note=str(deal))
        renewed.append(contract)
    return renewed


# The daily job: expiry and automatic renewal


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_term(starts_on: dt.date, ends_on: dt.date) -> tuple[dt.date, dt.date]:
    """The term following ``starts_on``–``ends_on``, of the same length.

    A term of whole months (04-01 to 03-31, 01-15 to 02-14) rolls by months, so a yearly term stays
    yearly across leap years and month ends; any other term rolls by its number of days.
    """
    following = ends_on + dt.timedelta(days=1)
    months = (following.year - starts_on.year) * 12 + following.month - starts_on.month
    if months > 0 and add_months(starts_on, months) == following:
        return following, add_months(following, months) - dt.timedelta(days=1)
    return following, following + (ends_on - starts_on)


def contracts_roll_over(*, today: dt.date | None = None) -> dict[str, int]:
    """Active contracts whose end date has passed: auto-renewing ones move to their next term (audited
    as ``auto_renew``), the others become 満了 (``expired``). Returns how many of each.

    Each contract is its own transaction and re-checked under its row lock, so a second run (or one
    running at the same time) changes nothing.
    """
    today = today or timezone.localdate()
    counts = {"renewed": 0, "expired": 0}
    due = Contract.objects.filter(
        status=ContractStatus.ACTIVE, deleted_at__isnull=True, ends_on__lt=today
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            contract = Contract.objects.select_for_update().filter(pk=pk).first()
            if (
                contract is None
                or contract.status != ContractStatus.ACTIVE
                or contract.deleted_at is not None
                or contract.ends_on is None
                or contract.ends_on >= today
            ):
                continue
            if contract.renewal_type == RenewalType.AUTO:
                before = audit.snapshot(contract, ["starts_on", "ends_on"])
                while contract.ends_on < today:
                    contract.starts_on, contract.ends_on = next_term(contract.starts_on, contract.ends_on)
                contract.version += 1
                contract.save(update_fields=["starts_on", "ends_on", "version", "updated_at"])
                changes = audit.diff(before, audit.snapshot(contract, ["starts_on", "ends_on"]))
                audit.record(contract, by=None, action="auto_renew", changes=changes)
                events.emit("contract.auto_renewed", contract=contract, by=None)
                counts["renewed"] += 1
            else:
                _set_status(contract, ContractStatus.EXPIRED, by=None, action="expired")
                counts["expired"] += 1
    return counts


# The daily job: expiry alerts


def _claim(contract: Contract, days_before: int, ends_on: dt.date) -> bool:
    """Insert the alert row of (contract, threshold, end date); False if it exists (already alerted).

    The unique constraint decides: a concurrent run's INSERT waits for this transaction and then
    fails (PostgreSQL), or never overlaps (SQLite serializes writers). The savepoint keeps the
    surrounding transaction usable after the refused INSERT.
    """
    try:
        with transaction.atomic():
            ContractAlert.objects.create(contract=contract, days_before=days_before, ends_on=ends_on)
    except IntegrityError:
        return False
    return True


def contract_alerts_send(*, today: dt.date | None = None) -> int:
    """Alert owners of active contracts ending within a threshold (``DAIFUKU_CONTRACT_ALERT_DAYS``).

    Exactly once per contract, threshold and end date, however often (or concurrently) this runs: the
    alert row is claimed first, the notification sent only by the run that claimed it. A contract
    crossing several thresholds at once (entered late, or days missed) gets one notification and
    every crossed threshold is recorded; a changed end date alerts again. Returns notifications sent.
    """
    today = today or timezone.localdate()
    thresholds = alert_days()
    if not thresholds:
        return 0
    candidates = Contract.objects.filter(
        status=ContractStatus.ACTIVE,
        deleted_at__isnull=True,
        ends_on__gte=today,
        ends_on__lte=today + dt.timedelta(days=thresholds[0]),
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(candidates):
        with transaction.atomic():
            contract = Contract.objects.select_related("owner").filter(pk=pk).first()
            if contract is None or contract.ends_on is None or contract.status != ContractStatus.ACTIVE:
                continue
            days_left = (contract.ends_on - today).days
            claimed = [
                days for days in thresholds if days_left <= days and _claim(contract, days, contract.ends_on)
            ]
            if not claimed:
                continue
            notify(
                recipient=contract.owner,
                kind=ALERT_KIND,
                title=gettext_noop("契約「%(title)s」（%(number)s）は%(days)s日後の%(date)sに満了します"),
                params={
                    "title": contract.title,
                    "number": contract.number,
                    "days": days_left,
                    "date": contract.ends_on.isoformat(),
                },
                body=_renewal_hint(contract),
                url=reverse("sales:contract_detail", args=[contract.pk]),
            )
            sent += 1
    return sent


def _renewal_hint(contract: Contract) -> str:
    """What the owner should do, in the owner's language (the body is stored as text)."""
    with translation.override(contract.owner.language or settings.LANGUAGE_CODE):
        if contract.renewal_type == RenewalType.AUTO:
            return _(
                "自動更新の契約です。解約する場合は満了日の%(days)s日前までに先方へ連絡してください。"
            ) % {"days": contract.notice_days}
        return _("手動更新の契約です。更新する場合は契約の画面から更新商談を作成してください。")
