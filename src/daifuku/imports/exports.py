"""Exports of lists (CSV UTF-8 with BOM, CP932, xlsx), streamed, and the export log.

CP932 cannot hold some characters (e.g. 𠮷 and emoji); they are written as 〓 (ゲタ, the
customary replacement mark in Japanese printing) and counted in the export log's
``replaced_chars``. The headers are the import's field labels, so an export imports back as is.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from daifuku.core import jp
from daifuku.core.models import User
from daifuku.imports.models import ExportLog, ImportJob
from daifuku.web.html import choice_label

FORMATS = {"csv": "utf-8-sig", "cp932": "cp932", "xlsx": ""}
GETA = "〓"


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]


def _choice_label(model: type[models.Model], name: str) -> Callable[[Any], str]:
    """The label ``get_<name>_display()`` shows, translated once per language (``web.html.choice_label``:
    Django's method rebuilt, hashed and translated the choices per call — half of a contact export)."""
    field = model._meta.get_field(name)

    def label(obj: Any) -> str:
        value = getattr(obj, name)
        return choice_label(field, value) if value else ""

    return label


def company_columns() -> list[Column]:
    from daifuku.customers.models import Company

    def text(name: str) -> Callable[[Any], Any]:
        return lambda obj: getattr(obj, name)

    return [
        Column(_("会社名"), lambda c: c.display_name),
        Column(_("フリガナ"), text("name_kana")),
        Column(_("法人格の位置"), _choice_label(Company, "legal_form_position")),
        Column(_("法人番号"), text("corporate_number")),
        Column(_("適格請求書発行事業者登録番号"), text("invoice_registration_number")),
        Column(_("郵便番号"), lambda c: c.postal_code_display),
        Column(_("都道府県"), text("prefecture")),
        Column(_("市区町村"), text("city")),
        Column(_("町名・番地"), text("street")),
        Column(_("建物名"), text("building")),
        Column(_("電話番号"), lambda c: c.phone_display),
        Column(_("FAX"), lambda c: c.fax_display),
        Column(_("メール"), text("email")),
        Column(_("ウェブサイト"), text("website")),
        Column(_("代表者"), text("representative")),
        Column(_("資本金（円）"), lambda c: "" if c.capital is None else str(c.capital)),
        Column(_("従業員数"), lambda c: "" if c.employees is None else c.employees),
        Column(_("決算月"), lambda c: "" if c.fiscal_month is None else c.fiscal_month),
        Column(_("事業内容"), text("description")),
        Column(_("ランク"), text("rank")),
        Column(_("ステータス"), _choice_label(Company, "status")),
        Column(_("メモ"), text("notes")),
    ]


def contact_columns() -> list[Column]:
    from daifuku.customers.models import Contact

    def text(name: str) -> Callable[[Any], Any]:
        return lambda obj: getattr(obj, name)

    return [
        Column(_("姓"), text("family_name")),
        Column(_("名"), text("given_name")),
        Column(_("セイ"), text("family_name_kana")),
        Column(_("メイ"), text("given_name_kana")),
        Column(_("会社名"), lambda c: c.company.display_name if c.company_id else ""),
        Column(_("会社の法人番号"), lambda c: c.company.corporate_number if c.company_id else ""),
        Column(_("部署"), text("department")),
        Column(_("役職"), text("title")),
        Column(_("携帯電話"), lambda c: c.mobile_phone_display),
        Column(_("会社電話"), lambda c: c.office_phone_display),
        Column(_("メール"), text("email")),
        Column(_("メール（予備）"), text("email_alt")),
        Column(_("郵便番号"), lambda c: jp.postal_display(c.postal_code)),
        Column(_("都道府県"), text("prefecture")),
        Column(_("市区町村"), text("city")),
        Column(_("町名・番地"), text("street")),
        Column(_("建物名"), text("building")),
        Column(_("誕生日"), lambda c: c.birthday.isoformat() if c.birthday else ""),
        Column(_("性別"), _choice_label(Contact, "gender")),
        Column(_("メール配信同意"), _choice_label(Contact, "mail_consent")),
        Column(_("メモ"), text("notes")),
    ]


class _Counter:
    def __init__(self) -> None:
        self.replaced = 0


def _encoder(encoding: str, counter: _Counter) -> Callable[[str], bytes]:
    if encoding != "cp932":
        return lambda text: text.encode("utf-8")

    def encode(text: str) -> bytes:
        try:
            return text.encode("cp932")
        except UnicodeEncodeError:
            out = bytearray()
            for char in text:
                try:
                    out += char.encode("cp932")
                except UnicodeEncodeError:
                    counter.replaced += 1
                    out += GETA.encode("cp932")
            return bytes(out)

    return encode


def csv_chunks(
    rows: Iterable[list[Any]], *, encoding: str, counter: _Counter | None = None, flush_every: int = 500
) -> Iterator[bytes]:
    """Encode rows as CSV (CRLF, every field as Excel reads it) in chunks of ``flush_every`` rows."""
    counter = counter or _Counter()
    encode = _encoder(encoding, counter)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    if encoding == "utf-8-sig":
        yield codecs.BOM_UTF8
    pending = 0
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        pending += 1
        if pending >= flush_every:
            yield encode(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if buffer.tell():
        yield encode(buffer.getvalue())


def xlsx_bytes(rows: Iterable[list[Any]], title: str) -> Iterator[bytes]:
    """An xlsx file written with openpyxl's write-only mode (rows are not kept in memory)."""
    import tempfile

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append(["" if v is None else v for v in row])
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(256 * 1024):
            yield chunk


def _rows(columns: list[Column], queryset: models.QuerySet[Any]) -> Iterator[list[Any]]:
    yield [c.header for c in columns]
    for obj in queryset.iterator(chunk_size=2000):
        yield [c.value(obj) for c in columns]


@dataclass
class Export:
    filename: str
    content_type: str
    chunks: Iterator[bytes]
    log: ExportLog


def export_list(
    *,
    user: User,
    target: str,
    queryset: models.QuerySet[Any],
    file_format: str,
    filters: dict[str, Any],
    ip_address: str | None = None,
) -> Export:
    """Stream a list as a file and record the export (who, when, filter, rows) before the first byte."""
    if file_format not in FORMATS:
        file_format = "csv"
    columns = company_columns() if target == "companies" else contact_columns()
    # The list's joins minus what no column reads (owner, team, industry): a third of a contact
    # export's time was building those records.
    queryset = queryset.select_related(None)
    if target != "companies":
        queryset = queryset.select_related("company")
    count = queryset.count()
    with transaction.atomic():
        log = ExportLog.objects.create(
            user=user,
            user_name=user.get_username()[:150],
            target=target,
            file_format=file_format,
            filters=filters,
            row_count=count,
            ip_address=ip_address,
        )
    rows = _rows(columns, queryset)
    stem = f"{target}"
    if file_format == "xlsx":
        return Export(
            f"{stem}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            xlsx_bytes(rows, target),
            log,
        )
    counter = _Counter()
    chunks = _logged(csv_chunks(rows, encoding=FORMATS[file_format], counter=counter), log, counter)
    charset = "shift_jis" if file_format == "cp932" else "utf-8"
    return Export(f"{stem}.csv", f"text/csv; charset={charset}", chunks, log)


def _logged(chunks: Iterator[bytes], log: ExportLog, counter: _Counter) -> Iterator[bytes]:
    yield from chunks
    if counter.replaced:
        ExportLog.objects.filter(pk=log.pk).update(replaced_chars=counter.replaced)
        log.replaced_chars = counter.replaced


def error_file_chunks(job: ImportJob) -> Iterator[bytes]:
    """The error file in the input's own format and encoding (cp932 in, cp932 out)."""
    from daifuku.imports.services import error_rows

    if job.file_format == "xlsx":
        return xlsx_bytes(error_rows(job), "errors")
    encoding = job.encoding if job.encoding in ("cp932", "utf-8-sig") else "utf-8"
    chunks = csv_chunks(error_rows(job), encoding=encoding)
    if job.delimiter == "\t":
        return _tab_chunks(job, encoding)
    return chunks


def _tab_chunks(job: ImportJob, encoding: str) -> Iterator[bytes]:
    from daifuku.imports.services import error_rows

    counter = _Counter()
    encode = _encoder(encoding, counter)
    if encoding == "utf-8-sig":
        yield codecs.BOM_UTF8
    for row in error_rows(job):
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter="\t", lineterminator="\r\n").writerow(row)
        yield encode(buffer.getvalue())
