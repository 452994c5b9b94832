"""The catalog services: SKU rules, editing, kit components and BOMs, archive and delete."""

import pytest

from stockledger.catalog.models import BomLine, KitComponent, Product, ProductKind
from stockledger.catalog.services import (
    clean_sku,
    product_archive,
    product_by_sku,
    product_create,
    product_delete,
    product_edit,
    product_set_bom,
    product_set_components,
    product_unarchive,
    product_update,
    products_by_skus,
    sku_key,
)
from stockledger.core.errors import Conflict, InvalidInput
from stockledger.ledger.services import stock_set

pytestmark = pytest.mark.django_db


# --- SKU rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("  B2  ", "B2"),
        ("Ｂ２", "B2"),  # full-width letters and digits
        ("ﬁsh-1", "fish-1"),  # a ligature
        ("MUG BLK", "MUG BLK"),
        ("MUG\u00a0BLK", "MUG BLK"),  # a no-break space is a space
    ],
)
def test_a_sku_is_stored_in_its_nfkc_form_trimmed(typed, stored):
    assert clean_sku(typed) == stored


@pytest.mark.parametrize(
    "typed, code",
    [
        ("B\u200b2", "U+200B"),  # zero-width space
        ("B2\u200d", "U+200D"),  # zero-width joiner
        ("\ufeffB2", "U+FEFF"),  # byte order mark
        ("B\u00ad2", "U+00AD"),  # soft hyphen
        ("B\u202e2", "U+202E"),  # right-to-left override
        ("B\x072", "U+0007"),  # a control character
        ("B\u20602", "U+2060"),  # word joiner
        ("B\ufe0f2", "U+FE0F"),  # variation selector
        ("B\u31642", "U+1160"),  # Hangul filler (NFKC turns U+3164 into U+1160)
    ],
)
def test_a_sku_with_an_invisible_character_is_refused_naming_it(typed, code):
    with pytest.raises(InvalidInput) as caught:
        clean_sku(typed, field="lines[3].sku")
    assert caught.value.field == "lines[3].sku"
    assert code in caught.value.message and "invisible" in caught.value.message


def test_look_alike_skus_share_one_key():
    assert sku_key("b2") == sku_key("B2") == sku_key("Ｂ２") == sku_key(" b2 ") == "b2"
    assert sku_key("STRASSE") == sku_key("straße")
    assert sku_key("B2") != sku_key("B-2")


@pytest.mark.parametrize("look_alike", ["b2", "B2", "Ｂ２", "ｂ２", " b2 "])
def test_a_sku_differing_only_in_case_or_width_is_refused(company, product_factory, look_alike):
    product_factory("B2")
    with pytest.raises(InvalidInput) as caught:
        product_create(company=company, sku=look_alike, name="Another")
    assert caught.value.field == "sku"
    assert "B2" in caught.value.message
    assert Product.objects.filter(company=company).count() == 1


def test_a_zero_width_look_alike_is_refused_not_created(company, product_factory):
    product_factory("B2")
    with pytest.raises(InvalidInput) as caught:
        product_create(company=company, sku="B\u200b2", name="Sneaky")
    assert caught.value.field == "sku" and "U+200B" in caught.value.message
    assert Product.objects.filter(company=company).count() == 1


def test_the_database_refuses_a_look_alike_even_past_the_service(company, product_factory):
    from django.db import IntegrityError, transaction

    product_factory("B2")
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.create(company=company, sku="b2", name="past the service")


def test_the_same_sku_in_another_company_is_fine(company, product_factory, company_factory):
    product_factory("B2")
    other, _, _ = company_factory("Other")
    assert product_create(company=other, sku="b2", name="theirs").sku == "b2"


def test_a_document_finds_a_product_by_any_look_alike_of_its_sku(company, product_factory):
    b2 = product_factory("B2")
    assert product_by_sku(company=company, sku="b2") == b2
    assert product_by_sku(company=company, sku="Ｂ２") == b2
    with pytest.raises(InvalidInput) as caught:
        product_by_sku(company=company, sku="B3", field="lines[0].sku")
    assert caught.value.field == "lines[0].sku"


def test_two_look_alikes_in_one_document_are_one_product_listed_twice(company, product_factory):
    product_factory("B2")
    with pytest.raises(InvalidInput) as caught:
        products_by_skus(company=company, skus=["B2", "b2"])
    assert caught.value.field == "lines[1].sku" and "listed twice" in caught.value.message


# --- create and edit ------------------------------------------------------------------------


def test_a_kit_or_manufactured_product_can_start_without_lines(company):
    kit = product_create(company=company, sku="KIT", name="Kit", kind="kit")
    made = product_create(company=company, sku="MADE", name="Made", kind="manufactured")
    assert (kit.kind, made.kind) == (ProductKind.KIT, ProductKind.MANUFACTURED)


def test_lines_that_do_not_fit_the_kind_are_refused(company, product_factory):
    product_factory("PART")
    with pytest.raises(InvalidInput) as caught:
        product_create(
            company=company,
            sku="X",
            name="X",
            kind="simple",
            components=[{"sku": "PART", "quantity": 1}],
        )
    assert caught.value.field == "components"
    with pytest.raises(InvalidInput) as caught:
        product_create(company=company, sku="X", name="X", kind="gadget")
    assert caught.value.field == "kind"


def test_kit_components_are_replaced_with_errors_naming_the_line(company, product_factory):
    cup, lid = product_factory("CUP"), product_factory("LID")
    kit = product_factory("SET", components=[{"sku": "CUP", "quantity": 1}])
    product_set_components(
        company=company,
        product=kit,
        components=[{"sku": "cup", "quantity": 2}, {"sku": "LID", "quantity": 1}],
    )
    assert sorted(
        KitComponent.objects.filter(kit=kit).values_list("component__sku", "quantity")
    ) == [("CUP", 2), ("LID", 1)]
    for lines, field in [
        ([{"sku": "CUP", "quantity": 1}, {"sku": "NOPE", "quantity": 1}], "components[1].sku"),
        ([{"sku": "CUP", "quantity": 0}], "components[0].quantity"),
        ([{"sku": "SET", "quantity": 1}], "components[0].sku"),
        ([{"sku": "CUP", "quantity": 1}, {"sku": "Cup", "quantity": 1}], "components[1].sku"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            product_set_components(company=company, product=kit, components=lines)
        assert caught.value.field == field
    # Every refusal changed nothing.
    assert KitComponent.objects.filter(kit=kit).count() == 2
    assert {cup.id, lid.id} == set(
        KitComponent.objects.filter(kit=kit).values_list("component", flat=True)
    )


def test_a_bom_is_replaced_on_a_manufactured_product_only(company, product_factory):
    product_factory("WOOD")
    product_factory("GLUE")
    chair = product_factory("CHAIR", bom=[{"sku": "WOOD", "quantity": 4}])
    product_set_bom(
        company=company,
        product=chair,
        bom=[{"sku": "WOOD", "quantity": 5}, {"sku": "GLUE", "quantity": 1}],
    )
    assert sorted(
        BomLine.objects.filter(product=chair).values_list("component__sku", "quantity")
    ) == [
        ("GLUE", 1),
        ("WOOD", 5),
    ]
    plain = product_factory("PLAIN")
    with pytest.raises(InvalidInput) as caught:
        product_set_bom(company=company, product=plain, bom=[{"sku": "WOOD", "quantity": 1}])
    assert caught.value.field == "bom"


def test_the_sku_changes_only_while_the_product_has_no_log_rows(
    company, warehouses, product_factory
):
    mug = product_factory("MUG")
    product_update(company=company, product=mug, sku="MUG-BLK", name="Black mug")
    mug.refresh_from_db()
    assert (mug.sku, mug.sku_key, mug.name) == ("MUG-BLK", "mug-blk", "Black mug")
    stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=3)
    with pytest.raises(InvalidInput) as caught:
        product_update(company=company, product=mug, sku="MUG-2")
    assert caught.value.field == "sku" and "log rows" in caught.value.message
    product_update(company=company, product=mug, name="Enamel mug")  # the name still may
    mug.refresh_from_db()
    assert (mug.sku, mug.name) == ("MUG-BLK", "Enamel mug")


def test_changing_the_sku_to_a_look_alike_of_another_is_refused(company, product_factory):
    product_factory("B2")
    b3 = product_factory("B3")
    with pytest.raises(InvalidInput) as caught:
        product_update(company=company, product=b3, sku="ｂ2")
    assert caught.value.field == "sku"
    # Its own look-alike is fine (a change of case).
    product_update(company=company, product=b3, sku="b3")
    assert Product.objects.get(pk=b3.pk).sku == "b3"


def test_a_product_with_log_rows_cannot_become_a_kit(company, warehouses, product_factory):
    mug = product_factory("MUG")
    stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=3)
    with pytest.raises(InvalidInput) as caught:
        product_update(company=company, product=mug, kind="kit")
    assert caught.value.field == "kind"
    product_update(company=company, product=mug, kind="manufactured")  # both hold stock
    assert Product.objects.get(pk=mug.pk).kind == ProductKind.MANUFACTURED


def test_a_component_cannot_become_a_kit(company, product_factory):
    product_factory("CUP")
    product_factory("SET", components=[{"sku": "CUP", "quantity": 1}])
    with pytest.raises(InvalidInput) as caught:
        product_update(company=company, product=Product.objects.get(sku="CUP"), kind="kit")
    assert caught.value.field == "kind"


def test_an_edit_is_all_or_nothing(company, product_factory):
    product_factory("CUP")
    kit = product_factory("SET", components=[{"sku": "CUP", "quantity": 1}])
    with pytest.raises(InvalidInput):
        product_edit(
            company=company,
            product=kit,
            name="Renamed",
            components=[{"sku": "NOPE", "quantity": 1}],
        )
    kit = Product.objects.get(pk=kit.pk)
    assert kit.name == "Product SET"
    assert KitComponent.objects.filter(kit=kit).count() == 1


# --- archive and delete ---------------------------------------------------------------------


def test_an_archived_product_is_refused_in_new_documents_but_its_log_stays(
    company, warehouses, product_factory, log_of
):
    mug = product_factory("MUG")
    stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=3)
    product_archive(company=company, product=mug)
    with pytest.raises(InvalidInput) as caught:
        product_by_sku(company=company, sku="MUG", field="lines[0].sku")
    assert caught.value.field == "lines[0].sku" and "archived" in caught.value.message
    with pytest.raises(InvalidInput):
        products_by_skus(company=company, skus=["mug"])
    # Reading and finishing what exists still finds it; the log is untouched.
    assert product_by_sku(company=company, sku="MUG", archived_ok=True) == mug
    assert len(log_of(mug)) == 1
    product_unarchive(company=company, product=mug)
    assert product_by_sku(company=company, sku="MUG") == mug


def test_an_archived_product_cannot_join_a_kit_and_its_sku_stays_taken(company, product_factory):
    cup = product_factory("CUP")
    product_archive(company=company, product=cup)
    with pytest.raises(InvalidInput) as caught:
        product_create(
            company=company, sku="SET", name="Set", components=[{"sku": "CUP", "quantity": 1}]
        )
    assert caught.value.field == "components[0].sku"
    with pytest.raises(InvalidInput) as caught:
        product_create(company=company, sku="cup", name="New cup")
    assert caught.value.field == "sku" and "unarchive" in caught.value.message


def test_a_product_without_log_rows_can_be_deleted(company, product_factory):
    spare = product_factory("SPARE")
    product_delete(company=company, product=spare)
    assert not Product.objects.filter(sku="SPARE").exists()


def test_a_product_with_log_rows_is_archived_not_deleted(
    company, warehouses, product_factory, log_of
):
    mug = product_factory("MUG")
    stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=3)
    with pytest.raises(Conflict) as caught:
        product_delete(company=company, product=mug)
    assert "archive it instead" in caught.value.message
    assert Product.objects.filter(pk=mug.pk).exists() and len(log_of(mug)) == 1


def test_a_component_in_use_cannot_be_deleted(company, product_factory):
    cup = product_factory("CUP")
    product_factory("SET", components=[{"sku": "CUP", "quantity": 1}])
    with pytest.raises(Conflict):
        product_delete(company=company, product=cup)
    assert Product.objects.filter(pk=cup.pk).exists()
