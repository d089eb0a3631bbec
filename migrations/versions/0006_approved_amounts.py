"""approved amounts on claim lines

Finance may approve a line for less than was claimed; the approved amount and the reason the
person sees sit beside the claimed amount. A paid claim holds the date it was paid. Shared by the approvals and payments areas.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 18:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paid_on', sa.Date(), nullable=True))
    with op.batch_alter_table('claim_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_pence', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('approval_note', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('claim_lines', schema=None) as batch_op:
        batch_op.drop_column('approval_note')
        batch_op.drop_column('approved_pence')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('paid_on')
