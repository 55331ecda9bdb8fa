"""Renditions worker: SQS batch of upload events -> renditions in the outputs bucket."""

from aws_lambda_powertools import Logger

from handlers._sqs_worker import sqs_handler
from pipeline.composition import part_worker
from pipeline.observability import SERVICE
from pipeline.topology import PART_RENDITIONS

logger = Logger(service=SERVICE)
handler = sqs_handler(logger, lambda: part_worker(PART_RENDITIONS))
