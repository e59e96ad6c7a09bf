from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_calls_webhooks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Campaign',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='campaigns', on_delete=OnDelete.CASCADE)),
                ('flow', fields.ForeignKeyField('models.Flow', source_field='flow_id', unique=True, db_constraint=True, to_field='id', related_name='campaigns', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(default='running', description='running, stopped, completed', max_length=12)),
                ('launched_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('stopped_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('pace_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'campaigns', 'app': 'models', 'indexes': [Index(fields=['status', 'organisation_id'])], 'pk_attr': 'id', 'table_description': 'The dialer state of an outbound flow, reused when the flow is launched again.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DialJob',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='jobs', on_delete=OnDelete.CASCADE)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='dial_jobs', on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='dial_jobs', on_delete=OnDelete.CASCADE)),
                ('phone', fields.CharField(max_length=16)),
                ('status', fields.CharField(default='queued', max_length=10)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claim', fields.CharField(null=True, max_length=32)),
                ('call_id', fields.CharField(null=True, max_length=24)),
                ('outcome', fields.CharField(null=True, max_length=16)),
                ('reason', fields.CharField(null=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'dial_jobs', 'app': 'models', 'indexes': [Index(fields=['campaign_id', 'status', 'next_attempt_at']), Index(fields=['organisation_id', 'status']), Index(fields=['status', 'call_id'])], 'pk_attr': 'id', 'table_description': 'One customer to dial in a campaign. Statuses: queued, dialling, done, failed, cancelled.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DoNotCall',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='do_not_call', on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', unique=True, db_constraint=True, to_field='id', related_name='do_not_call', on_delete=OnDelete.CASCADE)),
                ('call_id', fields.CharField(null=True, max_length=24)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'do_not_call', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A customer who asked not to be called again (a call ended with reason dnc_request).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Integration',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='integrations', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(description='exotel or sarvam', max_length=16)),
                ('category', fields.CharField(description='telephony or voice', max_length=16)),
                ('account_sid', fields.CharField(null=True, db_index=True, max_length=64)),
                ('settings', fields.JSONField(default=dict, description='non-secret fields such as subdomain and phone number', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('credentials', fields.TextField(description='Fernet token of the secret fields', unique=False)),
                ('connected_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'integrations', 'app': 'models', 'unique_together': (('organisation_id', 'provider'),), 'pk_attr': 'id', 'table_description': 'One connected provider per organisation.'},
            bases=['Model'],
        ),
    ]
