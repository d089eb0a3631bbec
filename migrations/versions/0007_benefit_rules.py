"""benefit rules

Dated benefit rule figures (``benefit_rules``) that the benefits engine reads and finance admins
add to, correct (a correction keeps the old row, pointing at its replacement) and confirm. Seeded
with every figure of ../shared/benefits/RULES.md from payclaims/benefits/rules.py (seed_rows), the
same structure the tests use.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 19:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

from payclaims.benefits.rules import seed_rows


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    benefit_rules = op.create_table('benefit_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('unit', sa.Enum('pence', 'basis_points', name='ruleunit', native_enum=False, length=32), nullable=False),
    sa.Column('period', sa.Enum('monthly', 'weekly', 'per_mile', 'per_tax_year', 'hourly', name='ruleperiod', native_enum=False, length=32), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('confidence', sa.Enum('S', 'S2', 'I', name='confidence', native_enum=False, length=4), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_benefit_rules_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_benefit_rules_created_by_id_users')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['benefit_rules.id'], name=op.f('fk_benefit_rules_replaced_by_id_benefit_rules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_benefit_rules'))
    )
    with op.batch_alter_table('benefit_rules', schema=None) as batch_op:
        batch_op.create_index('ix_benefit_rules_key_effective_from', ['key', 'effective_from'], unique=False)

    from payclaims.database import utc_now

    now = utc_now()
    op.bulk_insert(benefit_rules, [{**row, 'created_at': now} for row in seed_rows()])


def downgrade():
    with op.batch_alter_table('benefit_rules', schema=None) as batch_op:
        batch_op.drop_index('ix_benefit_rules_key_effective_from')

    op.drop_table('benefit_rules')
