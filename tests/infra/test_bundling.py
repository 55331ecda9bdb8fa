"""The Lambda code asset: what goes in, for which platform, and a real bundle of arm64 wheels."""

from __future__ import annotations

import glob
import importlib.metadata
import json
import shutil
import struct
import subprocess
import sys
import textwrap
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


def test_lock_agrees_with_the_runtime_dependencies_of_pyproject() -> None:
    from packaging.requirements import Requirement

    # Resolved from today's [project] dependencies: `make lock` after changing them.
    assert bundling.locked_inputs() == bundling.runtime_requirements()
    pins = bundling.locked_versions()
    for text in bundling.runtime_requirements():
        requirement = Requirement(text)
        name = bundling._requirement_name(requirement.name)
        assert name in pins, name
        assert requirement.specifier.contains(pins[name], prereleases=True), (name, pins[name])
    assert not set(pins) & set(bundling.RUNTIME_PROVIDED)
    # PIPELINE_TRACING=1 builds Powertools' Tracer, which imports the X-Ray SDK.
    assert "aws-xray-sdk" in pins
    # Every pin carries its hashes (pip --require-hashes refuses the lock otherwise).
    blocks = bundling.LOCK.read_text().split("==")[1:]
    assert len(blocks) == len(pins)
    assert all("--hash=sha256:" in block for block in blocks)


def test_pip_installs_the_lock_as_arm64_wheels_for_the_function_runtime() -> None:
    command = bundling.pip_install_command("lock.txt", "/out", "python")
    assert command[command.index("--python-version") + 1] == bundling.python_version()
    platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
    # Pillow 13 has only manylinux_2_28 wheels: with the 2014 tag alone pip picks Pillow 12.
    assert platforms == ["manylinux_2_28_aarch64", "manylinux2014_aarch64"]
    assert "--only-binary=:all:" in command
    assert command[command.index("--target") + 1] == "/out"
    # Exactly the pinned, hashed files of the lock: nothing resolved at bundling time.
    assert command[command.index("-r") + 1] == "lock.txt"
    assert {"--require-hashes", "--no-deps"} <= set(command)


LAPTOP_ONLY = tuple(f"{m.replace('.', '/')}/" for m in bundling.LAPTOP_ONLY)


def _bundled_sources() -> set[str]:
    return {p.relative_to(bundling.ROOT).as_posix() for p in bundling._source_files()}


def test_asset_holds_what_the_handlers_import_and_no_laptop_code() -> None:
    files = _bundled_sources()
    for module in bundling.handler_modules():
        assert f"{module.replace('.', '/')}.py" in files
    assert "pipeline/topology.py" in files
    assert "pipeline/py.typed" in files
    assert [f for f in files if f.startswith(LAPTOP_ONLY)] == []
    assert [f for f in files if "__pycache__" in f or f.endswith(".pyc")] == []
    # The modules are exactly the handlers' import closure: nothing rides along.
    modules = {
        f.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for f in files
        if f.endswith(".py")
    }
    assert modules == bundling.imported_modules(bundling.handler_modules())


def test_the_closure_holds_every_module_a_handler_loads() -> None:
    """What the handlers import when they load (with tracing on: the widest import) is in the
    closure the asset is built from: a module the static walk misses would fail on Lambda."""
    roots = bundling.handler_modules()
    code = (
        f"import importlib, sys\nfor m in {roots!r}: importlib.import_module(m)\n"
        f"print('\\n'.join(m for m in sys.modules if m.split('.')[0] in {bundling.PACKAGES!r}))"
    )
    env = {
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "PIPELINE_TRACING": "1",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=bundling.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    loaded = set(out.stdout.split())
    assert set(roots) <= loaded
    assert loaded - bundling.imported_modules(roots) == set()
    assert not [m for m in loaded if m.startswith(bundling.LAPTOP_ONLY)]


def test_imported_modules_follows_lazy_and_relative_imports_not_type_checking(
    tmp_path: Path,
) -> None:
    files = {
        "handlers/__init__.py": "",
        "handlers/api.py": "from pipeline import core\n",
        "pipeline/__init__.py": "",
        "pipeline/core.py": (
            "from typing import TYPE_CHECKING\nfrom . import util\n"
            "if TYPE_CHECKING:\n    from pipeline import typing_only\n"
            "def g():\n    from pipeline.local import stack\n"
            "def f():\n    import pipeline.lazy\n"
        ),
        "pipeline/util.py": "",
        "pipeline/lazy.py": "",
        "pipeline/typing_only.py": "",
        "pipeline/local/__init__.py": "",
        "pipeline/local/stack.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert bundling.imported_modules(["handlers.api"], tmp_path) == {
        "handlers",
        "handlers.api",
        "pipeline",
        "pipeline.core",
        "pipeline.util",
        "pipeline.lazy",
    }


def test_asset_hash_follows_the_sources_and_the_lock(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, text in {
        "handlers/__init__.py": "",
        "handlers/api.py": "import pipeline.core\n",
        "pipeline/__init__.py": "",
        "pipeline/core.py": "x = 1\n",
        "pipeline/local/__init__.py": "",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    lock = tmp_path / "lock.txt"
    lock.write_text("pillow==13.0.0 --hash=sha256:aa\n")
    monkeypatch.setattr(bundling, "ROOT", tmp_path)
    before = bundling.asset_hash(lock)
    assert bundling.asset_hash(lock) == before
    (tmp_path / "pipeline" / "local" / "__init__.py").write_text("x = 2\n")  # not bundled
    assert bundling.asset_hash(lock) == before
    lock.write_text("pillow==13.0.1 --hash=sha256:bb\n")
    assert bundling.asset_hash(lock) != before
    lock.write_text("pillow==13.0.0 --hash=sha256:aa\n")
    (tmp_path / "pipeline" / "core.py").write_text("x = 2\n")
    assert bundling.asset_hash(lock) != before


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
    # The first-party files are the handlers' import closure; the laptop's code is left out.
    first_party = {
        p.relative_to(package).as_posix()
        for top in (*bundling.PACKAGES, "pipeline_dev")
        for p in (package / top).rglob("*")
        if p.is_file()
    }
    assert first_party == _bundled_sources()
    assert [f for f in first_party if f.startswith(LAPTOP_ONLY)] == []
    # PIPELINE_TRACING=1 builds Powertools' Tracer, which imports the X-Ray SDK.
    assert (package / "aws_xray_sdk").is_dir()
    for provided in bundling.RUNTIME_PROVIDED:
        assert not (package / provided).exists(), provided


X86_64 = ("manylinux_2_28_x86_64", "manylinux2014_x86_64")
# What Lambda sets in a function's environment; Powertools' Tracer is on only inside Lambda.
LAMBDA_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "media-pipeline-worker",
    "AWS_EXECUTION_ENV": f"AWS_Lambda_python{bundling.python_version()}",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "x",
    "AWS_SECRET_ACCESS_KEY": "x",
    "PATH": "/usr/bin:/bin",
}


def _twin_python() -> tuple[str, str]:
    """(interpreter, version) of the Python nearest the function's here: the pinned wheels
    (av among them) need 3.12 or newer, and the project's own venv may be older."""
    major, minor = map(int, bundling.python_version().split("."))
    for version in (f"{major}.{m}" for m in range(minor, 11, -1)):
        candidates = [shutil.which(f"python{version}") or ""]
        candidates += sorted(
            glob.glob(str(Path.home() / f".pyenv/versions/{version}*/bin/python{version}"))
        )
        for candidate in filter(None, candidates):
            probe = subprocess.run([candidate, "-I", "-S", "-c", ""], capture_output=True)
            if probe.returncode == 0:
                return candidate, version
    pytest.fail(f"no Python 3.12 to {bundling.python_version()} here to import the bundle with")


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    """An interpreter, the bundle rebuilt for it (x86_64) from the same lock and sources, and
    beside it what the Lambda runtime provides (boto3)."""
    python, version = _twin_python()
    bundle = tmp_path_factory.mktemp("bundle-x86_64")
    install = bundling.pip_install_command(
        str(bundling.LOCK), str(bundle), sys.executable, platforms=X86_64, version=version
    )
    subprocess.run(install, check=True, timeout=600, stdout=subprocess.DEVNULL)
    bundling.copy_sources(bundle)
    runtime = tmp_path_factory.mktemp("lambda-runtime")
    boto3 = f"boto3=={importlib.metadata.version('boto3')}"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "--no-compile", "--only-binary=:all:", "--target", str(runtime), boto3],
        check=True,
        timeout=600,
    )
    return python, bundle, runtime


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("tracing", ["0", "1"])
def test_each_handler_imports_from_its_bundled_asset_alone(
    twin: tuple[str, Path, Path], tracing: str
) -> None:
    """A fresh interpreter with no site-packages (-I -S), the bundle then the runtime's boto3
    on its path, as Lambda lays them out: each handler module imports, and every module it
    loads comes from there or the standard library."""
    python, bundle, runtime = twin
    for module in bundling.handler_modules():
        code = textwrap.dedent(
            f"""
            import importlib, sys, sysconfig
            sys.path[:0] = [{str(bundle)!r}, {str(runtime)!r}]
            importlib.import_module({module!r})
            paths = sysconfig.get_paths()
            allowed = ({str(bundle)!r}, {str(runtime)!r}, paths["stdlib"], paths["platstdlib"])
            for name, loaded in sorted(sys.modules.items()):
                where = getattr(loaded, "__file__", None) or ""
                if where and not where.startswith(allowed):
                    print("outside", name, where)
            print("xray", "aws_xray_sdk" in sys.modules)
            """
        )
        run = subprocess.run(
            [python, "-I", "-S", "-c", code],
            env={**LAMBDA_ENV, "PIPELINE_TRACING": tracing},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, f"{module} (tracing {tracing}):\n{run.stderr[-3000:]}"
        lines = run.stdout.splitlines()
        assert [line for line in lines if line.startswith("outside")] == [], module
        # With tracing on, the X-Ray SDK is what Tracer imports: it must come from the bundle.
        assert f"xray {tracing == '1'}" in lines, module
