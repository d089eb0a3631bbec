"""approvals: cost centre approvers and limits, delegations, claim approvals

Finance approvers of each cost centre (many to many) and the single-approver limit (default
£250) above which two different approvers are needed; approvers' delegates while away; one row
per approval of a claim, unique per (claim, round, approver) and per (claim, round, stage), so
the database itself refuses a doubled approval or one approver approving twice. Claims hold who
verified them, when, their approval round and a rejection reason.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 18:40:56.084804

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('approval_delegations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('approver_id', sa.Integer(), nullable=False),
    sa.Column('delegate_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('approver_id <> delegate_id', name=op.f('ck_approval_delegations_not_to_self')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_approval_delegations_ends_after_start')),
    sa.ForeignKeyConstraint(['approver_id'], ['users.id'], name=op.f('fk_approval_delegations_approver_id_users')),
    sa.ForeignKeyConstraint(['delegate_id'], ['users.id'], name=op.f('fk_approval_delegations_delegate_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_delegations'))
    )
    with op.batch_alter_table('approval_delegations', schema=None) as batch_op:
        batch_op.create_index('ix_approval_delegations_approver_dates', ['approver_id', 'starts_on', 'ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_delegations_delegate_id'), ['delegate_id'], unique=False)

    op.create_table('cost_centre_approvers',
    sa.Column('cost_centre_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cost_centre_id'], ['cost_centres.id'], name=op.f('fk_cost_centre_approvers_cost_centre_id_cost_centres'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cost_centre_approvers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cost_centre_id', 'user_id', name=op.f('pk_cost_centre_approvers'))
    )
    with op.batch_alter_table('cost_centre_approvers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cost_centre_approvers_user_id'), ['user_id'], unique=False)

    op.create_table('claim_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('approval_round', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('approver_id', sa.Integer(), nullable=False),
    sa.Column('on_behalf_of_id', sa.Integer(), nullable=True),
    sa.Column('total_pence', sa.Integer(), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('stage IN (1, 2)', name=op.f('ck_claim_approvals_stage_is_first_or_second')),
    sa.ForeignKeyConstraint(['approver_id'], ['users.id'], name=op.f('fk_claim_approvals_approver_id_users')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_claim_approvals_claim_id_claims')),
    sa.ForeignKeyConstraint(['on_behalf_of_id'], ['users.id'], name=op.f('fk_claim_approvals_on_behalf_of_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_approvals')),
    sa.UniqueConstraint('claim_id', 'approval_round', 'approver_id', name=op.f('uq_claim_approvals_claim_id_approval_round_approver_id')),
    sa.UniqueConstraint('claim_id', 'approval_round', 'stage', name=op.f('uq_claim_approvals_claim_id_approval_round_stage'))
    )
    with op.batch_alter_table('claim_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_approvals_claim_id'), ['claim_id'], unique=False)

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('approval_round', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('rejection_reason', sa.Text(), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_claims_verified_by_id_users'), 'users', ['verified_by_id'], ['id'])

    with op.batch_alter_table('cost_centres', schema=None) as batch_op:
        batch_op.add_column(sa.Column('single_approver_limit_pence', sa.Integer(), server_default='25000', nullable=False))
        batch_op.create_check_constraint(op.f('ck_cost_centres_single_approver_limit_not_negative'), 'single_approver_limit_pence >= 0')



def downgrade():
    with op.batch_alter_table('cost_centres', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_cost_centres_single_approver_limit_not_negative'), type_='check')
        batch_op.drop_column('single_approver_limit_pence')

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_claims_verified_by_id_users'), type_='foreignkey')
        batch_op.drop_column('rejection_reason')
        batch_op.drop_column('approval_round')
        batch_op.drop_column('verified_at')
        batch_op.drop_column('verified_by_id')

    with op.batch_alter_table('claim_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_approvals_claim_id'))

    op.drop_table('claim_approvals')
    with op.batch_alter_table('cost_centre_approvers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cost_centre_approvers_user_id'))

    op.drop_table('cost_centre_approvers')
    with op.batch_alter_table('approval_delegations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_delegations_delegate_id'))
        batch_op.drop_index('ix_approval_delegations_approver_dates')

    op.drop_table('approval_delegations')
