from django.db import migrations


def unlogged(apps, schema_editor):
    # Staged hashes are scratch data: an unlogged table skips the WAL, which
    # roughly halves the cost of COPY. A crash of PostgreSQL empties it; the
    # merge notices the missing rows and runs the chunks again.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE leaks_stagedhash SET UNLOGGED")


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE leaks_stagedhash SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("leaks", "0003_import_chunks")]
    operations = [migrations.RunPython(unlogged, logged)]
