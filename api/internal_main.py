"""The internal app: `python -m api.internal_main`, on INTERNAL_API_HOST:INTERNAL_API_PORT
(127.0.0.1:8001 by default; a private-network address when action servers run elsewhere).

Its routes take a user id from the caller and trust the service key, so they must never
be reachable from the public listener (api.main) or the internet.
"""

from __future__ import annotations

import uvicorn

from api.factory import create_internal_app

app = create_internal_app()


def main() -> None:
    settings = app.state.settings
    # No proxy headers: the peer's address is what failed service-key attempts are counted
    # against, and a caller on loopback could otherwise name any address it likes.
    uvicorn.run(
        app,
        host=settings.internal_api_host,
        port=settings.internal_api_port,
        proxy_headers=False,
        access_log=False,
    )


if __name__ == "__main__":
    main()
