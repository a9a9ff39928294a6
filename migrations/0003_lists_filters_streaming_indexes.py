from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_periodic_runs')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='AccountConversation',
            index=Index(fields=['account_id', 'last_status_id']),
        ),
        ops.AddIndex(
            model_name='AccountConversation',
            index=Index(fields=['last_status_id']),
        ),
        ops.AddIndex(
            model_name='Filter',
            index=Index(fields=['account_id', 'id']),
        ),
        ops.AddIndex(
            model_name='FilterKeyword',
            index=Index(fields=['user_filter_id', 'id']),
        ),
        ops.AddIndex(
            model_name='HomeFeedEntry',
            index=Index(fields=['status_id', 'account_id']),
        ),
        ops.AddIndex(
            model_name='List',
            index=Index(fields=['account_id', 'id']),
        ),
        ops.AddIndex(
            model_name='ListAccount',
            index=Index(fields=['account_id', 'list_id']),
        ),
        ops.AddIndex(
            model_name='ListFeedEntry',
            index=Index(fields=['status_id', 'list_id']),
        ),
    ]
