"""PostgreSQL only: pg_trgm and fuzzystrmatch, for identity resolution's name floor on near dates
of birth (trigram similarity, Levenshtein distance) and its fallback tier (both names similar),
with a GIN trigram index on the normalised names.

SQLite needs nothing: it applies the same floor in Python, and its fallback tier is the indexed
phonetic-code and name-prefix branches both databases share (see people/matching.py)."""

from django.db import migrations

# One GIN index on both names: a search for both names similar intersects them inside the index,
# so the heap is visited only for rows where both are (a GIN index per name made the planner
# scan one and recheck tens of thousands of rows for the other).
INDEX = "person_names_trgm"


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch")
    # GIN, not GiST: a GiST index on the same columns would tempt the planner into a lossy scan.
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON people_person USING gin (match_family gin_trgm_ops, match_given gin_trgm_ops)"
    )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0003_identity_resolution"),
    ]

    operations = [
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
