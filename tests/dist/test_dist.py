"""The packages installed the way users install them, on a PATH without cargo or rustc.

DYNOSHIFT_DIST names the artefact directory (the Makefile sets it): `dist/` when `make dist` ran,
otherwise the debug builds of this machine packed the same way (`scripts/dist.py stage-host`).
Each test installs from local files only (pip --no-index, npm --offline, gem --local: nothing is
fetched) into a fresh environment and runs that language's README quick start from there.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path


REPO = Path(__file__).resolve().parents[2]
DIST = Path(os.environ.get("DYNOSHIFT_DIST", REPO / "dist")).resolve()
QUICKSTARTS = REPO / "tests" / "readme"
FORMATION = '{"web": {"size": "standard-2x", "quantity": 4}, "worker": {"size": "private-m", "quantity": 1}}'
RUST_TOOLS = ("cargo", "rustc", "rustup")


def rustless_path() -> str:
    """PATH minus every directory that holds a Rust tool (and pyenv's shims, which could find one)."""
    kept = [
        d
        for d in os.environ["PATH"].split(os.pathsep)
        if d and "pyenv" not in d and not any(os.path.exists(os.path.join(d, t)) for t in RUST_TOOLS)
    ]
    path = os.pathsep.join(kept)
    for tool in RUST_TOOLS:
        assert shutil.which(tool, path=path) is None, f"{tool} still on PATH"
    return path


def oldest_python() -> str:
    """The oldest Python >= 3.9 on this machine (the wheel is abi3 for 3.9+), else python3."""
    found: list[tuple[tuple[int, int], str]] = []
    for candidate in glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3")):
        parts = Path(candidate).parents[1].name.split(".")[:2]
        if all(p.isdigit() for p in parts) and (int(parts[0]), int(parts[1])) >= (3, 9):
            found.append(((int(parts[0]), int(parts[1])), candidate))
    if found:
        return min(found)[1]
    python3 = shutil.which("python3", path=rustless_path())
    assert python3, "no python3 on PATH"
    return python3


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        cmd, cwd=cwd, env={"PATH": rustless_path(), "HOME": str(cwd), **(env or {})}, capture_output=True, text=True
    )
    assert done.returncode == 0, f"{cmd} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def one(pattern: str) -> Path:
    found = sorted(DIST.glob(pattern))
    assert found, f"no {pattern} in {DIST}: run `make dist` (or `make test-dist`, which packs the debug builds)"
    return found[-1]


def release_dist() -> bool:
    return (DIST / "SUMMARY.txt").is_file()


def test_wheel_installs_and_runs_without_rust(tmp_path: Path) -> None:
    wheel = one("python/dynoshift-*-abi3-*x86_64.whl")
    assert "manylinux" in wheel.name, wheel.name
    if release_dist():
        assert "manylinux_2_17" in wheel.name or "manylinux2014" in wheel.name, f"not manylinux2014: {wheel.name}"
    python = oldest_python()
    subprocess.run([python, "-m", "venv", str(tmp_path / "venv")], check=True)
    run([str(tmp_path / "venv/bin/pip"), "install", "--quiet", "--no-index", "--disable-pip-version-check", str(wheel)], tmp_path)
    (tmp_path / "formation.json").write_text(FORMATION)
    shutil.copy(QUICKSTARTS / "quickstart.py", tmp_path)
    out = run([str(tmp_path / "venv/bin/python"), "quickstart.py"], tmp_path)
    assert "web Standard-2X 4 200.0" in out and "worker Private-M 1 600.0" in out, out
    assert "standard-3x" in out, out
    print(f"wheel {wheel.name} on {python}: quick start ok")


def npm_project(tmp_path: Path) -> Path:
    main = one("npm/dynoshift-[0-9]*.tgz")
    addon = one("npm/dynoshift-linux-x64-gnu-*.tgz")
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text('{"name": "app", "version": "1.0.0", "private": true}\n')
    run(["npm", "install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", str(main), str(addon)], project)
    return project


def test_npm_packages_install_and_run_without_rust(tmp_path: Path) -> None:
    project = npm_project(tmp_path)
    installed = project / "node_modules" / "dynoshift"
    manifest = json.loads((installed / "package.json").read_text())
    assert "dynoshift-linux-x64-gnu" in manifest["optionalDependencies"], manifest
    assert not list(installed.glob("*.node")), "the main package must not carry an addon"
    assert (project / "node_modules" / "dynoshift-linux-x64-gnu" / "dynoshift.linux-x64-gnu.node").is_file()
    assert (installed / "index.d.ts").is_file(), "types ship with the package"
    shutil.copy(QUICKSTARTS / "quickstart.js", project)
    assert run(["node", "quickstart.js"], project).split() == ["200", "invalid_input"]
    esm = (
        "import { Formation } from 'dynoshift';"
        "console.log(Formation.fromJson('{\"web\": {\"size\": \"basic\", \"quantity\": 2}}').monthlyCost().totalMonthlyUsd)"
    )
    assert run(["node", "--input-type=module", "-e", esm], project).strip() == "14"


def test_platform_gem_installs_and_runs_without_rust(tmp_path: Path) -> None:
    gem = one("ruby/dynoshift-*-x86_64-linux.gem")
    gem_home = tmp_path / "gems"
    run(["gem", "install", "--quiet", "--local", "--ignore-dependencies", "--no-document", "--install-dir", str(gem_home), str(gem)], tmp_path)
    system_gems = subprocess.run(["ruby", "-e", 'print Gem.path.join(":")'], capture_output=True, text=True, check=True).stdout
    shutil.copy(QUICKSTARTS / "quickstart.rb", tmp_path)
    shutil.copy(REPO / "core" / "tests" / "fixtures" / "cutover-plan.json", tmp_path / "plan.json")
    out = run(["ruby", "quickstart.rb"], tmp_path, {"GEM_PATH": f"{gem_home}:{system_gems}"}).split("\n")
    assert out[:2] == ["200.0", "invalid_input"], out
    assert out[-2] == "promoted", out
    installed = list(gem_home.glob("gems/dynoshift-*-x86_64-linux/lib/dynoshift/native/libdynoshift_ruby.so"))
    assert installed, "the platform gem carries the library"


def test_source_gem_cli_sdist_and_crate_are_complete() -> None:
    """The source gem with its build recipe, the CLI with its checksum, the sdist and the crate."""
    source_gem = one("ruby/dynoshift-[0-9].[0-9]*[0-9].gem")
    listing = subprocess.run(["tar", "-xOf", str(source_gem), "data.tar.gz"], capture_output=True, check=True).stdout
    files = subprocess.run(["tar", "-tzf", "-"], input=listing, capture_output=True, check=True).stdout.decode()
    assert "ext/dynoshift/extconf.rb" in files and "ext/dynoshift/rust/core/src/lib.rs" in files, files[:2000]
    tarball = one("cli/dynoshift-*-x86_64-unknown-linux-gnu.tar.gz")
    checksum = Path(f"{tarball}.sha256").read_text().split()[0]
    assert hashlib.sha256(tarball.read_bytes()).hexdigest() == checksum
    one("python/dynoshift-*.tar.gz")
    one("crate/dynoshift-*.crate")


def test_source_gem_builds_its_library_with_cargo_and_runs(tmp_path: Path) -> None:
    """The plain gem on a machine that has cargo: `gem install` builds the library from the
    Rust sources inside it (in debug here, with a target directory kept between runs: about
    2.5 min the first time, seconds after; users get release) and the quick start runs."""
    source_gem = one("ruby/dynoshift-[0-9].[0-9]*[0-9].gem")
    gem_home = tmp_path / "gems"
    env = {
        **os.environ,
        "DYNOSHIFT_CARGO_PROFILE": "dev",
        "CARGO_TARGET_DIR": str(REPO / "target" / "source-gem"),
    }
    done = subprocess.run(
        ["gem", "install", "--local", "--ignore-dependencies", "--no-document", "--install-dir", str(gem_home),
         str(source_gem)],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(gem_home.glob("gems/dynoshift-*/lib/dynoshift/native/libdynoshift_ruby.so")), "library not installed"
    system_gems = subprocess.run(["ruby", "-e", 'print Gem.path.join(":")'], capture_output=True, text=True, check=True).stdout
    shutil.copy(QUICKSTARTS / "quickstart.rb", tmp_path)
    shutil.copy(REPO / "core" / "tests" / "fixtures" / "cutover-plan.json", tmp_path / "plan.json")
    out = run(["ruby", "quickstart.rb"], tmp_path, {"GEM_PATH": f"{gem_home}:{system_gems}"}).split("\n")
    assert out[:2] == ["200.0", "invalid_input"] and out[-2] == "promoted", out
