"""reports received another way: the channel, and versioned minutes the reporter agrees

An officer registers reports that arrived by telephone, voicemail, in a meeting, by letter
or by e-mail (Directive Art. 9(2)). ``report.channel`` says which (plaintext, for
statistics); the record of an oral report (minutes or a transcript) is kept in versions
under the report's data key, with the reporter's approval or correction request, and
``report.minutes_state`` tells the inbox where the current version stands (Art. 18).
A reporter may ask for a meeting or a call, in the report form or the mailbox:
``report.meeting_requested_on`` marks the case until an officer has handled it, and a
mailbox request is a reporter message of the kind ``meeting_request``.

Existing data: every existing report came through the web form.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# The columns statistics read (ix_report_statistics), now with the channel they count by.
STATISTICS = ['received_on', 'institution_id', 'category', 'status', 'outcome',
              'acknowledged_on', 'feedback_on', 'due_on', 'reopened_on']
CHANNELS = ('web', 'telephone', 'voicemail', 'meeting', 'letter', 'email')
STATES = ('awaiting', 'correction', 'approved')


def upgrade():
    with op.batch_alter_table('report') as batch:
        batch.add_column(sa.Column(
            'channel', sa.Enum(*CHANNELS, name='reportchannel', native_enum=False, length=16),
            nullable=False, server_default='web'))
        batch.add_column(sa.Column(
            'minutes_state', sa.Enum(*STATES, name='minutesstate', native_enum=False,
                                     length=16), nullable=True))
        batch.add_column(sa.Column('meeting_requested_on', sa.Date(), nullable=True))
    with op.batch_alter_table('report') as batch:
        batch.alter_column('channel', server_default=None)
    op.drop_index('ix_report_statistics', table_name='report')
    op.create_index('ix_report_statistics', 'report', STATISTICS + ['channel'])
    op.create_table(
        'minutes_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ref', sa.String(length=32), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('approved_on', sa.Date(), nullable=True),
        sa.Column('approved_by', sa.String(length=16), nullable=True),
        sa.Column('correction_on', sa.Date(), nullable=True),
        sa.Column('correction', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['report_id'], ['report.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ref'),
        sa.UniqueConstraint('report_id', 'number'),
    )
    op.create_index('ix_minutes_version_report_id', 'minutes_version', ['report_id'])


def downgrade():
    op.drop_index('ix_report_statistics', table_name='report')
    op.create_index('ix_report_statistics', 'report', STATISTICS)
    op.drop_index('ix_minutes_version_report_id', table_name='minutes_version')
    op.drop_table('minutes_version')
    with op.batch_alter_table('report') as batch:
        batch.drop_column('meeting_requested_on')
        batch.drop_column('minutes_state')
        batch.drop_column('channel')
