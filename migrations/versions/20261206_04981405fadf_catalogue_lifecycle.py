"""Catalogue lifecycle (status, as_of, calls' dates, review), founders' reports, search supply.

Existing rows: ``is_example`` becomes status "example" (else "current"), the amount moves to the
English text; the new non-null columns get server defaults so that old rows stay valid.

Revision ID: 04981405fadf
Revises: f4442dbda0e4
Create Date: 2026-12-06 19:17:47.976160
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '04981405fadf'
down_revision = 'f4442dbda0e4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('resource_reports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('resource_id', sa.String(length=120), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=12), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('resource_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_reports_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_resource_reports_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resource_reports_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_resource_reports_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('resource_texts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('questions', sa.JSON(), nullable=False, server_default='[]'))

    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('amount_value', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('amount_currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('opens_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('deadline', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=10), nullable=False, server_default='current'))
        batch_op.add_column(sa.Column('as_of', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('as_of_text', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('review_months', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False,
                                      server_default=sa.func.current_timestamp()))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.alter_column('source_url',
               existing_type=sa.VARCHAR(length=500),
               nullable=True)
        batch_op.alter_column('verified_on',
               existing_type=sa.DATE(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_resources_status'), ['status'], unique=False)

    op.execute("UPDATE resources SET status = 'example' WHERE is_example")
    op.execute("UPDATE resource_texts SET amount = (SELECT amount FROM resources"
               " WHERE resources.id = resource_texts.resource_id) WHERE lang = 'en'")
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.drop_column('amount')
        batch_op.drop_column('is_example')

    with op.batch_alter_table('searches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supply', sa.String(length=6), nullable=False, server_default='ok'))
        batch_op.create_index(batch_op.f('ix_searches_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_searches_supply'), ['supply'], unique=False)

    with op.batch_alter_table('founders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_report_id', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('pending_report_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('report_limit_noticed_at', sa.DateTime(timezone=True),
                                      nullable=True))

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('can_edit_catalogue', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))



def downgrade() -> None:
    with op.batch_alter_table('founders', schema=None) as batch_op:
        batch_op.drop_column('report_limit_noticed_at')
        batch_op.drop_column('pending_report_at')
        batch_op.drop_column('pending_report_id')

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('can_edit_catalogue')

    with op.batch_alter_table('searches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_searches_supply'))
        batch_op.drop_index(batch_op.f('ix_searches_created_at'))
        batch_op.drop_column('supply')

    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_example', sa.BOOLEAN(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('amount', sa.VARCHAR(length=300), nullable=True))
        batch_op.drop_index(batch_op.f('ix_resources_status'))
        batch_op.alter_column('verified_on',
               existing_type=sa.DATE(),
               nullable=False)
        batch_op.alter_column('source_url',
               existing_type=sa.VARCHAR(length=500),
               nullable=False)
        batch_op.drop_column('version')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('review_months')
        batch_op.drop_column('as_of_text')
        batch_op.drop_column('as_of')
        batch_op.drop_column('status')
        batch_op.drop_column('deadline')
        batch_op.drop_column('opens_on')
        batch_op.drop_column('amount_currency')
        batch_op.drop_column('amount_value')
        batch_op.drop_column('topic')

    with op.batch_alter_table('resource_texts', schema=None) as batch_op:
        batch_op.drop_column('questions')
        batch_op.drop_column('amount')

    with op.batch_alter_table('resource_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_reports_user_id'))
        batch_op.drop_index(batch_op.f('ix_resource_reports_status'))
        batch_op.drop_index(batch_op.f('ix_resource_reports_resource_id'))
        batch_op.drop_index(batch_op.f('ix_resource_reports_created_at'))

    op.drop_table('resource_reports')
