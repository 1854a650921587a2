"""The built single-page app, served by WhiteNoise, with a fallback to index.html for client routes."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, send_file


def register_frontend(app: Flask) -> None:
    dist = Path(app.config["FRONTEND_DIST"])
    if not (dist / "index.html").exists():
        return
    from whitenoise import WhiteNoise

    # Hashed assets (Vite puts a content hash in every name under assets/) can be cached forever.
    app.wsgi_app = WhiteNoise(app.wsgi_app, root=str(dist), index_file=True,  # type: ignore[method-assign]
                              immutable_file_test=lambda path, url: url.startswith("/assets/"))

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def spa(path: str):  # client-side routes all load the app shell
        if path.startswith(("api/", "metrics", "assets/")):
            abort(404)
        return send_file(dist / "index.html", max_age=0)
