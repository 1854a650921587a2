"""The built single-page app (`frontend/dist`): WhiteNoise for its files, index.html for client routes.

Vite names every file under `assets/` by its content hash, so those are cached for a year and marked
immutable; `index.html` is revalidated on every load so a deploy is picked up at once. Client routes
such as `/jobs/12` or `/executions/34` (e-mails link to them) all load `index.html`. Swagger UI's files,
copied into `dist/api-docs/` at build time, serve the API's docs page without any outside host.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, abort, send_file
from werkzeug.routing import PathConverter

# Paths that are never a client route: a miss there is a real 404, not the app shell.
NOT_CLIENT_ROUTES = ("api/", "api-docs/", "assets/", "metrics", "health")

# The app shell loads only its own files; user data is text, never markup, so scripts need no exceptions.
# uPlot sizes its chart with inline style attributes, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SHELL_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

NOT_BUILT = """<!doctype html><html lang="en"><meta charset="utf-8"><title>Chronos</title>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto;line-height:1.5">
<h1>Chronos is running, but its web app is not built</h1>
<p>Build it once with <code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>, then restart.
The REST API is available under <a href="/api/v1/docs">/api/v1</a>.</p></body></html>"""


def _is_immutable(path: str, url: str) -> bool:
    """Hashed build output: safe to cache forever."""
    return url.startswith("/assets/")


def _add_headers(headers: object, path: str, url: str) -> None:
    """WhiteNoise hook: the shell (served for "/" and "/index.html") is always revalidated."""
    if url in ("/", "/index.html"):
        for name, value in SHELL_HEADERS.items():
            headers[name] = value  # type: ignore[index]


class ClientPath(PathConverter):
    """Any path but the API's: an /api/ path no operation names is a 404 whatever the method
    (were it the shell's, a PATCH to /api/v1/jobs/abc would answer 405, as if the path existed)."""

    regex = r"(?!api(?:/|$))[^/].*?"


def register_frontend(app: Flask) -> None:
    """Serve `FRONTEND_DIST` with WhiteNoise and route every client path to its index.html."""
    dist = Path(app.config["FRONTEND_DIST"])
    built = (dist / "index.html").is_file()
    if built:
        from whitenoise import WhiteNoise

        app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
            app.wsgi_app, root=str(dist), index_file=True, max_age=3600,
            immutable_file_test=_is_immutable, add_headers_function=_add_headers)

    app.url_map.converters["client_path"] = ClientPath

    @app.get("/", defaults={"path": ""}, endpoint="spa")
    @app.get("/<client_path:path>", endpoint="spa")
    def spa(path: str) -> Response:
        """The app shell for a client route; a 404 for API, asset and file-like paths."""
        last = path.rsplit("/", 1)[-1]
        if path.startswith(NOT_CLIENT_ROUTES) or "." in last:
            abort(404)
        if not built:
            return Response(NOT_BUILT, status=503, mimetype="text/html")
        response = send_file(dist / "index.html", mimetype="text/html", max_age=0)
        response.headers.update(SHELL_HEADERS)
        return response
