"""The quote PDF (御見積書) with the items a qualified invoice carries (インボイス制度).

Drawn with ReportLab and its built-in Japanese CID fonts (HeiseiKakuGo-W5 / HeiseiMin-W3): the PDF
viewer supplies the glyphs, so nothing has to be installed on the server and the files stay small.
Rendering is deterministic (``invariant``): the same quote gives the same bytes, which is what the
stored SHA-256 is compared with.

The sheet shows: title, number, date, recipient (御中/様), issuer with its registration number
(登録番号 T…), the items with reduced-rate items marked ※ and the legend, subtotal, per rate the
taxable total and the tax (「10%対象 ¥x 消費税 ¥y」), the total, validity and terms.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from daifuku.core import jp
from daifuku.core.models import TaxCategory
from daifuku.core.services import profile_get
from daifuku.sales.models import Quote, QuoteLine

GOTHIC = "HeiseiKakuGo-W5"
MINCHO = "HeiseiMin-W3"
REDUCED_MARK = "※"
REDUCED_LEGEND = "※は軽減税率対象"
_registered = False


def _fonts() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(GOTHIC))
        pdfmetrics.registerFont(UnicodeCIDFont(MINCHO))
        _registered = True


def money_text(amount: Decimal | int | str, code: str, decimals: int) -> str:
    """``¥1,234`` for yen, ``$1,234.50`` for dollars, ``EUR 1,234.50`` where the font lacks the sign."""
    value = Decimal(amount).quantize(Decimal(1).scaleb(-decimals))
    digits = f"{value:,.{decimals}f}"
    if code == "JPY":
        return f"¥{digits}"
    if code == "USD":
        return f"${digits}"
    return f"{code} {digits}"


def rate_text(rate: Decimal | str) -> str:
    value = Decimal(rate)
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0")


def date_text(day: dt.date | None) -> str:
    return "" if day is None else f"{day.year}年{day.month}月{day.day}日"


def quantity_text(quantity: Decimal) -> str:
    value = Decimal(quantity)
    return f"{value.normalize():,f}" if value == value.to_integral() else f"{value.normalize():f}"


def rate_lines(summary: list[dict[str, Any]], code: str, decimals: int) -> list[str]:
    """One text per tax rate: 「10%対象 ¥x 消費税 ¥y」, 「8%対象 ¥x 消費税 ¥y」, 「非課税 ¥x」."""
    out = []
    for row in summary:
        base = money_text(row["base"], code, decimals)
        if row["category"] in (TaxCategory.STANDARD, TaxCategory.REDUCED):
            tax = money_text(row["tax"], code, decimals)
            out.append(f"{rate_text(row['rate'])}%対象 {base} 消費税 {tax}")
        else:
            out.append(f"{TaxCategory(row['category']).label} {base}")
    return out


class _DraftStamp(Flowable):
    """A red 「下書き（未発行）DRAFT」 box: a draft is not a valid document."""

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, 9 * mm

    def draw(self) -> None:
        canvas = self.canv
        canvas.setStrokeColor(colors.red)
        canvas.setFillColor(colors.red)
        canvas.rect(0, 0, 70 * mm, 8 * mm)
        canvas.setFont(GOTHIC, 11)
        canvas.drawString(3 * mm, 2.5 * mm, "下書き（未発行）DRAFT")


def render_quote(quote: Quote, *, lines: list[QuoteLine], draft: bool = False) -> bytes:
    """The PDF of ``quote``; drafts get a 下書き stamp and the live company profile as issuer."""
    _fonts()
    code = quote.currency_id
    decimals = quote.currency.decimals
    issuer = quote.issuer if quote.issuer and not draft else _profile_issuer()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"御見積書 {quote.display_number}",
        author=issuer.get("name", ""),
        creator="Daifuku",
        invariant=1,
    )
    body = ParagraphStyle("body", fontName=GOTHIC, fontSize=9, leading=12, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    title = ParagraphStyle("title", fontName=MINCHO, fontSize=20, leading=26, alignment=TA_CENTER)
    recipient = ParagraphStyle("recipient", fontName=MINCHO, fontSize=14, leading=18, wordWrap="CJK")
    story: list[Any] = []
    if draft:
        story.append(_DraftStamp())
    story.append(Paragraph("御見積書", title))
    story.append(Spacer(1, 4 * mm))

    left = [
        [Paragraph(_escape(quote.recipient_name), recipient)],
        [Paragraph(_escape(f"件名: {quote.title}"), body)],
        ["下記の通り御見積申し上げます。"],
        [f"御見積金額 {money_text(quote.total, code, decimals)}（税込）"],
    ]
    right = [
        [f"見積番号 {quote.display_number}"],
        [f"見積日 {date_text(quote.issue_date)}" if quote.issue_date else "見積日 （未発行）"],
        [f"有効期限 {date_text(quote.valid_until)}"],
        [Paragraph(_escape(issuer.get("name", "")), body)],
    ]
    if issuer.get("registration_number"):
        right.append([f"登録番号 {issuer['registration_number']}"])
    address = " ".join(
        part for part in (_postal(issuer.get("postal_code", "")), issuer.get("address", "")) if part
    )
    if address:
        right.append([Paragraph(_escape(address), small)])
    if issuer.get("phone"):
        right.append([f"TEL {_phone(issuer['phone'])}"])
    left_table = Table(left, colWidths=[100 * mm])
    left_table.setStyle(_plain_style(size=10))
    left_table.setStyle(
        TableStyle([("FONTSIZE", (0, 3), (0, 3), 13), ("LINEBELOW", (0, 3), (0, 3), 0.8, colors.black)])
    )
    right_table = Table(right, colWidths=[70 * mm])
    right_table.setStyle(_plain_style(size=9))
    header = Table([[left_table, right_table]], colWidths=[104 * mm, 70 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [header, Spacer(1, 6 * mm)]

    rows: list[list[Any]] = [["No.", "品名", "数量", "単位", "単価", "金額"]]
    reduced = False
    for number, line in enumerate(lines, start=1):
        text = line.description
        if line.tax_category == TaxCategory.REDUCED:
            text = f"{text} {REDUCED_MARK}"
            reduced = True
        discounts = []
        if line.discount_percent:
            discounts.append(f"{rate_text(line.discount_percent)}%")
        if line.discount_amount:
            discounts.append(money_text(line.discount_amount, code, decimals))
        if discounts:
            text = f"{text}（値引 {' / '.join(discounts)}）"
        if line.tax_category not in (TaxCategory.STANDARD, TaxCategory.REDUCED):
            text = f"{text}［{TaxCategory(line.tax_category).label}］"
        rows.append(
            [
                str(number),
                Paragraph(_escape(text), body),
                quantity_text(line.quantity),
                line.unit,
                money_text(line.unit_price, code, decimals),
                money_text(line.amount, code, decimals),
            ]
        )
    items = Table(rows, colWidths=[10 * mm, 78 * mm, 18 * mm, 14 * mm, 27 * mm, 27 * mm], repeatRows=1)
    items.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), GOTHIC, 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("ALIGN", (2, 1), (2, -1), "RIGHT"),
                ("ALIGN", (4, 1), (5, -1), "RIGHT"),
                ("ALIGN", (0, 0), (-1, 0), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story += [items, Spacer(1, 3 * mm)]

    totals: list[list[Any]] = [["小計", money_text(quote.subtotal, code, decimals)]]
    for text in rate_lines(quote.tax_summary, code, decimals):
        totals.append([text, ""])
    totals.append(["消費税合計", money_text(quote.tax_total, code, decimals)])
    totals.append(["合計", money_text(quote.total, code, decimals)])
    totals_table = Table(totals, colWidths=[70 * mm, 35 * mm], hAlign="RIGHT")
    totals_table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), GOTHIC, 9),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("FONTSIZE", (0, -1), (-1, -1), 11),
            ]
        )
    )
    story.append(totals_table)
    if reduced:
        story.append(Paragraph(REDUCED_LEGEND, small))
    story.append(Spacer(1, 6 * mm))

    notes = [f"有効期限 {date_text(quote.valid_until)}"]
    if quote.delivery_terms:
        notes.append(f"納期 {quote.delivery_terms}")
    if quote.payment_terms:
        notes.append(f"支払条件 {quote.payment_terms}")
    for text in notes:
        story.append(Paragraph(_escape(text), body))
    if quote.terms:
        story.append(Spacer(1, 2 * mm))
        story.append(Paragraph("備考", body))
        for paragraph in quote.terms.splitlines():
            story.append(Paragraph(_escape(paragraph) or "&nbsp;", body))
    doc.build(story)
    return buffer.getvalue()


def _profile_issuer() -> dict[str, str]:
    """The issuer a draft shows: what issuing would copy from the company profile now."""
    from daifuku.sales.services.quotes import issuer_of  # the services import this module lazily

    return issuer_of(profile_get())


def _plain_style(*, size: int) -> TableStyle:
    return TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), GOTHIC, size),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _postal(code: str) -> str:
    return f"〒{jp.postal_display(code)}" if code else ""


def _phone(e164: str) -> str:
    return jp.phone_display(e164)
