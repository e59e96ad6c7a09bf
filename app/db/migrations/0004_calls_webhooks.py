from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_custom_voices')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HumanQueue',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='human_queues', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('transfer_number', fields.CharField(max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'human_queues', 'app': 'models', 'unique_together': (('organisation_id', 'name'),), 'pk_attr': 'id', 'table_description': 'A named transfer target of an organisation (e.g. sales_specialist) and the number it rings.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HumanAgent',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('queue', fields.ForeignKeyField('models.HumanQueue', source_field='queue_id', db_constraint=True, to_field='id', related_name='agents', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('presence', fields.CharField(default='offline', max_length=12)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'human_agents', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A person answering transfers. Presence is available, busy or offline.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Webhook',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='webhooks', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('url', fields.CharField(max_length=2048)),
                ('events', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('headers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('secret', fields.TextField(description='Fernet token of the signing secret', unique=False)),
                ('is_active', fields.BooleanField(default=True)),
                ('last_triggered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'webhooks', 'app': 'models', 'indexes': [Index(fields=['organisation_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'An HTTPS endpoint subscribed to event types. The signing secret is stored encrypted.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('webhook', fields.ForeignKeyField('models.Webhook', source_field='webhook_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('event_type', fields.CharField(max_length=32)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(default='pending', description='pending, delivered, failed', max_length=12)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_deliveries', 'app': 'models', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'The transactional outbox: one row per event and webhook, written with the change that caused it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookLog',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('webhook', fields.ForeignKeyField('models.Webhook', source_field='webhook_id', db_constraint=True, to_field='id', related_name='logs', on_delete=OnDelete.CASCADE)),
                ('delivery_id', fields.CharField(max_length=24)),
                ('attempt', fields.IntField()),
                ('event_type', fields.CharField(max_length=32)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('response_status', fields.IntField(null=True)),
                ('success', fields.BooleanField()),
                ('error', fields.CharField(null=True, max_length=500)),
                ('triggered_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_logs', 'app': 'models', 'indexes': [Index(fields=['webhook_id', 'triggered_at'])], 'pk_attr': 'id', 'table_description': 'One row per delivery attempt, successful or not.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Call',
            name='end_reason',
            field=fields.CharField(null=True, description='caller_hangup, dnc_request, transfer, ...', max_length=32),
        ),
    ]
