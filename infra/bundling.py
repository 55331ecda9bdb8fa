"""The Lambda code asset: the modules the handlers import (their import closure in `pipeline`
and `handlers`, so no laptop-only code such as `pipeline.local`, `pipeline.cli` or
`pipeline_dev`) plus the runtime dependencies as arm64 wheels, bundled here without Docker.

`pip install --platform ... --only-binary=:all: --target` fetches manylinux aarch64 wheels
(Pillow, pillow-heif, Powertools, PyJWT) whatever the build machine is. Both the 2_28 and the
2014 tags are given: Pillow 13 ships only manylinux_2_28 wheels, and with the 2014 tag alone
pip would silently pick an older Pillow. boto3 is left to the Lambda runtime, which ships it.
Docker is only the fallback when local bundling is impossible (no pip).
"""

from __future__ import annotations

import ast
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

from pipeline.topology import TOPOLOGY, Topology

ROOT = Path(__file__).resolve().parent.parent
# First-party top-level packages the handlers may import from.
PACKAGES = ("pipeline", "handlers")
# Laptop-only code, never shipped even where a shipped module imports it lazily behind a
# laptop-only switch (`pipeline.aws.clients` loads fault injection when PIPELINE_FAULTS is set).
LAPTOP_ONLY = ("pipeline.local", "pipeline.cli", "pipeline_dev")
# Provided by the Lambda Python runtime; bundling them would add about 25 MB unzipped.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
PLATFORMS = ("manylinux_2_28_aarch64", "manylinux2014_aarch64")

# The runtime dependencies resolved for the function's Python and platform, with hashes
# (`make lock`); the bundle installs exactly these, `--require-hashes`.
LOCK = ROOT / "infra" / "lambda-requirements.txt"
LOCK_INPUT = "# requirement: "  # header lines of the lock: what it was resolved from

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


def handler_modules(topology: Topology = TOPOLOGY) -> list[str]:
    """The modules of the Lambda entry points (`module.function` handlers)."""
    handlers = [topology.api_handler, *(q.handler for q in topology.queues)]
    return sorted({h.rsplit(".", 1)[0] for h in handlers})


def _module_file(module: str, root: Path) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, module: str) -> set[str]:
    """Every module an import statement of the file names (at any depth, lazy imports
    included; `if TYPE_CHECKING:` blocks excluded, they never run)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for branch in node.orelse:
                visit(branch)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            found.add(base)
            # `from package import name`: name may be a submodule.
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return found


def _laptop_only(module: str) -> bool:
    return any(module == m or module.startswith(f"{m}.") for m in LAPTOP_ONLY)


def imported_modules(roots: list[str], root: Path | None = None) -> set[str]:
    """The first-party modules the root modules import, transitively, with their packages."""
    base = root or ROOT
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        module = pending.pop()
        if module in seen or module.split(".")[0] not in PACKAGES or _laptop_only(module):
            continue
        path = _module_file(module, base)
        if path is None:
            continue  # an attribute imported from a package, not a module
        seen.add(module)
        parts = module.split(".")
        pending += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages
        pending += sorted(_imports(path, module))
    return seen


def _source_files() -> list[Path]:
    """The handlers' import closure, and the data files of the packages in it (py.typed)."""
    modules = imported_modules(handler_modules())
    files = {p for m in modules if (p := _module_file(m, ROOT)) is not None}
    packages = {p.parent for p in files if p.name == "__init__.py"}
    for package in packages:
        files.update(
            p for p in package.iterdir() if p.is_file() and p.suffix not in (".py", ".pyc")
        )
    return sorted(files)


def lock_command(output: Path = LOCK) -> list[str]:
    """`uv pip compile` of the runtime requirements (on stdin) for the function's platform."""
    command = [sys.executable, "-m", "uv", "pip", "compile", "-", "--quiet", "--generate-hashes"]
    command += ["--no-header"]
    command += ["--python-version", python_version(), "--only-binary", ":all:"]
    command += ["--python-platform", f"aarch64-{PLATFORMS[0].removesuffix('_aarch64')}"]
    for name in RUNTIME_PROVIDED:
        command += ["--no-emit-package", name]
    return [*command, "--output-file", str(output)]


def write_lock(output: Path = LOCK) -> None:
    """Resolve the runtime requirements into the lock, headed by the requirements it is from."""
    requirements = runtime_requirements()
    subprocess.run(lock_command(output), input="\n".join(requirements), text=True, check=True)
    header = "".join(f"{LOCK_INPUT}{r}\n" for r in requirements)
    output.write_text(
        "# The Lambda runtime dependencies, pinned with hashes: `make lock` writes this file.\n"
        + header
        + output.read_text()
    )


def locked_inputs(lock: Path = LOCK) -> list[str]:
    """The requirements the lock was resolved from (its header)."""
    lines = lock.read_text().splitlines()
    return [line.removeprefix(LOCK_INPUT) for line in lines if line.startswith(LOCK_INPUT)]


def locked_versions(lock: Path = LOCK) -> dict[str, str]:
    """Normalized name -> pinned version of every package in the lock."""
    pins: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split(";")[0].split("==")
            pins[_requirement_name(name)] = version.split()[0].rstrip("\\").strip()
    return pins


def asset_hash(lock: Path = LOCK) -> str:
    """Hash of what goes into the package: sources, the lock, runtime and platforms.

    A custom hash keeps CDK from fingerprinting the whole repository (virtualenv included).
    """
    digest = hashlib.sha256()
    for item in (lock.read_text(), python_version(), *PLATFORMS):
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


def pip_install_command(
    lock: str,
    target: str,
    python: str,
    *,
    platforms: tuple[str, ...] = PLATFORMS,
    version: str | None = None,
) -> list[str]:
    """pip installs exactly the lock (`--no-deps`: it is complete), checking every hash."""
    command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--no-compile", "--only-binary=:all:", "--implementation", "cp"]
    command += ["--require-hashes", "--no-deps"]
    command += ["--python-version", version or python_version()]
    for platform in platforms:
        command += ["--platform", platform]
    return [*command, "--target", target, "-r", lock]


@jsii.implements(ILocalBundling)
class LocalWheelBundling:
    """Bundles on the build machine: pip fetches arm64 wheels, the sources are copied."""

    def __init__(self, lock: Path) -> None:
        self._lock = lock

    # jsii passes the bundling options as a second positional argument (not as keywords, as
    # the generated ILocalBundling signature says): accept both.
    def try_bundle(self, output_dir: str, *args: Any, **kwargs: Any) -> bool:
        try:
            subprocess.run(
                pip_install_command(str(self._lock), output_dir, sys.executable),
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
    # The same files as the local bundling: the handlers' import closure, nothing else.
    sources = [p.relative_to(ROOT).as_posix() for p in _source_files()]
    docker_copy = "cd /asset-input && " + shlex.join(["cp", "--parents", *sources, "/asset-output"])
    lock = f"/asset-input/{LOCK.relative_to(ROOT).as_posix()}"
    pip = shlex.join(pip_install_command(lock, "/asset-output", "python"))
    return lambda_.Code.from_asset(
        str(ROOT),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_hash(),
        bundling=BundlingOptions(
            # Fallback only. pip targets arm64 by --platform, so any host architecture works.
            image=DockerImage.from_registry(f"public.ecr.aws/sam/build-python{python_version()}"),
            local=LocalWheelBundling(LOCK),
            command=["bash", "-c", f"{pip} && {docker_copy}"],
        ),
    )


if __name__ == "__main__":
    write_lock()
