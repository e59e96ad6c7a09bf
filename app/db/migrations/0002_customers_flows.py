from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

from app.db.search_indexes import add_search_indexes, drop_search_indexes

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Customer',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='customers', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('search_name', fields.CharField(description='casefolded name for portable case-insensitive search', max_length=200)),
                ('phone', fields.CharField(max_length=16)),
                ('email', fields.CharField(null=True, max_length=320)),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('preferred_language', fields.CharField(null=True, max_length=8)),
                ('metadata', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('total_calls', fields.IntField(default=0)),
                ('inbound_calls', fields.IntField(default=0)),
                ('outbound_calls', fields.IntField(default=0)),
                ('last_contact', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'customers', 'app': 'models', 'unique_together': (('organisation_id', 'phone'),), 'indexes': [Index(fields=['organisation_id', 'created_at', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Script',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='scripts', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('opening_line', fields.TextField(null=True, unique=False)),
                ('talking_points', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('faq', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('closing_line', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'scripts', 'app': 'models', 'indexes': [Index(fields=['organisation_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'What an agent says: opening line, talking points, FAQ answers and closing line.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Flow',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='flows', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=8)),
                ('name', fields.CharField(max_length=200)),
                ('provider', fields.CharField(max_length=16)),
                ('status', fields.CharField(default='draft', max_length=8)),
                ('voice_agent', fields.ForeignKeyField('models.VoiceAgent', source_field='voice_agent_id', null=True, db_constraint=True, to_field='id', related_name='flows', on_delete=OnDelete.SET_NULL)),
                ('phone_number', fields.CharField(null=True, max_length=16)),
                ('active_inbound_number', fields.CharField(null=True, unique=True, max_length=16)),
                ('script', fields.ForeignKeyField('models.Script', source_field='script_id', null=True, db_constraint=True, to_field='id', related_name='flows', on_delete=OnDelete.RESTRICT)),
                ('branches', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('start_date', fields.DateField(null=True)),
                ('end_date', fields.DateField(null=True)),
                ('time_window', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('config', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'flows', 'app': 'models', 'indexes': [Index(fields=['organisation_id', 'kind', 'status']), Index(fields=['organisation_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'An inbound line or an outbound campaign.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Call',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='calls', on_delete=OnDelete.CASCADE)),
                ('call_type', fields.CharField(description='inbound, outbound or test', max_length=8)),
                ('flow', fields.ForeignKeyField('models.Flow', source_field='flow_id', null=True, db_constraint=True, to_field='id', related_name='calls', on_delete=OnDelete.SET_NULL)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='calls', on_delete=OnDelete.SET_NULL)),
                ('voice_agent', fields.ForeignKeyField('models.VoiceAgent', source_field='voice_agent_id', null=True, db_constraint=True, to_field='id', related_name='calls', on_delete=OnDelete.SET_NULL)),
                ('from_number', fields.CharField(null=True, max_length=32)),
                ('to_number', fields.CharField(null=True, max_length=32)),
                ('status', fields.CharField(default='queued', description='queued, ringing, in-progress, completed, failed', max_length=16)),
                ('outcome', fields.CharField(null=True, description='connected, voicemail, no-answer, failed', max_length=16)),
                ('sentiment', fields.CharField(null=True, description='positive, neutral, negative', max_length=8)),
                ('duration', fields.IntField(null=True, description='seconds')),
                ('summary', fields.TextField(null=True, unique=False)),
                ('transcript', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('key_details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('provider_call_id', fields.CharField(null=True, db_index=True, max_length=128)),
                ('recording_url', fields.CharField(null=True, description='the provider recording', max_length=1024)),
                ('recording_path', fields.CharField(null=True, description='a locally stored recording', max_length=1024)),
                ('recording_opt_out', fields.BooleanField(default=False)),
                ('language_detected', fields.CharField(null=True, max_length=16)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'calls', 'app': 'models', 'indexes': [Index(fields=['organisation_id', 'created_at']), Index(fields=['flow_id', 'created_at']), Index(fields=['customer_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'Flow, customer and agent are kept as nullable links so deleting them keeps the call history.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Tag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='tags', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
            ],
            options={'table': 'tags', 'app': 'models', 'unique_together': (('organisation_id', 'name'),), 'pk_attr': 'id', 'table_description': 'One row per distinct tag value of an organisation.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomerTag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='tag_links', on_delete=OnDelete.CASCADE)),
                ('tag', fields.ForeignKeyField('models.Tag', source_field='tag_id', db_constraint=True, to_field='id', related_name='customer_links', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'customer_tags', 'app': 'models', 'unique_together': (('tag_id', 'customer_id'), ('customer_id', 'tag_id')), 'pk_attr': 'id', 'table_description': 'The link table tag filters and counts run on (index on tag then customer).'},
            bases=['Model'],
        ),
        # Added by hand: PostgreSQL trigram indexes for customer search (no-op on SQLite).
        ops.RunPython(add_search_indexes, drop_search_indexes),
    ]
