"""Demo data of the sales module: our company profile, products, competitors, leads, deals across the
board, quotes, contracts and this fiscal year's targets — all written through the services, so the
demo has the audit trail, timeline rows and numbers a real team would have.

Called by ``daifuku.demo.load`` after the customers and the reps' work exist; deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from daifuku.core.models import TaxRounding, User
from daifuku.core.services import ProfileInput, profile_update
from daifuku.customers.models import Company, Contact

PROFILE = ProfileInput(
    name="大福商事株式会社",
    registration_number="T7123456789012",
    postal_code="1000005",
    address="東京都千代田区丸の内1-1-1 大福ビル8F",
    phone="03-1234-5678",
    fiscal_month=3,
    tax_rounding=TaxRounding.FLOOR,
)
# code, name, unit, price, cost, tax category, billing type, is_service, category
PRODUCTS = [
    ("DF-ERP-01", "基本ライセンス", "式", 1_200_000, 480_000, "standard", "lump_sum", False, "ソフト"),
    ("DF-ERP-02", "追加ユーザー", "人", 60_000, 12_000, "standard", "lump_sum", False, "ソフト"),
    ("DF-SUP-01", "年間保守サポート", "年", 240_000, 60_000, "standard", "lump_sum", True, "サービス"),
    ("DF-CLD-01", "クラウド利用料", "月", 50_000, 15_000, "standard", "monthly", True, "サービス"),
    ("DF-SET-01", "導入支援・初期設定", "人日", 120_000, 50_000, "standard", "lump_sum", True, "サービス"),
    ("DF-PC-01", "業務用ノートPC", "台", 158_000, 121_000, "standard", "lump_sum", False, "ハードウェア"),
    ("DF-MFP-01", "複合機リース", "月", 18_000, 9_000, "standard", "monthly", False, "ハードウェア"),
    ("DF-FD-01", "会議用お弁当（軽減税率）", "個", 1_080, 650, "reduced", "lump_sum", False, "食品"),
    ("DF-FD-02", "ペットボトル飲料（軽減税率）", "本", 150, 70, "reduced", "lump_sum", False, "食品"),
    ("DF-STP-01", "収入印紙代（不課税）", "式", 4_000, 4_000, "non_taxable", "lump_sum", False, "その他"),
]  # fmt: skip
COMPETITORS = [
    ("ミライ販売クラウド", "価格が安い。操作画面が新しい。", "帳票の日本対応が弱い。サポートがメールのみ。"),
    ("老舗システム開発", "地元で導入実績が多い。", "保守費が高い。クラウド非対応。"),
    ("グローバルCRM", "海外拠点まで一括管理できる。", "日本語化が不十分。インボイス対応が遅い。"),
]
DEAL_SUBJECTS = [
    "販売管理システム更改",
    "保守契約更新",
    "クラウド移行",
    "業務用PC入替",
    "複合機入替",
    "新拠点立ち上げ",
]
LEADS = [
    # source, company, family, given, prefecture, need
    ("web_form", "株式会社みなと物流", "青木", "大地", "東京都", "配送管理と請求をまとめたい。見積希望。"),
    ("phone", "有限会社さくら製菓", "宮本", "花", "大阪府", "Excelの受注表をやめたい。"),
    ("event", "(株)北斗テクノ", "工藤", "誠", "愛知県", "展示会で名刺交換。在庫連携に関心。"),
    ("referral", "山田商事株式会社", "山田", "一郎", "東京都", "既存取引先からの紹介。拠点追加の相談。"),
    ("business_card", "株式会社ひかり設計", "今井", "亮", "東京都", "名刺から登録。来月打ち合わせ。"),
    ("email", "ナゴヤ精機株式会社", "横山", "智子", "愛知県", "インボイス対応の見積書を出したい。"),
    (
        "campaign",
        "株式会社こだま食品",
        "小島",
        "由美",
        "大阪府",
        "メルマガ経由。軽減税率の請求に困っている。",
    ),
    ("web_form", "", "谷口", "蓮", "", "個人事業主です。料金を知りたい。"),
]


def build(
    *, rng: random.Random, users: dict[str, User], companies: list[Company], contacts: list[Contact]
) -> None:
    from daifuku.catalog import services as catalog_services
    from daifuku.sales.services import competitors as competitor_services
    from daifuku.sales.services import contracts as contract_services
    from daifuku.sales.services import deals as deal_services
    from daifuku.sales.services import forecast as forecast_services
    from daifuku.sales.services import leads as lead_services
    from daifuku.sales.services import quotes as quote_services

    admin = users["admin"]
    today = timezone.localdate()
    profile_update(data=PROFILE, by=admin)

    categories: dict[str, Any] = {}
    products = []
    for code, name, unit, price, cost, tax, billing, service, category in PRODUCTS:
        if category not in categories:
            categories[category] = catalog_services.category_create(by=admin, data={"name": category})
        products.append(
            catalog_services.product_create(
                by=admin,
                data={
                    "code": code, "name": name, "unit": unit, "unit_price": price, "cost": cost,
                    "tax_category": tax, "billing_type": billing, "is_service": service,
                    "category": categories[category].pk,
                },
            )
        )  # fmt: skip
    rivals = [
        competitor_services.competitor_create(
            by=admin, data={"name": name, "strengths": strong, "weaknesses": weak}
        )
        for name, strong, weak in COMPETITORS
    ]

    contacts_by_company: dict[int, list[Contact]] = {}
    for contact in contacts:
        if contact.company_id is not None:
            contacts_by_company.setdefault(contact.company_id, []).append(contact)

    pipeline = deal_services.default_pipeline()
    stages = list(pipeline.stages.order_by("sort_order"))
    open_stages = [s for s in stages if not s.is_won and not s.is_lost]
    won_deals = []
    for prefix in ("tokyo", "osaka", "nagoya"):
        for rep in (users[f"{prefix}_rep1"], users[f"{prefix}_rep2"]):
            accounts = [c for c in companies if c.owner_id == rep.pk]
            for _n in range(9 if accounts else 0):
                company = rng.choice(accounts)
                picked = rng.sample(products[:7], k=rng.choice([1, 2, 3]))
                lines = [
                    {
                        "product": p.pk, "description": p.name, "quantity": rng.choice([1, 1, 2, 5, 10]),
                        "unit": p.unit, "unit_price": p.unit_price, "unit_cost": p.cost,
                        "tax_category": p.tax_category,
                    }
                    for p in picked
                ]  # fmt: skip
                close = today + dt.timedelta(days=rng.randint(-20, 120))
                deal = deal_services.deal_create(
                    by=rep,
                    data={
                        "name": f"{company.display_name} {rng.choice(DEAL_SUBJECTS)}",
                        "company": company.pk,
                        "contacts": [c.pk for c in contacts_by_company.get(company.pk, [])[:1]],
                        "stage": rng.choice(open_stages).pk,
                        "expected_close_date": close,
                        "next_action": rng.choice(
                            ["提案書を送付", "デモ日程の調整", "見積の再提示", "決裁者へ説明"]
                        ),
                        "next_action_date": today + dt.timedelta(days=rng.randint(-5, 14)),
                        "lines": lines,
                    },
                )
                if rng.random() < 0.35:
                    competitor_services.deal_competitor_set(
                        deal=deal,
                        competitor=rng.choice(rivals),
                        by=rep,
                        data={
                            "offer_price": int(deal.amount * Decimal("0.85")),
                            "notes": "値引きを提示されている。",
                        },
                    )
                roll = rng.random()
                if roll < 0.25:
                    deal = deal_services.deal_mark_won(deal=deal, by=rep)
                    won_deals.append(deal)
                elif roll < 0.35:
                    deal = deal_services.deal_mark_lost(
                        deal=deal,
                        by=rep,
                        reason=rng.choice(["price", "competitor", "timing"]),
                        note="次回に期待。",
                    )
                elif roll < 0.6:
                    quote = quote_services.quote_create_from_deal(deal=deal, by=rep)
                    if rng.random() < 0.7:
                        quote_services.quote_issue(quote=quote, by=rep)
        # One deal in dollars per team, for the currency conversion in the board and forecast.
        manager = users[f"{prefix}_manager"]
        accounts = [c for c in companies if c.owner_id == manager.pk] or [
            c for c in companies if c.team_id == manager.team_id
        ]
        if not accounts:
            continue
        deal_services.deal_create(
            by=manager,
            data={
                "name": f"{accounts[0].display_name} 海外拠点向けライセンス",
                "company": accounts[0].pk,
                "currency": "USD",
                "amount": 12_000,
                "stage": open_stages[2].pk,
                "expected_close_date": today + dt.timedelta(days=45),
            },
        )
    from daifuku.catalog.services import exchange_rate_set

    for months_back in range(0, 13):
        day = (today.replace(day=1) - dt.timedelta(days=months_back * 30)).replace(day=1)
        exchange_rate_set(by=admin, data={"currency": "USD", "date": day, "rate": 145 + months_back % 5 * 2})

    for n, deal in enumerate(won_deals[:8]):
        starts = today - dt.timedelta(days=330 - n * 20)
        contract_services.contract_create_from_deal(
            deal=deal,
            by=deal.owner,
            data={
                "signed_on": starts - dt.timedelta(days=7),
                "starts_on": starts,
                "ends_on": starts + dt.timedelta(days=364),
                "renewal_type": "auto" if n % 2 else "manual",
                "notice_days": 30,
            },
        )

    # Leads from Tokyo go round the Tokyo reps; Osaka and Aichi to their managers; the rest wait unassigned.
    tokyo = users["tokyo_rep1"].team
    rules = [
        {
            "name": "東京都は東京営業部で順番に",
            "prefecture": "東京都",
            "method": "round_robin",
            "team": tokyo.pk,
        },
        {
            "name": "大阪府は大阪営業部長",
            "prefecture": "大阪府",
            "method": "fixed",
            "assignee": users["osaka_manager"].pk,
        },
        {
            "name": "愛知県は名古屋営業部長",
            "prefecture": "愛知県",
            "method": "fixed",
            "assignee": users["nagoya_manager"].pk,
        },
    ]
    for order, rule in enumerate(rules, start=1):
        lead_services.assignment_rule_save(by=admin, data={**rule, "sort_order": order, "is_active": True})
    for n, (source, company_name, family, given, prefecture, need) in enumerate(LEADS):
        lead_services.lead_create(
            by=users["marketing"],
            data={
                "source": source, "company_name": company_name, "family_name": family, "given_name": given,
                "prefecture": prefecture, "need": need, "email": f"lead{n + 1}@example.co.jp",
            },
        )  # fmt: skip

    fiscal_start = dt.date(today.year if today.month >= 4 else today.year - 1, 4, 1)
    cells = []
    for prefix in ("tokyo", "osaka", "nagoya"):
        for rep in (users[f"{prefix}_rep1"], users[f"{prefix}_rep2"]):
            for m in range(12):
                month = dt.date(
                    fiscal_start.year + (fiscal_start.month + m - 1) // 12,
                    (fiscal_start.month + m - 1) % 12 + 1,
                    1,
                )
                cells.append(
                    {"user": rep.pk, "month": month, "amount": rng.choice([2_000_000, 3_000_000, 4_000_000])}
                )
    forecast_services.sales_targets_save(by=admin, cells=cells)
    forecast_services.pipeline_snapshot_take(day=today)
