"""WSGI entry point: ``gunicorn wsgi:app``.

Defaults to the production configuration, so a server started without APP_CONFIG gets
secure cookies, refuses to run without SECRET_KEY and cannot seed demo data. `make run`
and `make test` set APP_CONFIG themselves.
"""

import os

from app import create_app

app = create_app(os.environ.get("APP_CONFIG", "production"))
