"""Sessions whose rows name their user (core/sessions.py). The browsers signed in before this
migration stay signed in: their unexpired sessions move from Django's table to the new one
(and back if the migration is reversed), so a session lives in one table only. Stop the
servers of the previous version before migrating: one of them could still sign a browser out
in the old table."""

import django.db.models.deletion
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations, models
from django.utils import timezone

BATCH = 1000


def _user_id(data: dict) -> int | None:
    try:
        return int(data["_auth_user_id"])  # django.contrib.auth.SESSION_KEY
    except (KeyError, TypeError, ValueError):
        return None


def _move(source, target, db, user_id) -> None:
    live = source.objects.using(db).filter(expire_date__gt=timezone.now())
    batch = []
    for session in live.iterator(chunk_size=BATCH):
        fields = {
            "session_key": session.session_key,
            "session_data": session.session_data,
            "expire_date": session.expire_date,
        }
        batch.append(target(**fields, **user_id(session)))
        if len(batch) == BATCH:
            target.objects.using(db).bulk_create(batch)
            batch = []
    target.objects.using(db).bulk_create(batch)
    source.objects.using(db).all().delete()


def move_sessions(apps, schema_editor):
    decoder = SessionStore()  # (its class name is part of the data's signing salt)
    _move(
        apps.get_model("sessions", "Session"),
        apps.get_model("core", "Session"),
        schema_editor.connection.alias,
        lambda session: {"user_id": _user_id(decoder.decode(session.session_data))},
    )


def move_sessions_back(apps, schema_editor):
    _move(
        apps.get_model("core", "Session"),
        apps.get_model("sessions", "Session"),
        schema_editor.connection.alias,
        lambda session: {},
    )


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
        migrations.RunPython(move_sessions, move_sessions_back),
    ]
