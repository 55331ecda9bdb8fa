"""The OpenAPI 3.1 document of the HTTP API, served at /openapi.json.

Written by hand to keep Pydantic out of the function's cold start; a contract test checks
that every route of the API handler is described here and nothing else is.
"""

from __future__ import annotations

from typing import Any

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_AUTH_ERRORS = {"401": _PROBLEM}


def _op(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": {**responses, **_AUTH_ERRORS}, **extra}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"required": True, "content": {"application/json": {"schema": ref}}}


def _query(name: str, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema or {"type": "string"},
    }


_PATH_ID = {"name": "asset_id", "in": "path", "required": True, "schema": {"type": "string"}}
_UPLOAD_ID = {"name": "upload_id", "in": "path", "required": True, "schema": {"type": "string"}}
_KEY = _query("key", required=True)
_OBJ = {"type": "object"}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "media-pipeline API",
            "version": "1",
            "description": "Presigned uploads to S3 and the assets they become.",
        },
        "security": [{"bearer": []}],
        "paths": {
            "/uploads": {
                "post": _op(
                    "Grant an upload: a presigned POST (or PUT) pinned to one key, type and size",
                    {
                        "201": _json({"$ref": "#/components/schemas/UploadGrant"}, "Granted"),
                        "400": _PROBLEM,
                        "413": _PROBLEM,
                        "415": _PROBLEM,
                    },
                    requestBody=_body("UploadRequest"),
                )
            },
            "/s3/params": {
                "get": _op(
                    "Single-request upload parameters (@uppy/aws-s3)",
                    {
                        "200": _json({"$ref": "#/components/schemas/UploadGrant"}),
                        "400": _PROBLEM,
                        "413": _PROBLEM,
                        "415": _PROBLEM,
                    },
                    parameters=[
                        _query("filename", True, type="string", examples=["photo.jpg"]),
                        _query("type", True, type="string", examples=["image/jpeg"]),
                        _query("size", type="integer", minimum=1, examples=[123456]),
                    ],
                )
            },
            "/s3/multipart": {
                "post": _op(
                    "Start a multipart upload (@uppy/aws-s3)",
                    {
                        "200": _json({"$ref": "#/components/schemas/MultipartStarted"}),
                        "400": _PROBLEM,
                        "413": _PROBLEM,
                        "415": _PROBLEM,
                    },
                    requestBody=_body("MultipartRequest"),
                )
            },
            "/s3/multipart/{upload_id}": {
                "get": _op(
                    "List the parts uploaded so far",
                    {
                        "200": _json(
                            {"type": "array", "items": {"$ref": "#/components/schemas/Part"}}
                        ),
                        "400": _PROBLEM,
                        "404": _PROBLEM,
                    },
                    parameters=[_UPLOAD_ID, _KEY],
                ),
                "delete": _op(
                    "Abort a multipart upload",
                    {"200": _json(_OBJ), "400": _PROBLEM, "404": _PROBLEM},
                    parameters=[_UPLOAD_ID, _KEY],
                ),
            },
            "/s3/multipart/{upload_id}/batch": {
                "get": _op(
                    "Presigned URLs for several parts",
                    {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["presignedUrls"],
                                "properties": {
                                    "presignedUrls": {
                                        "type": "object",
                                        "additionalProperties": {"type": "string"},
                                    }
                                },
                            }
                        ),
                        "400": _PROBLEM,
                        "404": _PROBLEM,
                    },
                    parameters=[_UPLOAD_ID, _KEY, _query("partNumbers", True)],
                )
            },
            "/s3/multipart/{upload_id}/{number}": {
                "get": _op(
                    "A presigned URL for one part (parts are at least 5 MiB but the last)",
                    {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["url", "expires"],
                                "properties": {
                                    "url": {"type": "string"},
                                    "expires": {"type": "integer"},
                                },
                            }
                        ),
                        "400": _PROBLEM,
                        "404": _PROBLEM,
                    },
                    parameters=[
                        _UPLOAD_ID,
                        {
                            "name": "number",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 10000},
                        },
                        _KEY,
                    ],
                )
            },
            "/s3/multipart/{upload_id}/complete": {
                "post": _op(
                    "Complete a multipart upload",
                    {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["location", "key"],
                                "properties": {
                                    "location": {"type": "string"},
                                    "key": {"type": "string"},
                                },
                            }
                        ),
                        "400": _PROBLEM,
                        "404": _PROBLEM,
                        "413": _PROBLEM,
                    },
                    parameters=[_UPLOAD_ID, _KEY],
                    requestBody=_body("MultipartComplete"),
                )
            },
            "/assets": {
                "get": _op(
                    "The caller's assets, newest first, a page at a time",
                    {"200": _json({"$ref": "#/components/schemas/AssetPage"}), "400": _PROBLEM},
                    parameters=[
                        _query(
                            "state",
                            enum=["PENDING", "PROCESSING", "READY", "FAILED"],
                            type="string",
                        ),
                        _query("limit", type="integer", minimum=1, maximum=100),
                        _query("cursor"),
                    ],
                )
            },
            "/assets/{asset_id}": {
                "get": _op(
                    "One asset: state per part, failure, metadata, placeholders, renditions",
                    {"200": _json({"$ref": "#/components/schemas/Asset"}), "404": _PROBLEM},
                    parameters=[_PATH_ID],
                ),
                "delete": _op(
                    "Delete the source, the renditions and the record (idempotent)",
                    {"204": {"description": "Deleted"}, "404": _PROBLEM},
                    parameters=[_PATH_ID],
                ),
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": _json(_OBJ)},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "responses": {
                "Problem": {
                    "description": "RFC 9457 problem details",
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    },
                }
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["title", "status", "detail"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                    },
                },
                "UploadRequest": {
                    "type": "object",
                    "required": ["filename", "content_type", "size"],
                    "properties": {
                        "filename": {"type": "string", "maxLength": 200, "examples": ["photo.jpg"]},
                        "content_type": {"type": "string", "examples": ["image/jpeg"]},
                        "size": {"type": "integer", "minimum": 1, "examples": [123456]},
                        "method": {"type": "string", "enum": ["POST", "PUT"]},
                    },
                },
                "UploadGrant": {
                    "type": "object",
                    "required": ["asset_id", "method", "url", "fields", "expires_at"],
                    "properties": {
                        "asset_id": {"type": "string"},
                        "key": {"type": "string"},
                        "method": {"type": "string", "enum": ["POST", "PUT"]},
                        "url": {"type": "string"},
                        "fields": {"type": "object"},
                        "headers": {"type": "object"},
                        "expires_at": {"type": "integer"},
                    },
                },
                "MultipartRequest": {
                    "type": "object",
                    "required": ["filename", "type"],
                    "properties": {
                        "filename": {"type": "string", "maxLength": 200, "examples": ["photo.jpg"]},
                        "type": {"type": "string", "examples": ["image/jpeg"]},
                        "metadata": {
                            "type": "object",
                            "properties": {"size": {"type": "integer", "minimum": 0}},
                        },
                    },
                },
                "MultipartStarted": {
                    "type": "object",
                    "required": ["uploadId", "key", "asset_id"],
                    "properties": {
                        "uploadId": {"type": "string"},
                        "key": {"type": "string"},
                        "asset_id": {"type": "string"},
                    },
                },
                "Part": {
                    "type": "object",
                    "required": ["PartNumber", "Size", "ETag"],
                    "properties": {
                        "PartNumber": {"type": "integer"},
                        "Size": {"type": "integer"},
                        "ETag": {"type": "string"},
                    },
                },
                "MultipartComplete": {
                    "type": "object",
                    "required": ["parts"],
                    "properties": {
                        "parts": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["PartNumber", "ETag"],
                                "properties": {
                                    "PartNumber": {
                                        "type": "integer",
                                        "minimum": 1,
                                        "maximum": 10000,
                                    },
                                    "ETag": {"type": "string"},
                                },
                            },
                        }
                    },
                },
                "Asset": {
                    "type": "object",
                    "required": ["asset_id", "state", "parts", "renditions"],
                    "properties": {
                        "asset_id": {"type": "string"},
                        "state": {"type": "string"},
                        "parts": {"type": "object"},
                        "failure": {"type": ["object", "null"]},
                        "metadata": {"type": ["object", "null"]},
                        "placeholders": {"type": "object"},
                        "renditions": {"type": "array", "items": {"type": "object"}},
                    },
                },
                "AssetPage": {
                    "type": "object",
                    "properties": {
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Asset"}},
                        "next_cursor": {"type": ["string", "null"]},
                    },
                },
            },
        },
    }
