"""inbox sort orders: received and last activity, newest or oldest first

The inbox lists cases by received day or by last activity as well as by deadline, and the
inbox search takes the most recent cases the filters select. Each order is an index order,
so the list still never sorts (app/services/casework/inbox.py): one index per order for open
or all cases (status checked as its last column), and one per order for a single status.
Plain ascending columns: both databases walk them backwards for the newest first.

Existing data: nothing changes but the indexes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 09:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_report_received': ['institution_id', 'received_on', 'id', 'status'],
    'ix_report_status_received': ['institution_id', 'status', 'received_on', 'id'],
    'ix_report_activity': ['institution_id', 'last_activity_on', 'id', 'status'],
    'ix_report_status_activity': ['institution_id', 'status', 'last_activity_on', 'id'],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, 'report', columns)


def downgrade():
    for name in reversed(INDEXES):
        op.drop_index(name, table_name='report')
