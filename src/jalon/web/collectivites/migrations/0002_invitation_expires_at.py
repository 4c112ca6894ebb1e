"""Invitations expire: the links made before this migration get 7 days from their creation (most are then
already expired, as they should: they never expired before)."""

from datetime import timedelta
from typing import Any

from django.db import migrations, models

INVITATION_DAYS_BEFORE = 7


def expire_existing(apps: Any, schema_editor: Any) -> None:
    Invitation = apps.get_model("collectivites", "Invitation")
    for invitation in Invitation.objects.filter(expires_at__isnull=True):
        invitation.expires_at = invitation.created_at + timedelta(days=INVITATION_DAYS_BEFORE)
        invitation.save(update_fields=["expires_at"])


class Migration(migrations.Migration):
    dependencies = [("collectivites", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="invitation", name="expires_at", field=models.DateTimeField(null=True)
        ),
        migrations.RunPython(expire_existing, migrations.RunPython.noop),
        migrations.AlterField(model_name="invitation", name="expires_at", field=models.DateTimeField()),
    ]
