"""The CloudWatch dashboard, built widget by widget from `pipeline.dashboard`."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from constructs import Construct

from infra.monitored import MonitoredResources
from pipeline.dashboard import PERIOD_S, widgets
from pipeline.topology import Topology

WIDGET_WIDTH = 8  # three per row (the grid is 24 wide)


def build_dashboard(
    scope: Construct, construct_id: str, topology: Topology, resources: MonitoredResources
) -> cw.Dashboard:
    dashboard = cw.Dashboard(scope, construct_id, dashboard_name=topology.name("overview"))
    graphs = [
        cw.GraphWidget(
            title=widget.title,
            left=[resources.metric(metric) for metric in widget.metrics],
            left_y_axis=cw.YAxisProps(label=widget.unit, show_units=False, min=0),
            period=Duration.seconds(PERIOD_S),
            width=WIDGET_WIDTH,
            height=6,
        )
        for widget in widgets(topology)
    ]
    for row in range(0, len(graphs), 3):
        dashboard.add_widgets(*graphs[row : row + 3])
    return dashboard
