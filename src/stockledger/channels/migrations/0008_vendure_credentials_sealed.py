"""Vendure credentials encrypted at rest: the plain `password` and `token` columns become
`password_sealed` / `token_sealed` (core/secret_box.py), existing values encrypted in place.

Reversing decrypts them back into plain columns (with the same secrets key)."""

from django.db import migrations, models


def seal(apps, schema_editor):
    from stockledger.core.secret_box import secret_hint, secret_seal

    VendureSettings = apps.get_model("channels", "VendureSettings")
    for row in VendureSettings.objects.all().only("id", "password", "token"):
        VendureSettings.objects.filter(pk=row.pk).update(
            password_sealed=secret_seal(row.password),
            token_sealed=secret_seal(row.token),
            token_hint=secret_hint(row.token),
        )


def unseal(apps, schema_editor):
    from stockledger.core.secret_box import secret_open

    VendureSettings = apps.get_model("channels", "VendureSettings")
    for row in VendureSettings.objects.all().only("id", "password_sealed", "token_sealed"):
        VendureSettings.objects.filter(pk=row.pk).update(
            password=secret_open(row.password_sealed), token=secret_open(row.token_sealed)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0007_unique_keys_lead_with_company"),
    ]

    operations = [
        migrations.AddField(
            model_name="venduresettings",
            name="password_sealed",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="venduresettings",
            name="token_sealed",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="venduresettings",
            name="token_hint",
            field=models.CharField(blank=True, default="", max_length=4),
        ),
        migrations.RunPython(seal, unseal, elidable=False),
        migrations.RemoveField(model_name="venduresettings", name="password"),
        migrations.RemoveField(model_name="venduresettings", name="token"),
    ]
