from tortoise import migrations
from tortoise.migrations import operations as ops

from app.db.call_delivery_indexes import add_call_delivery_indexes, drop_call_delivery_indexes


class Migration(migrations.Migration):
    dependencies = [('models', '0006_reconciliation')]

    initial = False

    operations = [
        # Added by hand: expression indexes for one call's webhook deliveries (see app/db/call_delivery_indexes.py).
        ops.RunPython(add_call_delivery_indexes, drop_call_delivery_indexes),
    ]
