"""benefit profiles

One optional benefits profile per person (deleted for good when they delete it), and on each
claim when its sender confirmed reading the benefits estimate shown before sending, with the
estimate's level.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 18:44:08.772428

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('benefit_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('gets_universal_credit', sa.Boolean(), nullable=False),
    sa.Column('uc_assessment_period_start_day', sa.Integer(), nullable=True),
    sa.Column('uc_child_or_lcw', sa.Boolean(), nullable=True),
    sa.Column('uc_housing_costs', sa.Boolean(), nullable=True),
    sa.Column('gets_esa', sa.Boolean(), nullable=False),
    sa.Column('esa_supported_permitted_work', sa.Boolean(), nullable=False),
    sa.Column('gets_carers_allowance', sa.Boolean(), nullable=False),
    sa.Column('carers_other_weekly_earnings_pence', sa.Integer(), nullable=False),
    sa.Column('gets_pension_credit', sa.Boolean(), nullable=False),
    sa.Column('pension_credit_disregard', sa.Enum('single', 'couple', 'higher', 'lone_parent', name='disregard', native_enum=False, length=32), nullable=True),
    sa.Column('gets_housing_benefit', sa.Boolean(), nullable=False),
    sa.Column('housing_benefit_disregard', sa.Enum('single', 'couple', 'higher', 'lone_parent', name='disregard', native_enum=False, length=32), nullable=True),
    sa.Column('gets_council_tax_reduction', sa.Boolean(), nullable=False),
    sa.Column('gets_pip', sa.Boolean(), nullable=False),
    sa.Column('gets_dla', sa.Boolean(), nullable=False),
    sa.Column('gets_attendance_allowance', sa.Boolean(), nullable=False),
    sa.Column('week_start', sa.Enum('monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', name='weekstart', native_enum=False, length=32), nullable=False),
    sa.Column('default_fee_choice', sa.Enum('full', 'reduced', 'expenses_only', name='feechoice', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['users.id'], name=op.f('fk_benefit_profiles_person_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_benefit_profiles')),
    sa.UniqueConstraint('person_id', name=op.f('uq_benefit_profiles_person_id'))
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('benefits_warning_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('benefits_warning_level', sa.String(length=16), nullable=True))



def downgrade():
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('benefits_warning_level')
        batch_op.drop_column('benefits_warning_seen_at')

    op.drop_table('benefit_profiles')
