"""flood flag: reports that arrived past their institution's limit are accepted and marked

The send step used to refuse reports past REPORT_RATE_LIMIT, so a flood closed the channel.
Now they are stored with ``possible_flood`` set, for the officers to triage. Existing
reports arrived under the old rule and are not marked.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('possible_flood', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('possible_flood')
