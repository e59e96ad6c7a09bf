from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_usage_costs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Tool',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='tools', on_delete=OnDelete.CASCADE)),
                ('voice_agent', fields.ForeignKeyField('models.VoiceAgent', source_field='voice_agent_id', null=True, db_constraint=True, to_field='id', related_name='tools', on_delete=OnDelete.CASCADE)),
                ('flow', fields.ForeignKeyField('models.Flow', source_field='flow_id', null=True, db_constraint=True, to_field='id', related_name='tools', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
                ('description', fields.TextField(unique=False)),
                ('parameters', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('method', fields.CharField(default='POST', max_length=8)),
                ('url', fields.CharField(max_length=2048)),
                ('headers', fields.TextField(null=True, description='Fernet token of the JSON header map', unique=False)),
                ('timeout_seconds', fields.FloatField(default=5.0)),
                ('speak_while_waiting', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'tools', 'app': 'models', 'unique_together': (('voice_agent_id', 'name'), ('flow_id', 'name')), 'pk_attr': 'id', 'table_description': 'An HTTP tool the model may call during a call, owned by a voice agent or by a flow (exactly one).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ToolInvocation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('call', fields.ForeignKeyField('models.Call', source_field='call_id', db_constraint=True, to_field='id', related_name='tool_invocations', on_delete=OnDelete.CASCADE)),
                ('tool', fields.CharField(max_length=64)),
                ('arguments', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(description='ok, invalid_arguments, timeout, http_error, failed', max_length=20)),
                ('http_status', fields.IntField(null=True)),
                ('latency_ms', fields.IntField(default=0)),
                ('result', fields.TextField(default='', description='the answer or the error, truncated', unique=False)),
                ('at', fields.FloatField(default=0.0, description='seconds into the call')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'tool_invocations', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One tool call made during a call: what was asked, how it went, and the start of the answer.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ToolSecret',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', unique=True, db_constraint=True, to_field='id', related_name='tool_secret', on_delete=OnDelete.CASCADE)),
                ('secret', fields.TextField(description='Fernet token of the whsec_ secret', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'tool_secrets', 'app': 'models', 'pk_attr': 'id', 'table_description': "The secret that signs an organisation's tool requests, encrypted at rest."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='DialJob',
            name='kind',
            field=fields.CharField(default='initial', description='initial or callback', max_length=10),
        ),
        ops.AddField(
            model_name='DialJob',
            name='note',
            field=fields.CharField(null=True, description='what the caller asked for (callbacks)', max_length=500),
        ),
        ops.AddField(
            model_name='DialJob',
            name='requested_by',
            field=fields.CharField(null=True, description='the call that asked for a callback', max_length=24),
        ),
    ]
