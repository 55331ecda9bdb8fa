"""The SQS-batch plumbing shared by the two worker functions."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pipeline.metrics_emf import with_cold_start_metric
from pipeline.tracing import traced
from pipeline.usecases.process_part import PartWorker


def sqs_handler(logger: Logger, build: Any) -> Any:
    """A Lambda handler for an SQS event source with ReportBatchItemFailures."""
    processor = BatchProcessor(event_type=EventType.SQS)
    worker: list[PartWorker] = []

    def record_handler(record: SQSRecord) -> str:
        if not worker:
            worker.append(build())
        receive_count = int(record.attributes.approximate_receive_count or 1)
        outcome = worker[0].handle(record.body, receive_count, record.message_id)
        return outcome.status

    @with_cold_start_metric
    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return dict(
            process_partial_response(
                event=event, record_handler=record_handler, processor=processor, context=context
            )
        )

    return traced(handler)
