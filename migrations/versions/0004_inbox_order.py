"""inbox order: indexes the inbox walks in its own order instead of sorting

The inbox lists cases with a deadline nearest first (ties newest first), then those without
one newest first (app/services/casework/inbox.py). ix_report_inbox gains ``id DESC`` so one status is
walked in that order; ix_report_inbox_order (institution, due_on, id DESC, status) serves
open or all cases and the deadline filters. Plain columns only: no expression index, no new
column, nothing to back-fill.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 17:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_inbox')
        batch_op.create_index('ix_report_inbox', ['institution_id', 'status', 'due_on', sa.text('id DESC')], unique=False)
        batch_op.create_index('ix_report_inbox_order', ['institution_id', 'due_on', sa.text('id DESC'), 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_inbox_order')
        batch_op.drop_index('ix_report_inbox')
        batch_op.create_index('ix_report_inbox', ['institution_id', 'status', 'due_on'], unique=False)
