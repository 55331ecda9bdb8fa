"""Fan-out: the rule on the default bus, the SNS topic, and one queue (with its DLQ) per
worker, subscribed with raw delivery and a subscription DLQ of its own."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge, skip_check
from infra.policies import allow_publish, from_source
from pipeline.topology import QueueSpec, Topology

EVENTS = "events.amazonaws.com"
# Redriven by hand after the cause is fixed, so kept as long as SQS allows.
DLQ_RETENTION = Duration.days(14)


def encrypted_queue(scope: Construct, construct_id: str, **kwargs: object) -> sqs.Queue:
    """SSE-SQS at rest (SNS and EventBridge can write to it without a KMS grant), TLS only."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        **kwargs,  # type: ignore[arg-type]
    )
    skip_check(
        queue,
        "CKV_AWS_27",
        "Encrypted at rest with SSE-SQS (SqsManagedSseEnabled), which the check does not "
        "recognise: it looks for a KMS key only.",
    )
    return queue


def dead_letter_queue(
    scope: Construct,
    construct_id: str,
    reason: str,
    *,
    of_service: bool = False,
    **kwargs: object,
) -> sqs.Queue:
    """A DLQ. `of_service`: the DLQ of an SNS subscription or an EventBridge target, which
    cdk-nag cannot tell from an unused queue (only a queue's RedrivePolicy names a DLQ)."""
    queue = encrypted_queue(scope, construct_id, **kwargs)
    if of_service:
        acknowledge(
            queue,
            "AwsSolutions-SQS3",
            f"This queue is itself a dead-letter queue ({reason}), named by that "
            "service's DeadLetterConfig/RedrivePolicy rather than by another queue's.",
        )
    acknowledge(
        queue,
        "Serverless-SQSRedrivePolicy",
        f"A dead-letter queue ({reason}) has no further DLQ: messages wait here, under a "
        "CloudWatch alarm, until they are redriven.",
    )
    return queue


def queue_with_dlq(
    scope: Construct, topology: Topology, spec: QueueSpec, dlq_purpose: str
) -> tuple[sqs.Queue, sqs.Queue]:
    """A function's queue as `spec` declares it, and the redrive DLQ that takes what it failed
    `spec.max_receive_count` times (constructs `Queue` and `Dlq` under `scope`)."""
    dlq = dead_letter_queue(
        scope,
        "Dlq",
        dlq_purpose,
        queue_name=topology.name(spec.dlq_name),
        retention_period=Duration.seconds(spec.dlq_retention_s),
    )
    queue = encrypted_queue(
        scope,
        "Queue",
        queue_name=topology.name(spec.name),
        visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
        retention_period=Duration.seconds(spec.retention_s),
        dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=spec.max_receive_count),
    )
    return queue, dlq


class WorkQueue(Construct):
    """A worker's queue with its redrive DLQ, and the DLQ of its SNS subscription."""

    def __init__(
        self, scope: Construct, construct_id: str, *, topology: Topology, spec: QueueSpec
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.queue, self.dlq = queue_with_dlq(
            self,
            topology,
            spec,
            f"messages the {spec.part} worker failed {spec.max_receive_count} times",
        )
        self.subscription_dlq = dead_letter_queue(
            self,
            "SubscriptionDlq",
            f"events SNS could not deliver to the {spec.part} queue",
            of_service=True,
            queue_name=topology.name(f"{spec.name}-subscription-dlq"),
            retention_period=DLQ_RETENTION,
        )


class FanOut(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topology: Topology,
        uploads_bucket_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        # A customer managed key: the AWS managed SNS key cannot grant EventBridge the right
        # to publish to an encrypted topic.
        self.key = kms.Key(
            self,
            "TopicKey",
            description=f"{topology.topic_name} topic encryption",
            enable_key_rotation=True,
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=topology.topic_name,
            master_key=self.key,
            enforce_ssl=True,
        )
        # No aws:SourceArn/aws:SourceAccount here: the SNS developer guide says they are not
        # supported in a key policy for EventBridge-to-encrypted-topic delivery (with them,
        # every event would fail to publish). The topic policy below carries them instead, and
        # this key encrypts this topic only.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(EVENTS)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
            )
        )

        self.queues: dict[str, WorkQueue] = {}
        for spec in topology.queues:
            work = WorkQueue(self, spec.name.title(), topology=topology, spec=spec)
            self.topic.add_subscription(
                subscriptions.SqsSubscription(
                    work.queue,
                    raw_message_delivery=True,
                    dead_letter_queue=work.subscription_dlq,
                )
            )
            self.queues[spec.part] = work

        self.rule_dlq = dead_letter_queue(
            self,
            "RuleDlq",
            "events the rule could not publish to the topic",
            of_service=True,
            queue_name=topology.name(f"{topology.rule}-dlq"),
            retention_period=DLQ_RETENTION,
        )
        pattern = topology.event_pattern(uploads_bucket_name)
        self.rule = events.Rule(
            self,
            "Rule",
            rule_name=topology.rule_name,
            description="Objects created under the uploads prefix, to the fan-out topic",
            event_pattern=events.EventPattern(
                source=pattern["source"],
                detail_type=pattern["detail-type"],
                detail=pattern["detail"],
            ),
            targets=[
                targets.SnsTopic(
                    # A view of the topic that takes no policy statement: the target would
                    # grant `events.amazonaws.com` publishing with no condition (any account's
                    # rule). The conditioned grant follows.
                    sns.Topic.from_topic_arn(self, "TopicTarget", self.topic.topic_arn),
                    dead_letter_queue=self.rule_dlq,
                    retry_attempts=185,
                    max_event_age=Duration.hours(24),
                )
            ],
        )
        allow_publish(self.topic, EVENTS, from_source(self.rule.rule_arn))
