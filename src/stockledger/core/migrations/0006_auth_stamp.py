"""The auth stamp: one row, and triggers that change its version when a token, user or company
changes (core/auth_triggers.py says which and why)."""

from django.db import migrations, models

from stockledger.core.auth_triggers import PG_BACKWARD, PG_FORWARD, SQLITE_BACKWARD, SQLITE_FORWARD


def create_triggers(apps, schema_editor):
    apps.get_model("core", "AuthStamp").objects.create(id=1, version=0)  # no bump gives 0
    forward = SQLITE_FORWARD if schema_editor.connection.vendor == "sqlite" else PG_FORWARD
    for statement in forward:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    backward = SQLITE_BACKWARD if schema_editor.connection.vendor == "sqlite" else PG_BACKWARD
    for statement in backward:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_worker_processes"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuthStamp",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
