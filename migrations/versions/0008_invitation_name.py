"""invitation name: an invitation carries the role and the name the admin typed

Until now a new address got its membership when it was invited, and an existing account
only when its holder accepted; the members list and the audit log therefore told an admin
which addresses already had an account. Now every invitation carries its institution, role
and the typed name, and the membership is made when the link is completed or accepted.
Invitations made before keep working as they were.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('account_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invited_name', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('account_link', schema=None) as batch_op:
        batch_op.drop_column('invited_name')
