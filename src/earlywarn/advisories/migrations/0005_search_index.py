# The inverted index of the public search (search.py, docs/advisories.md "Search"): an FTS5 table kept by triggers
# on SQLite, a partial GIN index on PostgreSQL. Both cover current revisions only and are filled here from the
# existing rows. Not in the model state: neither is a Django model or field.

from django.db import migrations

from earlywarn.advisories import search


def install(apps, schema_editor):
    search.install_index(schema_editor.connection)


def remove(apps, schema_editor):
    search.remove_index(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('advisories', '0004_current_revision_indexes'),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
