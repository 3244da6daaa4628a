"""Indexes for the open dialogue at ten times the Ideabox (issue 21, bench/bench_dialogue.py):
figures read from indexes alone instead of every idea's row.

* ``ix_ideas_theme_counts`` (theme, visibility, agree, disagree, comments) replaces
  ``ix_ideas_theme_agreed`` (theme, visibility, agree), whose order it keeps for the
  "most agreed" list, and answers a theme's or every theme's counts of ideas, comments and
  votes from the index (SQLite, 79,000 ideas: every theme's counts 180 ms -> 7 ms, the
  largest theme's 48 ms -> 1.4 ms).
* ``ix_idea_comments_idea_stance`` (idea, visibility, stance, author): an idea's stance
  counts and a theme's commenters from the index.
* ``ix_idea_profiles_groups`` (withdrawn, age band, gender, voice, prefecture): the
  participation of the whole dialogue grouped in index order (73,000 profiles: 138 ms ->
  18 ms).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_ideas_theme_agreed', table_name='ideas')
    op.create_index('ix_ideas_theme_counts', 'ideas',
                    ['theme_id', 'visibility', 'agree_count', 'disagree_count', 'comment_count'], unique=False)
    op.create_index('ix_idea_comments_idea_stance', 'idea_comments',
                    ['idea_id', 'visibility', 'stance', 'author_id'], unique=False)
    op.create_index('ix_idea_profiles_groups', 'idea_profiles',
                    ['withdrawn_at', 'age_band', 'gender', 'voice', 'prefecture_id'], unique=False)


def downgrade():
    op.drop_index('ix_idea_profiles_groups', table_name='idea_profiles')
    op.drop_index('ix_idea_comments_idea_stance', table_name='idea_comments')
    op.drop_index('ix_ideas_theme_counts', table_name='ideas')
    op.create_index('ix_ideas_theme_agreed', 'ideas', ['theme_id', 'visibility', 'agree_count'], unique=False)
