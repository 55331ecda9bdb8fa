"""Alarms from `pipeline.alarms`, each notifying an encrypted SNS topic users subscribe to
(e-mail, chat, paging: `aws sns subscribe --topic-arn <AlarmTopicArn> ...`)."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.monitored import MonitoredResources
from infra.policies import allow_publish, from_source
from pipeline.alarms import alarms
from pipeline.topology import Topology

CLOUDWATCH = "cloudwatch.amazonaws.com"


def _construct_id(key: str) -> str:
    return "".join(word.title() for word in key.split("-"))


class Alarms(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topology: Topology,
        resources: MonitoredResources,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "TopicKey",
            description=f"{topology.name('alarms')} topic encryption",
            enable_key_rotation=True,
        )
        # CloudWatch notifies for the alarms of this stack (named `<prefix>-...`) only.
        from_alarms = from_source(
            Stack.of(self).format_arn(
                service="cloudwatch",
                resource="alarm",
                resource_name=topology.name("*"),
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            ),
            pattern=True,
        )
        # CloudWatch publishes to the encrypted topic with this key.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(CLOUDWATCH)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions=from_alarms,
            )
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=topology.name("alarms"),
            display_name=f"{topology.prefix} alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        allow_publish(self.topic, CLOUDWATCH, from_alarms)
        action = actions.SnsAction(self.topic)
        self.alarms: dict[str, cw.Alarm] = {}
        for spec in alarms(topology):
            alarm = cw.Alarm(
                self,
                _construct_id(spec.key),
                alarm_name=topology.name(spec.key),
                alarm_description=spec.description,
                metric=resources.metric(spec.metric, spec.period_s, labelled=False),
                threshold=spec.threshold,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=spec.evaluation_periods,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms[spec.key] = alarm
