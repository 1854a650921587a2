"""gunicorn settings for Chronos, all from the environment (Procfile: `gunicorn -c infra/gunicorn.conf.py`)."""
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# gunicorn's control socket (for `gunicornc`) defaults to one path per user, which every gunicorn on
# the host would share (the second instance takes the first one's socket). Off unless a path of this
# instance's own is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or "gunicorn.ctl"
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
# Behind a platform's router the client address comes in X-Forwarded-For (rate limits key on it).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The app is loaded once, before the workers fork: they share its memory (copy-on-write) instead of
# each loading ~100 MB of its own. GUNICORN_PRELOAD=false loads it in each worker.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in ("0", "false", "no", "off")


def pre_fork(server, worker):  # noqa: ANN001 - gunicorn hook signature
    """Move the loaded app's objects out of the collector's reach before forking: a collection in a
    worker would otherwise write to every object's header and copy the pages the workers share."""
    if preload_app:
        import gc

        gc.freeze()


def post_fork(server, worker):  # noqa: ANN001 - gunicorn hook signature
    """A forked worker must not share the loader's database connections (none are open, but be sure)."""
    if preload_app:
        from chronos.extensions import db
        from chronos.wsgi import app

        with app.app_context():
            db.engine.dispose(close=False)


def child_exit(server, worker):  # noqa: ANN001 - gunicorn hook signature
    """Drop a dead worker's metric files (prometheus-client multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
