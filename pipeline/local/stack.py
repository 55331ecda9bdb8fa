"""The embedded stack behind `pipeline up`, the demo and the tests.

moto's server runs in this process with the topology provisioned in it; handlers and the CLI
reach it through plain boto3 clients (AWS_ENDPOINT_URL and dummy credentials), the local
runtime feeds the workers, the gateway serves the API and the CDN serves the outputs bucket.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import urllib3

from pipeline import composition
from pipeline.aws.clients import reset_clients
from pipeline.dashboard import API_FUNCTION
from pipeline.delivery import HmacSigner
from pipeline.local import devauth, faults, iam, moto_cloudwatch, moto_gaps, moto_speed
from pipeline.local.access import LocalAccess, check_bind, is_loopback
from pipeline.local.cdn import CdnServer
from pipeline.local.dashboard_route import dashboard_routes
from pipeline.local.emf import capturing_emf
from pipeline.local.gateway import GatewayServer
from pipeline.local.moto_server import GuardedMotoServer
from pipeline.local.platform_metrics import PlatformMetrics
from pipeline.local.provision import Provisioned, provision
from pipeline.local.runtime import EventSource, LocalRuntime
from pipeline.local.web import static_routes
from pipeline.topology import TOPOLOGY, Topology

log = logging.getLogger(__name__)

DEFAULT_PORT = 4566  # moto; the API gateway takes port+1 and the CDN port+2


@dataclass
class StackOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT  # 0 picks free ports for all three servers
    workers: int | None = None  # worker processes; default one per core
    retry_delay_s: float | None = None  # None: failed messages wait out the visibility timeout
    log_path: str | None = None  # worker logs go here instead of the console
    region: str = "us-east-1"
    topology: Topology = field(default_factory=lambda: TOPOLOGY)
    signed_urls: bool = False  # CDN URLs carry an HMAC signature with an expiry
    extra_env: dict[str, str] = field(default_factory=dict)
    allow_remote: bool = False  # listening beyond loopback is refused without it
    cors_origins: tuple[str, ...] = ()  # origins besides the page's that may call the stack
    # Each function acts with its own role, whose policy the CDK app deploys (pipeline.local.iam).
    enforce_iam: bool = True


class StackAlreadyRunning(RuntimeError):
    """Another embedded stack runs in this process."""


_running: LocalStack | None = None  # the embedded stack of this process, while it runs


class LocalStack:
    def __init__(self, options: StackOptions | None = None) -> None:
        self.options = options or StackOptions()
        self.jwt_secret = devauth.new_secret()
        self.signing_secret = devauth.new_secret()
        self.cdn_token = devauth.new_secret()  # invalidations of the local CDN's edge cache
        self.resources = Provisioned()
        self.access = LocalAccess(remote=not is_loopback(self.options.host))
        for origin in self.options.cors_origins:
            self.access.allow_origin(origin)
        self.runtime: LocalRuntime | None = None
        self.platform_metrics: PlatformMetrics | None = None
        self.iam: iam.Enforcement | None = None
        self._moto: Any = None
        self._servers: list[Any] = []
        self._threads: list[threading.Thread] = []
        self._saved_env: dict[str, str | None] = {}
        self.endpoint_url = ""
        self.api_url = ""
        self.cdn_url = ""

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> LocalStack:
        global _running
        check_bind(self.options.host, self.options.allow_remote)
        if _running is not None and _running is not self:
            raise StackAlreadyRunning(
                "an embedded stack already runs in this process: moto keeps one state per "
                "process (and its IAM enforcement is process-wide), so a second stack would "
                "reset the first; stop it before starting another"
            )
        _running = self
        try:
            return self._start()
        except BaseException:
            _running = None
            raise

    def _start(self) -> LocalStack:
        opts = self.options
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
        moto_gaps.apply()
        moto_speed.apply()
        moto_cloudwatch.apply()
        faults.register()  # this process's clients: the API handler, the runtime's pollers
        self._moto = GuardedMotoServer(opts.host, opts.port, self.access)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        # moto keeps its state per process: start from nothing, even after another stack.
        urllib3.request("POST", f"{self.endpoint_url}/moto-api/reset")
        api_port = port + 1 if opts.port else 0
        cdn_port = port + 2 if opts.port else 0

        signer = HmacSigner(self.signing_secret.encode()) if opts.signed_urls else None
        self._cdn_server = CdnServer(
            (opts.host, cdn_port), None, "", signer=signer, invalidation_token=self.cdn_token
        )
        self.cdn_url = f"http://{opts.host}:{self._cdn_server.server_address[1]}"
        self._set_env(self.env())
        self.resources = provision(opts.topology, opts.region, cors_origins=["*"])
        if opts.enforce_iam:
            self.iam = iam.Enforcement(opts.topology, opts.region, iam.operator_credentials())
            self.iam.start()
        self._set_env(self.env())  # now with the invalidation queue's URL
        services = composition.services()
        self._cdn_server.store = services.store
        self._cdn_server.bucket = opts.topology.outputs_bucket_name

        from handlers.api import handler as api_handler

        # What SQS, Lambda, API Gateway and CloudFront would publish to CloudWatch on AWS.
        metrics = self.platform_metrics = PlatformMetrics(
            opts.topology, opts.region, composition.queues(services.settings)
        )
        routes = {**static_routes(self.dev_token), **dashboard_routes(opts.topology, opts.region)}
        gateway = GatewayServer(
            (opts.host, api_port),
            capturing_emf(iam.as_function(API_FUNCTION, api_handler), metrics.publisher),
            self.jwt_secret,
            routes,
            self.access,
        )
        gateway.observer = lambda status, seconds: metrics.api_response(
            API_FUNCTION, status, seconds
        )
        self._cdn_server.observer = metrics.cdn_request
        self.api_url = f"http://{opts.host}:{gateway.server_address[1]}"
        for server in (gateway, self._cdn_server):
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)

        self.runtime = LocalRuntime(
            self._event_sources(),
            opts.region,
            env={**self.env(), **(self.iam.worker_env() if self.iam else {})},
            workers=opts.workers,
            retry_delay_s=opts.retry_delay_s,
            log_path=opts.log_path,
        )
        self.runtime.observer = metrics
        self.runtime.start()
        metrics.start()
        return self

    def stop(self) -> None:
        global _running
        if _running is self:
            _running = None
        if self.runtime is not None:
            self.runtime.stop()
        if self.platform_metrics is not None:
            self.platform_metrics.stop()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        if self._moto is not None:
            self._moto.stop()
        if self.iam is not None:
            self.iam.stop()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_clients()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- configuration ----------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """The environment handlers and clients need to reach this stack."""
        topology = self.options.topology
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_REGION": self.options.region,
            "AWS_DEFAULT_REGION": self.options.region,
            "PIPELINE_PREFIX": topology.prefix,
            "PIPELINE_UPLOADS_BUCKET": topology.uploads_bucket_name,
            "PIPELINE_OUTPUTS_BUCKET": topology.outputs_bucket_name,
            "PIPELINE_TABLE": topology.table_name,
            "PIPELINE_CDN_BASE_URL": self.cdn_url,
            "PIPELINE_DEV_JWT_SECRET": self.jwt_secret,
            "POWERTOOLS_METRICS_NAMESPACE": "MediaPipeline",
            "PIPELINE_CDN_INVALIDATION_QUEUE_URL": self.resources.invalidations[0],
            "PIPELINE_CDN_INVALIDATION": "local",
            "PIPELINE_LOCAL_CDN_TOKEN": self.cdn_token,
            **(
                {"PIPELINE_CDN_SIGNING": "hmac", "PIPELINE_CDN_SIGNING_SECRET": self.signing_secret}
                if self.options.signed_urls
                else {}
            ),
            **self.options.extra_env,
        }

    def _set_env(self, env: dict[str, str]) -> None:
        for name, value in env.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        reset_clients()
        from pipeline.settings import get_settings

        get_settings.cache_clear()
        composition.services.cache_clear()

    def _event_sources(self) -> list[EventSource]:
        invalidations_url, invalidations_arn, _ = self.resources.invalidations
        return [
            *(
                EventSource(
                    queue=queue,
                    url=self.resources.queue_urls[queue.name],
                    arn=self.resources.queue_arns[queue.name],
                )
                for queue in self.options.topology.queues
            ),
            EventSource(self.options.topology.invalidations, invalidations_url, invalidations_arn),
        ]

    def allow_origin(self, origin: str) -> None:
        """Let pages of `origin` call the API and upload to the embedded S3 (CORS)."""
        self.access.allow_origin(origin)

    def dev_token(self, subject: str = "dev") -> str:
        return devauth.sign(self.jwt_secret, subject)

    def describe(self) -> dict[str, str]:
        return {
            "aws endpoint": self.endpoint_url,
            "api": self.api_url,
            "cdn": self.cdn_url,
            "uploads bucket": self.options.topology.uploads_bucket_name,
            "outputs bucket": self.options.topology.outputs_bucket_name,
            "catalog table": self.options.topology.table_name,
            "worker logs": self.options.log_path or "console",
        }


def default_log_path(root: Path) -> str:
    root.mkdir(parents=True, exist_ok=True)
    return str(root / "workers.log")
