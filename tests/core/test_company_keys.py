"""Every unique key of a company's table leads with company_id (docs/scale.md, "Distribution
by company"): Citus needs the distribution column in every unique key, and a key without
it would also let a look-up cross tenants. The exceptions are listed with their reason."""

from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from stockledger.core.models import CompanyScoped

# (model label, key columns): unique across companies on purpose, or a one-to-one with a
# company-owned parent (unique (channel_id); distributed, it would become (company, channel)).
EXCEPTIONS = {
    ("channels.ShopifySettings", ("channel",)),
    ("channels.ChannelSyncState", ("channel",)),
    ("channels.VendureSettings", ("channel",)),
}


def _unique_keys(model) -> list[tuple[str, ...]]:
    keys = []
    for field in model._meta.local_fields:
        if field.unique and not field.primary_key:
            keys.append((field.name,))
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
            keys.append(tuple(constraint.fields))
    keys += [tuple(fields) for fields in model._meta.unique_together]
    return keys


def test_every_unique_key_of_a_company_table_leads_with_the_company():
    checked, found = 0, []
    for model in apps.get_models():
        if not issubclass(model, CompanyScoped):
            continue
        for key in _unique_keys(model):
            checked += 1
            if key[0] != "company" and (model._meta.label, key) not in EXCEPTIONS:
                found.append(f"{model._meta.label}: unique {key}")
    assert checked >= 15
    assert found == []


@isolate_apps("stockledger.core")
def test_the_check_sees_a_key_without_the_company():
    class Probe(CompanyScoped):
        code = models.CharField(max_length=10)

        class Meta:
            app_label = "core"
            constraints = [models.UniqueConstraint(fields=["code"], name="probe_code_once")]

    assert _unique_keys(Probe) == [("code",)]
