"""The public community directory (``/communities``, issue 22 point 5): the communities that
opted in, on a list and a map, each with its public page, and the form on which a
community registers itself for a coordinator to review once its contact address is
confirmed by a mailed link (``/communities/register/confirm/<token>``). Anyone may see it; nothing of a
community that did not opt in, and never a contact e-mail, address or member."""

from flask import Blueprint

bp = Blueprint("directory", __name__)

from app.directory import routes  # noqa: E402,F401  (routes attach themselves to bp)
