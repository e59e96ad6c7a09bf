from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_instance_leases')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PriceTable',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('organisation', fields.OneToOneField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='price_table', on_delete=OnDelete.CASCADE)),
                ('currency', fields.CharField(max_length=3)),
                ('body', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'price_tables', 'app': 'models', 'pk_attr': 'id', 'table_description': "Prices an organisation saved, in the form app.billing.prices.table_as_dict writes."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Call',
            name='cost',
            field=fields.JSONField(null=True, description='the cost breakdown by the price table at its end', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Call',
            name='cost_currency',
            field=fields.CharField(null=True, max_length=3),
        ),
        ops.AddField(
            model_name='Call',
            name='cost_total',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='Call',
            name='is_lead',
            field=fields.BooleanField(default=False, description='the extraction marked the call a lead'),
        ),
        ops.AddField(
            model_name='Call',
            name='latency',
            field=fields.JSONField(null=True, description='p50, p95 and max voice-to-voice of its replies', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Call',
            name='latency_p50_ms',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Call',
            name='latency_total_ms',
            field=fields.IntField(default=0, description='their voice-to-voice summed, for averages'),
        ),
        ops.AddField(
            model_name='Call',
            name='latency_turns',
            field=fields.IntField(default=0, description='replies with a voice-to-voice figure'),
        ),
        ops.AddField(
            model_name='Call',
            name='usage',
            field=fields.JSONField(null=True, description='what the call used (app.billing.usage)', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
