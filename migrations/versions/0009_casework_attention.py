"""casework attention: what officer messages are, what waits for officers, urgency

An officer message now says what it is (acknowledgement, question, update, feedback, or
Skaidra's notice of a transfer): only feedback meets the feedback deadline. Officer messages
keep the minute they were sent; reporter messages still keep only the day. A reporter
message keeps the digest of its form's one-time token, so a double click stores one. The
report keeps, as day-precision plaintext for the inbox, whether the reporter marked it
urgent, since when a reporter message waits to be read and to be answered, its last
activity, and the day a closed case was last reopened.

Existing data: the first officer message of an acknowledged report is its acknowledgement;
the next one, on reports whose feedback was recorded, is that feedback (which is how it was
counted); every other officer message becomes an update. Urgency was only inside the
encrypted content, which a migration cannot read: existing reports stay "not urgent" until
re-triaged. The unread and unanswered days are taken from the conversation.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

KINDS = ('acknowledgement', 'question', 'update', 'feedback', 'transfer')
# The columns statistics read (ix_report_statistics); a reopened case's feedback counts from
# reopened_on, which joins them.
STATISTICS = ['received_on', 'institution_id', 'category', 'status', 'outcome',
              'acknowledged_on', 'feedback_on', 'due_on']


def upgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('written_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.Enum(*KINDS, name='messagekind',
                                                      native_enum=False, length=16),
                                      nullable=True))
        batch_op.add_column(sa.Column('submission_digest', sa.LargeBinary(length=32),
                                      nullable=True))
        batch_op.create_unique_constraint('uq_message_submission_digest',
                                          ['submission_digest'])
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('reporter_wrote_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('awaiting_answer_since', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('last_activity_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reopened_on', sa.Date(), nullable=True))
    # Plain CREATE INDEX, outside the batch: SQLite's table copy cannot place a descending
    # expression on a column added in the same batch.
    op.drop_index('ix_report_inbox_order', table_name='report')
    op.drop_index('ix_report_inbox', table_name='report')
    op.drop_index('ix_report_statistics', table_name='report')
    op.create_index('ix_report_statistics', 'report', STATISTICS + ['reopened_on'])
    op.create_index('ix_report_inbox', 'report', ['institution_id', 'status', 'due_on',
                                                  sa.text('urgent DESC'), sa.text('id DESC')])
    op.create_index('ix_report_inbox_order', 'report', ['institution_id', 'due_on',
                                                        sa.text('urgent DESC'),
                                                        sa.text('id DESC'), 'status'])
    op.create_index('ix_report_awaiting', 'report', ['institution_id', 'awaiting_answer_since'])
    op.create_index('ix_report_reporter_wrote', 'report',
                    ['institution_id', 'reporter_wrote_on', 'id'])
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.alter_column('urgent', server_default=None)
    _backfill(op.get_bind())


def _backfill(connection):
    report = sa.table('report', sa.column('id', sa.Integer), sa.column('received_on', sa.Date),
                      sa.column('acknowledged_on', sa.Date), sa.column('feedback_on', sa.Date),
                      sa.column('reporter_wrote_on', sa.Date),
                      sa.column('awaiting_answer_since', sa.Date),
                      sa.column('last_activity_on', sa.Date),
                      sa.column('pending_notice', sa.String))
    message = sa.table('message', sa.column('id', sa.Integer), sa.column('report_id', sa.Integer),
                       sa.column('author', sa.String), sa.column('sent_on', sa.Date),
                       sa.column('kind', sa.String))
    reports = {row.id: row for row in connection.execute(sa.select(report))}
    conversations = {}
    for row in connection.execute(sa.select(message).order_by(message.c.report_id,
                                                              message.c.id)):
        conversations.setdefault(row.report_id, []).append(row)
    for report_id, case in reports.items():
        messages = conversations.get(report_id, [])
        officers = [row for row in messages if row.author == 'officer']
        for position, row in enumerate(officers):
            kind = 'update'
            if case.acknowledged_on is not None and position == 0:
                kind = 'acknowledgement'
            elif case.feedback_on is not None and position == 1:
                kind = 'feedback'
            connection.execute(message.update().where(message.c.id == row.id)
                               .values(kind=kind))
        waiting = None
        for row in messages:
            if row.author == 'reporter':
                waiting = waiting or row.sent_on
            else:
                waiting = None
        last = max([case.received_on, *(row.sent_on for row in messages)])
        connection.execute(report.update().where(report.c.id == report_id).values(
            awaiting_answer_since=waiting, last_activity_on=last,
            reporter_wrote_on=waiting if case.pending_notice == 'reporter_replied' else None))


def downgrade():
    op.drop_index('ix_report_reporter_wrote', table_name='report')
    op.drop_index('ix_report_awaiting', table_name='report')
    op.drop_index('ix_report_inbox_order', table_name='report')
    op.drop_index('ix_report_inbox', table_name='report')
    op.drop_index('ix_report_statistics', table_name='report')
    op.create_index('ix_report_statistics', 'report', STATISTICS)
    op.create_index('ix_report_inbox', 'report', ['institution_id', 'status', 'due_on',
                                                  sa.text('id DESC')])
    op.create_index('ix_report_inbox_order', 'report', ['institution_id', 'due_on',
                                                        sa.text('id DESC'), 'status'])
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('reopened_on')
        batch_op.drop_column('last_activity_on')
        batch_op.drop_column('awaiting_answer_since')
        batch_op.drop_column('reporter_wrote_on')
        batch_op.drop_column('urgent')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint('uq_message_submission_digest', type_='unique')
        batch_op.drop_column('submission_digest')
        batch_op.drop_column('kind')
        batch_op.drop_column('written_at')
