"""Forms of the activity and task pages. They parse input; the services validate and resolve ids."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daifuku.activities.models import ActivityKind, IssueStatus, TaskPriority
from daifuku.customers.forms import CompanyChooser, OwnerChoiceField, PlainSelect, StyledForm
from daifuku.customers.selectors import owner_choices

BLANK = [("", "—")]
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
REMIND_CHOICES = [
    ("", _("なし")),
    ("0", _("期限の時刻")),
    ("10", _("10分前")),
    ("30", _("30分前")),
    ("60", _("1時間前")),
    ("180", _("3時間前")),
    ("1440", _("1日前")),
]
# The kinds a rep picks most on the road come first on the quick-log buttons.
QUICK_KINDS = [
    ActivityKind.VISIT,
    ActivityKind.CALL_OUT,
    ActivityKind.CALL_IN,
    ActivityKind.EMAIL,
    ActivityKind.WEB_MEETING,
    ActivityKind.MEETING,
    ActivityKind.NOTE,
    ActivityKind.COMPLAINT,
    ActivityKind.REQUEST,
    ActivityKind.INQUIRY,
    ActivityKind.LETTER,
]


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _chooser_label(form: forms.Form, company_label: str) -> None:
    chooser = form.fields["company"].widget
    assert isinstance(chooser, CompanyChooser)
    chooser.label = form.data.get("company_label", "") if form.is_bound else company_label


class ContactChoices(forms.MultipleChoiceField):
    """Contacts of one company as checkboxes (choices set by the view from the visible contacts)."""

    widget = forms.CheckboxSelectMultiple


class QuickLogForm(StyledForm):
    """The compact form on the company/contact page and on a phone: kind, subject, memo, who, when."""

    kind = forms.ChoiceField(
        label=_("種類"),
        choices=[(k.value, k.label) for k in QUICK_KINDS],
        initial=ActivityKind.VISIT,
        widget=forms.RadioSelect,
    )
    subject = forms.CharField(label=_("件名"), max_length=200)
    body = forms.CharField(label=_("メモ"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    contacts = ContactChoices(label=_("先方の担当者"), required=False)
    occurred_at = forms.DateTimeField(label=_("日時"), widget=DATETIME_INPUT)
    company = forms.IntegerField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, contacts: list[Any] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("occurred_at", _now_local())
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.attrs["class"] = "btn-check"
        self.fields["contacts"].choices = [(str(c.pk), c.full_name) for c in contacts or []]
        self.fields["contacts"].widget.attrs["class"] = "form-check-input"
        self.fields["subject"].widget.attrs.update({"autocomplete": "off", "enterkeyhint": "done"})


class ActivityForm(StyledForm):
    kind = forms.ChoiceField(label=_("種類"), choices=ActivityKind.choices)
    occurred_at = forms.DateTimeField(label=_("日時"), widget=DATETIME_INPUT)
    duration_minutes = forms.CharField(label=_("所要時間（分）"), required=False)
    company = forms.IntegerField(label=_("取引先"), required=False, widget=CompanyChooser)
    contacts = ContactChoices(label=_("先方の担当者"), required=False)
    participants = forms.ModelMultipleChoiceField(
        label=_("自社の参加者"), queryset=owner_choices(), required=False
    )
    subject = forms.CharField(label=_("件名"), max_length=200)
    body = forms.CharField(label=_("内容"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    outcome = forms.CharField(
        label=_("結果・先方の反応"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    keywords = forms.CharField(
        label=_("キーワード"), required=False, help_text=_("読点かカンマで区切ります（例: 値上げ、納期）。")
    )
    status = forms.ChoiceField(
        label=_("対応状況"), choices=IssueStatus.choices, required=False, help_text=_("クレーム・要望のみ")
    )
    response = forms.CharField(
        label=_("当社の対応"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, contacts: list[Any] | None = None, company_label: str = "", **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {}).setdefault("occurred_at", _now_local())
        super().__init__(*args, **kwargs)
        _chooser_label(self, company_label)
        self.fields["contacts"].choices = [(str(c.pk), c.full_name) for c in contacts or []]
        self.fields["contacts"].widget.attrs["class"] = "form-check-input"
        self.fields["participants"].widget.attrs["size"] = 4

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["keywords"] = data.get("keywords") or ""
        return data


class ActivityStatusForm(StyledForm):
    status = forms.ChoiceField(label=_("対応状況"), choices=IssueStatus.choices[1:])
    response = forms.CharField(
        label=_("当社の対応"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ActivityFilterForm(StyledForm):
    kind = forms.ChoiceField(label=_("種類"), choices=BLANK + ActivityKind.choices, required=False)
    owner = OwnerChoiceField(label=_("記録者"), queryset=owner_choices(), required=False)
    status = forms.ChoiceField(label=_("対応状況"), choices=BLANK + IssueStatus.choices[1:], required=False)
    open_only = forms.BooleanField(label=_("未完了のクレーム・要望のみ"), required=False)


class TimelineFilterForm(StyledForm):
    # PlainSelect: the fragment is re-rendered on every refresh, and Django's per-option templates for
    # ~200 users were ≈ 11 ms of an 18 ms render (benchmark at 100k).
    type = forms.ChoiceField(label=_("種類"), required=False, widget=PlainSelect)
    person = OwnerChoiceField(
        label=_("自社の担当"), queryset=owner_choices(), required=False, widget=PlainSelect
    )

    def __init__(self, *args: Any, kind_choices: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("すべて")), *kind_choices]
        for field in self.fields.values():
            field.widget.attrs["class"] += " form-select-sm"


class TaskForm(StyledForm):
    title = forms.CharField(label=_("件名"), max_length=200)
    due_at = forms.DateTimeField(label=_("期限"), required=False, widget=DATETIME_INPUT)
    priority = forms.ChoiceField(label=_("優先度"), choices=TaskPriority.choices, initial=TaskPriority.NORMAL)
    owner = OwnerChoiceField(label=_("担当者（自社）"), queryset=owner_choices())
    company = forms.IntegerField(label=_("取引先"), required=False, widget=CompanyChooser)
    remind_minutes_before = forms.ChoiceField(label=_("リマインド"), choices=REMIND_CHOICES, required=False)
    description = forms.CharField(label=_("内容"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, company_label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _chooser_label(self, company_label)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class TaskCompleteForm(StyledForm):
    log_activity = forms.BooleanField(label=_("活動として記録する"), required=False)
    activity_kind = forms.ChoiceField(
        label=_("種類"), choices=ActivityKind.choices, initial=ActivityKind.NOTE
    )
    outcome = forms.CharField(label=_("結果"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
