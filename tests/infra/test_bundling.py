"""The Lambda code asset: what goes in, for which platform, and a real bundle of arm64 wheels."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from infra import bundling
from tests.infra.conftest import STACK, synthesize

EM_AARCH64 = 183  # ELF e_machine of arm64


def _elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", path
    return int(struct.unpack_from("<H", header, 18)[0])


def test_runtime_requirements_are_the_project_dependencies_less_the_runtime_sdk() -> None:
    requirements = bundling.runtime_requirements()
    names = {bundling._requirement_name(r) for r in requirements}
    assert {"pillow", "aws-lambda-powertools", "pyjwt"} <= names
    assert not names & {"boto3", "botocore"}


def test_pip_targets_arm64_wheels_for_the_function_runtime() -> None:
    command = bundling.pip_install_command(["pillow>=13"], "/out", "python")
    assert command[command.index("--python-version") + 1] == bundling.python_version()
    platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
    # Pillow 13 has only manylinux_2_28 wheels: with the 2014 tag alone pip picks Pillow 12.
    assert platforms == ["manylinux_2_28_aarch64", "manylinux2014_aarch64"]
    assert "--only-binary=:all:" in command
    assert command[command.index("--target") + 1] == "/out"


def test_asset_holds_the_runtime_packages_but_not_the_laptop_ones() -> None:
    files = {p.relative_to(bundling.ROOT).as_posix() for p in bundling._source_files()}
    assert "handlers/api.py" in files
    assert "pipeline/topology.py" in files
    assert not [f for f in files if f.startswith(("pipeline/local/", "pipeline/cli/"))]
    assert not [f for f in files if "__pycache__" in f]


def test_handlers_do_not_import_what_the_asset_leaves_out() -> None:
    code = (
        "import sys, handlers.api, handlers.renditions_worker, handlers.metadata_worker\n"
        f"bad = [m for m in sys.modules if m.startswith({bundling.EXCLUDED_PACKAGES!r})]\n"
        "print(','.join(bad))"
    )
    excluded = tuple(p.replace("/", ".") for p in bundling.EXCLUDED_PACKAGES)
    code = code.replace(repr(bundling.EXCLUDED_PACKAGES), repr(excluded))
    env = {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=bundling.ROOT,
        env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip() == ""


def test_asset_hash_follows_the_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for package in bundling.PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("x = 1\n")
    monkeypatch.setattr(bundling, "ROOT", tmp_path)
    before = bundling.asset_hash(["pillow"])
    assert bundling.asset_hash(["pillow"]) == before
    assert bundling.asset_hash(["pillow>=13"]) != before
    (tmp_path / "handlers" / "__init__.py").write_text("x = 2\n")
    assert bundling.asset_hash(["pillow"]) != before


def test_real_synth_bundles_arm64_pillow_without_docker(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `make synth` does: the template and a bundled package with arm64 Pillow."""
    monkeypatch.setenv("PATH", "/usr/local/bin:/usr/bin:/bin")  # no Docker needed, none used
    outdir = tmp_path_factory.mktemp("cdk.out.bundled")
    result = synthesize(outdir, {"aws:cdk:bundling-stacks": ["**"]})
    assert result.error is None, result.error
    assets = json.loads((outdir / f"{STACK}.assets.json").read_text())["files"]
    code_keys = {
        f["Properties"]["Code"]["S3Key"] for f in result.of_type("AWS::Lambda::Function").values()
    }
    assert len(code_keys) == 1  # one package shared by the three functions
    (asset,) = [
        a for a in assets.values() if f"{a['source']['path'].split('.', 1)[1]}.zip" in code_keys
    ]
    package = outdir / asset["source"]["path"]
    assert asset["source"]["packaging"] == "zip"
    imaging = list(package.glob("PIL/_imaging.cpython-*-aarch64-linux-gnu.so"))
    assert len(imaging) == 1, sorted(p.name for p in package.glob("PIL/*.so"))
    assert f"cpython-{bundling.python_version().replace('.', '')}" in imaging[0].name
    assert _elf_machine(imaging[0]) == EM_AARCH64
    assert (package / "handlers" / "api.py").is_file()
    assert (package / "pipeline" / "topology.py").is_file()
    assert (package / "aws_lambda_powertools").is_dir()
    assert (package / "jwt").is_dir()
    assert not (package / "pipeline" / "local").exists()
    assert not (package / "boto3").exists()
