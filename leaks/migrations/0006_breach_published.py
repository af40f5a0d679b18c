from django.db import migrations, models
from django.db.models import Max


def publish_imported(apps, schema_editor) -> None:
    """Breaches that already have a finished import stay public, dated by their last import."""
    Breach = apps.get_model("leaks", "Breach")
    imported = (
        Breach.objects.filter(imports__status="done")
        .annotate(last=Max("imports__finished_at"))
        .values_list("pk", "last", "added_date")
    )
    for pk, last, added in imported:
        Breach.objects.filter(pk=pk).update(published_at=last or added)


class Migration(migrations.Migration):
    dependencies = [
        ("leaks", "0005_oprf_exposures"),
    ]

    operations = [
        migrations.AddField(
            model_name="breach",
            name="published_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="Shown to the public only once an admin publishes it after an import.",
                null=True,
                verbose_name="published",
            ),
        ),
        migrations.RunPython(publish_imported, migrations.RunPython.noop),
    ]
