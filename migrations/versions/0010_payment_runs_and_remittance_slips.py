"""payment runs and remittance slips

Payment runs (draft, then confirmed once), the claims in them (a claim in one run at most:
unique claim_id) and one remittance slip per payee per run, its PDF stored with its sha256.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 18:40:53.060824

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payment_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'confirmed', name='runstatus', native_enum=False, length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bank_file_sha256', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_payment_runs_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_payment_runs_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_runs'))
    )
    op.create_table('remittance_slips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('bank_details_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('payment_on', sa.Date(), nullable=False),
    sa.Column('fee_pence', sa.Integer(), nullable=False),
    sa.Column('expenses_pence', sa.Integer(), nullable=False),
    sa.Column('total_pence', sa.Integer(), nullable=False),
    sa.Column('claim_count', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bank_details_id'], ['bank_details.id'], name=op.f('fk_remittance_slips_bank_details_id_bank_details')),
    sa.ForeignKeyConstraint(['person_id'], ['users.id'], name=op.f('fk_remittance_slips_person_id_users')),
    sa.ForeignKeyConstraint(['run_id'], ['payment_runs.id'], name=op.f('fk_remittance_slips_run_id_payment_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remittance_slips')),
    sa.UniqueConstraint('reference', name=op.f('uq_remittance_slips_reference')),
    sa.UniqueConstraint('run_id', 'person_id', name=op.f('uq_remittance_slips_run_id_person_id'))
    )
    with op.batch_alter_table('remittance_slips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remittance_slips_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_remittance_slips_run_id'), ['run_id'], unique=False)

    op.create_table('payment_run_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_payment_run_claims_added_by_id_users')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_payment_run_claims_claim_id_claims')),
    sa.ForeignKeyConstraint(['run_id'], ['payment_runs.id'], name=op.f('fk_payment_run_claims_run_id_payment_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_run_claims')),
    sa.UniqueConstraint('claim_id', name=op.f('uq_payment_run_claims_claim_id'))
    )
    with op.batch_alter_table('payment_run_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_run_claims_run_id'), ['run_id'], unique=False)



def downgrade():
    with op.batch_alter_table('payment_run_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_run_claims_run_id'))

    op.drop_table('payment_run_claims')
    with op.batch_alter_table('remittance_slips', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remittance_slips_run_id'))
        batch_op.drop_index(batch_op.f('ix_remittance_slips_person_id'))

    op.drop_table('remittance_slips')
    op.drop_table('payment_runs')
