"""Forms of the forecast pages: the filter bar and the target grid's POST."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from daifuku.core.models import User
from daifuku.sales.selectors import forecast as fc

YEARS_BACK = 3
YEARS_AHEAD = 1


def fiscal_year_choices(current: int) -> list[tuple[str, str]]:
    years = range(current + YEARS_AHEAD, current - YEARS_BACK - 1, -1)
    return [(str(y), str(_("%(year)s年度") % {"year": y})) for y in years]


class ForecastFilterForm(forms.Form):
    """Period (fiscal year + year/quarter/month), rows by rep or team, team and rep filters."""

    year = forms.TypedChoiceField(label=_("年度"), coerce=int)
    span = forms.ChoiceField(label=_("期間"))
    by = forms.ChoiceField(label=_("集計単位"), choices=[("user", _("担当者別")), ("team", _("チーム別"))])
    team = forms.TypedChoiceField(label=_("チーム"), coerce=int, required=False, empty_value=None)
    owner = forms.TypedChoiceField(label=_("担当者"), coerce=int, required=False, empty_value=None)

    def __init__(self, data: QueryDict | None, *, user: User, fiscal_month: int, today: dt.date) -> None:
        current = fc.current_period(fiscal_month=fiscal_month, today=today)
        initial = {"year": current.fiscal_year, "span": current.span, "by": "user"}
        merged: dict[str, Any] = dict(initial)
        if data:
            merged.update({k: v for k, v in data.items() if k in self.base_fields and v != ""})
        super().__init__(merged)
        self.fiscal_month = fiscal_month
        self.current = current
        self.fields["year"].choices = fiscal_year_choices(current.fiscal_year)
        year = merged.get("year")
        year = int(year) if str(year).isdigit() else current.fiscal_year
        self.fields["span"].choices = fc.span_choices(year, fiscal_month=fiscal_month)
        self.fields["team"].choices = [("", _("すべて"))] + [
            (t.pk, t.name) for t in fc.visible_teams(user=user)
        ]
        # Values, not users: an administrator's select lists ~200 people (a tenth of the page built them).
        people = fc.visible_people(user=user).values_list("pk", "last_name", "first_name", "username")
        self.fields["owner"].choices = [("", _("全員"))] + [
            (pk, User.name_of(last, first, username)) for pk, last, first, username in people
        ]

    def period(self) -> fc.Period:
        """The chosen period (this fiscal quarter when the input is invalid)."""
        if not self.is_valid():
            return self.current
        return fc.period_build(
            self.cleaned_data["year"], self.cleaned_data["span"], fiscal_month=self.fiscal_month
        )

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_valid() else None


def target_input_name(field: str, subject: fc.TargetSubject, month: dt.date) -> str:
    """``t-u12-202610`` (amount) / ``g-u12-202610`` (gross profit); ``t-t3-…`` for a team."""
    return f"{'t' if field == 'amount' else 'g'}-{subject.prefix}-{month:%Y%m}"


def target_cell_key(subject: fc.TargetSubject, month: dt.date) -> str:
    return f"{subject.prefix}-{month:%Y%m}"


def target_cells_from_post(post: QueryDict, grid: fc.TargetGrid) -> list[dict[str, Any]]:
    """The cells of the grid's editable rows, as ``sales_targets_save`` takes them.

    Only rows the user may edit carry inputs; a cell whose two inputs are both missing from the POST
    is left alone (a blank input is sent and means "no target").
    """
    cells: list[dict[str, Any]] = []
    for subject in grid.subjects:
        if not subject.editable:
            continue
        for month in grid.months:
            amount_name = target_input_name("amount", subject, month)
            profit_name = target_input_name("gross_profit", subject, month)
            if amount_name not in post and profit_name not in post:
                continue
            cells.append(
                {
                    "key": target_cell_key(subject, month),
                    subject.kind: subject.pk,
                    "month": month,
                    "amount": post.get(amount_name, ""),
                    "gross_profit": post.get(profit_name, ""),
                }
            )
    return cells
