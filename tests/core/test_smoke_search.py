import pytest

from daifuku.customers import selectors
from tests.factories import CompanyFactory


@pytest.mark.django_db
def test_two_character_query_finds_company(admin):
    # given
    company = CompanyFactory(name="山田商事", legal_form="kk", legal_form_position="after", owner=admin)
    # when
    found = list(selectors.company_list(user=admin, filters=selectors.CompanyFilters(q="商事")))
    # then
    assert found == [company]
