from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_account_migration')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='suspended_by_origin',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
