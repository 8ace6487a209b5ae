"""Pages of the sales module: 売上予測 (forecast table, chart, 予測の推移, CSV) and 売上目標 (grid)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from daifuku.sales.forms.forecast import (
    ForecastFilterForm,
    fiscal_year_choices,
    target_cell_key,
    target_cells_from_post,
    target_input_name,
)
from daifuku.sales.selectors import forecast as fc
from daifuku.sales.services.forecast import sales_targets_save
from daifuku.web.html import escape
from daifuku.web.templatetags.daifuku_format import grouped


def _filters(request: HttpRequest) -> tuple[ForecastFilterForm, fc.Period, dict[str, Any]]:
    form = ForecastFilterForm(
        request.GET, user=request.user, fiscal_month=fc.fiscal_month(), today=timezone.localdate()
    )
    period = form.period()
    options = {
        "by": form.value("by") or "user",
        "team_id": form.value("team"),
        "owner_id": form.value("owner"),
    }
    return form, period, options


def _line_labels() -> dict[str, str]:
    """The lines' labels, translated once per page (an administrator's table has 200 rows)."""
    return {
        "target": _("目標"),
        "won": _("受注実績"),
        "weighted": _("加重パイプライン"),
        "best_case": _("ベストケース"),
        "achievement": _("達成率"),
        "gross_profit_target": _("粗利目標"),
        "won_gross_profit": _("粗利実績"),
        "weighted_gross_profit": _("加重粗利"),
        "best_case_gross_profit": _("粗利ベストケース"),
        "gross_profit_achievement": _("粗利達成率"),
    }


def _lines(cells: list[fc.Figures], *, gross_profit: bool, labels: dict[str, str]) -> list[dict[str, Any]]:
    """The table lines of one row: label (from :func:`_line_labels`), kind (money / percent) and one
    value per column."""

    def line(key: str, kind: str, values: list[Any], notes: list[bool] | None = None) -> dict[str, Any]:
        return {
            "label": labels[key],
            "kind": kind,
            "cells": list(zip(values, notes or [False] * len(values), strict=True)),
        }

    lines = [
        line("target", "money", [c.target for c in cells], [c.target_from_members for c in cells]),
        line("won", "money", [c.won for c in cells]),
        line("weighted", "money", [c.weighted for c in cells]),
        line("best_case", "money", [c.best_case for c in cells]),
        line("achievement", "percent", [c.achievement for c in cells]),
    ]
    if gross_profit:
        lines += [
            line("gross_profit_target", "money", [c.gross_profit_target for c in cells]),
            line("won_gross_profit", "money", [c.won_gross_profit for c in cells]),
            line("weighted_gross_profit", "money", [c.weighted_gross_profit for c in cells]),
            line("best_case_gross_profit", "money", [c.best_case_gross_profit for c in cells]),
            line("gross_profit_achievement", "percent", [c.gross_profit_achievement for c in cells]),
        ]
    return lines


def _blocks(result: fc.Forecast) -> list[dict[str, Any]]:
    blocks = []
    labels = _line_labels()
    for row in [*result.rows, result.totals]:
        cells = [*row.cells(result.months), row.total]
        blocks.append(
            {"row": row, "lines": _lines(cells, gross_profit=result.show_gross_profit, labels=labels)}
        )
    return blocks


def _table_body(blocks: list[dict[str, Any]]) -> SafeString:
    """The forecast table's rows as HTML, written here rather than in the template.

    An administrator's forecast by rep is 200 rows × 5 lines × 13 cells: the template engine spent
    about two thirds of the page's time on those ~13,000 cells (a node, a context lookup and an ``if``
    chain per cell). The markup is the template's, cell for cell; text is escaped, numbers are
    digits and commas (``grouped``), percentages localized as ``{{ value }}`` would be.
    """
    member_targets = escape(_("メンバーの目標の合計"))
    empty = '<span class="text-body-secondary">—</span>'
    out: list[str] = []
    for block in blocks:
        row = block["row"]
        lines = block["lines"]
        total = row.kind == "total"
        key = escape("none" if row.key is None else row.key)
        marker = " data-total-row" if total else f' data-row="{key}"'
        for number, line in enumerate(lines, start=1):
            first = ' class="border-top border-2"' if number == 1 else ""
            out.append(f'<tr{first}{marker} data-line="{number}">')
            if number == 1:
                group = (
                    f'<div class="small text-body-secondary fw-normal">{escape(row.group)}</div>'
                    if row.group
                    else ""
                )
                light = " table-light" if total else ""
                out.append(
                    f'<th scope="rowgroup" rowspan="{len(lines)}" class="text-nowrap{light}">'
                    f"{escape(row.label)}{group}</th>"
                )
            out.append(f'<td class="text-nowrap">{escape(line["label"])}</td>')
            percent = line["kind"] == "percent"
            last = len(line["cells"])
            for index, (value, note) in enumerate(line["cells"], start=1):
                if value is None:
                    text = empty
                elif percent:
                    text = f"{escape(formats.localize(value))}%"
                else:
                    text = grouped(value) + (f'<sup title="{member_targets}">†</sup>' if note else "")
                bold = " fw-bold" if index == last else ""
                out.append(f'<td class="text-end text-nowrap{bold}">{text}</td>')
            out.append("</tr>")
    return mark_safe("".join(out))  # noqa: S308  (every text part above is escaped)


@require_GET
@login_required
def forecast_index(request: HttpRequest) -> HttpResponse:
    form, period, options = _filters(request)
    result = fc.forecast(user=request.user, period=period, **options)
    history = fc.snapshot_history(
        user=request.user, period=period, team_id=options["team_id"], owner_id=options["owner_id"]
    )
    chart = result.chart_data()
    chart["series"] = {
        "target": _("目標"),
        "won": _("受注実績"),
        "weighted": _("加重パイプライン"),
        "best_case": _("ベストケース"),
    }
    trend = {
        "labels": [p.taken_on.isoformat() for p in history],
        "weighted": [int(p.weighted) for p in history],
        "amount": [int(p.amount) for p in history],
        "series": {"weighted": _("加重パイプライン"), "amount": _("パイプライン金額")},
    }
    query = urlencode({k: v for k, v in request.GET.items() if v})
    context = {
        "form": form,
        "period": period,
        "result": result,
        "table_body": _table_body(_blocks(result)),
        "history": history,
        "chart": chart,
        "trend": trend,
        "best_case_min": fc.BEST_CASE_MIN_PROBABILITY,
        "export_url": f"{reverse('sales:forecast_export')}?{query}",
        "targets_url": f"{reverse('sales:forecast_targets')}?{urlencode({'year': period.fiscal_year})}",
    }
    return render(request, "sales/forecast/index.html", context)


def _plain(value: Decimal | None) -> str:
    return "" if value is None else str(value)


@require_GET
@login_required
def forecast_export(request: HttpRequest) -> HttpResponse:
    """The forecast table as CSV (UTF-8 with BOM, opens in Excel): one line per row, month and figure."""
    _form, period, options = _filters(request)
    result = fc.forecast(user=request.user, period=period, **options)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("チーム") if result.by == "team" else _("担当者"),
            _("月"),
            _("目標"),
            _("受注実績"),
            _("加重パイプライン"),
            _("ベストケース"),
            _("達成率"),
            _("粗利目標"),
            _("粗利実績"),
            _("加重粗利"),
        ]
    )
    for row in [*result.rows, result.totals]:
        columns = [(f"{m:%Y-%m}", row.months[m]) for m in result.months] + [(_("合計"), row.total)]
        for month, cell in columns:
            writer.writerow(
                [
                    row.label,
                    month,
                    _plain(cell.target),
                    cell.won,
                    cell.weighted,
                    cell.best_case,
                    _plain(cell.achievement),
                    _plain(cell.gross_profit_target),
                    cell.won_gross_profit,
                    cell.weighted_gross_profit,
                ]
            )
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="forecast_{period.key}_{result.by}.csv"'
    return response


# Targets (目標の入力)


def _grid_rows(
    grid: fc.TargetGrid, values: dict[str, str] | None, errors: dict[str, str]
) -> list[dict[str, Any]]:
    """Each subject with its inputs: (name, shown value, error) per month, amount and gross profit."""
    rows = []
    for subject in grid.subjects:
        fields = []
        for field, saved in (("amount", subject.amounts), ("gross_profit", subject.gross_profits)):
            inputs = []
            for month in grid.months:
                name = target_input_name(field, subject, month)
                stored = saved[month]
                shown = (
                    values.get(name, "")
                    if values is not None and subject.editable
                    else ("" if stored is None else str(stored))
                )
                error = errors.get(f"{target_cell_key(subject, month)}.{field}", "")
                inputs.append(
                    {"name": name, "month": month, "value": shown, "error": error, "stored": stored}
                )
            total = subject.total if field == "amount" else subject.gross_profit_total
            label = _("売上目標") if field == "amount" else _("粗利目標")
            fields.append({"field": field, "label": label, "inputs": inputs, "total": total})
        rows.append({"subject": subject, "fields": fields})
    return rows


@require_http_methods(["GET", "POST"])
@login_required
def target_index(request: HttpRequest) -> HttpResponse:
    """The target grid of one fiscal year; one POST saves every editable cell, all or nothing."""
    fiscal_month = fc.fiscal_month()
    current = fc.current_period(fiscal_month=fiscal_month).fiscal_year
    source = request.POST if request.method == "POST" else request.GET
    year_raw, team_raw = source.get("year", ""), source.get("team", "")
    year = int(year_raw) if year_raw.isdigit() and len(year_raw) == 4 else current
    team_id = int(team_raw) if team_raw.isdigit() else None
    grid = fc.target_grid(user=request.user, fiscal_year=year, team_id=team_id, fiscal_month=fiscal_month)
    values: dict[str, str] | None = None
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if not grid.editable:
            raise PermissionDenied
        try:
            result = sales_targets_save(by=request.user, cells=target_cells_from_post(request.POST, grid))
        except ValidationError as exc:
            errors = {k: " ".join(str(m) for m in v) for k, v in exc.message_dict.items()}
            values = {k: v for k, v in request.POST.items() if k[:2] in ("t-", "g-")}
            status = 422
        else:
            messages.success(request, _("目標を保存しました（%(n)s件を変更）。") % {"n": result.changed})
            query = {"year": year, **({"team": team_id} if team_id else {})}
            return redirect(f"{reverse('sales:forecast_targets')}?{urlencode(query)}")
    context = {
        "grid": grid,
        "rows": _grid_rows(grid, values, errors),
        "errors": errors,
        "year": year,
        "team_id": team_id,
        "year_choices": fiscal_year_choices(current),
        "teams": fc.visible_teams(user=request.user),
        "period": fc.period_build(year, "year", fiscal_month=fiscal_month),
    }
    return render(request, "sales/forecast/targets.html", context, status=status)


urlpatterns: list[URLPattern] = [
    path("forecast/", forecast_index, name="forecast"),
    path("forecast/export/", forecast_export, name="forecast_export"),
    path("targets/", target_index, name="forecast_targets"),
]
