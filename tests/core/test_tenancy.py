"""`get_for_company`: the company's object by id, anything else NotFound (core/tenancy.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stockledger.catalog.models import Product
from stockledger.core.errors import NotFound
from stockledger.core.tenancy import get_for_company

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_companys_object_comes_from_one_query_as_the_orm_reads_it(company, product_factory):
    mug = product_factory("MUG")
    with CaptureQueriesContext(connection) as queries:
        found = get_for_company(Product, company, mug.id)
        found_by_text = get_for_company(Product, company, str(mug.id))
    assert len(queries) == 2
    assert _fields(found) == _fields(Product.objects.get(pk=mug.id)) == _fields(found_by_text)
    assert found.created_at.tzinfo is not None and not found._state.adding


@pytest.mark.parametrize("pk", ["abc", "", None, "1.5", 2**63, -(2**63) - 1, "9" * 30])
def test_an_id_that_cannot_be_a_row_is_not_found(company, product_factory, pk):
    product_factory("MUG")
    with pytest.raises(NotFound, match="product .* not found"):
        get_for_company(Product, company, pk)


def test_another_companys_id_is_not_found(company, company_factory, product_factory):
    other_company, _, _ = company_factory("Other Co")
    theirs = product_factory("THEIRS", company=other_company)
    with pytest.raises(NotFound):
        get_for_company(Product, company, theirs.id)
    assert get_for_company(Product, other_company, theirs.id).sku == "THEIRS"
    with pytest.raises(NotFound, match="item 404 not found"):
        get_for_company(Product, company, 404, label="item")
