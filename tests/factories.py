"""factory_boy factories. Companies and contacts get their keys and search rows as services would."""

import factory
from django.contrib.auth.hashers import make_password

from daifuku.core import jp, search
from daifuku.core.models import Role, Team, User
from daifuku.customers.models import Company, Contact

PASSWORD = "daifuku-test-pass"
_HASHED: dict[str, str] = {}


def hashed_password() -> str:
    # Argon2 is slow on purpose; hash the shared test password once.
    if "pw" not in _HASHED:
        _HASHED["pw"] = make_password(PASSWORD)
    return _HASHED["pw"]


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"チーム{n}")


class UserFactory(factory.django.DjangoModelFactory):
    """``UserFactory(role="sales_rep")`` picks the seeded role by slug."""

    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "山本"
    first_name = factory.Sequence(lambda n: f"太郎{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.jp")
    team = factory.SubFactory(TeamFactory)
    password = factory.LazyFunction(hashed_password)

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        role = kwargs.get("role", "sales_rep")
        if isinstance(role, str):
            kwargs["role"] = Role.objects.get(slug=role)
        return kwargs


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"テスト商会{n}")
    name_kana = factory.Sequence(lambda n: f"テストショウカイ{n}")
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)
    status = "customer"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        company = model_class(*args, **kwargs)
        company.name_key = jp.company_name_key(company.name)
        company.kana_key = jp.kana_sort_key(company.name_kana, company.name)
        company.save()
        search.reindex("company", company)
        return company


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    family_name = "佐藤"
    given_name = factory.Sequence(lambda n: f"花子{n}")
    family_name_kana = "サトウ"
    given_name_kana = "ハナコ"
    company = factory.SubFactory(CompanyFactory)
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        contact = model_class(*args, **kwargs)
        contact.name_key = jp.person_name_key(contact.family_name, contact.given_name)
        contact.kana_key = jp.kana_sort_key(
            contact.family_name_kana + contact.given_name_kana, contact.family_name + contact.given_name
        )
        contact.save()
        search.reindex("contact", contact)
        return contact
