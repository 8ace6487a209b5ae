"""Pages of the shared kernel: sign-in, password, notifications, language, administrator settings.

Views are thin: parse a form, call a service or selector, render. A service's ValidationError is shown
on the form field it names. Settings pages answer 404 to anyone but an administrator.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from daifuku.core import selectors, services
from daifuku.core.forms import (
    AdminSetPasswordForm,
    LanguageForm,
    LoginForm,
    NotificationReadForm,
    PasswordChangeFormJa,
    ProfileForm,
    RoleScopeMatrixForm,
    UserCreateForm,
    UserEditForm,
    add_service_errors,
)
from daifuku.core.models import ObjectType

NOTIFICATIONS_PER_PAGE = 50


def administrator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in administrators only; everyone else gets 404 (the page's existence is not advertised)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_administrator:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request: HttpRequest, candidate: str | None, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


# Sign-in and password


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET with 405)."""


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "core/password_change.html"
    form_class = PasswordChangeFormJa
    success_url = reverse_lazy("web:home")

    def form_valid(self, form: PasswordChangeFormJa) -> HttpResponse:
        services.user_set_password(
            user=self.request.user, password=form.cleaned_data["new_password1"], by=self.request.user
        )
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("パスワードを変更しました。"))
        return HttpResponseRedirect(self.get_success_url())


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the display language: stored on the user (when signed in) and in the language cookie."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return redirect("web:home")
    language = form.cleaned_data["language"]
    if request.user.is_authenticated and request.user.language != language:
        services.user_update(user=request.user, by=request.user, language=language)
    response = HttpResponseRedirect(_safe_next(request, form.cleaned_data["next"], reverse("web:home")))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    translation.activate(language)
    return response


# Notifications


@require_http_methods(["GET", "POST"])
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The notification list, and (POST) which kinds the user also wants by e-mail."""
    if request.method == "POST":
        try:
            services.notification_preference_update(
                user=request.user, email_kinds=request.POST.getlist("email_kinds")
            )
        except ValidationError as exc:
            messages.error(request, " ".join(m for msgs in exc.message_dict.values() for m in msgs))
        else:
            messages.success(request, _("メール通知の設定を保存しました。"))
        return redirect("core:notifications")
    page = Paginator(selectors.notification_list(user=request.user), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    chosen = set(services.notification_email_kinds(user=request.user))
    email_kinds = [
        {"value": kind, "label": label, "checked": kind in chosen}
        for kind, label in services.NOTIFICATION_KINDS.items()
    ]
    return render(request, "core/notifications.html", {"page": page, "email_kinds": email_kinds})


@require_POST
@login_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (``id``) or all of the user's unread notifications as read."""
    form = NotificationReadForm(request.POST)
    if not form.is_valid():
        return redirect("core:notifications")
    one = form.cleaned_data["id"]
    count = services.notifications_mark_read(user=request.user, ids=[one] if one else None)
    if not one:
        messages.success(request, _("%(count)d件の通知を既読にしました。") % {"count": count})
    return redirect("core:notifications")


# Settings (administrators)


@administrator_required
@require_http_methods(["GET", "POST"])
def settings_profile(request: HttpRequest) -> HttpResponse:
    profile = services.profile_get()
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            data = services.ProfileInput(**form.cleaned_data)
            try:
                services.profile_update(data=data, by=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("自社情報を保存しました。"))
                for warning in data.warnings:
                    messages.warning(request, warning)
                return redirect("core:settings_profile")
        status = 422
    else:
        form = ProfileForm(
            initial={name: getattr(profile, name) for name in ProfileForm.base_fields},
        )
        status = 200
    return render(request, "core/settings/profile.html", {"form": form, "profile": profile}, status=status)


@administrator_required
@require_http_methods(["GET", "POST"])
def settings_roles(request: HttpRequest) -> HttpResponse:
    roles = list(selectors.role_list())
    scopes = list(selectors.role_scopes())
    if request.method == "POST":
        form = RoleScopeMatrixForm(request.POST, roles=roles, scopes=scopes)
        if form.is_valid():
            changed = form.changed_cells()
            # All or nothing: one refused pair keeps every other change of this submit unsaved too.
            with transaction.atomic():
                for role, object_type, read, edit, edit_field in changed:
                    try:
                        services.role_scope_update(
                            role=role,
                            object_type=object_type,
                            read_scope=read,
                            edit_scope=edit,
                            by=request.user,
                        )
                    except ValidationError as exc:
                        add_service_errors(form, exc, aliases={"edit_scope": edit_field, "scope": edit_field})
                if form.errors:
                    transaction.set_rollback(True)
            if not form.errors:
                messages.success(
                    request, _("権限範囲を保存しました（%(count)d件の変更）。") % {"count": len(changed)}
                )
                return redirect("core:settings_roles")
        status = 422
    else:
        form = RoleScopeMatrixForm(roles=roles, scopes=scopes)
        status = 200
    context = {"form": form, "object_types": ObjectType.choices}
    return render(request, "core/settings/roles.html", context, status=status)


@administrator_required
@require_GET
def settings_users(request: HttpRequest) -> HttpResponse:
    context = {"users": selectors.user_list(user=request.user), "now": timezone.now()}
    return render(request, "core/settings/users.html", context)


@administrator_required
@require_http_methods(["GET", "POST"])
def settings_user_create(request: HttpRequest) -> HttpResponse:
    roles = selectors.role_list()
    form = UserCreateForm(
        request.POST or None, roles=roles, initial={"role": roles.filter(slug="sales_rep").first()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                username=data["username"],
                role_slug=data["role"].slug,
                password=data["password1"],
                by=request.user,
                team_name=data["team_name"],
                last_name=data["last_name"],
                first_name=data["first_name"],
                email=data["email"],
                language=data["language"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc, aliases={"team": "team_name"})
        else:
            messages.success(request, _("ユーザー「%(name)s」を作成しました。") % {"name": user.username})
            return redirect("core:settings_users")
    context = {"form": form, "teams": selectors.team_list()}
    return render(request, "core/settings/user_create.html", context, status=422 if form.errors else 200)


@administrator_required
@require_http_methods(["GET", "POST"])
def settings_user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(selectors.user_list(user=request.user), pk=pk)
    kwargs = {"roles": selectors.role_list(), "teams": selectors.team_list()}
    if request.method == "POST":
        form = UserEditForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                services.user_update(user=target, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("ユーザー「%(name)s」を更新しました。") % {"name": target.username}
                )
                return redirect("core:settings_users")
            target.refresh_from_db()
    else:
        form = UserEditForm(
            initial={name: getattr(target, name) for name in UserEditForm.base_fields}, **kwargs
        )
    context = {"form": form, "target": target, "history": selectors.audit_for_user(target=target)[:20]}
    return render(request, "core/settings/user_edit.html", context, status=422 if form.errors else 200)


@administrator_required
@require_http_methods(["GET", "POST"])
def settings_user_password(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(selectors.user_list(user=request.user), pk=pk)
    form = AdminSetPasswordForm(target, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_set_password(user=target, password=form.cleaned_data["new_password1"], by=request.user)
        messages.success(
            request, _("ユーザー「%(name)s」のパスワードを再設定しました。") % {"name": target.username}
        )
        return redirect("core:settings_users")
    context = {"form": form, "target": target}
    return render(request, "core/settings/user_password.html", context, status=422 if form.errors else 200)
