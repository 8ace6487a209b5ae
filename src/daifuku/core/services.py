"""Writes of the shared kernel: users, teams, role scopes, tokens, company profile, notifications."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daifuku.core import audit, auth, events, jp, search, visibility
from daifuku.core.models import (
    ApiToken,
    AuditEntry,
    CompanyProfile,
    Notification,
    NotificationPreference,
    NumberSequence,
    Role,
    RoleScope,
    Scope,
    TaxRounding,
    Team,
    User,
)

# Login lockout


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > timezone.now()


def login_failed(*, user: User) -> None:
    """Count a failed password; lock the account when the limit is reached."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=models.F("failed_login_count") + 1)
        user.refresh_from_db(fields=["failed_login_count", "locked_until"])
        if user.failed_login_count >= settings.DAIFUKU_LOGIN_MAX_FAILURES:
            user.locked_until = timezone.now() + auth.lock_duration()
            user.failed_login_count = 0
            user.save(update_fields=["locked_until", "failed_login_count"])
            audit.record(user, by=None, action="locked", note="too many failed logins")


def login_locked_after_failure(*, username: str) -> bool:
    """Is this login name locked after a failed attempt? Unknown names are counted too.

    Real accounts are counted and locked by :func:`login_failed` (via the auth backend); for names
    without an account the same limit is kept in the cache, so the answer never reveals whether an
    account exists.
    """
    user = User.objects.filter(username=username).only("pk", "locked_until").first()
    if user is not None:
        return is_locked(user)
    key = "login-unknown:" + hashlib.sha256(username.encode()).hexdigest()
    timeout = settings.DAIFUKU_LOGIN_LOCK_MINUTES * 60
    cache.add(key, 0, timeout)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)
        failures = 1
    return bool(failures >= settings.DAIFUKU_LOGIN_MAX_FAILURES)


def login_succeeded(*, user: User) -> None:
    if user.failed_login_count or user.locked_until:
        user.failed_login_count = 0
        user.locked_until = None
        user.save(update_fields=["failed_login_count", "locked_until"])


def login_locks_clear_expired() -> int:
    """Clear lockouts whose time has passed (housekeeping; ``is_locked`` already ignores them)."""
    expired = User.objects.filter(locked_until__lte=timezone.now())
    return expired.update(locked_until=None, failed_login_count=0)


# Teams, users, roles


def _check_admin(by: User | None) -> None:
    if by is not None and not by.is_administrator:
        raise PermissionDenied(_("管理者のみが実行できます。"))


@transaction.atomic
def team_get_or_create(*, name: str, by: User | None = None) -> Team:
    name = name.strip()
    if not name:
        raise ValidationError({"team": _("チーム名を入力してください。")})
    team = Team.objects.filter(name=name).first()
    if team is not None:
        return team
    _check_admin(by)
    team = Team.objects.create(name=name)
    audit.record(team, by=by, action="create", changes={"name": [None, name]})
    return team


def role_by_slug(slug: str) -> Role:
    role = Role.objects.filter(slug=slug).first()
    if role is None:
        slugs = ", ".join(Role.objects.values_list("slug", flat=True))
        raise ValidationError(
            {"role": _("ロール「%(slug)s」はありません（%(slugs)s）。") % {"slug": slug, "slugs": slugs}}
        )
    return role


@transaction.atomic
def user_create(
    *,
    username: str,
    role_slug: str,
    password: str,
    by: User | None = None,
    team_name: str = "",
    last_name: str = "",
    first_name: str = "",
    email: str = "",
    language: str = "ja",
) -> User:
    """Create a user with a role (and team, created if missing). ``by=None`` means the CLI/system."""
    _check_admin(by)
    username = username.strip()
    if not username:
        raise ValidationError({"username": _("ユーザー名を入力してください。")})
    if User.objects.filter(username=username).exists():
        raise ValidationError(
            {"username": _("ユーザー名「%(name)s」は既に使われています。") % {"name": username}}
        )
    role = role_by_slug(role_slug)
    team = team_get_or_create(name=team_name, by=by) if team_name.strip() else None
    user = User(
        username=username,
        role=role,
        team=team,
        last_name=last_name,
        first_name=first_name,
        email=email,
        language=language,
        is_staff=False,
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(user, by=by, action="create", changes=audit.diff({}, _user_fields(user)))
    return user


def _user_fields(user: User) -> dict[str, Any]:
    return audit.snapshot(
        user, ["username", "last_name", "first_name", "email", "team", "role", "is_active", "language"]
    )


@transaction.atomic
def user_update(*, user: User, by: User, **changes: Any) -> User:
    """Change a user's profile, team, role or active flag (administrators only; anyone their own language)."""
    if not (by.pk == user.pk and set(changes) <= {"language"}):
        _check_admin(by)
    allowed = {"last_name", "first_name", "email", "team", "role", "is_active", "language"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({name: _("この項目は変更できません。") for name in unknown})
    _check_administrators_remain(user, changes)
    before = _user_fields(user)
    for name, value in changes.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save()
    visibility.forget(user)
    delta = audit.diff(before, _user_fields(user))
    if delta:
        audit.record(user, by=by, action="update", changes=delta)
    return user


def _check_administrators_remain(user: User, changes: dict[str, Any]) -> None:
    """Refuse a change that would leave no active administrator (nobody could manage users any more)."""
    role = changes.get("role", user.role)
    stays_admin = bool(changes.get("is_active", user.is_active) and role is not None and role.is_admin)
    if stays_admin or not User.objects.filter(pk=user.pk, is_active=True, role__is_admin=True).exists():
        return
    if not User.objects.filter(is_active=True, role__is_admin=True).exclude(pk=user.pk).exists():
        raise ValidationError(
            {"role": _("有効な管理者が1人もいなくなるため変更できません。先に別の管理者を設定してください。")}
        )


@transaction.atomic
def user_set_password(*, user: User, password: str, by: User) -> None:
    if by.pk != user.pk:
        _check_admin(by)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(user, by=by, action="password", changes={"password": ["***", "***"]})


@transaction.atomic
def role_scope_update(
    *, role: Role, object_type: str, read_scope: str, edit_scope: str, by: User
) -> RoleScope:
    """Change what a role may read/edit of one object type. Edit can never exceed read."""
    _check_admin(by)
    order = [Scope.NONE, Scope.OWN, Scope.TEAM, Scope.ALL]
    if read_scope not in order or edit_scope not in order:
        raise ValidationError({"scope": _("範囲の値が不正です。")})
    if order.index(Scope(edit_scope)) > order.index(Scope(read_scope)):
        raise ValidationError({"edit_scope": _("編集範囲は閲覧範囲より広くできません。")})
    row, _created = RoleScope.objects.select_for_update().get_or_create(role=role, object_type=object_type)
    old = (row.read_scope, row.edit_scope)
    row.read_scope, row.edit_scope = read_scope, edit_scope
    row.save(update_fields=["read_scope", "edit_scope"])
    changes: dict[str, list[Any]] = {}
    if old[0] != read_scope:
        changes[f"{object_type}.read_scope"] = [old[0], read_scope]
    if old[1] != edit_scope:
        changes[f"{object_type}.edit_scope"] = [old[1], edit_scope]
    if changes:
        audit.record(role, by=by, action="update", changes=changes)
    return row


def ensure_default_scopes() -> None:
    """Create missing default role scopes (never overwrites an administrator's choice)."""
    for slug, per_type in visibility.DEFAULT_SCOPES.items():
        role = Role.objects.filter(slug=slug).first()
        if role is None:
            continue
        for object_type, (read, edit) in per_type.items():
            RoleScope.objects.get_or_create(
                role=role, object_type=object_type, defaults={"read_scope": read, "edit_scope": edit}
            )


# API tokens


@transaction.atomic
def token_create(*, user: User, name: str = "", by: User | None = None) -> str:
    """Create an API token for ``user`` and return it; only its digest is stored."""
    if by is not None and by.pk != user.pk:
        _check_admin(by)
    token = auth.new_token()
    ApiToken.objects.create(user=user, name=name, prefix=token[:12], digest=auth.digest(token))
    audit.record(user, by=by, action="token_create", note=token[:12])
    return token


# Database upkeep


def database_statistics_refresh() -> str:
    """Refresh query-planner statistics; returns the statement run.

    SQLite keeps no statistics on its own: without them the benchmark saw a company's contacts take
    750 ms at a million rows (a wrong index choice). ``PRAGMA optimize`` analyzes only the tables
    whose statistics are stale. PostgreSQL's autovacuum analyzes by itself; a plain ``ANALYZE`` is
    harmless there.
    """
    from django.db import connection

    statement = "PRAGMA optimize" if connection.vendor == "sqlite" else "ANALYZE"
    with connection.cursor() as cursor:
        cursor.execute(statement)
    return statement


# Company profile


def profile_get() -> CompanyProfile:
    profile, _created = CompanyProfile.objects.get_or_create(pk=1)
    return profile


@dataclass
class ProfileInput:
    name: str = ""
    registration_number: str = ""
    postal_code: str = ""
    address: str = ""
    phone: str = ""
    fiscal_month: int = 3
    tax_rounding: str = TaxRounding.FLOOR
    warnings: list[str] = field(default_factory=list)


@transaction.atomic
def profile_update(*, data: ProfileInput, by: User) -> CompanyProfile:
    """Save our company's profile. The T-number format is enforced; a check-digit mismatch only warns."""
    _check_admin(by)
    errors: dict[str, str] = {}
    reg = ""
    if data.registration_number.strip():
        check = jp.check_registration_number(data.registration_number)
        if not check.ok:
            errors["registration_number"] = _("登録番号は「T」と13桁の数字です（例: T7123456789012）。")
        else:
            reg = check.value
            if check.warning:
                data.warnings.append(
                    _("登録番号の検査用数字が法人番号と一致しません（個人事業者の番号なら問題ありません）。")
                )
    postal = ""
    if data.postal_code.strip():
        postal = jp.clean_postal_code(data.postal_code) or ""
        if not postal:
            errors["postal_code"] = _("郵便番号は7桁の数字です。")
    phone = ""
    if data.phone.strip():
        phone = jp.parse_phone(data.phone) or ""
        if not phone:
            errors["phone"] = _("電話番号として読み取れません。")
    if not 1 <= int(data.fiscal_month) <= 12:
        errors["fiscal_month"] = _("決算月は1〜12です。")
    if data.tax_rounding not in TaxRounding.values:
        errors["tax_rounding"] = _("端数処理の値が不正です。")
    if errors:
        raise ValidationError(errors)
    profile = CompanyProfile.objects.select_for_update().get_or_create(pk=1)[0]
    before = audit.snapshot(profile)
    profile.name = data.name.strip()
    profile.registration_number = reg
    profile.postal_code = postal
    profile.address = data.address.strip()
    profile.phone = phone
    profile.fiscal_month = int(data.fiscal_month)
    profile.tax_rounding = data.tax_rounding
    profile.version += 1
    profile.save()
    delta = audit.diff(before, audit.snapshot(profile))
    if delta:
        audit.record(profile, by=by, action="update", changes=delta)
    return profile


# Notifications


# Kinds a user may also receive by e-mail (the notifications page lists them). Modules add theirs.
NOTIFICATION_KINDS: dict[str, Any] = {
    "company.owner_changed": gettext_lazy("取引先の引き継ぎ"),
    "task.reminder": gettext_lazy("タスクのリマインド"),
    "daily_report.commented": gettext_lazy("日報へのコメント"),
}


def notify(
    *,
    recipient: User,
    kind: str,
    title: str,
    params: dict[str, Any] | None = None,
    body: str = "",
    url: str = "",
) -> Notification:
    """Create an in-app notification; e-mail it too if the recipient chose that kind.

    ``title`` is a message id (mark it with ``gettext_noop``) rendered with ``params`` in the
    recipient's language, not the sender's. The mail goes through a Huey task enqueued when the
    transaction commits, so a rolled-back write sends nothing and a slow mail server never holds a
    transaction open.
    """
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        text = _(title) % {k: str(v) for k, v in params.items()} if params else _(title)
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, title=text[:300], body=body, url=url
    )
    if recipient.email and kind in notification_email_kinds(user=recipient):
        from daifuku.core.tasks import send_notification_email

        transaction.on_commit(lambda: send_notification_email(notification.pk))
    return notification


def notification_email_kinds(*, user: User) -> list[str]:
    pref = NotificationPreference.objects.filter(user=user).first()
    return list(pref.email_kinds) if pref is not None else []


@transaction.atomic
def notification_preference_update(*, user: User, email_kinds: list[str]) -> NotificationPreference:
    """Choose which notification kinds ``user`` also receives by e-mail (only known kinds)."""
    unknown = set(email_kinds) - set(NOTIFICATION_KINDS)
    if unknown:
        message = _("不明な通知の種類です: %(kinds)s") % {"kinds": ", ".join(sorted(unknown))}
        raise ValidationError({"email_kinds": message})
    pref, _created = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    pref.email_kinds = [kind for kind in NOTIFICATION_KINDS if kind in email_kinds]
    pref.save(update_fields=["email_kinds"])
    return pref


def notification_email_send(*, notification_id: int) -> bool:
    """Mail one notification to its recipient (called by the Huey task). False if nothing to send."""
    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notification is None or not notification.recipient.email:
        return False
    body = notification.body
    if notification.url:
        base = settings.DAIFUKU_BASE_URL.rstrip("/")
        body = f"{body}\n\n{base}{notification.url}".strip()
    send_mail(
        subject=f"[Daifuku] {notification.title}",
        message=body,
        from_email=None,
        recipient_list=[notification.recipient.email],
    )
    return True


def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


# Optimistic versions ("no lost work")


class VersionConflict(Exception):
    """Saving over a newer version. ``changes`` lists what others changed since the seen version."""

    def __init__(self, *, current_version: int, seen_version: int, entries: list[AuditEntry]) -> None:
        super().__init__(f"version {seen_version} is stale; current is {current_version}")
        self.current_version = current_version
        self.seen_version = seen_version
        self.entries = entries

    @property
    def changed_fields(self) -> dict[str, list[Any]]:
        """Field → [value the user saw, value now], merged over the intervening audit entries."""
        merged: dict[str, list[Any]] = {}
        for entry in sorted(self.entries, key=lambda e: e.pk):
            for name, (old, new) in entry.changes.items():
                if name in merged:
                    merged[name][1] = new
                else:
                    merged[name] = [old, new]
        return merged


def check_version(obj: Any, seen_version: int | None) -> None:
    """Refuse a write based on an old version of ``obj`` (call with the row locked)."""
    if seen_version is None or int(seen_version) == obj.version:
        return
    entries = list(audit.entries_for(obj).filter(version__gt=int(seen_version)).order_by("id"))
    raise VersionConflict(current_version=obj.version, seen_version=int(seen_version), entries=entries)


# Trash (soft delete) of VersionedModel records


def trash_record(obj: Any, *, by: User, object_type: str) -> None:
    """Move a record to the trash: version, audit, search removal, ``<object_type>.deleted`` event.

    Call inside a transaction with the row locked and the edit permission already checked.
    """
    obj.deleted_at = timezone.now()
    obj.deleted_by = by
    obj.version += 1
    obj.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    audit.record(obj, by=by, action="delete", changes={"deleted_at": [None, obj.deleted_at.isoformat()]})
    search.remove(object_type, obj.pk)
    events.emit(f"{object_type}.deleted", **{object_type: obj}, by=by)


def restore_record(obj: Any, *, by: User, object_type: str) -> None:
    """Bring a record back from the trash (administrators only): audit, search, ``.restored`` event.

    Call inside a transaction with the row locked.
    """
    if not by.is_administrator:
        raise PermissionDenied(_("ごみ箱から復元できるのは管理者のみです。"))
    old = obj.deleted_at
    obj.deleted_at = None
    obj.deleted_by = None
    obj.version += 1
    obj.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    audit.record(
        obj, by=by, action="restore", changes={"deleted_at": [old.isoformat() if old else None, None]}
    )
    if search.is_registered(object_type):
        search.reindex(object_type, obj)
    events.emit(f"{object_type}.restored", **{object_type: obj}, by=by)


# Gapless document numbers


def sequence_next(*, name: str, period: str = "") -> int:
    """Take the next number of a counter; gapless and unique under concurrent callers.

    Call inside the transaction that saves the numbered document: the counter row stays locked
    (SELECT FOR UPDATE) until that transaction ends, so a rolled-back document gives its number back.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next must run inside the transaction that saves the document")
    NumberSequence.objects.bulk_create([NumberSequence(name=name, period=period)], ignore_conflicts=True)
    row = NumberSequence.objects.select_for_update().get(name=name, period=period)
    row.last_value += 1
    row.save(update_fields=["last_value"])
    return row.last_value
