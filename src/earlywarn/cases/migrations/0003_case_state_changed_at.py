# Case.state_changed_at: the created_at of each case's last state-setting event, filled for existing cases from
# their audit trail (left empty where that event does not carry the case's current state: the statistics then read
# the trail, as before).

from django.db import migrations, models


def fill_from_trail(apps, schema_editor):
    case = apps.get_model("cases", "Case")
    event = apps.get_model("cases", "CaseEvent")
    quote = schema_editor.connection.ops.quote_name
    cases, events = quote(case._meta.db_table), quote(event._meta.db_table)
    # Table names from the models, quoted by the backend; no values.
    schema_editor.execute(
        f"UPDATE {cases} SET state_changed_at = ("  # noqa: S608  # nosec B608
        f"SELECT CASE WHEN e.to_flow = {cases}.flow AND e.to_state = {cases}.state THEN e.created_at END "
        f"FROM {events} e WHERE e.case_id = {cases}.id AND e.to_state <> '' "
        f"ORDER BY e.created_at DESC, e.id DESC LIMIT 1)"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0002_case_statistics_fields_priority_provision'),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='state_changed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(fill_from_trail, migrations.RunPython.noop, elidable=True),
    ]
