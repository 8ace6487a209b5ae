"""Forms of the customers pages. They parse what a person typed; the services normalize and validate.

Values the services understand better (phones, postal codes, 法人番号, amounts with full-width
digits) are plain text here, so the service's message for the field is the one shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse_lazy
from django.utils.dates import MONTHS
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from daifuku.core import jp, prepared
from daifuku.core.models import User
from daifuku.customers import selectors
from daifuku.customers.models import (
    Company,
    CompanyRank,
    CompanyStatus,
    ConsentMethod,
    Contact,
    Gender,
    Industry,
    LegalFormPosition,
    MailConsent,
)
from daifuku.web.html import conditional_escape as escape

BLANK = [("", "—")]
SORT_CHOICES = [
    ("kana", _("フリガナ順")),
    ("-kana", _("フリガナ逆順")),
    ("-updated", _("更新が新しい順")),
    ("updated", _("更新が古い順")),
    ("-created", _("登録が新しい順")),
    ("created", _("登録が古い順")),
]


def _owner_label(display_name: str, team: str, team_format: str | None = None) -> str:
    if not team:
        return display_name
    return (team_format or gettext("%(name)s（%(team)s）")) % {"name": display_name, "team": team}


class _OwnerChoiceIterator(forms.models.ModelChoiceIterator):
    """The options from one ``values_list`` query instead of a ``User`` and a ``Team`` per option.

    An owner select lists every active user (~200 in the benchmark): building those model instances
    was a third of a list page's time. The option values are the ids, as ``ModelChoiceIterator``
    renders them; the labels are ``OwnerChoiceField.label_from_instance``'s.
    """

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        rows = self.queryset.values_list("pk", "last_name", "first_name", "username", "team__name")
        for pk, last_name, first_name, username, team in rows.iterator(chunk_size=2000):
            yield (pk, _owner_label(User.name_of(last_name, first_name, username), team or ""))


def _owner_instance_label(obj: Any) -> str:
    return _owner_label(obj.display_name, obj.team.name if obj.team_id and obj.team else "")


class OwnerChoiceField(forms.ModelChoiceField):
    iterator = _OwnerChoiceIterator

    def label_from_instance(self, obj: Any) -> str:
        return _owner_instance_label(obj)


class PlainSelect(forms.Select):
    """A ``<select>`` built in Python: the same HTML as Django's select.html, without a template per option.

    Django renders each ``<option>`` by including select_option.html and attrs.html; with the ~200
    users of the owner filter (plus industries, prefectures, tags) that took ≈ 15 ms of every list page.
    The select's attributes and the selected values come from Django's ``build_attrs`` and
    ``format_value``; options are written straight from ``choices`` (Django's per-option context
    dicts were half the select's time). tests/customers/test_views.py compares it with Django's output.
    """

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        # What Select.get_context + ChoiceWidget.optgroups + create_option compute, without the
        # per-option dicts: a Select's options inherit no attributes, a selected one gets
        # ``selected``, and only the first matching option is selected unless it is multiple.
        select_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            select_attrs["multiple"] = True
        chosen = self.format_value(value)
        multiple = self.allow_multiple_selected
        has_selected = False
        parts = [f'<select name="{escape(name)}"{_html_attrs(select_attrs)}>']
        for option_value, option_label in self.choices:
            if option_value is None:
                option_value = ""
            grouped = isinstance(option_label, (list, tuple))
            labelled_group = grouped and bool(option_value)  # select.html: {% if group_name %}
            if labelled_group:
                parts.append(f'\n  <optgroup label="{escape(option_value)}">')
            for subvalue, sublabel in option_label if grouped else [(option_value, option_label)]:
                selected = (not has_selected or multiple) and str(subvalue) in chosen
                has_selected |= selected
                parts.append(
                    f'\n  <option value="{escape(str(subvalue))}"{" selected" if selected else ""}>'
                    f"{escape(sublabel)}</option>\n"
                )
            if labelled_group:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # every value above went through escape()  # noqa: S308


def _html_attrs(attrs: dict[str, Any]) -> str:
    """Django's widgets/attrs.html in Python: ``True`` → a bare attribute, ``False`` → left out."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class CompanyChooser(forms.Widget):
    """A company id with a typeahead text box (``<name>_label``) filled by htmx from company_choices."""

    template_name = "customers/widgets/company_chooser.html"
    label = ""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["label"] = self.label
        context["widget"]["choices_url"] = reverse_lazy("customers:company_choices")
        return context


class FixedChoiceField(forms.ChoiceField):
    """A ``ChoiceField`` whose choices are constants, shared by every copy of the form's fields: Django
    deep-copies each choice tuple per form (the 47 prefectures, on every list page). A form that sets
    ``choices`` on its copy replaces them for that copy only, as with Django's field."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        choices = self._choices
        result = forms.Field.__deepcopy__(self, memo)
        result._choices = choices
        return result


class _ListChoiceIterator(forms.models.ModelChoiceIterator):
    def __iter__(self) -> Any:
        field = self.field
        assert isinstance(field, ListChoiceField)
        if not field.planned:  # the queryset was replaced: Django's options from it
            yield from super().__iter__()
            return
        if field.empty_label is not None:
            yield ("", field.empty_label)
        yield from field.options()


class ListChoiceField(forms.ModelChoiceField):
    """A list filter's choice of a record (担当者, チーム, タグ, 業種): the options are value rows read by
    one prepared statement, not model instances through a query compiled on every page.

    ``rows`` builds the ``values_list`` query once (first column: the option's value, as
    ``to_field_name`` names it); ``option_label`` turns a row into the option's text, given what ``prepare``
    returned for this rendering (say, a translated format) — the text ``instance_label`` gives for the
    record. Cleaning a submitted value still goes
    through ``queryset``; a form that replaces the queryset gets Django's options from it again.
    The four filters took ~3 ms of each list page (measured in-process, company list)."""

    iterator = _ListChoiceIterator

    def __init__(
        self,
        *,
        key: str,
        rows: Callable[[], QuerySet[Any]],
        option_label: Callable[[Any, tuple[Any, ...]], str],
        prepare: Callable[[], Any] = lambda: None,
        instance_label: Callable[[Any], str] = str,
        **kwargs: Any,
    ) -> None:
        self.planned = True  # before the queryset setter runs
        self.plan_key, self.option_rows, self.option_label, self.prepare = key, rows, option_label, prepare
        self.instance_label = instance_label
        super().__init__(**kwargs)
        self.planned = True

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        planned = self.planned
        result = super().__deepcopy__(memo)
        result.planned = planned
        return result

    def _set_queryset(self, queryset: Any) -> None:
        self.planned = False
        super()._set_queryset(queryset)

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def label_from_instance(self, obj: Any) -> str:
        """The same text as ``option_label`` gives for the record's row."""
        return self.instance_label(obj)

    def options(self) -> Any:
        prepared_value = self.prepare()
        for row in prepared.plan(("list_choices", self.plan_key), self.option_rows).fetch():
            yield (row[0], self.option_label(prepared_value, row))


def _owner_rows() -> QuerySet[Any]:
    return selectors.owner_choices().values_list("pk", "last_name", "first_name", "username", "team__name")


def _owner_option(team_format: str, row: tuple[Any, ...]) -> str:
    _pk, last_name, first_name, username, team = row
    return _owner_label(User.name_of(last_name, first_name, username), team or "", team_format)


def owner_filter_field() -> ListChoiceField:
    """The 担当者 filter of list pages (customers, deals, contracts …): optional, every active user."""
    return ListChoiceField(
        key="owner",
        rows=_owner_rows,
        option_label=_owner_option,
        prepare=lambda: gettext("%(name)s（%(team)s）"),
        instance_label=_owner_instance_label,
        empty_label="—",
        label=pgettext_lazy("自社の担当者", "担当者"),
        required=False,
        queryset=selectors.owner_choices(),
        widget=PlainSelect,
    )


def team_filter_field() -> ListChoiceField:
    """The チーム filter of list pages: optional, every team."""
    return ListChoiceField(
        key="team",
        rows=lambda: selectors.team_choices().values_list("pk", "name"),
        option_label=lambda _prepared, row: row[1],
        empty_label="—",
        label=_("チーム"),
        required=False,
        queryset=selectors.team_choices(),
        widget=PlainSelect,
    )


class StyledForm(forms.Form):
    """Bootstrap classes on widgets; fields with errors get ``is-invalid`` (also errors added by views)."""

    fieldsets: list[tuple[str, list[str]]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def add_service_errors(self, message_dict: dict[str, list[str]]) -> None:
        """Put a service ``ValidationError`` on the fields it names (the rest on the form)."""
        for name, messages in message_dict.items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.fieldsets]


def _watch_duplicates(form: forms.Form, names: tuple[str, ...], url_name: str) -> None:
    """On create, a change in one of these inputs asks the server for likely duplicates (htmx)."""
    for name in names:
        form.fields[name].widget.attrs.update(
            {
                "data-duplicates": "",
                "hx-get": reverse_lazy(url_name),
                "hx-trigger": "change",
                "hx-target": "#duplicates",
                "hx-include": "[data-duplicates]",
                "hx-sync": "closest form:replace",
            }
        )


def _sns_lines(value: dict[str, str]) -> str:
    return "\n".join(f"{service}: {account}" for service, account in (value or {}).items())


def parse_sns(text: str) -> dict[str, str]:
    """``service: account`` lines → dict; raises ValidationError naming the bad line."""
    result: dict[str, str] = {}
    for number, raw in enumerate(jp.nfkc(text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        service, sep, account = line.partition(":")
        if not sep or not service.strip() or not account.strip():
            raise forms.ValidationError(
                _("%(n)s行目: 「サービス: アカウント」の形で入力してください（例: X: @daifuku）。"),
                params={"n": number},
            )
        result[service.strip()] = account.strip()
    return result


class AddressFields(StyledForm):
    """Postal code and address; the postal code fills the rest through customers:postal_lookup."""

    postal_code = forms.CharField(
        label=_("郵便番号"),
        required=False,
        max_length=10,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "postal-code", "placeholder": "100-0001"}
        ),
    )
    prefecture = forms.ChoiceField(
        label=_("都道府県"), required=False, choices=BLANK + [(p, p) for p in selectors.PREFECTURES]
    )
    city = forms.CharField(label=_("市区町村"), required=False, max_length=100)
    street = forms.CharField(label=_("町名・番地"), required=False, max_length=200)
    building = forms.CharField(label=_("建物名"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["postal_code"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("customers:postal_lookup"),
                "hx-trigger": "input changed delay:400ms, change",
                "hx-target": "#address-fields",
                "hx-swap": "outerHTML",
                "hx-include": "#id_postal_code, #id_prefecture, #id_city, #id_street",
                "hx-sync": "this:replace",
            }
        )
        # Keep an imported prefecture that is not one of the 47 selectable.
        current = self.data.get("prefecture") if self.is_bound else self.initial.get("prefecture")
        if current and current not in selectors.PREFECTURES:
            self.fields["prefecture"].choices = [*self.fields["prefecture"].choices, (current, current)]


class AddressLookupForm(AddressFields):
    """Only the address inputs, re-rendered by the postal-code lookup."""


class CompanyForm(AddressFields):
    name = forms.CharField(
        label=_("会社名"),
        max_length=200,
        help_text=_("「株式会社」などは自動で法人格に分けます。"),
        error_messages={"required": _("会社名を入力してください。")},
    )
    name_kana = forms.CharField(
        label=_("フリガナ"),
        required=False,
        max_length=200,
        help_text=_("ひらがな・半角カナも可（カタカナで保存）"),
    )
    legal_form = forms.ChoiceField(label=_("法人格"), required=False, choices=BLANK + jp.LEGAL_FORM_CHOICES)
    legal_form_position = forms.ChoiceField(
        label=_("法人格の位置"), choices=LegalFormPosition.choices, initial=LegalFormPosition.NONE
    )
    corporate_number = forms.CharField(
        label=_("法人番号"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    invoice_registration_number = forms.CharField(
        label=_("適格請求書発行事業者登録番号"), required=False, max_length=20, help_text=_("T + 13桁")
    )
    phone = forms.CharField(
        label=_("電話番号"), required=False, max_length=30, widget=forms.TextInput(attrs={"type": "tel"})
    )
    fax = forms.CharField(
        label=_("FAX"), required=False, max_length=30, widget=forms.TextInput(attrs={"type": "tel"})
    )
    email = forms.EmailField(label=_("メール"), required=False)
    website = forms.URLField(label=_("ウェブサイト"), required=False, assume_scheme="https")
    sns = forms.CharField(
        label=_("SNSアカウント"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "X: @example\nInstagram: example"}),
        help_text=_("1行に1つ「サービス: アカウント」"),
    )
    representative = forms.CharField(label=_("代表者"), required=False, max_length=100)
    capital = forms.CharField(
        label=_("資本金（円）"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    employees = forms.CharField(
        label=_("従業員数"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    is_listed = forms.BooleanField(label=_("上場"), required=False)
    fiscal_month = forms.ChoiceField(
        label=_("決算月"), required=False, choices=BLANK + [(str(m), label) for m, label in MONTHS.items()]
    )
    industry = forms.ModelChoiceField(
        empty_label="—", label=_("業種"), required=False, queryset=selectors.industry_choices()
    )
    description = forms.CharField(
        label=_("事業内容"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    rank = forms.ChoiceField(label=_("ランク"), required=False, choices=BLANK + CompanyRank.choices)
    status = forms.ChoiceField(
        label=_("ステータス"), choices=CompanyStatus.choices, initial=CompanyStatus.PROSPECT
    )
    parent = forms.IntegerField(label=_("親会社"), required=False, widget=CompanyChooser)
    owner = OwnerChoiceField(
        empty_label="—", label=_("担当者（自社）"), required=False, queryset=selectors.owner_choices()
    )
    team = forms.ModelChoiceField(
        empty_label="—", label=_("チーム"), required=False, queryset=selectors.team_choices()
    )
    tags = forms.CharField(label=_("タグ"), required=False, help_text=_("カンマ区切り"))
    notes = forms.CharField(label=_("メモ"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    fieldsets = [
        (_("会社"), ["name", "name_kana", "legal_form", "legal_form_position", "corporate_number",
                     "invoice_registration_number"]),
        (_("連絡先"), ["phone", "fax", "email", "website", "sns"]),
        (_("会社情報"), ["representative", "capital", "employees", "is_listed", "fiscal_month", "industry",
                         "description", "parent"]),
        (_("営業"), ["status", "rank", "owner", "team", "tags", "notes"]),
    ]  # fmt: skip

    def __init__(
        self, *args: Any, instance: Company | None = None, parent_label: str = "", **kwargs: Any
    ) -> None:
        if instance is not None:
            kwargs["initial"] = {**company_initial(instance), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.instance = instance
        chooser = self.fields["parent"].widget
        assert isinstance(chooser, CompanyChooser)
        chooser.label = self.data.get("parent_label", "") if self.is_bound else parent_label
        if instance is None:
            _watch_duplicates(
                self, ("name", "corporate_number", "phone", "email"), "customers:company_duplicates"
            )

    def clean_sns(self) -> dict[str, str]:
        return parse_sns(self.cleaned_data["sns"])

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if self.instance is None:
            # On create an empty owner/team means "me and my team" (the service's default).
            for name in ("owner", "team"):
                if data.get(name) is None:
                    data.pop(name, None)
        return data


def company_initial(company: Company) -> dict[str, Any]:
    return {
        "name": company.name,
        "name_kana": company.name_kana,
        "legal_form": company.legal_form,
        "legal_form_position": company.legal_form_position,
        "corporate_number": company.corporate_number,
        "invoice_registration_number": company.invoice_registration_number,
        "postal_code": company.postal_code_display,
        "prefecture": company.prefecture,
        "city": company.city,
        "street": company.street,
        "building": company.building,
        "phone": company.phone_display,
        "fax": company.fax_display,
        "email": company.email,
        "website": company.website,
        "sns": _sns_lines(company.sns),
        "representative": company.representative,
        "capital": "" if company.capital is None else str(company.capital),
        "employees": "" if company.employees is None else str(company.employees),
        "is_listed": company.is_listed,
        "fiscal_month": "" if company.fiscal_month is None else str(company.fiscal_month),
        "industry": company.industry_id,
        "description": company.description,
        "rank": company.rank,
        "status": company.status,
        "parent": company.parent_id,
        "owner": company.owner_id,
        "team": company.team_id,
        "tags": ", ".join(t.name for t in company.tags.all()),
        "notes": company.notes,
        "version": company.version,
    }


class ContactForm(AddressFields):
    family_name = forms.CharField(
        label=_("姓"), max_length=100, error_messages={"required": _("姓を入力してください。")}
    )
    given_name = forms.CharField(label=_("名"), required=False, max_length=100)
    family_name_kana = forms.CharField(label=_("セイ"), required=False, max_length=100)
    given_name_kana = forms.CharField(label=_("メイ"), required=False, max_length=100)
    company = forms.IntegerField(label=_("会社"), required=False, widget=CompanyChooser)
    department = forms.CharField(label=_("部署"), required=False, max_length=200)
    title = forms.CharField(label=_("役職"), required=False, max_length=100)
    mobile_phone = forms.CharField(
        label=_("携帯電話"), required=False, max_length=30, widget=forms.TextInput(attrs={"type": "tel"})
    )
    office_phone = forms.CharField(
        label=_("会社電話"), required=False, max_length=30, widget=forms.TextInput(attrs={"type": "tel"})
    )
    email = forms.EmailField(label=_("メール"), required=False)
    email_alt = forms.EmailField(label=_("メール（予備）"), required=False)
    birthday = forms.CharField(
        label=_("誕生日"), required=False, max_length=20, widget=forms.TextInput(attrs={"type": "date"})
    )
    gender = forms.ChoiceField(label=_("性別"), required=False, choices=Gender.choices)
    household_size = forms.CharField(
        label=_("世帯人数"),
        required=False,
        max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    preferences = forms.CharField(
        label=_("趣味・嗜好"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    sns = forms.CharField(
        label=_("SNSアカウント"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "X: @example\nLINE: example"}),
        help_text=_("1行に1つ「サービス: アカウント」"),
    )
    owner = OwnerChoiceField(
        empty_label="—", label=_("担当者（自社）"), required=False, queryset=selectors.owner_choices()
    )
    team = forms.ModelChoiceField(
        empty_label="—", label=_("チーム"), required=False, queryset=selectors.team_choices()
    )
    tags = forms.CharField(label=_("タグ"), required=False, help_text=_("カンマ区切り"))
    notes = forms.CharField(label=_("メモ"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    mail_consent = forms.ChoiceField(
        label=_("メール配信同意"), choices=MailConsent.choices, initial=MailConsent.UNKNOWN
    )
    mail_consent_at = forms.DateTimeField(
        label=_("同意・停止日時"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("空欄なら保存時の日時"),
    )
    mail_consent_method = forms.ChoiceField(
        label=_("同意・停止の方法"), required=False, choices=ConsentMethod.choices
    )
    mail_consent_note = forms.CharField(label=_("同意の記録"), required=False, max_length=300)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    fieldsets = [
        (_("氏名"), ["family_name", "given_name", "family_name_kana", "given_name_kana"]),
        (_("所属"), ["company", "department", "title"]),
        (_("連絡先"), ["mobile_phone", "office_phone", "email", "email_alt", "sns"]),
        (_("個人情報"), ["birthday", "gender", "household_size", "preferences"]),
        (_("メール配信（特定電子メール法）"), ["mail_consent", "mail_consent_at", "mail_consent_method",
                                           "mail_consent_note"]),
        (_("営業"), ["owner", "team", "tags", "notes"]),
    ]  # fmt: skip

    def __init__(
        self, *args: Any, instance: Contact | None = None, company_label: str = "", **kwargs: Any
    ) -> None:
        if instance is not None:
            kwargs["initial"] = {**contact_initial(instance), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.instance = instance
        chooser = self.fields["company"].widget
        assert isinstance(chooser, CompanyChooser)
        chooser.label = self.data.get("company_label", "") if self.is_bound else company_label
        if instance is None:
            _watch_duplicates(
                self,
                ("family_name", "given_name", "email", "mobile_phone", "office_phone"),
                "customers:contact_duplicates",
            )

    def clean_sns(self) -> dict[str, str]:
        return parse_sns(self.cleaned_data["sns"])

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if self.instance is None:
            for name in ("owner", "team"):
                if data.get(name) is None:
                    data.pop(name, None)
        elif "mail_consent_at" not in self.changed_data:
            # The input shows minutes only; an untouched field must not rewrite the stored time.
            data.pop("mail_consent_at", None)
        return data


def contact_initial(contact: Contact) -> dict[str, Any]:
    return {
        "family_name": contact.family_name,
        "given_name": contact.given_name,
        "family_name_kana": contact.family_name_kana,
        "given_name_kana": contact.given_name_kana,
        "company": contact.company_id,
        "department": contact.department,
        "title": contact.title,
        "mobile_phone": contact.mobile_phone_display,
        "office_phone": contact.office_phone_display,
        "email": contact.email,
        "email_alt": contact.email_alt,
        "postal_code": jp.postal_display(contact.postal_code),
        "prefecture": contact.prefecture,
        "city": contact.city,
        "street": contact.street,
        "building": contact.building,
        "birthday": contact.birthday.isoformat() if contact.birthday else "",
        "gender": contact.gender,
        "household_size": "" if contact.household_size is None else str(contact.household_size),
        "preferences": contact.preferences,
        "sns": _sns_lines(contact.sns),
        "owner": contact.owner_id,
        "team": contact.team_id,
        "tags": ", ".join(t.name for t in contact.tags.all()),
        "notes": contact.notes,
        "mail_consent": contact.mail_consent,
        "mail_consent_at": contact.mail_consent_at,
        "mail_consent_method": contact.mail_consent_method,
        "mail_consent_note": contact.mail_consent_note,
        "version": contact.version,
    }


class HandoverForm(StyledForm):
    owner = OwnerChoiceField(
        empty_label="—",
        label=_("新しい担当者"),
        queryset=User.objects.none(),
        error_messages={"required": _("新しい担当者を選んでください。")},
    )
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = selectors.owner_choices().exclude(pk=company.owner_id or 0)


# List filters (GET)


class _ListFilterForm(StyledForm):
    """The filters both customer lists share: search, owner, team, tag, sort order."""

    search_placeholder: Any = ""
    sorts: dict[str, tuple[str, ...]] = selectors.COMPANY_SORTS

    q = forms.CharField(label=_("検索"), required=False, max_length=200)
    owner = owner_filter_field()
    team = team_filter_field()
    tag = ListChoiceField(
        key="tag",
        rows=lambda: selectors.tag_choices().values_list("name", "name"),
        option_label=lambda _prepared, row: row[1],
        empty_label="—",
        label=_("タグ"),
        required=False,
        queryset=selectors.tag_choices(),
        to_field_name="name",
        widget=PlainSelect,
    )
    sort = FixedChoiceField(label=_("並び順"), required=False, choices=SORT_CHOICES, widget=PlainSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": self.search_placeholder})

    def _common(self) -> dict[str, Any]:
        """Cleaned values of the shared filters; invalid fields are left out, the valid ones still filter."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "q": data.get("q") or "",
            "owner": data["owner"].pk if data.get("owner") else None,
            "team": data["team"].pk if data.get("team") else None,
            "tag": data["tag"].name if data.get("tag") else "",
        }

    def sort_key(self) -> str:
        self.is_valid()
        value = self.cleaned_data.get("sort") or ""
        return value if value in self.sorts else "kana"


class CompanyFilterForm(_ListFilterForm):
    search_placeholder = _("会社名・フリガナ・電話番号など")
    field_order = ["q", "owner", "team", "status", "rank", "industry", "prefecture", "tag", "sort"]

    status = FixedChoiceField(
        label=_("ステータス"), required=False, choices=BLANK + CompanyStatus.choices, widget=PlainSelect
    )
    rank = FixedChoiceField(
        label=_("ランク"), required=False, choices=BLANK + CompanyRank.choices, widget=PlainSelect
    )
    industry = ListChoiceField(
        key="industry",
        rows=lambda: selectors.industry_choices().values_list("pk", "name", "name_en"),
        option_label=lambda english, row: Industry.label_of(row[1], row[2], english=english),
        prepare=lambda: (get_language() or "ja").startswith("en"),
        empty_label="—",
        label=_("業種"),
        required=False,
        queryset=selectors.industry_choices(),
        widget=PlainSelect,
    )
    prefecture = FixedChoiceField(
        label=_("都道府県"),
        required=False,
        choices=BLANK + [(p, p) for p in selectors.PREFECTURES],
        widget=PlainSelect,
    )

    def filters(self) -> selectors.CompanyFilters:
        common = self._common()
        data = self.cleaned_data
        return selectors.CompanyFilters(
            **common,
            status=data.get("status") or "",
            rank=data.get("rank") or "",
            industry=data["industry"].pk if data.get("industry") else None,
            prefecture=data.get("prefecture") or "",
        )


class ContactFilterForm(_ListFilterForm):
    search_placeholder = _("氏名・フリガナ・会社・電話など")
    sorts = selectors.CONTACT_SORTS
    field_order = ["q", "owner", "team", "company", "tag", "mail_consent", "sort"]

    company = forms.IntegerField(label=_("会社"), required=False, widget=CompanyChooser)
    mail_consent = FixedChoiceField(
        label=_("メール配信"), required=False, choices=BLANK + MailConsent.choices, widget=PlainSelect
    )

    def __init__(self, *args: Any, company_label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chooser = self.fields["company"].widget
        assert isinstance(chooser, CompanyChooser)
        chooser.label = company_label

    def filters(self) -> selectors.ContactFilters:
        common = self._common()
        data = self.cleaned_data
        return selectors.ContactFilters(
            **common,
            company=data.get("company") or None,
            mail_consent=data.get("mail_consent") or "",
        )
