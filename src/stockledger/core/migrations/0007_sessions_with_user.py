"""Sessions whose rows name their user (core/sessions.py), and the browsers signed in before
this migration kept signed in: their unexpired sessions are copied from Django's table."""

import django.db.models.deletion
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations, models
from django.utils import timezone


def copy_sessions(apps, schema_editor):
    from stockledger.core.sessions import session_user_id

    old = apps.get_model("sessions", "Session")
    new = apps.get_model("core", "Session")
    db = schema_editor.connection.alias
    decoder = SessionStore()  # (its class name is part of the data's signing salt)
    live = old.objects.using(db).filter(expire_date__gt=timezone.now()).iterator(chunk_size=1000)
    batch = []
    for session in live:
        user_id = session_user_id(decoder.decode(session.session_data))
        batch.append(
            new(
                session_key=session.session_key,
                session_data=session.session_data,
                expire_date=session.expire_date,
                user_id=user_id,
            )
        )
        if len(batch) == 1000:
            new.objects.using(db).bulk_create(batch)
            batch = []
    new.objects.using(db).bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_auth_stamp"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Session",
            fields=[
                (
                    "session_key",
                    models.CharField(
                        max_length=40, primary_key=True, serialize=False, verbose_name="session key"
                    ),
                ),
                ("session_data", models.TextField(verbose_name="session data")),
                ("expire_date", models.DateTimeField(db_index=True, verbose_name="expire date")),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
                "abstract": False,
            },
        ),
        migrations.RunPython(copy_sessions, migrations.RunPython.noop),
    ]
