"""other payment methods

Finance can record another way to pay a person who cannot or will not give bank details
(cheque, prepaid card, an appointee or organisation, ...). History is kept; at most one
method per person is current. A method is paid only once a different finance person has
confirmed it (confirmed_at, confirmed_by_id), as bank details are.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('other_payment_methods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('cheque', 'prepaid_card', 'appointee', 'other', name='paymentmethod', native_enum=False, length=32), nullable=False),
    sa.Column('details', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('end_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_other_payment_methods_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_other_payment_methods_ended_by_id_users')),
    sa.ForeignKeyConstraint(['person_id'], ['users.id'], name=op.f('fk_other_payment_methods_person_id_users')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_other_payment_methods_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_other_payment_methods'))
    )
    with op.batch_alter_table('other_payment_methods', schema=None) as batch_op:
        batch_op.create_index('ix_other_payment_methods_one_current_per_person', ['person_id'], unique=True, sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_other_payment_methods_person_id'), ['person_id'], unique=False)


def downgrade():
    with op.batch_alter_table('other_payment_methods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_other_payment_methods_person_id'))
        batch_op.drop_index('ix_other_payment_methods_one_current_per_person', sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))

    op.drop_table('other_payment_methods')
