"""The WSGI application for gunicorn: `gunicorn chronos.wsgi:app`."""

from chronos import create_app

app = create_app()
