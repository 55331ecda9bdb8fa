"""The CDK app that deploys the media pipeline to AWS (`infra/app.py`).

One construct per concern (ingest, fan-out, processing, catalog, delivery, replay,
observability), all built from `pipeline.topology`.
"""
