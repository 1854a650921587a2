"""The WSGI application for gunicorn: `gunicorn chronos.wsgi:app`."""

from chronos.app import create_app

app = create_app()
