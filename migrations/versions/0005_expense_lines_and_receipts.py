"""expense lines and receipts

Expense lines on claim_lines (taxi reason, mileage miles/vehicle/passengers, capping), receipts
stored in the database, and finance's per-category settings. The HMRC mileage rates are not
a table: they are dated rows in payclaims/claims/rates.py until the benefits issue owns them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 17:52:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

CATEGORIES = ('public_transport', 'taxi', 'mileage', 'parking', 'meals', 'childcare', 'replacement_carer', 'support_worker', 'interpreter', 'accommodation', 'phone_and_stationery', 'other')


def upgrade():
    op.create_table('expense_category_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum(*CATEGORIES, name='expensecategory', native_enum=False, length=32), nullable=False),
    sa.Column('receipt_above_pence', sa.Integer(), nullable=True),
    sa.Column('cap_pence', sa.Integer(), nullable=True),
    sa.Column('cap_period', sa.Enum('claim', 'day', name='capperiod', native_enum=False, length=32), nullable=False),
    sa.Column('over_cap', sa.Enum('cap', 'refuse', name='overcap', native_enum=False, length=32), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_expense_category_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expense_category_settings')),
    sa.UniqueConstraint('category', name=op.f('uq_expense_category_settings_category'))
    )
    op.create_table('receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['claim_lines.id'], name=op.f('fk_receipts_line_id_claim_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_receipts_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipts'))
    )
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipts_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipts_sha256'), ['sha256'], unique=False)

    with op.batch_alter_table('claim_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('miles_tenths', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('vehicle', sa.Enum('car', 'motorcycle', 'bicycle', name='vehicle', native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('passengers', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_pence', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cap_note', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('claim_lines', schema=None) as batch_op:
        batch_op.drop_column('cap_note')
        batch_op.drop_column('claimed_pence')
        batch_op.drop_column('passengers')
        batch_op.drop_column('vehicle')
        batch_op.drop_column('miles_tenths')
        batch_op.drop_column('reason')

    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipts_sha256'))
        batch_op.drop_index(batch_op.f('ix_receipts_line_id'))

    op.drop_table('receipts')
    op.drop_table('expense_category_settings')
