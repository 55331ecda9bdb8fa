"""Fills the gaps of moto's IAM access control (`moto/iam/access_control.py`) that make the
embedded stack answer otherwise than AWS under the same identity policy: refuse what AWS
allows, or allow what AWS refuses. Nothing else, and never by widening a policy: each fix
makes moto check what AWS checks.

Each fix has a canary test (tests/local/test_moto_iam_gaps.py) that fails the day moto does the
thing natively, so the fix can be dropped.

1. DynamoDB calls are checked against the resource `*`, which no statement scoped to a table
   ARN matches: here against the table's ARN (`.../table/<name>`, `.../index/<name>` for a
   query or scan of an index), as on AWS.
2. Batch SQS actions are checked as themselves (`sqs:DeleteMessageBatch`); AWS authorizes
   them as the single action (`sqs:DeleteMessage`, `sqs:ChangeMessageVisibility`,
   `sqs:SendMessage`), which is all a policy can name.
3. S3 DeleteObjects (multi-object delete) is checked as `s3:DeleteObject` on the bucket's ARN,
   which no statement scoped to keys matches: here each key is checked against its own ARN,
   as on AWS. When any key is refused, every key of the request gets AccessDenied in the
   answer's Errors (moto answers all or nothing); AWS would still delete the others.
4. Presigned requests (query-string credentials: presigned PUT, upload-part and GET URLs;
   form credentials: presigned POST) fail with a server error, as moto reads the identity
   from the Authorization header only: here the identity comes from `X-Amz-Credential` (and
   `X-Amz-Security-Token`), as on AWS, and its policy is checked. Their signatures are not
   (moto does not check presigned signatures even without IAM).
5. A presigned POST upload is checked as s3:PutObject on the bucket's ARN: here on the ARN of
   the key the form uploads to, as on AWS.
6. Refusals of JSON-protocol requests (DynamoDB, SQS, EventBridge, ...) come as XML, which
   the SDK cannot read (it sees the code `403`): here as the JSON error AWS sends
   (`AccessDeniedException`, `UnrecognizedClientException`; SQS keeps its query-compatible
   `AccessDenied` and `InvalidClientTokenId`), so code can tell a refusal from other errors.
7. A request to a bucket that does not exist is refused (AccessDenied) when the caller has no
   permission on it; S3 answers NoSuchBucket to anyone: here too (CreateBucket excepted).
8. GetObject of a missing key answers NoSuchKey to anyone: S3 answers NoSuchKey only to a
   caller allowed s3:ListBucket on the bucket, AccessDenied to others. Here too (as moto
   ignores conditions, a ListBucket allowed only for some `s3:prefix` counts; AWS evaluates
   the condition without a prefix, so it may not). HeadObject is left as moto answers it.
9. An access key of one's choosing cannot be created: `add_access_key` adds one to a user,
   so the operator's well-known keys become an administrator's.
10. A CORS preflight (OPTIONS, which browsers send without credentials) fails with a server
   error, as moto authorizes it like any request: here it is answered from the bucket's CORS
   configuration without authentication, as S3 does.

Gaps left as they are (the policies are never widened for them):
- Conditions of identity policies are not evaluated (`s3:prefix`, `aws:SourceArn`, ...): a
  conditioned Allow allows.
- Resource policies (bucket, queue, topic, KMS key policies) are not evaluated, except that a
  bucket policy's explicit Deny refuses object requests.
- Services other than S3, SQS, IAM and STS (and DynamoDB here) are checked against `*`:
  a statement must name `*` to allow them (CloudWatch PutMetricData does; Secrets Manager
  would be refused, so the embedded stack signs no CDN URLs with CloudFront keys).
- CopyObject checks s3:PutObject on the target only, not s3:GetObject on the source.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

from moto.core.exceptions import JsonRESTError, _RESTError
from moto.dynamodb.responses import DynamoHandler
from moto.iam import access_control
from moto.s3.responses import S3Response

SINGLE_ACTION = {
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    "sqs:SendMessageBatch": "sqs:SendMessage",
}

_lock = threading.Lock()
_applied = False
_original_request_init = access_control.IAMRequestBase.__init__
_original_bucket_post = S3Response._bucket_response_post
_original_check_signature = access_control.IAMRequestBase.check_signature
_original_s3_authorize = S3Response._authenticate_and_authorize_s3_action
_original_get_object = S3Response.get_object
_REFUSALS = ("_raise_access_denied", "_raise_invalid_access_key", "_raise_signature_does_not_match")
_original_refusals = {name: getattr(access_control.IAMRequest, name) for name in _REFUSALS}
# The JSON error codes of AWS's refusals (SQS answers JSON with its query protocol's codes).
JSON_CODES = {
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
}


def _dynamodb_resource(self: Any) -> str:
    body = self.body if isinstance(self.body, dict) else {}
    tables = [body["TableName"]] if "TableName" in body else list(body.get("RequestItems", {}))
    if len(tables) != 1:
        return "*"  # several tables (or none): only a statement on `*` allows it
    arn = f"arn:aws:dynamodb:{self.region}:{self.current_account}:table/{tables[0]}"
    index = body.get("IndexName")
    return f"{arn}/index/{index}" if index else arn


def _first(values: Any) -> str | None:
    if isinstance(values, list | tuple):
        return str(values[0]) if values else None
    return None if values is None else str(values)


def _presigned_identity(path: str, data: Any, headers: Any) -> tuple[str, str | None] | None:
    """(credential scope, session token) of a request signed in its URL or POST form."""
    if "Authorization" in headers:
        return None
    fields = {k.lower(): v for k, v in parse_qs(urlsplit(path).query).items()}
    if isinstance(data, dict):
        fields.update({str(k).lower(): v for k, v in data.items()})
    credential = _first(fields.get("x-amz-credential"))
    if not credential:
        return None
    return credential, _first(fields.get("x-amz-security-token"))


def _request_init(
    self: Any,
    account_id: str,
    method: str,
    path: str,
    data: Any,
    body: bytes,
    headers: Any,
    action: str,
) -> None:
    presigned = _presigned_identity(path, data, headers)
    if presigned is not None:
        credential, token = presigned
        headers = {k: v for k, v in headers.items() if k.lower() != "x-amz-security-token"}
        headers["Authorization"] = f"AWS4-HMAC-SHA256 Credential={credential}, Signature=-"
        if token:
            headers["X-Amz-Security-Token"] = token
    _original_request_init(self, account_id, method, path, data, body, headers, action)
    self._presigned = presigned is not None
    self._action = SINGLE_ACTION.get(self._action, self._action)


def _check_signature(self: Any) -> None:
    if not getattr(self, "_presigned", False):
        _original_check_signature(self)


def _json_refusal(name: str) -> Any:
    original = _original_refusals[name]

    def refuse(self: Any, *args: Any) -> None:
        try:
            original(self, *args)
        except JsonRESTError:
            raise
        except _RESTError as exc:  # what moto's access control raises
            content_type = str(self._headers.get("Content-Type", ""))
            if not content_type.startswith("application/x-amz-json"):
                raise
            code = exc.error_type
            if self._service != "sqs":
                code = JSON_CODES.get(code, code)
            error = JsonRESTError(code, exc.message)
            error.code = exc.code
            raise error from None

    return refuse


def _s3_authorize(self: Any, bucket_name: str | None = None, key_name: str | None = None) -> None:
    if self.method == "OPTIONS":
        return  # a CORS preflight carries no credentials; S3 answers it from the CORS rules
    if bucket_name and self.data.get("Action") != "CreateBucket":
        from moto.s3.exceptions import MissingBucket

        try:
            self.backend.get_bucket(bucket_name)
        except MissingBucket:
            return  # the operation answers NoSuchBucket, whoever asks, as S3 does
    form_key = self.querystring.get("key") if self.method == "POST" else None
    if key_name is None and self.data.get("Action") == "PutObject" and form_key:
        key_name = form_key[0]  # a POST upload: checked on the key it writes, as on AWS
    _original_s3_authorize(self, bucket_name, key_name)


def _bucket_response_post(self: Any, request: Any, bucket_name: str) -> Any:
    if not request.headers.get("Content-Length"):
        return _original_bucket_post(self, request, bucket_name)
    self.path = self._get_path(request)  # what is_delete_keys reads
    if not self.is_delete_keys():
        return _original_bucket_post(self, request, bucket_name)
    from moto.s3.exceptions import BucketAccessDeniedError, S3AccessDeniedError

    self.data["Action"] = "DeleteObject"
    root = ElementTree.fromstring(self.body)
    refused: list[str] = []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "Object":
            continue
        key = next((c.text or "" for c in element if c.tag.rsplit("}", 1)[-1] == "Key"), "")
        try:
            self._authenticate_and_authorize_s3_action(bucket_name=bucket_name, key_name=key)
        except (BucketAccessDeniedError, S3AccessDeniedError):
            refused.append(key)
    if not refused:
        return self._bucket_response_delete_keys(bucket_name)
    # Some keys refused: moto can answer all-refused only (as for a request refused outright).
    return self._bucket_response_delete_keys(bucket_name, authenticated=False)


def _get_object(self: Any) -> Any:
    from moto.s3.exceptions import MissingKey

    try:
        return _original_get_object(self)
    except MissingKey:
        self.data["Action"] = "ListBucket"  # refused (AccessDenied) unless the caller may list
        self._authenticate_and_authorize_s3_action(bucket_name=self.bucket_name)
        raise


def add_access_key(user_name: str, access_key_id: str, secret: str) -> None:
    """Give a user (of the default account) an access key with this id and secret."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.iam.models import AccessKey, iam_backends

    user = iam_backends[DEFAULT_ACCOUNT_ID]["aws"].get_user(user_name)
    key = AccessKey(user_name, prefix="AKIA", account_id=DEFAULT_ACCOUNT_ID)  # type: ignore[abstract]
    key.access_key_id, key.secret_access_key = access_key_id, secret
    user.access_keys.append(key)


def apply() -> None:
    global _applied
    with _lock:
        if _applied:
            return
        DynamoHandler._determine_resource = _dynamodb_resource  # type: ignore[attr-defined]
        access_control.IAMRequestBase.__init__ = _request_init  # type: ignore[method-assign]
        S3Response._bucket_response_post = _bucket_response_post  # type: ignore[method-assign]
        S3Response._authenticate_and_authorize_s3_action = _s3_authorize  # type: ignore[method-assign]
        S3Response.get_object = _get_object  # type: ignore[method-assign]
        access_control.IAMRequestBase.check_signature = _check_signature  # type: ignore[method-assign]
        for name in _REFUSALS:
            setattr(access_control.IAMRequest, name, _json_refusal(name))
        _applied = True
