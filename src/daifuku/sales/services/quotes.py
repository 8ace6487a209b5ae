"""Writes of the sales module: quotes (見積).

A quote is created from a deal and numbered at once from a gapless yearly sequence
(``Q-2026-00012``). While it is a draft its header and lines change freely; every change of the
lines recomputes the amounts: each line is rounded to the currency's minor unit, the consumption tax
is computed per tax rate and rounded once per rate with the company's rounding mode (インボイス制度).
Issuing copies the issuer (our company profile with its T-number) and the rounding mode onto the
quote, stores the PDF with its SHA-256 and freezes lines and amounts for good; a correction is a new
revision (same number, ``revision + 1``) linked to the quote it replaces.

Status: draft → issued → sent → accepted / rejected / expired. Sending mails the stored PDF through
Django's mail backend and logs an e-mail activity on the deal (so it shows on the company timeline).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import smtplib
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from daifuku.catalog.models import Product
from daifuku.core import audit, events, money, visibility
from daifuku.core.models import Currency, TaxCategory, TaxRounding, User
from daifuku.core.services import check_version, profile_get, sequence_next, trash_record
from daifuku.sales.models import Deal, Quote, QuoteLine, QuoteStatus
from daifuku.sales.services.common import Cleaner, pk_of

QUOTE = "quote"
VALIDITY_DAYS = 30

HEADER_FIELDS = [
    "title", "contact", "recipient_name", "valid_until", "currency", "delivery_terms", "payment_terms",
    "terms",
]  # fmt: skip
LINE_FIELDS = [
    "product", "description", "quantity", "unit", "unit_price", "discount_percent", "discount_amount",
    "tax_category",
]  # fmt: skip
# What the audit trail compares (the PDF file itself is covered by ``pdf_sha256``).
AUDIT_FIELDS = [
    "number", "revision", "previous", "deal", "company", "contact", "recipient_name", "owner", "team",
    "title", "status", "issue_date", "valid_until", "currency", "tax_rounding", "subtotal", "tax_total",
    "total", "delivery_terms", "payment_terms", "terms", "issuer", "issued_at", "issued_by",
    "sent_at", "decided_at", "pdf_sha256",
]  # fmt: skip
REVISABLE = (QuoteStatus.ISSUED, QuoteStatus.SENT, QuoteStatus.REJECTED, QuoteStatus.EXPIRED)
DECIDABLE = (QuoteStatus.ISSUED, QuoteStatus.SENT)


def _snapshot(quote: Quote) -> dict[str, Any]:
    return audit.snapshot(quote, AUDIT_FIELDS)


def _lines_snapshot(lines: list[QuoteLine]) -> list[str]:
    """The lines as audit text, with the model's decimal places (fresh and stored lines compare equal)."""
    out = []
    for line in lines:
        text = f"{line.description} × {Decimal(line.quantity):.3f}"
        if line.unit:
            text += f" {line.unit}"
        text += f" @ {Decimal(line.unit_price):.2f}"
        if line.discount_percent:
            text += f" -{Decimal(line.discount_percent):.2f}%"
        if line.discount_amount:
            text += f" -{Decimal(line.discount_amount):.2f}"
        text += f" = {Decimal(line.amount):.2f} ({line.tax_category} {Decimal(line.tax_rate):.2f}%)"
        if line.product_id:
            text += f" [product {line.product_id}]"
        out.append(text)
    return out


def _lock(quote: Quote) -> Quote:
    return Quote.objects.select_for_update().select_related("currency", "deal", "company").get(pk=quote.pk)


def _check_edit(by: User, quote: Quote) -> None:
    if quote.deleted_at is not None:
        raise ValidationError({"__all__": _("ごみ箱の見積は変更できません。")})
    visibility.check_can_edit(by, quote, QUOTE)


def _check_draft(quote: Quote) -> None:
    if quote.status != QuoteStatus.DRAFT:
        raise ValidationError(
            {"__all__": _("発行済みの見積は変更できません。変更するには改訂版を作成してください。")}
        )


# Amounts


def line_amount(
    *,
    quantity: Decimal,
    unit_price: Decimal,
    discount_percent: Decimal,
    discount_amount: Decimal,
    decimals: int,
) -> Decimal:
    """quantity × unit price less the percent discount, rounded half up to the minor unit, less the amount."""
    gross = quantity * unit_price * (money.HUNDRED - discount_percent) / money.HUNDRED
    return money.round_amount(gross, decimals=decimals, rounding=TaxRounding.HALF_UP) - discount_amount


def quote_totals(lines: list[QuoteLine], *, rounding: str, decimals: int) -> money.DocumentTotals:
    """Totals of a quote's lines: tax per rate, rounded once per rate (インボイス制度)."""
    return money.document_totals(
        (money.TaxLine(amount=line.amount, category=line.tax_category, rate=line.tax_rate) for line in lines),
        rounding=rounding,
        decimals=decimals,
    )


def rate_str(rate: Decimal) -> str:
    """A rate without trailing zeros: ``10``, ``8``, ``6.24``."""
    text = f"{Decimal(rate).normalize():f}"
    return text


def tax_summary(totals: money.DocumentTotals, *, decimals: int) -> list[dict[str, Any]]:
    """The per-rate totals as stored on the quote (JSON: amounts as strings at the currency's places)."""
    unit = money.quantum(decimals)
    return [
        {
            "category": r.category,
            "rate": rate_str(r.rate),
            "base": str(r.base.quantize(unit)),
            "tax": str(r.tax.quantize(unit)),
            "reduced": r.is_reduced,
        }
        for r in totals.by_rate
    ]


STORED_PLACES = 2  # Quote.subtotal / tax_total / total: decimal_places


def issuer_of(profile: Any) -> dict[str, str]:
    """What an issued quote keeps of our company profile (発行者: name, T-number, address, phone)."""
    return {
        "name": profile.name,
        "registration_number": profile.registration_number,
        "postal_code": profile.postal_code,
        "address": profile.address,
        "phone": profile.phone,
    }


def _store_totals(quote: Quote, lines: list[QuoteLine]) -> None:
    """The totals at the currency's places, held at the columns' two places as the database returns
    them: a yen total computed as 12000 and read back as 12000.00 showed as a change in the audit
    trail of every issue, though nothing had changed."""
    totals = quote_totals(lines, rounding=quote.tax_rounding, decimals=quote.currency.decimals)
    stored = money.quantum(STORED_PLACES)
    quote.subtotal = totals.subtotal.quantize(stored)
    quote.tax_total = totals.tax.quantize(stored)
    quote.total = totals.total.quantize(stored)
    quote.tax_summary = tax_summary(totals, decimals=quote.currency.decimals)


def clean_lines(*, rows: Any, currency: Currency, day: dt.date) -> list[QuoteLine]:
    """Parse line dicts into unsaved ``QuoteLine`` objects with amounts and tax rates, or raise.

    Errors are keyed ``lines.<row index>.<field>`` (rows counted from 0), so a form can mark the row.
    A product fills what the row leaves empty: description, unit, unit price and tax category.
    """
    if rows is None:
        rows = []
    if not isinstance(rows, list | tuple):
        raise ValidationError({"lines": _("明細の形式が不正です。")})
    decimals = currency.decimals
    errors: dict[str, str] = {}
    lines: list[QuoteLine] = []
    products = _products([row.get("product") for row in rows if isinstance(row, dict)])
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            errors[f"lines.{index}"] = _("明細の形式が不正です。")
            continue
        try:
            c = Cleaner(row, LINE_FIELDS)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors[f"lines.{index}.{name}"] = " ".join(messages)
            continue
        product = None
        raw_product = pk_of(row.get("product"))
        if raw_product not in (None, ""):
            product = products.get(str(raw_product))
            if product is None:
                c.error("product", _("指定された商品が見つかりません。"))
        description = c.text("description", max_length=200) or (product.name if product else "")
        if not description:
            c.error("description", _("品名を入力してください。"))
        unit = c.text("unit", max_length=20) or (product.unit if product else "")
        quantity = c.decimal("quantity", lo=Decimal("0.001"), hi=Decimal("999999999"), places=3)
        if quantity is None and "quantity" not in c.errors:
            quantity = Decimal(1)
        default_price = product.unit_price if product else None
        unit_price = c.decimal(
            "unit_price", hi=Decimal("999999999999"), places=decimals, default=default_price
        )
        if unit_price is None and "unit_price" not in c.errors:
            c.error("unit_price", _("単価を入力してください。"))
        percent = c.decimal("discount_percent", hi=money.HUNDRED, places=2, default=Decimal(0))
        discount = c.decimal(
            "discount_amount", hi=Decimal("999999999999"), places=decimals, default=Decimal(0)
        )
        category = c.choice(
            "tax_category",
            TaxCategory.values,
            default=product.tax_category if product else TaxCategory.STANDARD,
        )
        if not c.errors and None not in (quantity, unit_price, percent, discount):
            try:
                rate = money.tax_rate_on(category, day)
            except ValidationError as exc:
                c.error("tax_category", " ".join(exc.messages))
            amount = line_amount(
                quantity=Decimal(quantity or 0),
                unit_price=Decimal(unit_price or 0),
                discount_percent=Decimal(percent or 0),
                discount_amount=Decimal(discount or 0),
                decimals=decimals,
            )
            if amount < 0:
                c.error("discount_amount", _("値引額が金額を超えています。"))
        for name, message in c.errors.items():
            errors[f"lines.{index}.{name}"] = message
        if c.errors or quantity is None or unit_price is None or percent is None or discount is None:
            continue
        lines.append(
            QuoteLine(
                sort_order=index + 1,
                product=product,
                description=description,
                quantity=quantity,
                unit=unit,
                unit_price=unit_price,
                discount_percent=percent,
                discount_amount=discount,
                tax_category=category,
                tax_rate=rate,
                amount=amount,
            )
        )
    if errors:
        raise ValidationError(errors)
    return lines


def _products(raw_ids: list[Any]) -> dict[str, Product]:
    wanted = []
    for raw in raw_ids:
        raw = pk_of(raw)
        if raw in (None, ""):
            continue
        try:
            wanted.append(int(raw))
        except (TypeError, ValueError):
            continue
    found = Product.objects.filter(pk__in=wanted, deleted_at__isnull=True)
    return {str(p.pk): p for p in found}


def lines_preview(*, rows: Any, currency_code: str, rounding: str | None = None) -> money.DocumentTotals:
    """Totals of unsaved rows (the editor's live totals); raises like :func:`clean_lines`."""
    currency = Currency.objects.get(code=currency_code)
    lines = clean_lines(rows=rows, currency=currency, day=timezone.localdate())
    return quote_totals(lines, rounding=rounding or profile_get().tax_rounding, decimals=currency.decimals)


def _replace_lines(quote: Quote, lines: list[QuoteLine]) -> None:
    quote.lines.all().delete()
    for order, line in enumerate(lines, start=1):
        line.quote = quote
        line.sort_order = order
    QuoteLine.objects.bulk_create(lines)


# Header input


def _clean_header(*, by: User, data: dict[str, Any], quote: Quote) -> dict[str, Any]:
    c = Cleaner(data, [*HEADER_FIELDS, "lines"])
    out: dict[str, Any] = {}
    if "title" in c:
        out["title"] = c.text("title", required=True, max_length=200)
    if "recipient_name" in c:
        out["recipient_name"] = c.text("recipient_name", max_length=250)
    for name in ("delivery_terms", "payment_terms"):
        if name in c:
            out[name] = c.text(name, max_length=200)
    if "terms" in c:
        out["terms"] = c.text("terms")
    if "valid_until" in c:
        out["valid_until"] = c.date("valid_until")
    if "currency" in c:
        out["currency"] = c.currency("currency")
    if "contact" in c:
        contact = c.contact(by, "contact")
        if contact is not None and contact.company_id != quote.company_id:
            c.error("contact", _("宛先の取引先に所属する担当者を選んでください。"))
        out["contact"] = contact
    c.raise_errors()
    return out


def recipient_name_for(quote: Quote) -> str:
    """「<取引先> 御中」, or 「<担当者> 様」 when the quote is addressed to a person."""
    if quote.contact is not None:
        return f"{quote.company.display_name} {quote.contact.full_name} 様"
    return f"{quote.company.display_name} 御中"


# Create, update, delete


@transaction.atomic
def quote_create_from_deal(*, deal: Deal, by: User, data: dict[str, Any] | None = None) -> Quote:
    """Create a draft quote for ``deal`` (the caller fetched it through ``deal_get``).

    Company, owner and team come from the deal; the lines are the deal's lines unless ``data`` has
    ``lines``. The number is taken from the gapless yearly sequence now, inside this transaction.
    """
    if not visibility.can_create(by, QUOTE):
        raise PermissionDenied(_("見積を作成する権限がありません。"))
    visibility.check_can_assign(by, QUOTE, deal.owner_id, deal.team_id)
    data = dict(data or {})
    today = timezone.localdate()
    profile = profile_get()
    quote = Quote(
        deal=deal,
        company=deal.company,
        owner_id=deal.owner_id,
        team_id=deal.team_id,
        title=deal.name,
        currency_id=deal.currency_id,
        tax_rounding=profile.tax_rounding,
        valid_until=today + dt.timedelta(days=VALIDITY_DAYS),
    )
    contacts = (
        list(deal.contacts.filter(company_id=deal.company_id).order_by("pk")[:1])
        if "contact" not in data
        else []
    )
    quote.contact = contacts[0] if contacts else None
    header = _clean_header(by=by, data={k: v for k, v in data.items() if k != "lines"}, quote=quote)
    for name, value in header.items():
        setattr(quote, name, value)
    if not quote.recipient_name:
        quote.recipient_name = recipient_name_for(quote)
    if "lines" in data:
        rows = data["lines"]
    else:
        rows = [
            {
                "product": line.product_id,
                "description": line.description,
                "quantity": line.quantity,
                "unit": line.unit,
                "unit_price": money.round_amount(line.unit_price, decimals=quote.currency.decimals),
                "tax_category": line.tax_category,
            }
            for line in deal.lines.all().order_by("sort_order", "pk")
        ]
    lines = clean_lines(rows=rows, currency=quote.currency, day=today)
    _store_totals(quote, lines)
    quote.number = f"Q-{today.year}-{sequence_next(name='quote', period=str(today.year)):05d}"
    quote.save()
    _replace_lines(quote, lines)
    audit.record(
        quote,
        by=by,
        action="create",
        changes={**audit.diff({}, _snapshot(quote)), "lines": [[], _lines_snapshot(lines)]},
    )
    events.emit("quote.created", quote=quote, by=by)
    return quote


@transaction.atomic
def quote_update(*, quote: Quote, by: User, data: dict[str, Any], seen_version: int | None = None) -> Quote:
    """Change a draft's header and/or replace its lines (``data["lines"]``); issued quotes refuse."""
    quote = _lock(quote)
    _check_edit(by, quote)
    _check_draft(quote)
    check_version(quote, seen_version)
    before = _snapshot(quote)
    old_lines = list(quote.lines.all())
    header = _clean_header(by=by, data=data, quote=quote)
    for name, value in header.items():
        setattr(quote, name, value)
    if not quote.recipient_name:
        quote.recipient_name = recipient_name_for(quote)
    changes: dict[str, Any] = {}
    if "lines" in data or "currency" in header:
        rows = data["lines"] if "lines" in data else [_row_of(line) for line in old_lines]
        lines = clean_lines(rows=rows, currency=quote.currency, day=timezone.localdate())
        quote.tax_rounding = profile_get().tax_rounding
        _store_totals(quote, lines)
        if _lines_snapshot(lines) != _lines_snapshot(old_lines):
            _replace_lines(quote, lines)
            changes["lines"] = [_lines_snapshot(old_lines), _lines_snapshot(lines)]
    changes.update(audit.diff(before, _snapshot(quote)))
    if not changes:
        return quote
    quote.version += 1
    quote.save()
    audit.record(quote, by=by, action="update", changes=changes)
    events.emit("quote.updated", quote=quote, by=by, changes=changes)
    return quote


def _row_of(line: QuoteLine) -> dict[str, Any]:
    return {
        "product": line.product_id,
        "description": line.description,
        "quantity": line.quantity,
        "unit": line.unit,
        "unit_price": line.unit_price,
        "discount_percent": line.discount_percent,
        "discount_amount": line.discount_amount,
        "tax_category": line.tax_category,
    }


@transaction.atomic
def quote_delete(*, quote: Quote, by: User) -> Quote:
    """Move a draft to the trash (its number stays taken: drafts are never hard-deleted)."""
    quote = _lock(quote)
    _check_edit(by, quote)
    _check_draft(quote)
    trash_record(quote, by=by, object_type=QUOTE)
    return quote


# Issue


@transaction.atomic
def quote_issue(*, quote: Quote, by: User, seen_version: int | None = None) -> Quote:
    """Issue a draft: issuer and rounding copied in, tax rates of the issue date, PDF stored. Final."""
    from daifuku.sales import pdf

    quote = _lock(quote)
    _check_edit(by, quote)
    _check_draft(quote)
    check_version(quote, seen_version)
    lines = list(quote.lines.all())
    if not lines:
        raise ValidationError({"lines": _("明細が1行もない見積は発行できません。")})
    profile = profile_get()
    if not profile.name:
        raise ValidationError(
            {"__all__": _("自社の会社名が未設定です。設定 → 自社情報で登録してから発行してください。")}
        )
    before = _snapshot(quote)
    today = timezone.localdate()
    for line in lines:
        line.tax_rate = money.tax_rate_on(line.tax_category, today)
    QuoteLine.objects.bulk_update(lines, ["tax_rate"])
    quote.issue_date = today
    if quote.valid_until is None:
        quote.valid_until = today + dt.timedelta(days=VALIDITY_DAYS)
    quote.tax_rounding = profile.tax_rounding
    quote.issuer = issuer_of(profile)
    _store_totals(quote, lines)
    quote.status = QuoteStatus.ISSUED
    quote.issued_at = timezone.now()
    quote.issued_by = by
    content = pdf.render_quote(quote, lines=lines)
    quote.pdf_sha256 = hashlib.sha256(content).hexdigest()
    quote.pdf.save(f"{quote.display_number}.pdf", ContentFile(content), save=False)
    quote.version += 1
    quote.save()
    audit.record(quote, by=by, action="issue", changes=audit.diff(before, _snapshot(quote)))
    events.emit("quote.issued", quote=quote, by=by)
    return quote


def quote_pdf_bytes(*, quote: Quote) -> bytes:
    """The stored PDF of an issued quote (checked against its SHA-256), or a fresh draft render."""
    from daifuku.sales import pdf

    if quote.status == QuoteStatus.DRAFT or not quote.pdf:
        return pdf.render_quote(quote, lines=list(quote.lines.all()), draft=True)
    with quote.pdf.open("rb") as handle:
        content = handle.read()
    if hashlib.sha256(content).hexdigest() != quote.pdf_sha256:
        raise ValidationError({"pdf": _("保存されたPDFが発行時のものと一致しません（改ざんの可能性）。")})
    return bytes(content)


# Send, accept, reject, expire


def _addresses(raw: str, field: str, *, required: bool) -> list[str]:
    parts = [p.strip() for p in str(raw or "").replace("、", ",").replace(";", ",").split(",") if p.strip()]
    if required and not parts:
        raise ValidationError({field: _("宛先のメールアドレスを入力してください。")})
    for part in parts:
        try:
            validate_email(part)
        except ValidationError:
            raise ValidationError(
                {field: _("メールアドレスの形式が正しくありません: %(address)s") % {"address": part}}
            ) from None
    return parts


def attachment_name(quote: Quote) -> str:
    return f"{quote.display_number}.pdf"


@transaction.atomic
def quote_send(*, quote: Quote, by: User, to: str, cc: str = "", subject: str, body: str) -> Quote:
    """Mail the issued PDF (Django's mail backend) and log the mail on the deal's timeline.

    The quote stays locked while the mail goes out, so a failed send leaves it as it was.
    """
    from daifuku.activities.services import activity_log

    quote = _lock(quote)
    _check_edit(by, quote)
    if quote.status not in (QuoteStatus.ISSUED, QuoteStatus.SENT):
        raise ValidationError({"__all__": _("送付できるのは発行済みの見積だけです。")})
    recipients = _addresses(to, "to", required=True)
    copies = _addresses(cc, "cc", required=False)
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError({"subject": _("件名を入力してください。")})
    content = quote_pdf_bytes(quote=quote)
    message = EmailMessage(
        subject=subject, body=body, to=recipients, cc=copies, reply_to=[by.email] if by.email else None
    )
    message.attach(attachment_name(quote), content, "application/pdf")
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise ValidationError({"to": _("メールを送信できませんでした: %(error)s") % {"error": exc}}) from exc
    before = _snapshot(quote)
    quote.status = QuoteStatus.SENT
    quote.sent_at = timezone.now()
    quote.version += 1
    quote.save(update_fields=["status", "sent_at", "version", "updated_at"])
    audit.record(
        quote,
        by=by,
        action="send",
        changes=audit.diff(before, _snapshot(quote)),
        note=", ".join(recipients + copies),
    )
    lines = [_("宛先: %(to)s") % {"to": ", ".join(recipients)}]
    if copies:
        lines.append(_("CC: %(cc)s") % {"cc": ", ".join(copies)})
    lines.append(_("添付: %(name)s") % {"name": attachment_name(quote)})
    activity_log(
        by=by,
        data={
            "kind": "email",
            "subject": _("見積書送付 %(number)s") % {"number": quote.display_number},
            "body": "\n".join([*lines, "", body]).strip(),
            "company": quote.company_id,
            "contacts": [quote.contact_id] if quote.contact_id else [],
            "related_type": "sales.deal",
            "related_id": quote.deal_id,
        },
    )
    events.emit("quote.sent", quote=quote, by=by)
    return quote


@transaction.atomic
def quote_accept(*, quote: Quote, by: User, mark_deal_won: bool = False) -> Quote:
    """The customer accepted: status 受注; with ``mark_deal_won`` the deal moves to its won stage."""
    quote = _lock(quote)
    _check_edit(by, quote)
    _decide(quote, by=by, status=QuoteStatus.ACCEPTED, action="accept")
    if mark_deal_won:
        from daifuku.sales.services.deals import deal_mark_won

        deal_mark_won(deal=quote.deal, by=by)
    events.emit("quote.accepted", quote=quote, by=by, deal_won=mark_deal_won)
    return quote


@transaction.atomic
def quote_reject(*, quote: Quote, by: User, note: str = "") -> Quote:
    quote = _lock(quote)
    _check_edit(by, quote)
    _decide(quote, by=by, status=QuoteStatus.REJECTED, action="reject", note=note)
    events.emit("quote.rejected", quote=quote, by=by)
    return quote


def _decide(quote: Quote, *, by: User, status: str, action: str, note: str = "") -> None:
    if quote.status not in DECIDABLE:
        raise ValidationError({"__all__": _("受注・不採用にできるのは発行済み・送付済みの見積だけです。")})
    if hasattr(quote, "next_revision"):
        raise ValidationError(
            {"__all__": _("改訂版がある見積は受注・不採用にできません。改訂版で操作してください。")}
        )
    before = _snapshot(quote)
    quote.status = status
    quote.decided_at = timezone.now()
    quote.version += 1
    quote.save(update_fields=["status", "decided_at", "version", "updated_at"])
    audit.record(quote, by=by, action=action, changes=audit.diff(before, _snapshot(quote)), note=note)


def quotes_expire_due(*, today: dt.date | None = None) -> int:
    """Mark issued and sent quotes past their validity as expired (idempotent; the periodic job)."""
    today = today or timezone.localdate()
    expired = 0
    due = Quote.objects.filter(
        status__in=DECIDABLE, valid_until__lt=today, deleted_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            quote = Quote.objects.select_for_update().filter(pk=pk, status__in=DECIDABLE).first()
            if quote is None or quote.valid_until is None or quote.valid_until >= today:
                continue
            old = quote.status
            quote.status = QuoteStatus.EXPIRED
            quote.version += 1
            quote.save(update_fields=["status", "version", "updated_at"])
            audit.record(quote, by=None, action="expire", changes={"status": [old, QuoteStatus.EXPIRED]})
            events.emit("quote.expired", quote=quote, by=None)
            expired += 1
    return expired


# Revise


@transaction.atomic
def quote_revise(*, quote: Quote, by: User) -> Quote:
    """Start a new revision of an issued quote: a draft with the same number and a copy of the lines.

    The old quote stays exactly as issued; it points at its successor through ``next_revision``.
    """
    quote = _lock(quote)
    _check_edit(by, quote)
    if quote.status not in REVISABLE:
        if quote.status == QuoteStatus.DRAFT:
            raise ValidationError({"__all__": _("下書きはそのまま編集できます（改訂は発行後に行います）。")})
        raise ValidationError({"__all__": _("受注済みの見積は改訂できません。")})
    if Quote.objects.filter(previous=quote).exists():
        raise ValidationError({"__all__": _("この見積には既に改訂版があります。")})
    profile = profile_get()
    revision = Quote(
        number=quote.number,
        revision=quote.revision + 1,
        previous=quote,
        deal=quote.deal,
        company=quote.company,
        contact=quote.contact,
        recipient_name=quote.recipient_name,
        owner_id=quote.owner_id,
        team_id=quote.team_id,
        title=quote.title,
        currency=quote.currency,
        tax_rounding=profile.tax_rounding,
        valid_until=timezone.localdate() + dt.timedelta(days=VALIDITY_DAYS),
        delivery_terms=quote.delivery_terms,
        payment_terms=quote.payment_terms,
        terms=quote.terms,
    )
    lines = clean_lines(
        rows=[_row_of(line) for line in quote.lines.all()],
        currency=quote.currency,
        day=timezone.localdate(),
    )
    _store_totals(revision, lines)
    revision.save()
    _replace_lines(revision, lines)
    audit.record(
        revision,
        by=by,
        action="create",
        changes={**audit.diff({}, _snapshot(revision)), "lines": [[], _lines_snapshot(lines)]},
        note=_("改訂元: %(number)s") % {"number": quote.display_number},
    )
    audit.record(quote, by=by, action="revise", note=revision.display_number)
    events.emit("quote.revised", quote=revision, previous=quote, by=by)
    return revision
