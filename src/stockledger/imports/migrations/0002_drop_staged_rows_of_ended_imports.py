"""Delete the staged rows of imports that already ended: nothing reads them again (imports
that end now delete their own: services.drop_staged). Their bad rows stay."""

from django.db import migrations

ENDED = ("complete", "failed", "invalid")


def drop(apps, schema_editor):
    ImportRow = apps.get_model("imports", "ImportRow")
    ImportRow.objects.filter(job__status__in=ENDED).delete()


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_spreadsheet_imports")]

    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]
