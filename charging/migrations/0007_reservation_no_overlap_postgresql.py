"""PostgreSQL only: no two holding reservations (confirmed or active) of one connector overlap in time.

An exclusion constraint over (connector =, tstzrange(starts_at, ends_at) &&) with btree_gist. SQLite has
no such constraint; there the service's IMMEDIATE transaction (one writer at a time) gives the guarantee.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE charging_reservation ADD CONSTRAINT reservation_no_overlap EXCLUDE USING gist (
    connector_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&
) WHERE (status IN ('confirmed', 'active'));
"""
DROP = "ALTER TABLE charging_reservation DROP CONSTRAINT IF EXISTS reservation_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("charging", "0006_reservations_and_session_lifecycle")]

    operations = [migrations.RunPython(forwards, backwards)]
