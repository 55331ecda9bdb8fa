"""The Lambda code asset: the `pipeline` and `handlers` packages plus their runtime
dependencies as arm64 wheels, bundled on this machine without Docker.

`pip install --platform ... --only-binary=:all: --target` fetches manylinux aarch64 wheels
(Pillow, pillow-heif, Powertools, PyJWT) whatever the build machine is. Both the 2_28 and the
2014 tags are given: Pillow 13 ships only manylinux_2_28 wheels, and with the 2014 tag alone
pip would silently pick an older Pillow. boto3 is left to the Lambda runtime, which ships it.
Docker is only the fallback when local bundling is impossible (no pip).
"""

from __future__ import annotations

import hashlib
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("pipeline", "handlers")
# Sub-packages that only serve the laptop (embedded AWS, CLI): not shipped to Lambda.
EXCLUDED_PACKAGES = ("pipeline/local", "pipeline/cli")
# Provided by the Lambda Python runtime; bundling them would add about 25 MB unzipped.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
PLATFORMS = ("manylinux_2_28_aarch64", "manylinux2014_aarch64")

RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64


def _requirement_name(requirement: str) -> str:
    name = requirement.split(";")[0]
    for sep in "<>=!~[ ":
        name = name.split(sep)[0]
    return name.strip().lower().replace("_", "-")


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """`[project] dependencies` of pyproject.toml, less what the Lambda runtime provides."""
    with pyproject.open("rb") as fh:
        deps: list[str] = tomllib.load(fh)["project"]["dependencies"]
    return [d for d in deps if _requirement_name(d) not in RUNTIME_PROVIDED]


def python_version(runtime: lambda_.Runtime = RUNTIME) -> str:
    """The version pip targets: python3.14 -> 3.14."""
    return runtime.name.removeprefix("python")


def _source_files() -> list[Path]:
    files: list[Path] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            rel = path.relative_to(ROOT).as_posix()
            if (
                path.is_file()
                and "__pycache__" not in path.parts
                and not any(rel.startswith(f"{ex}/") for ex in EXCLUDED_PACKAGES)
            ):
                files.append(path)
    return files


def asset_hash(requirements: list[str]) -> str:
    """Hash of what goes into the package: sources, requirements, runtime and platforms.

    A custom hash keeps CDK from fingerprinting the whole repository (virtualenv included).
    """
    digest = hashlib.sha256()
    for item in (*requirements, python_version(), *PLATFORMS):
        digest.update(item.encode() + b"\0")
    for path in _source_files():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def copy_sources(output_dir: Path) -> None:
    for path in _source_files():
        target = output_dir / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def pip_install_command(requirements: list[str], target: str, python: str) -> list[str]:
    command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--no-compile", "--only-binary=:all:", "--implementation", "cp"]
    command += ["--python-version", python_version()]
    for platform in PLATFORMS:
        command += ["--platform", platform]
    return [*command, "--target", target, *requirements]


@jsii.implements(ILocalBundling)
class LocalWheelBundling:
    """Bundles on the build machine: pip fetches arm64 wheels, the sources are copied."""

    def __init__(self, requirements: list[str]) -> None:
        self._requirements = requirements

    # jsii passes the bundling options as a second positional argument (not as keywords, as
    # the generated ILocalBundling signature says): accept both.
    def try_bundle(self, output_dir: str, *args: Any, **kwargs: Any) -> bool:
        try:
            subprocess.run(
                pip_install_command(self._requirements, output_dir, sys.executable),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"local bundling failed ({exc}); falling back to Docker", file=sys.stderr)
            return False
        copy_sources(Path(output_dir))
        return True


def lambda_code() -> lambda_.Code:
    """One code asset shared by every function of the pipeline."""
    requirements = runtime_requirements()
    docker_copy = " && ".join(
        f"cp -r /asset-input/{package} /asset-output/{package}" for package in PACKAGES
    )
    docker_copy += " && find /asset-output -name __pycache__ -prune -exec rm -rf {} +"
    docker_prune = shlex.join(["rm", "-rf", *(f"/asset-output/{ex}" for ex in EXCLUDED_PACKAGES)])
    pip = shlex.join(pip_install_command(requirements, "/asset-output", "python"))
    return lambda_.Code.from_asset(
        str(ROOT),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_hash(requirements),
        bundling=BundlingOptions(
            # Fallback only. pip targets arm64 by --platform, so any host architecture works.
            image=DockerImage.from_registry(f"public.ecr.aws/sam/build-python{python_version()}"),
            local=LocalWheelBundling(requirements),
            command=["bash", "-c", f"{pip} && {docker_copy} && {docker_prune}"],
        ),
    )
