from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from fedianon.ids import new_id
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_origin_suspension')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountWarning',
            fields=[
                ('id', fields.BigIntField(primary_key=True, generated=False, default=new_id, unique=True, db_index=True)),
                ('target_account', fields.ForeignKeyField('models.Account', source_field='target_account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('action', fields.CharField(max_length=32)),
                ('text', fields.TextField(default='', unique=False)),
                ('status_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('report_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account_warnings', 'app': 'models', 'indexes': [Index(fields=['target_account_id', 'id'])], 'pk_attr': 'id', 'table_description': "A strike on a local account (Mastodon's AccountWarning): what a moderator did and told"},
            bases=['SnowflakeModel'],
        ),
        ops.AddField(
            model_name='Notification',
            name='account_warning_id',
            field=fields.BigIntField(null=True),
        ),
    ]
