from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_telephony_dialer')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Call',
            name='checked_at',
            field=fields.DatetimeField(null=True, description='when reconciliation last asked the carrier', auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Call',
            index=Index(fields=['ended_at', 'updated_at']),
        ),
    ]
