"""slips paid by another payment method

A remittance slip now records what the payee was paid by: their confirmed bank details (as
before; the bank file is made from them) or a confirmed other payment method (cheque, prepaid
card, appointee, ...; paid by hand, outside the bank file). Exactly one of the two is set.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 20:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('remittance_slips', schema=None) as batch_op:
        batch_op.alter_column('bank_details_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('other_payment_method_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_remittance_slips_other_payment_method_id_other_payment_methods'),
            'other_payment_methods',
            ['other_payment_method_id'],
            ['id'],
        )
        batch_op.create_check_constraint(
            'paid_by_one_way',
            '(bank_details_id IS NULL) <> (other_payment_method_id IS NULL)',
        )


def downgrade():
    with op.batch_alter_table('remittance_slips', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_remittance_slips_paid_by_one_way'), type_='check')
        batch_op.drop_constraint(
            batch_op.f('fk_remittance_slips_other_payment_method_id_other_payment_methods'),
            type_='foreignkey',
        )
        batch_op.drop_column('other_payment_method_id')
        batch_op.alter_column('bank_details_id', existing_type=sa.Integer(), nullable=False)
