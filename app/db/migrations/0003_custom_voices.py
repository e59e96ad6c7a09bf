from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_customers_flows')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Speaker',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='speakers', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
                ('language', fields.CharField(max_length=16)),
                ('description', fields.TextField(null=True, unique=False)),
                ('reference_key', fields.CharField(max_length=255)),
                ('reference_format', fields.CharField(max_length=8)),
                ('reference_seconds', fields.FloatField()),
                ('deployed', fields.BooleanField(default=False)),
                ('voice_sample_uuid', fields.CharField(null=True, max_length=24)),
                ('voice_model', fields.CharField(null=True, max_length=64)),
                ('training_job_id', fields.CharField(null=True, max_length=128)),
                ('training_status', fields.CharField(default='none', max_length=16)),
                ('training_error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'speakers', 'app': 'models', 'unique_together': (('organisation_id', 'name'),), 'pk_attr': 'id', 'table_description': 'A voice cloned from reference audio, named uniquely within its organisation.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DatasetSample',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('speaker', fields.ForeignKeyField('models.Speaker', source_field='speaker_id', db_constraint=True, to_field='id', related_name='samples', on_delete=OnDelete.CASCADE)),
                ('blob_key', fields.CharField(max_length=255)),
                ('audio_format', fields.CharField(max_length=8)),
                ('duration_seconds', fields.FloatField()),
                ('transcript', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'speaker_dataset_samples', 'app': 'models', 'indexes': [Index(fields=['speaker_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One labelled clip of the speaker for fine-tuning: audio in blob storage plus what is said in it.'},
            bases=['Model'],
        ),
    ]
