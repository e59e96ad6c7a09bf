from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_call_delivery_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InstanceLease',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('host', fields.CharField(default='', max_length=255)),
                ('pid', fields.IntField(default=0)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('renewed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'instance_leases', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A process holds its calls while expires_at lies ahead (rows of dead processes are pruned).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Call',
            name='owner',
            field=fields.CharField(null=True, description='the instance lease holding the live call', max_length=24),
        ),
        ops.AddIndex(
            model_name='Call',
            index=Index(fields=['owner', 'ended_at']),
        ),
    ]
