from tortoise import migrations
from tortoise.migrations import operations as ops
from fedianon.ids import new_id
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PeriodicRun',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=new_id, unique=True, db_index=True)),
                ('kind', fields.CharField(unique=True, max_length=64)),
                ('next_run_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_enqueued_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'periodic_runs', 'app': 'models', 'pk_attr': 'id', 'table_description': 'When a periodic job kind is next due (`fedianon.jobs.schedule`).'},
            bases=['SnowflakeModel'],
        ),
    ]
