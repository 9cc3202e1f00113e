"""Cluster mode on one machine: the Dagster daemon, the webserver and Celery workers started as
processes against PostgreSQL (instance storage) and RabbitMQ (the broker), and a demo that
launches runs through them (docs/cluster.md)."""
