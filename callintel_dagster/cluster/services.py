"""The outside services a cluster needs: its PostgreSQL databases and its broker queue."""

from urllib.parse import urlsplit

import psycopg2
from psycopg2 import sql

from callintel_dagster.cluster.settings import ClusterSettings


class ClusterError(RuntimeError):
    """The cluster cannot start or is not ready; the message names the process and the reason."""


def ensure_database(url: str) -> None:
    """Create the database `url` names, if missing, on its server."""
    parts = urlsplit(url)
    name, server = parts.path.lstrip("/"), parts._replace(path="/postgres").geturl()
    try:
        admin = psycopg2.connect(server, connect_timeout=5)
    except psycopg2.OperationalError:
        raise ClusterError(
            f"PostgreSQL at {parts.hostname}:{parts.port} is not reachable"
        ) from None
    admin.autocommit = True  # CREATE DATABASE refuses to run in a transaction
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        admin.close()


def forget_queue(settings: ClusterSettings) -> None:
    """Delete the cluster's queue from the broker (a throwaway cluster: tests, benchmarks)."""
    from dagster_celery.make_app import make_app

    app = make_app({"broker": settings.broker, "backend": settings.backend})
    with app.connection_for_write() as conn:
        conn.default_channel.queue_delete(settings.queue)


def check_broker_and_backend(settings: ClusterSettings) -> None:
    """Fail before starting anything when RabbitMQ or Redis does not answer."""
    import redis
    from dagster_celery.make_app import make_app
    from kombu.exceptions import OperationalError

    app = make_app({"broker": settings.broker, "backend": settings.backend})
    broker = urlsplit(settings.broker)
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
    except (OperationalError, OSError):
        raise ClusterError(
            f"the broker at {broker.hostname}:{broker.port} is not reachable"
        ) from None
    backend = urlsplit(settings.backend)
    try:
        redis.Redis.from_url(settings.backend, socket_connect_timeout=5).ping()
    except (redis.RedisError, OSError):
        raise ClusterError(
            f"the result backend at {backend.hostname}:{backend.port} is not reachable"
        ) from None
