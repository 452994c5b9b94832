"""QuickSelect writes exactly the markup of Django's Select, for any value and attributes."""

import pytest
from django import forms

from stockledger.web.forms import QuickSelect
from stockledger.web.views.exports import ExportForm, zone_choices

CHOICES = [("", "Any"), ("a&b", "A & <b>"), ("2", "Two"), ("Europe/Paris", "Europe/Paris")]


@pytest.mark.parametrize("value", [None, "", "a&b", "2", 2, "Europe/Paris", "missing"])
@pytest.mark.parametrize(
    "attrs",
    [None, {"id": "id_zone"}, {"id": "id_zone", "required": True, "aria-invalid": "true"}],
)
def test_quick_select_renders_what_djangos_select_renders(value, attrs):
    django_select = forms.Select(choices=CHOICES, attrs={"class": "wide", "disabled": False})
    quick = QuickSelect(choices=CHOICES, attrs={"class": "wide", "disabled": False})
    assert quick.render("zone", value, attrs) == django_select.render("zone", value, attrs)


@pytest.mark.django_db
def test_the_export_forms_time_zone_field_is_the_same_markup_as_before(product_factory):
    form = ExportForm(
        data={"timezone": "America/New_York", "format": "nope"}, product=product_factory("TZ-1")
    )
    assert not form.is_valid()
    bound = form["timezone"]
    plain = forms.Select(choices=zone_choices())
    html = str(bound)
    assert html == bound.as_widget(widget=plain)
    assert '<option value="America/New_York" selected>America/New_York</option>' in html
    assert html.count("<option ") == len(zone_choices())
