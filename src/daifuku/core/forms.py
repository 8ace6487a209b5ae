"""Forms of the shared kernel's pages: login, company profile, role scopes, users.

Forms only parse and validate input shape; the rules live in ``core.services``. A service's
``ValidationError`` is put back on the named field with :func:`add_service_errors`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from daifuku.core import services
from daifuku.core.models import ObjectType, Role, RoleScope, Scope, TaxRounding, Team, User


class BootstrapMixin:
    """Give widgets Bootstrap classes, and mark fields with errors ``is-invalid``."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def add_service_errors(
    form: forms.BaseForm, exc: ValidationError, aliases: dict[str, str] | None = None
) -> None:
    """Attach a service's ValidationError to the form: keyed errors on their field, the rest on top."""
    aliases = aliases or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        target = aliases.get(name, name)
        form.add_error(target if target in form.fields else None, errors)


# Login


class LoginForm(BootstrapMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": _("ユーザー名またはパスワードが正しくありません。"),
        "inactive": _("このアカウントは無効です。"),
        "locked": _(
            "ログインに続けて失敗したため、このアカウントは一時的にロックされています。"
            "しばらく（%(minutes)s分）待ってから、もう一度お試しください。"
        ),
    }

    def get_invalid_login_error(self) -> ValidationError:
        username = self.cleaned_data.get("username") or ""
        if services.login_locked_after_failure(username=username):
            return ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": settings.DAIFUKU_LOGIN_LOCK_MINUTES},
            )
        return ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class PasswordChangeFormJa(BootstrapMixin, PasswordChangeForm):
    pass


class AdminSetPasswordForm(BootstrapMixin, SetPasswordForm):
    pass


# Company profile


MONTH_CHOICES = list(MONTHS.items())  # lazy: "1月" in Japanese, "January" in English


class ProfileForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("会社名"), max_length=200, required=False)
    registration_number = forms.CharField(
        label=_("適格請求書発行事業者登録番号"),
        max_length=20,
        required=False,
        help_text=_("「T」と13桁の数字（例: T7123456789012）"),
    )
    postal_code = forms.CharField(label=_("郵便番号"), max_length=10, required=False)
    address = forms.CharField(label=_("住所"), max_length=300, required=False)
    phone = forms.CharField(label=_("電話番号"), max_length=30, required=False)
    fiscal_month = forms.TypedChoiceField(label=_("決算月"), choices=MONTH_CHOICES, coerce=int)
    tax_rounding = forms.ChoiceField(label=_("消費税の端数処理"), choices=TaxRounding.choices)


# Role scopes


class RoleScopeMatrixForm(forms.Form):
    """One read and one edit select per role × object type, named ``<role pk>-<object type>-read|edit``."""

    def __init__(self, *args: Any, roles: list[Role], scopes: list[RoleScope], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = {(s.role_id, s.object_type): s for s in scopes}
        self.rows: list[dict[str, Any]] = []
        for role in roles:
            cells = []
            for object_type, type_label in ObjectType.choices:
                row = current.get((role.pk, object_type))
                names = {}
                for action in ("read", "edit"):
                    name = f"{role.pk}-{object_type}-{action}"
                    initial = getattr(row, f"{action}_scope", Scope.NONE) if row else Scope.NONE
                    label = f"{role} / {type_label} / {_('閲覧') if action == 'read' else _('編集')}"
                    self.fields[name] = forms.ChoiceField(
                        label=label,
                        choices=Scope.choices,
                        initial=initial,
                        widget=forms.Select(
                            attrs={"class": "form-select form-select-sm", "aria-label": label}
                        ),
                    )
                    names[action] = name
                cells.append({"object_type": object_type, "read": names["read"], "edit": names["edit"]})
            self.rows.append({"role": role, "cells": cells})

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        if field in self.fields:
            widget = self.fields[field].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def bound_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "role": row["role"],
                "cells": [{"read": self[c["read"]], "edit": self[c["edit"]]} for c in row["cells"]],
            }
            for row in self.rows
        ]

    def changed_cells(self) -> list[tuple[Role, str, str, str, str]]:
        """(role, object type, read, edit, name of the edit field) for every changed pair."""
        changed = []
        for row in self.rows:
            for cell in row["cells"]:
                if cell["read"] in self.changed_data or cell["edit"] in self.changed_data:
                    changed.append(
                        (
                            row["role"],
                            cell["object_type"],
                            self.cleaned_data[cell["read"]],
                            self.cleaned_data[cell["edit"]],
                            cell["edit"],
                        )
                    )
        return changed


# Users


class UserCreateForm(BootstrapMixin, forms.Form):
    username = forms.CharField(label=_("ユーザー名"), max_length=150)
    last_name = forms.CharField(label=_("姓"), max_length=150, required=False)
    first_name = forms.CharField(label=_("名"), max_length=150, required=False)
    email = forms.EmailField(label=_("メールアドレス"), required=False)
    role = forms.ModelChoiceField(label=_("ロール"), queryset=Role.objects.none(), empty_label=None)
    team_name = forms.CharField(
        label=_("チーム"),
        max_length=100,
        required=False,
        help_text=_("既存のチーム名を選ぶか、新しい名前を入力すると作成されます。"),
        widget=forms.TextInput(attrs={"list": "team-names"}),
    )
    language = forms.ChoiceField(label=_("表示言語"), choices=settings.LANGUAGES, initial="ja")
    password1 = forms.CharField(label=_("初期パスワード"), strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("初期パスワード（確認）"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args: Any, roles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = roles  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("確認用のパスワードが一致しません。"))
        elif p1:
            probe = User(
                username=cleaned.get("username", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
                email=cleaned.get("email", ""),
            )
            try:
                password_validation.validate_password(p1, probe)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class UserEditForm(BootstrapMixin, forms.Form):
    last_name = forms.CharField(label=_("姓"), max_length=150, required=False)
    first_name = forms.CharField(label=_("名"), max_length=150, required=False)
    email = forms.EmailField(label=_("メールアドレス"), required=False)
    team = forms.ModelChoiceField(label=_("チーム"), queryset=Team.objects.none(), required=False)
    role = forms.ModelChoiceField(label=_("ロール"), queryset=Role.objects.none(), empty_label=None)
    language = forms.ChoiceField(label=_("表示言語"), choices=settings.LANGUAGES)
    is_active = forms.BooleanField(
        label=_("有効"), required=False, help_text=_("無効にするとログインできません。")
    )

    def __init__(self, *args: Any, roles: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = roles  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class NotificationReadForm(forms.Form):
    id = forms.IntegerField(required=False, min_value=1)
