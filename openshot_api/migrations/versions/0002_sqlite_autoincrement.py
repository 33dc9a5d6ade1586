"""never reuse ids on SQLite: AUTOINCREMENT on every table with an integer id

Without AUTOINCREMENT SQLite hands the id of the newest deleted row out again, so a client's old
URL (or an export's output name) could reach another object. The tables are recreated with it,
rows kept. PostgreSQL sequences never reuse ids: nothing to do there.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Parents before children; tokens are keyed by a random string, not an id.
TABLES = ("users", "projects", "files", "clips", "effects", "exports")


def _recreate(autoincrement):
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # Dropping a parent table with foreign keys on deletes its children's rows (ON DELETE
    # CASCADE). The pragma is ignored inside a transaction: that only happens right after 0001
    # made the tables, when they are still empty.
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    still_on = bind.exec_driver_sql("PRAGMA foreign_keys").scalar()
    if still_on and any(bind.exec_driver_sql(f"SELECT 1 FROM {name} LIMIT 1").first() for name in TABLES):
        raise RuntimeError("0002 must run with foreign keys off (outside a transaction) to keep rows; "
                           "run `openshot-api initdb` on the database")
    # Ids already used above today's largest one left no trace: start after the largest at least.
    used = {name: bind.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {name}").scalar() for name in TABLES}
    if autoincrement:
        used = {name: max(seq, _sequence(bind, name)) for name, seq in used.items()}
    for name in TABLES:
        with op.batch_alter_table(name, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
    if autoincrement:
        for name, seq in used.items():
            bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :name"), {"name": name})
            bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)"),
                         {"name": name, "seq": seq})
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"rows lost their parents while recreating tables: {broken[:5]}")
    bind.exec_driver_sql("PRAGMA foreign_keys=ON")


def _sequence(bind, name):
    """What sqlite_sequence holds for ``name`` (0 when it has no AUTOINCREMENT yet)."""
    if not bind.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").first():
        return 0
    return bind.execute(sa.text("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = :name"),
                        {"name": name}).scalar()


def upgrade():
    _recreate(True)


def downgrade():
    _recreate(False)
