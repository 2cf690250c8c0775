"""membership consent: account links that offer a role to an existing account

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('account_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('institution_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('role', sa.Enum('officer', 'institution_admin', name='role', native_enum=False, length=32), nullable=True))
        batch_op.create_foreign_key('fk_account_link_institution_id_institution', 'institution', ['institution_id'], ['id'], ondelete='CASCADE')


def downgrade():
    op.execute("DELETE FROM account_link WHERE purpose = 'membership'")
    with op.batch_alter_table('account_link', schema=None) as batch_op:
        batch_op.drop_constraint('fk_account_link_institution_id_institution', type_='foreignkey')
        batch_op.drop_column('role')
        batch_op.drop_column('institution_id')
