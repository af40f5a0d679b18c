from django.db import migrations, models
from django.db.models import F


def proven_by_sms(apps, schema_editor):
    # A text-message subscription was confirmed by a code sent to the number:
    # that was a proof. An email subscription never proved the number and gets
    # no more alerts until its holder proves it.
    Subscription = apps.get_model("alerts", "Subscription")
    Subscription.objects.filter(channel="sms", confirmed_at__isnull=False).update(
        number_proven_at=F("confirmed_at")
    )


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="number_proven_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="number proven"),
        ),
        migrations.RunPython(proven_by_sms, migrations.RunPython.noop),
    ]
