"""Drop the per-version copies of actions and questions: nothing read them but the admin, the engine
loads a version from its stored files."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("referentiels", "0001_initial"),
    ]

    operations = [
        migrations.DeleteModel(name="ActionDefinition"),
        migrations.DeleteModel(name="QuestionDefinition"),
    ]
