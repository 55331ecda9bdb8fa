"""The CDN options: signed rendition URLs (trusted key group) and a custom domain."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pipeline.aws import stack_outputs
from pipeline.topology import TOPOLOGY
from tests.infra.conftest import Synth, resolve_ref, synthesize

SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cdn-signing-key-AbCdEf"
CERT_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
DOMAIN = "img.example.com"


@pytest.fixture(scope="module")
def options(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return synthesize(
        tmp_path_factory.mktemp("cdk.out.cdn"),
        {
            "cdn_public_key_pem": pem.decode(),
            "cdn_private_key_secret_arn": SECRET_ARN,
            "cdn_domain_name": DOMAIN,
            "cdn_certificate_arn": CERT_ARN,
        },
    )


def test_still_passes_the_rule_packs_without_the_certificate_acknowledgment(
    options: Synth,
) -> None:
    assert options.error is None, options.error
    assert not [a for a in options.acknowledgments() if a[1] == "AwsSolutions-CFR4"]


def test_distribution_trusts_the_key_group_and_uses_the_domain(options: Synth) -> None:
    (distribution,) = options.of_type("AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    (key_group_id,) = config["DefaultCacheBehavior"]["TrustedKeyGroups"]
    key_group = options.props(str(resolve_ref(key_group_id)))["KeyGroupConfig"]
    (public_key,) = key_group["Items"]
    key_id = resolve_ref(public_key)
    assert options.resources[str(key_id)]["Type"] == "AWS::CloudFront::PublicKey"
    assert "BEGIN PUBLIC KEY" in options.props(str(key_id))["PublicKeyConfig"]["EncodedKey"]
    assert config["Aliases"] == [DOMAIN]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == CERT_ARN
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"


def test_every_function_signs_with_the_key_and_may_read_only_that_secret(options: Synth) -> None:
    (public_key_id,) = options.of_type("AWS::CloudFront::PublicKey")
    functions = options.of_type("AWS::Lambda::Function")
    # The API and the workers build rendition URLs; the CDN invalidator builds none.
    signers = {TOPOLOGY.api_handler, *(q.handler for q in TOPOLOGY.queues)}
    handlers = {f["Properties"]["Handler"] for f in functions.values()}
    assert handlers == {*signers, TOPOLOGY.invalidations.handler}
    for logical_id, function in functions.items():
        env = function["Properties"]["Environment"]["Variables"]
        assert env["PIPELINE_CDN_SIGNING"] == "cloudfront", logical_id
        assert env["PIPELINE_CLOUDFRONT_KEY_PAIR_ID"] == {"Ref": public_key_id}
        assert env["PIPELINE_CLOUDFRONT_PRIVATE_KEY_SECRET"] == SECRET_ARN
        role = resolve_ref(function["Properties"]["Role"])
        statements = [
            s
            for p in options.of_type("AWS::IAM::Policy").values()
            if {"Ref": role} in p["Properties"]["Roles"]
            for s in p["Properties"]["PolicyDocument"]["Statement"]
        ]
        secret_reads = [s for s in statements if "secretsmanager" in json.dumps(s["Action"])]
        if function["Properties"]["Handler"] not in signers:
            assert secret_reads == [], logical_id
            continue
        assert secret_reads == [
            {"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": SECRET_ARN}
        ]


def test_functions_and_the_cli_hand_out_urls_of_the_custom_domain(options: Synth) -> None:
    for logical_id, function in options.of_type("AWS::Lambda::Function").items():
        env = function["Properties"]["Environment"]["Variables"]
        assert env["PIPELINE_CDN_BASE_URL"] == f"https://{DOMAIN}", logical_id
    outputs = options.template["Outputs"]
    assert outputs[stack_outputs.OUTPUT_CDN_DOMAIN]["Value"] == DOMAIN
    # The distribution's own domain stays an output: the custom domain's DNS points at it.
    assert "DomainName" in json.dumps(outputs["DistributionDomainName"]["Value"])


def test_default_stack_serves_public_renditions(synth: Synth) -> None:
    assert not synth.of_type("AWS::CloudFront::KeyGroup")
    for function in synth.of_type("AWS::Lambda::Function").values():
        env = function["Properties"]["Environment"]["Variables"]
        assert env["PIPELINE_CDN_SIGNING"] == "none"
        assert "PIPELINE_CLOUDFRONT_PRIVATE_KEY_SECRET" not in env
    assert "secretsmanager" not in json.dumps(synth.of_type("AWS::IAM::Policy"))


def test_half_a_signing_configuration_is_refused(tmp_path_factory: pytest.TempPathFactory) -> None:
    with pytest.raises(ValueError, match="cdn_public_key_pem and cdn_private_key_secret_arn"):
        synthesize(
            tmp_path_factory.mktemp("cdk.out.half"), {"cdn_private_key_secret_arn": SECRET_ARN}
        )
