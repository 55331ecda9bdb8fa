"""CloudFront invalidations of the distribution in front of the outputs bucket (`Cdn`)."""

from __future__ import annotations

from collections.abc import Sequence

from botocore.exceptions import ClientError

from pipeline.aws.clients import client
from pipeline.ports import CdnBusy


class CloudFrontInvalidations:
    def __init__(self, distribution_id: str) -> None:
        self.distribution_id = distribution_id
        self._cloudfront = client("cloudfront", "us-east-1")  # a global service

    def invalidate(self, paths: Sequence[str], reference: str) -> str:
        try:
            response = self._cloudfront.create_invalidation(
                DistributionId=self.distribution_id,
                InvalidationBatch={
                    "Paths": {"Quantity": len(paths), "Items": list(paths)},
                    "CallerReference": reference,
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "TooManyInvalidationsInProgress":
                raise CdnBusy(str(exc)) from exc
            raise
        return str(response["Invalidation"]["Id"])
