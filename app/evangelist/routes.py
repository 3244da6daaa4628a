"""Routes of the evangelist blueprint: only ever the signed-in evangelist's own records."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.decorators import role_required
from app.evangelist import bp
from app.extensions import db
from app.models import Assignment, Evangelist, SupportRequest


@bp.get("/")
@role_required("evangelist")
def home():
    profile = db.session.scalar(
        sa.select(Evangelist)
        .where(Evangelist.user_id == current_user.id)
        .options(
            selectinload(Evangelist.skills),
            selectinload(Evangelist.home_municipality),
            selectinload(Evangelist.home_community),
        )
    )
    assignments = []
    if profile is not None:
        assignments = db.session.scalars(
            sa.select(Assignment)
            .where(Assignment.evangelist_id == profile.id)
            .options(selectinload(Assignment.request).selectinload(SupportRequest.municipality))
            .order_by(Assignment.created_at.desc())
        ).all()
    return render_template("evangelist/home.html", profile=profile, assignments=assignments)
