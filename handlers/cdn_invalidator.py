"""CDN invalidator: SQS batch of rendition prefixes -> one CDN invalidation.

The batch succeeds or fails as a whole (one invalidation covers it): when the CDN stays busy
past the retries, the handler raises and SQS delivers the batch again later. Only a message
that is no invalidation request fails alone (and ends in the dead-letter queue).
"""

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import SQSEvent

from pipeline.composition import invalidator
from pipeline.metrics_emf import with_cold_start_metric
from pipeline.observability import SERVICE
from pipeline.settings import get_settings
from pipeline.tracing import traced
from pipeline.usecases.invalidation import Invalidator

logger = Logger(service=SERVICE)


@cache
def _invalidator() -> Invalidator:
    return invalidator(get_settings())


@traced
@with_cold_start_metric
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    requests = [(r.message_id, r.body) for r in SQSEvent(event).records]
    result = _invalidator().invalidate(requests)
    logger.info(
        "invalidation requested",
        extra={
            "invalidation_id": result.invalidation_id,
            "paths": result.paths,
            "requests": len(requests),
            "tries": result.tries,
            "rejected": result.rejected,
        },
    )
    return {"batchItemFailures": [{"itemIdentifier": i} for i in result.rejected]}
