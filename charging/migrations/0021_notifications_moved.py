# The notification and session report models moved to the notifications app (issue 15) with their tables:
# charging forgets them, in its state only; notifications 0001 took them over.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("charging", "0020_pricing_moved"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="Delivery"),
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="NotificationPreference"),
                migrations.DeleteModel(name="PushSubscription"),
                migrations.DeleteModel(name="SessionReportRun"),
                migrations.DeleteModel(name="SessionReport"),
                migrations.DeleteModel(name="ThresholdRule"),
            ],
        ),
    ]
