"""The activities import target (活動履歴の取込): registered from ``ActivitiesConfig.ready()``.

Each row is one call, mail, visit, meeting … of a company: 日時, 種類 (電話・メール・訪問・打ち合わせ・
メモ・クレーム・要望 … or the kind's label), 会社名 and/or 法人番号 (matched among the companies the importer
can see by 法人番号, then by the normalized name key; an unknown company is a row error, never created),
担当者（先方） (a contact of that company, by name), 件名, 内容, 結果 and 記録者 (a user's ユーザー名 or 姓名;
the importer by default, who must be allowed to assign that user).

Rows are written in bulk like companies and contacts (``ModelTarget``): values go through
``activity_clean``; each activity gets its audit entry, its 記録者 as participant and its contact. The
importer emits one ``activity.imported`` event per batch, on which the timeline writes the activities'
rows in one insert (``activities/subscribers.py``). Dedup: same company, same 日時 and same 件名.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daifuku.activities import services
from daifuku.activities.models import Activity, ActivityKind
from daifuku.activities.selectors import activity_queryset
from daifuku.core import jp, visibility
from daifuku.core.models import User
from daifuku.imports import fastinsert
from daifuku.imports.targets import (
    COMPANY_REFERENCE_ALIASES,
    BatchOutcome,
    FieldSpec,
    ModelTarget,
    RowInput,
    RowResult,
    match_companies,
    match_users,
    register,
)

# Words Excel sheets and other CRMs use for the kinds (folded with ``jp.fold`` before lookup).
KIND_WORDS: dict[str, str] = {
    ActivityKind.CALL_OUT: "電話 架電 発信 電話発信 tel call phone 電話(発信) outboundcall",
    ActivityKind.CALL_IN: "受電 着信 電話受信 電話(受信) inboundcall",
    ActivityKind.EMAIL: "メール eメール e-mail email mail",
    ActivityKind.VISIT: "訪問 来訪 往訪 visit",
    ActivityKind.MEETING: "打ち合わせ 打合せ 打合わせ 会議 面談 商談 ミーティング meeting",
    ActivityKind.WEB_MEETING: "web会議 オンライン会議 オンライン商談 zoom teams webmeeting onlinemeeting",
    ActivityKind.LETTER: "dm 郵送 dm・郵送 手紙 letter",
    ActivityKind.NOTE: "メモ 備考 note memo",
    ActivityKind.COMPLAINT: "クレーム トラブル 苦情 クレーム・トラブル complaint",
    ActivityKind.REQUEST: "要望 リクエスト request",
    ActivityKind.INQUIRY: "問い合わせ 問合せ お問い合わせ inquiry",
}
_DATE_ONLY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def _kind_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for value, label in ActivityKind.choices:
        lookup[jp.fold(str(value))] = str(value)
        lookup[jp.fold(str(label))] = str(value)
    for value, words in KIND_WORDS.items():
        for word in words.split():
            lookup.setdefault(jp.fold(word), str(value))
    return lookup


def _datetime_text(text: str) -> str:
    """2026/04/01 10:30 → 2026-04-01 10:30; a date alone is that day at 0:00."""
    value = jp.nfkc(text).strip().replace("/", "-")
    return f"{value} 00:00" if _DATE_ONLY.match(value) else value


def _activity_fields() -> tuple[FieldSpec, ...]:
    g = gettext_lazy
    return (
        FieldSpec(
            "occurred_at",
            g("日時"),
            ("活動日時", "実施日時", "日付", "活動日", "実施日", "date", "datetime"),
            required=True,
        ),
        FieldSpec(
            "kind",
            g("種類"),
            ("活動種別", "種別", "区分", "活動区分", "type", "kind", "activitytype"),
            tuple((str(v), label) for v, label in ActivityKind.choices),
            required=True,
        ),
        FieldSpec(
            "company_name",
            g("会社名"),
            COMPANY_REFERENCE_ALIASES,
            required=True,
        ),
        FieldSpec("company_corporate_number", g("法人番号"), ("会社の法人番号", "corporatenumber")),
        FieldSpec(
            "contact_name",
            g("担当者（先方）"),
            ("先方担当者", "先方", "相手", "お客様担当者", "取引先責任者", "contact", "contactname"),
        ),
        FieldSpec("subject", g("件名"), ("タイトル", "用件", "subject", "title")),
        FieldSpec("body", g("内容"), ("詳細", "本文", "活動内容", "メモ", "description", "body", "comments")),
        FieldSpec("outcome", g("結果"), ("結果・先方の反応", "先方の反応", "成果", "outcome", "result")),
        FieldSpec(
            "owner_name",
            g("記録者"),
            ("自社担当", "自社担当者", "営業担当", "担当営業", "owner", "ownername"),
        ),
        FieldSpec("duration_minutes", g("所要時間（分）"), ("所要時間", "時間(分)", "duration")),
    )


class ActivityTarget(ModelTarget):
    key = "activities"
    label = gettext_lazy("活動")
    object_type = services.ACTIVITY
    virtual_fields = frozenset({"company_name", "company_corporate_number", "contact_name", "owner_name"})
    key_fields = ()  # activities have no derived name keys

    def __init__(self) -> None:
        super().__init__()
        self.model = Activity
        self.fields = _activity_fields()
        self.kinds = _kind_lookup()
        self._by: User | None = None

    def process(self, rows: list[RowInput], *, by: User, dedup: str, write: bool) -> BatchOutcome:
        self._by = by  # ``activity_clean`` needs the acting user
        return super().process(rows, by=by, dedup=dedup, write=write)

    def clean(self, data: dict[str, Any]) -> dict[str, Any]:
        assert self._by is not None
        data = dict(data)
        virtual = {name: str(data.pop(name, "") or "").strip() for name in self.virtual_fields}
        errors: dict[str, str] = {}
        raw_kind = str(data.get("kind", "")).strip()
        if not raw_kind:
            errors["kind"] = _("種類を入力してください。")
        else:
            kind = self.kinds.get(jp.fold(raw_kind).replace(" ", ""))
            if kind is None:
                errors["kind"] = _(
                    "種類「%(value)s」はありません（電話・メール・訪問・打ち合わせ・メモ・クレーム・要望など）。"
                ) % {"value": raw_kind}
            data["kind"] = kind or ""
        if str(data.get("occurred_at", "")).strip():
            data["occurred_at"] = _datetime_text(str(data["occurred_at"]))
        else:  # ``activity_clean`` would take "now": an import row needs its own time
            errors["occurred_at"] = _("日時を入力してください。")
            data.pop("occurred_at", None)
        if not str(data.get("subject", "")).strip():
            # Sheets often have no 件名: the first line of the content, else the kind's name.
            first_line = str(data.get("body", "")).strip().splitlines()[:1]
            label = dict(ActivityKind.choices).get(data.get("kind", ""), "")
            data["subject"] = (first_line[0][:50] if first_line else str(label)) or _("活動")
        try:
            cleaned = services.activity_clean(by=self._by, data=data)
        except ValidationError as exc:
            errors = {**exc.message_dict, **errors}  # type: ignore[dict-item]
            raise ValidationError(errors) from None
        if errors:
            raise ValidationError(errors)
        cleaned["_virtual"] = virtual
        return cleaned

    def set_keys(self, obj: Any) -> None:
        """Activities have no derived keys."""

    def dedup_keys(self, obj: Any) -> list[tuple[str, Any]]:
        if obj.company_id is None or obj.occurred_at is None:
            return []
        return [("company_time_subject", (obj.company_id, obj.occurred_at, obj.subject))]

    def visible_queryset(self, by: User) -> models.QuerySet[Any]:
        return activity_queryset(user=by)

    def find_existing(
        self, base: models.QuerySet[Any], lookup: str, values: set[Any]
    ) -> Iterable[tuple[Any, Any]]:
        rows = base.filter(
            company_id__in={v[0] for v in values}, occurred_at__in={v[1] for v in values}
        ).order_by("pk")
        for company_id, occurred_at, subject, pk in rows.values_list(
            "company_id", "occurred_at", "subject", "pk"
        ).iterator(chunk_size=5000):
            value = (company_id, occurred_at, subject)
            if value in values:
                yield value, pk

    def resolve_virtual(self, rows: list[tuple[RowResult, dict[str, Any]]], *, by: User, write: bool) -> None:
        """会社名/法人番号 → company, 担当者（先方） → a contact of it, 記録者 → a user the importer may
        assign."""
        from daifuku.customers.selectors import contact_queryset

        labels = {spec.name: str(spec.label) for spec in self.fields}
        virtuals = [(result, data, data.pop("_virtual")) for result, data in rows]
        companies = match_companies(
            by,
            ((v["company_name"], jp.clean_digits(v["company_corporate_number"])) for _r, _d, v in virtuals),
        )
        users = match_users(v["owner_name"] for _r, _d, v in virtuals)
        contacts: dict[tuple[int, str], int] = {}
        company_ids = {c.pk for c in companies.values()}
        if company_ids and any(v["contact_name"] for _r, _d, v in virtuals):
            found = (
                contact_queryset(user=by)
                .filter(company_id__in=company_ids)
                .order_by("pk")
                .values_list("company_id", "name_key", "pk")
            )
            for company_id, name_key, pk in found:
                contacts.setdefault((company_id, name_key), pk)
        assignable: dict[int, str] = {}
        for result, data, v in virtuals:
            name, number = v["company_name"], jp.clean_digits(v["company_corporate_number"])
            company = companies.get((name, number))
            if company is None:
                result.errors[labels["company_name"]] = (
                    _("会社「%(name)s」が見つかりません（活動の取込では会社を登録しません）。")
                    % {"name": name or number}
                    if name or number
                    else _("会社名を入力してください。")
                )
                continue
            data["company"] = company
            if v["contact_name"]:
                contact_id = contacts.get((company.pk, jp.person_name_key(v["contact_name"])))
                if contact_id is None:
                    result.errors[labels["contact_name"]] = _(
                        "「%(company)s」の担当者「%(name)s」が見つかりません。"
                    ) % {"company": company.display_name, "name": v["contact_name"]}
                    continue
                data["_contact"] = contact_id
            if v["owner_name"]:
                owner = users.get(v["owner_name"])
                if owner is None:
                    result.errors[labels["owner_name"]] = _("ユーザー「%(name)s」が見つかりません。") % {
                        "name": v["owner_name"]
                    }
                    continue
                if owner.pk not in assignable:
                    try:
                        visibility.check_can_assign(by, self.object_type, owner.pk, owner.team_id)
                        assignable[owner.pk] = ""
                    except PermissionDenied:
                        assignable[owner.pk] = _("この記録者の活動は登録できません。")
                if assignable[owner.pk]:
                    result.errors[labels["owner_name"]] = assignable[owner.pk]
                    continue
                data["owner"] = owner
                data["team"] = owner.team

    def _apply_update(
        self, obj: Any, data: dict[str, Any], *, overwrite: bool, old: dict[str, Any] | None
    ) -> list[str]:
        # The contact of a matched activity is kept (contacts are a many-to-many of the activity).
        return super()._apply_update(
            obj, {k: v for k, v in data.items() if k != "_contact"}, overwrite=overwrite, old=old
        )

    def after_create(self, objs: list[Any]) -> None:
        """As ``activity_log``: the 記録者 is the one participant; the row's contact is the activity's."""
        fastinsert.insert_values(
            Activity.participants.through, [{"activity": a.pk, "user": a.owner_id} for a in objs]
        )
        fastinsert.insert_values(
            Activity.contacts.through,
            [{"activity": a.pk, "contact": a._contact} for a in objs if getattr(a, "_contact", None)],
        )


register(ActivityTarget)
