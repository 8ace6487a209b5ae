"""Reading import files row by row: CSV (UTF-8, UTF-8 with BOM, cp932; comma or tab) and xlsx.

Files are streamed, never loaded whole, so memory stays flat however many rows there are. Encoding
detection: a BOM means ``utf-8-sig``; otherwise the first 64 KiB must decode as UTF-8 or the file is
read as ``cp932`` (not ``shift_jis``: ①, ㈱, 髙, ～ exist only in cp932).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

SAMPLE_BYTES = 64 * 1024
ENCODINGS = ("utf-8-sig", "utf-8", "cp932")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True)
class SourceOptions:
    file_format: str  # csv / xlsx
    encoding: str = ""  # csv only; "" = detect
    delimiter: str = ""  # csv only; "" = detect
    sheet: str = ""  # xlsx only; "" = first sheet


def detect_format(name: str) -> str:
    return "xlsx" if name.lower().endswith((".xlsx", ".xlsm")) else "csv"


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)  # a character cut at the sample's end is not an error
    except UnicodeDecodeError:
        return "cp932"
    return "utf-8"


def detect_delimiter(first_line: str) -> str:
    return "\t" if first_line.count("\t") > first_line.count(",") else ","


def resolve_options(path: Path, options: SourceOptions) -> SourceOptions:
    """Fill in a detected encoding and delimiter (CSV) so a job reads its file the same way every time."""
    if options.file_format != "csv":
        return options
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    encoding = options.encoding or detect_encoding(sample)
    delimiter = options.delimiter
    if not delimiter:
        text = sample.decode(encoding, errors="ignore")
        delimiter = detect_delimiter(text.split("\n", 1)[0])
    return SourceOptions("csv", encoding, delimiter, "")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def sheet_names(path: Path) -> list[str]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def read_rows(path: Path, options: SourceOptions) -> Iterator[list[str]]:
    """Every row of the file (the header row first) as a list of strings."""
    if options.file_format == "xlsx":
        yield from _xlsx_rows(path, options.sheet)
        return
    with path.open(encoding=options.encoding or "utf-8", newline="") as handle:
        yield from csv.reader(handle, delimiter=options.delimiter or ",")


def _xlsx_rows(path: Path, sheet: str) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet and sheet not in workbook.sheetnames:
            raise ValueError(sheet)
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        for values in worksheet.iter_rows(values_only=True):
            row = [_cell(v) for v in values]
            while row and row[-1] == "":
                row.pop()
            yield row
    finally:
        workbook.close()


def count_rows(path: Path, options: SourceOptions) -> int:
    """Data rows (without the header) for the progress bar; one fast pass with the C csv reader."""
    if options.file_format == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True)
        try:
            worksheet = workbook[options.sheet] if options.sheet else workbook.worksheets[0]
            return max(0, (worksheet.max_row or 1) - 1)
        finally:
            workbook.close()
    return max(0, sum(1 for _row in read_rows(path, options)) - 1)


def is_blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)
