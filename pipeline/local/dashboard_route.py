"""`GET /dashboard.json` on the local gateway: the dashboard's figures for the web page."""

from __future__ import annotations

import json
import logging

from pipeline.local.dashboard_data import snapshot
from pipeline.local.gateway import StaticRoute
from pipeline.topology import Topology

log = logging.getLogger(__name__)

DASHBOARD_PATH = "/dashboard.json"


def dashboard_routes(topology: Topology, region: str) -> dict[str, StaticRoute]:
    def figures(_first_party: bool) -> tuple[str, bytes]:
        try:
            body = snapshot(topology, region)
        except Exception as exc:  # the page shows it and tries again
            log.exception("reading the dashboard's metrics failed")
            body = {"error": f"{type(exc).__name__}: {exc}", "widgets": []}
        return "application/json", json.dumps(body).encode()

    return {DASHBOARD_PATH: figures}
