"""Forms of the calendar, daily reports and the dashboard (parsing only; rules live in the services)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from daifuku.activities.models import EventKind
from daifuku.core.models import User
from daifuku.customers.forms import StyledForm
from daifuku.customers.models import Company, Contact


class UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name}（{obj.team}）" if obj.team_id else obj.display_name


class EventForm(StyledForm):
    title = forms.CharField(label=_("件名"), max_length=200)
    kind = forms.ChoiceField(label=_("種類"), choices=EventKind.choices, initial=EventKind.MEETING)
    all_day = forms.BooleanField(label=_("終日"), required=False)
    start_at = forms.DateTimeField(
        label=_("開始"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    end_at = forms.DateTimeField(
        label=_("終了"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    location = forms.CharField(label=_("場所"), max_length=300, required=False)
    company = forms.ModelChoiceField(label=_("取引先"), queryset=Company.objects.none(), required=False)
    attendees = UserChoiceField(
        label=_("自社の参加者"), queryset=User.objects.none(), required=False, widget=forms.SelectMultiple
    )
    attendee_contacts = forms.ModelMultipleChoiceField(
        label=_("先方の参加者"), queryset=Contact.objects.none(), required=False
    )
    description = forms.CharField(label=_("内容"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, companies: Any, contacts: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies  # type: ignore[attr-defined]
        self.fields["attendee_contacts"].queryset = contacts  # type: ignore[attr-defined]
        self.fields["attendees"].queryset = people  # type: ignore[attr-defined]
        for name in ("attendees", "attendee_contacts"):
            self.fields[name].widget.attrs["size"] = "5"


class IcsImportForm(StyledForm):
    file = forms.FileField(
        label=_(".icsファイル"), help_text=_("Googleカレンダー・Outlookから書き出したファイル")
    )


class ReportForm(StyledForm):
    summary = forms.CharField(label=_("本日の活動"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    achievements = forms.CharField(label=_("成果"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    issues = forms.CharField(label=_("課題"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    plan = forms.CharField(label=_("明日の予定"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CommentForm(StyledForm):
    body = forms.CharField(label=_("コメント"), widget=forms.Textarea(attrs={"rows": 3}))


class PeriodForm(forms.Form):
    """Date range in the query string (export, dashboard)."""

    date_from = forms.DateField(
        label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def parse_date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default
