"""Who took part in each theme of the idea box (issue 21, point 6): one row per theme and
person who posted, commented or voted there, with the person's groups copied from their
profile, so that a theme's participation by age band, gender, voice and prefecture is read
from one index (``ix_idea_theme_participants_groups``) instead of deduplicating every
author, commenter and voter of the theme. The rows of what is already stored are written
here.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import context, op

from evangelists.ideas import VOICES
from evangelists.vocabulary import AGE_BANDS, GENDERS

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def _choice(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values)))


def upgrade():
    op.create_table(
        'idea_theme_participants',
        sa.Column('theme_id', sa.Integer(), nullable=False),
        sa.Column('profile_id', sa.Integer(), nullable=False),
        sa.Column('voice', _choice(VOICES, 'idea_participant_voice'), nullable=False),
        sa.Column('age_band', _choice(AGE_BANDS, 'idea_participant_age_band'), nullable=True),
        sa.Column('gender', _choice(GENDERS, 'idea_participant_gender'), nullable=True),
        sa.Column('prefecture_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['theme_id'], ['idea_themes.id'],
                                name=op.f('fk_idea_theme_participants_theme_id_idea_themes'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['profile_id'], ['idea_profiles.id'],
                                name=op.f('fk_idea_theme_participants_profile_id_idea_profiles'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['prefecture_id'], ['prefectures.id'],
                                name=op.f('fk_idea_theme_participants_prefecture_id_prefectures')),
        sa.PrimaryKeyConstraint('theme_id', 'profile_id', name=op.f('pk_idea_theme_participants')),
    )
    op.create_index('ix_idea_theme_participants_groups', 'idea_theme_participants',
                    ['theme_id', 'age_band', 'gender', 'voice', 'prefecture_id'])
    op.create_index(op.f('ix_idea_theme_participants_profile_id'), 'idea_theme_participants', ['profile_id'])
    if not context.is_offline_mode():
        op.execute(
            "INSERT INTO idea_theme_participants (theme_id, profile_id, voice, age_band, gender, prefecture_id) "
            "SELECT a.theme_id, p.id, p.voice, p.age_band, p.gender, p.prefecture_id FROM ("
            " SELECT theme_id, author_id AS profile_id FROM ideas"
            " UNION SELECT i.theme_id, c.author_id FROM idea_comments c JOIN ideas i ON i.id = c.idea_id"
            " UNION SELECT i.theme_id, v.profile_id FROM idea_votes v JOIN ideas i ON i.id = v.idea_id"
            ") a JOIN idea_profiles p ON p.id = a.profile_id")


def downgrade():
    op.drop_index(op.f('ix_idea_theme_participants_profile_id'), table_name='idea_theme_participants')
    op.drop_index('ix_idea_theme_participants_groups', table_name='idea_theme_participants')
    op.drop_table('idea_theme_participants')
