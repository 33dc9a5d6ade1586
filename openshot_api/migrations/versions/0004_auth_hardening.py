"""authentication hardening: failed-login counters and a session version per user

``auth_throttle`` holds one row per username or client address with failed logins in the current
window, so every web process throttles alike. ``users.session_version`` lets logout, a password
change or an admin end every session of a user although the session cookie is stateless.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('auth_throttle',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('window_start', sa.Float(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_auth_throttle'))
    )
    op.create_index(op.f('ix_auth_throttle_window_start'), 'auth_throttle', ['window_start'], unique=False)
    # A plain ADD COLUMN, not a batch: recreating ``users`` on SQLite would cascade-delete the
    # rows of every table that points at it (see 0002). The server default fills existing rows.
    op.add_column('users', sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    # SQLite (3.35+) drops a column in place, again without recreating the table.
    op.drop_column('users', 'session_version')
    op.drop_index(op.f('ix_auth_throttle_window_start'), table_name='auth_throttle')
    op.drop_table('auth_throttle')
