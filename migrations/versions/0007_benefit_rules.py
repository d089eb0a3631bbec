"""benefit rules

Dated benefit rule figures (``benefit_rules``) that the benefits engine reads and finance admins
add to, correct (a correction keeps the old row, pointing at its replacement) and confirm. Seeded
with every figure of ../shared/benefits/RULES.md, written out below as literals (the same rows as
payclaims/benefits/rules/catalogue.py seed_rows() gives, which the tests check) so that later
changes to the app's seed data never change what this migration inserts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 19:10:00.000000

"""
from datetime import date, datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The seed figures of ../shared/benefits/RULES.md as they were when this migration was written:
# literals, so later changes to payclaims.benefits.rules.catalogue never change what it inserts
# (tests/test_benefits_rules.py checks they equal seed_rows()).
SOURCE_0 = "CPAG 'Universal credit rates 2024/25' and '2025/26'; gov.uk 'Proposed benefit and pension rates 2026 to 2027'; UC Regulations 2013 reg 22"
SOURCE_1 = "gov.uk 'Permitted work factsheet'; 'Proposed benefit and pension rates 2026 to 2027'; 2026: 16 x NLW £12.71, up to the next 50p"
SOURCE_2 = "gov.uk 'Permitted work factsheet'; 'Proposed benefit and pension rates 2026 to 2027'"
SOURCE_3 = "gov.uk 'Carer's Allowance: eligibility'; Carers UK 'Carer's Allowance and the earnings limit'; 2026: 16 x NLW, up to the next £1"
SOURCE_4 = 'Pension Credit and Housing Benefit (State Pension Credit) regulations: earnings disregards'
SOURCE_5 = "HMRC EIM71155 (volunteer mileage); 'Proposed benefit and pension rates 2026 to 2027'; 2026: 55p backdated to 6 April 2026"
SOURCE_6 = "HMRC EIM71155 (volunteer mileage); 'Proposed benefit and pension rates 2026 to 2027'"
SOURCE_7 = "HMRC trading allowance (gov.uk 'Tax-free allowances on property and trading income')"
SOURCE_8 = "gov.uk 'National Minimum Wage and National Living Wage rates'"
SEED_NOTE = 'Seeded from RULES.md'
# (key, value, unit, period, effective_from, effective_to, source, confidence)
SEED_ROWS = [
    ('uc.taper', 5500, 'basis_points', 'monthly', date(2024, 4, 8), date(2025, 4, 6), SOURCE_0, 'S'),
    ('uc.taper', 5500, 'basis_points', 'monthly', date(2025, 4, 7), date(2026, 4, 5), SOURCE_0, 'S'),
    ('uc.taper', 5500, 'basis_points', 'monthly', date(2026, 4, 6), None, SOURCE_0, 'S'),
    ('uc.work_allowance.lower', 40400, 'pence', 'monthly', date(2024, 4, 8), date(2025, 4, 6), SOURCE_0, 'S'),
    ('uc.work_allowance.lower', 41100, 'pence', 'monthly', date(2025, 4, 7), date(2026, 4, 5), SOURCE_0, 'S'),
    ('uc.work_allowance.lower', 42700, 'pence', 'monthly', date(2026, 4, 6), None, SOURCE_0, 'S2'),
    ('uc.work_allowance.higher', 67300, 'pence', 'monthly', date(2024, 4, 8), date(2025, 4, 6), SOURCE_0, 'S'),
    ('uc.work_allowance.higher', 68400, 'pence', 'monthly', date(2025, 4, 7), date(2026, 4, 5), SOURCE_0, 'S'),
    ('uc.work_allowance.higher', 71000, 'pence', 'monthly', date(2026, 4, 6), None, SOURCE_0, 'S2'),
    ('esa.permitted_work.higher', 18350, 'pence', 'weekly', date(2024, 4, 8), date(2025, 4, 6), SOURCE_1, 'S'),
    ('esa.permitted_work.higher', 19550, 'pence', 'weekly', date(2025, 4, 7), date(2026, 4, 5), SOURCE_1, 'S2'),
    ('esa.permitted_work.higher', 20350, 'pence', 'weekly', date(2026, 4, 6), None, SOURCE_1, 'I'),
    ('esa.permitted_work.lower', 2000, 'pence', 'weekly', date(2024, 4, 8), date(2025, 4, 6), SOURCE_2, 'S'),
    ('esa.permitted_work.lower', 2000, 'pence', 'weekly', date(2025, 4, 7), date(2026, 4, 5), SOURCE_2, 'S'),
    ('esa.permitted_work.lower', 2000, 'pence', 'weekly', date(2026, 4, 6), None, SOURCE_2, 'S'),
    ('ca.earnings_limit', 15100, 'pence', 'weekly', date(2024, 4, 8), date(2025, 4, 6), SOURCE_3, 'S'),
    ('ca.earnings_limit', 19600, 'pence', 'weekly', date(2025, 4, 7), date(2026, 4, 5), SOURCE_3, 'S'),
    ('ca.earnings_limit', 20400, 'pence', 'weekly', date(2026, 4, 6), None, SOURCE_3, 'S2'),
    ('legacy.disregard.single', 500, 'pence', 'weekly', date(2024, 4, 8), date(2025, 4, 6), SOURCE_4, 'S'),
    ('legacy.disregard.single', 500, 'pence', 'weekly', date(2025, 4, 7), date(2026, 4, 5), SOURCE_4, 'S'),
    ('legacy.disregard.single', 500, 'pence', 'weekly', date(2026, 4, 6), None, SOURCE_4, 'S'),
    ('legacy.disregard.couple', 1000, 'pence', 'weekly', date(2024, 4, 8), date(2025, 4, 6), SOURCE_4, 'S'),
    ('legacy.disregard.couple', 1000, 'pence', 'weekly', date(2025, 4, 7), date(2026, 4, 5), SOURCE_4, 'S'),
    ('legacy.disregard.couple', 1000, 'pence', 'weekly', date(2026, 4, 6), None, SOURCE_4, 'S'),
    ('legacy.disregard.higher', 2000, 'pence', 'weekly', date(2024, 4, 8), date(2025, 4, 6), SOURCE_4, 'S'),
    ('legacy.disregard.higher', 2000, 'pence', 'weekly', date(2025, 4, 7), date(2026, 4, 5), SOURCE_4, 'S'),
    ('legacy.disregard.higher', 2000, 'pence', 'weekly', date(2026, 4, 6), None, SOURCE_4, 'S'),
    ('legacy.disregard.lone_parent', 2500, 'pence', 'weekly', date(2024, 4, 8), date(2025, 4, 6), SOURCE_4, 'S'),
    ('legacy.disregard.lone_parent', 2500, 'pence', 'weekly', date(2025, 4, 7), date(2026, 4, 5), SOURCE_4, 'S'),
    ('legacy.disregard.lone_parent', 2500, 'pence', 'weekly', date(2026, 4, 6), None, SOURCE_4, 'S'),
    ('hmrc.mileage.car', 45, 'pence', 'per_mile', date(2024, 4, 6), date(2025, 4, 5), SOURCE_5, 'S'),
    ('hmrc.mileage.car', 45, 'pence', 'per_mile', date(2025, 4, 6), date(2026, 4, 5), SOURCE_5, 'S'),
    ('hmrc.mileage.car', 55, 'pence', 'per_mile', date(2026, 4, 6), None, SOURCE_5, 'S2'),
    ('hmrc.mileage.car_over_10000', 25, 'pence', 'per_mile', date(2024, 4, 6), date(2025, 4, 5), SOURCE_6, 'S'),
    ('hmrc.mileage.car_over_10000', 25, 'pence', 'per_mile', date(2025, 4, 6), date(2026, 4, 5), SOURCE_6, 'S'),
    ('hmrc.mileage.car_over_10000', 25, 'pence', 'per_mile', date(2026, 4, 6), None, SOURCE_6, 'S'),
    ('hmrc.mileage.motorcycle', 24, 'pence', 'per_mile', date(2024, 4, 6), date(2025, 4, 5), SOURCE_6, 'S'),
    ('hmrc.mileage.motorcycle', 24, 'pence', 'per_mile', date(2025, 4, 6), date(2026, 4, 5), SOURCE_6, 'S'),
    ('hmrc.mileage.motorcycle', 24, 'pence', 'per_mile', date(2026, 4, 6), None, SOURCE_6, 'S'),
    ('hmrc.mileage.bicycle', 20, 'pence', 'per_mile', date(2024, 4, 6), date(2025, 4, 5), SOURCE_6, 'S'),
    ('hmrc.mileage.bicycle', 20, 'pence', 'per_mile', date(2025, 4, 6), date(2026, 4, 5), SOURCE_6, 'S'),
    ('hmrc.mileage.bicycle', 20, 'pence', 'per_mile', date(2026, 4, 6), None, SOURCE_6, 'S'),
    ('hmrc.mileage.passenger', 5, 'pence', 'per_mile', date(2024, 4, 6), date(2025, 4, 5), SOURCE_6, 'S'),
    ('hmrc.mileage.passenger', 5, 'pence', 'per_mile', date(2025, 4, 6), date(2026, 4, 5), SOURCE_6, 'S'),
    ('hmrc.mileage.passenger', 5, 'pence', 'per_mile', date(2026, 4, 6), None, SOURCE_6, 'S'),
    ('tax.trading_allowance', 100000, 'pence', 'per_tax_year', date(2024, 4, 6), date(2025, 4, 5), SOURCE_7, 'S'),
    ('tax.trading_allowance', 100000, 'pence', 'per_tax_year', date(2025, 4, 6), date(2026, 4, 5), SOURCE_7, 'S'),
    ('tax.trading_allowance', 100000, 'pence', 'per_tax_year', date(2026, 4, 6), None, SOURCE_7, 'S'),
    ('nlw.hourly', 1144, 'pence', 'hourly', date(2024, 4, 1), date(2025, 3, 31), SOURCE_8, 'S'),
    ('nlw.hourly', 1221, 'pence', 'hourly', date(2025, 4, 1), date(2026, 3, 31), SOURCE_8, 'S'),
    ('nlw.hourly', 1271, 'pence', 'hourly', date(2026, 4, 1), None, SOURCE_8, 'S2'),
]


def seed_rows():
    """The rows this migration inserts (without created_at), as dicts."""
    return [
        {
            'key': key,
            'value': value,
            'unit': unit,
            'period': period,
            'effective_from': effective_from,
            'effective_to': effective_to,
            'source': source,
            'confidence': confidence,
            'note': SEED_NOTE,
        }
        for key, value, unit, period, effective_from, effective_to, source, confidence in SEED_ROWS
    ]


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

    now = datetime.now(timezone.utc)
    op.bulk_insert(benefit_rules, [{**row, 'created_at': now} for row in seed_rows()])


def downgrade():
    with op.batch_alter_table('benefit_rules', schema=None) as batch_op:
        batch_op.drop_index('ix_benefit_rules_key_effective_from')

    op.drop_table('benefit_rules')
