"""one receipt scheme per cost, even when the first reports arrive together

Concurrent first reports each created a receipt scheme of the same cost (a select, then an
insert, without a constraint), and every mailbox sign-in derives under every scheme: 16
duplicates made a sign-in 16 times slower. A scheme now names the cost it serves in
``current_for``, which is unique, and receipts.current_scheme() inserts it with ON CONFLICT DO
NOTHING.

Existing data: the oldest scheme of each cost serves it. Duplicates no report uses are
deleted here. Duplicates that reports use cannot be merged without those reports' receipts
(their keys are derived from the receipt under that salt): they stay, with ``current_for``
empty, and each report moves to the serving scheme when its reporter next signs in; the
duplicate is deleted with its last report.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

schemes = sa.table('receipt_scheme', sa.column('id', sa.Integer),
                   sa.column('kdf_params', sa.JSON), sa.column('current_for', sa.String))
reports = sa.table('report', sa.column('receipt_scheme_id', sa.Integer))


def cost_key(params):
    """As app.crypto.kdf.KdfCost.as_key (copied: a migration must not change with the app)."""
    return (f"argon2id m={int(params['memory_kib'])} t={int(params['iterations'])} "
            f"p={int(params['lanes'])}")


def upgrade():
    with op.batch_alter_table('receipt_scheme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('current_for', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_receipt_scheme_current_for', ['current_for'])
    connection = op.get_bind()
    serving = {}
    for row in connection.execute(sa.select(schemes.c.id, schemes.c.kdf_params)
                                  .order_by(schemes.c.id)):
        serving.setdefault(cost_key(row.kdf_params), row.id)
    for key, scheme_id in serving.items():
        connection.execute(schemes.update().where(schemes.c.id == scheme_id)
                           .values(current_for=key))
    connection.execute(schemes.delete().where(
        schemes.c.current_for.is_(None),
        ~sa.exists().where(reports.c.receipt_scheme_id == schemes.c.id)))


def downgrade():
    with op.batch_alter_table('receipt_scheme', schema=None) as batch_op:
        batch_op.drop_constraint('uq_receipt_scheme_current_for', type_='unique')
        batch_op.drop_column('current_for')
