"""the job outbox and durable webhook delivery

Jobs are written to ``outbox`` in the transaction that needs them and sent to the broker from
there; exports keep their webhook's delivery state so a delivery outlives broker and workers.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('created', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    )
    op.create_index(op.f('ix_outbox_created'), 'outbox', ['created'], unique=False)
    # Plain ADD COLUMN (no batch copy), so SQLite keeps the table's AUTOINCREMENT from 0002.
    op.add_column('exports', sa.Column('webhook_state', sa.String(length=16), nullable=False, server_default=''))
    op.add_column('exports', sa.Column('webhook_attempts', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('exports', sa.Column('webhook_next_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_exports_webhook_state'), 'exports', ['webhook_state'], unique=False)


def downgrade():
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exports_webhook_state'))
        batch_op.drop_column('webhook_next_at')
        batch_op.drop_column('webhook_attempts')
        batch_op.drop_column('webhook_state')
    op.drop_index(op.f('ix_outbox_created'), table_name='outbox')
    op.drop_table('outbox')
