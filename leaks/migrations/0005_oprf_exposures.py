"""Exposures keyed by the OPRF (RFC 9497) instead of an HMAC, in a leaner table.

Old rows cannot be converted without the numbers: they move, as they are, to
leaks_legacyexposure, which keeps answering server-side checks until their
dumps are imported again. Finish running imports before migrating: staged
rows of the old form are dropped.
"""

import django.db.models.deletion

import leaks.models
from django.db import migrations, models


def rename_old_primary_key(apps, schema_editor):
    # PostgreSQL keeps an index's name when its table is renamed; the new
    # table's primary key wants the old name.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER INDEX IF EXISTS leaks_exposure_pkey RENAME TO leaks_legacyexposure_pkey"
        )


def restore_old_primary_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER INDEX IF EXISTS leaks_legacyexposure_pkey RENAME TO leaks_exposure_pkey"
        )


class Migration(migrations.Migration):
    dependencies = [("leaks", "0004_unlogged_staging")]

    operations = [
        migrations.RemoveField(model_name="exposure", name="first_job"),
        migrations.RenameModel(old_name="Exposure", new_name="LegacyExposure"),
        migrations.AlterField(
            model_name="legacyexposure",
            name="breach",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="leaks.breach",
            ),
        ),
        migrations.RunPython(rename_old_primary_key, restore_old_primary_key),
        migrations.CreateModel(
            name="Exposure",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "phone_key",
                        "key_version",
                        "breach",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("phone_key", models.BigIntegerField()),
                ("key_version", models.PositiveSmallIntegerField()),
                (
                    "breach",
                    leaks.models.CompactForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="exposures",
                        to="leaks.breach",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="NewExposure",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "job",
                        "phone_key",
                        "key_version",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("phone_key", models.BigIntegerField()),
                ("key_version", models.PositiveSmallIntegerField()),
                (
                    "job",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="leaks.importjob",
                    ),
                ),
            ],
        ),
        migrations.RemoveField(model_name="stagedhash", name="phone_hash"),
        migrations.AddField(
            model_name="stagedhash",
            name="phone_key",
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
    ]
