"""The per-host memo of moto's dispatcher answers what moto's own lookup answers."""

from __future__ import annotations

from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import create_backend_app

from pipeline.local import moto_speed

HOSTS = [
    "dynamodb.us-east-1.amazonaws.com",
    "sqs.us-east-1.amazonaws.com",
    "sns.eu-west-1.amazonaws.com",
    "s3.amazonaws.com",
    "s3.us-east-1.amazonaws.com",
    "bucket.s3.amazonaws.com",
    "events.us-east-1.amazonaws.com",
    "monitoring.us-east-1.amazonaws.com",
    "s3",
    "moto_api",
    "127.0.0.1:5000",
    "localhost",
]


def test_memo_answers_as_moto_does() -> None:
    moto_speed.apply()
    moto_speed.apply()  # idempotent
    app = DomainDispatcherApplication(create_backend_app)
    original = moto_speed.original_backend_for_host()
    assert DomainDispatcherApplication.get_backend_for_host is not original
    for _ in range(2):  # the second round is answered from the memo
        for host in HOSTS:
            assert app.get_backend_for_host(host) == original(app, host), host
    assert app.get_backend_for_host(None) is None
