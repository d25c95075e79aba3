"""The public app: `uvicorn api.main:app` from the repository root (API_HOST:API_PORT).

It serves the widget and the people's API; the action server's routes are on the internal
app (`python -m api.internal_main`), never here.
"""

from __future__ import annotations

from api.factory import create_app, create_internal_app

__all__ = ["app", "create_app", "create_internal_app"]

app = create_app()
