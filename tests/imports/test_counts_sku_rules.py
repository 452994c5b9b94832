"""Count imports find products by the catalog's SKU rule and refuse archived ones."""

import pytest

from stockledger.catalog.services import product_archive
from stockledger.imports.catalog_lookup import products_by_sku

pytestmark = pytest.mark.django_db


def test_a_sku_in_a_file_finds_its_product_ignoring_case_and_width(company, product_factory):
    mug = product_factory("B2", "Mug")
    found = products_by_sku(company, ["b2", "Ｂ２"])
    assert {ref.id for ref in found.values()} == {mug.id}


def test_an_archived_product_is_found_marked_archived(company, product_factory):
    mug = product_factory("MUG", "Mug")
    product_archive(company=company, product=mug)
    [ref] = products_by_sku(company, ["mug"]).values()
    assert ref.archived
