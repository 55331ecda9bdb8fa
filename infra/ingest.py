"""Ingest: the uploads bucket and the HTTP API (JWT authorizer, throttling, access logs) whose
function hands out presigned upload URLs. Bytes go from the client straight to S3."""

from __future__ import annotations

from aws_cdk import CfnParameter, Duration
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.catalog import Catalog
from infra.config import StackConfig
from infra.functions import PipelineEnvironment, PipelineFunction, log_group
from infra.nag import acknowledge, acknowledge_wildcards, arn_ref
from infra.storage import secure_bucket
from pipeline.topology import Topology

# Fields of one access-log line (JSON), from the HTTP API $context variables.
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
    '"requestTime":"$context.requestTime","httpMethod":"$context.httpMethod",'
    '"routeKey":"$context.routeKey","status":"$context.status",'
    '"protocol":"$context.protocol","responseLength":"$context.responseLength",'
    '"sub":"$context.authorizer.claims.sub","latencyMs":"$context.responseLatency",'
    '"integrationLatencyMs":"$context.integrationLatency",'
    '"integrationError":"$context.integrationErrorMessage",'
    '"authorizerError":"$context.authorizer.error"}'
)


class UploadsBucket(Construct):
    """Where clients put originals: EventBridge notifications on, browser uploads allowed."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = secure_bucket(
            self,
            "Bucket",
            access_logs=access_logs,
            access_logs_prefix="s3/uploads/",
            # The only copy of every original: an overwrite or a delete keeps the previous
            # version for a grace period, then lifecycle removes it (and the delete marker).
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-noncurrent-versions",
                    noncurrent_version_expiration=Duration.days(config.uploads_noncurrent_days),
                    expired_object_delete_marker=True,
                )
            ],
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.POST],
                    allowed_origins=list(config.cors_allowed_origins),
                    allowed_headers=["*"],
                    # Multipart clients read each part's ETag.
                    exposed_headers=["ETag"],
                    max_age=3000,
                )
            ],
        )
        # EventBridge notifications through the bucket's own CloudFormation property, not
        # `event_bridge_enabled`, which adds a custom-resource Lambda to set them.
        cfn_bucket = self.bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                event_bridge_enabled=True
            )
        )


class Ingest(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topology: Topology,
        config: StackConfig,
        uploads: s3.IBucket,
        outputs: s3.IBucket,
        catalog: Catalog,
        code: lambda_.Code,
        environment: PipelineEnvironment,
    ) -> None:
        super().__init__(scope, construct_id)
        self.jwt_issuer = CfnParameter(
            scope,
            "JwtIssuer",
            type="String",
            allowed_pattern="^https://.+",
            description="Issuer URL of the JWTs the API accepts (OIDC discovery must be "
            "reachable at <issuer>/.well-known/openid-configuration), e.g. a Cognito user pool "
            "https://cognito-idp.<region>.amazonaws.com/<pool-id>.",
        )
        self.jwt_audience = CfnParameter(
            scope,
            "JwtAudience",
            type="CommaDelimitedList",
            description="Accepted `aud` (or Cognito `client_id`) values, comma separated.",
        )

        self.api_function = PipelineFunction(
            self,
            "Api",
            code=code,
            handler=topology.api_handler,
            memory_mb=topology.api_memory_mb,
            timeout_s=topology.api_timeout_s,
            environment=environment,
            log_retention_days=config.log_retention_days,
            description="media-pipeline API: uploads (presigned, multipart) and assets",
        )
        self.api_function.without_dead_letter_queue(
            "Only API Gateway invokes this function, synchronously; a DLQ applies to "
            "asynchronous invocations alone."
        )
        uploads_objects = uploads.arn_for_objects(f"{topology.uploads_prefix}*")
        # Presigned POST/PUT/part URLs act with the signer's rights: it must hold them itself.
        # PutObject also covers CreateMultipartUpload, UploadPart and CompleteMultipartUpload.
        self.api_function.allow(
            ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
            [uploads_objects],
        )
        # DELETE /assets/{id}: the source under the uploads prefix, the renditions.
        self.api_function.allow_delete_under(uploads, topology.uploads_prefix)
        self.api_function.allow_delete_under(outputs, topology.renditions_prefix)
        self.api_function.allow(
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
            [catalog.table.table_arn, catalog.owner_index_arn],
        )
        acknowledge_wildcards(
            self.api_function.role,
            {
                f"Resource::{arn_ref(uploads)}/{topology.uploads_prefix}*": "Each asset gets "
                "new keys under the uploads prefix; the API signs uploads to them and deletes "
                "the sources of deleted assets, nowhere else.",
                f"Resource::{arn_ref(outputs)}/{topology.renditions_prefix}*": "Deleting an "
                "asset deletes its renditions, whose keys are derived per asset under this "
                "prefix only.",
            },
        )

        access_log_group = log_group(self, "AccessLogs", config.log_retention_days)
        self.api = apigw.HttpApi(
            self,
            "HttpApi",
            api_name=topology.name("api"),
            create_default_stage=False,
            default_authorizer=authorizers.HttpJwtAuthorizer(
                "Jwt",
                self.jwt_issuer.value_as_string,
                jwt_audience=self.jwt_audience.value_as_list,
            ),
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=list(config.cors_allowed_origins),
                allow_methods=[apigw.CorsHttpMethod.ANY],
                allow_headers=["authorization", "content-type"],
                max_age=Duration.hours(1),
            ),
        )
        integration = integrations.HttpLambdaIntegration("Handler", self.api_function.function)
        self.api.add_routes(
            path="/{proxy+}",
            methods=[
                apigw.HttpMethod.GET,
                apigw.HttpMethod.POST,
                apigw.HttpMethod.PUT,
                apigw.HttpMethod.DELETE,
            ],
            integration=integration,
        )
        # The OpenAPI document describes the API and holds nothing private: no token needed.
        [openapi_route] = self.api.add_routes(
            path="/openapi.json",
            methods=[apigw.HttpMethod.GET],
            integration=integration,
            authorizer=apigw.HttpNoneAuthorizer(),
        )
        acknowledge(
            openapi_route,
            "AwsSolutions-APIG4",
            "GET /openapi.json serves the public API description, the same for every caller; "
            "every other route keeps the JWT authorizer",
        )
        self.stage = apigw.HttpStage(
            self,
            "Stage",
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=config.api_rate_limit, burst_limit=config.api_burst_limit
            ),
        )
        cfn_stage = self.stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_log_group.log_group_arn, format=ACCESS_LOG_FORMAT
        )
        self.access_log_group = access_log_group

    @property
    def url(self) -> str:
        return self.api.api_endpoint
