#!/usr/bin/env python3
"""Release artefacts of every front end, installable without a Rust toolchain.

    scripts/dist.py build [--targets T,T]   # `make dist`: release builds into dist/
    scripts/dist.py stage-host OUT          # `make test-dist` without dist/: the debug builds
                                            # that `make test` already made, packed the same way

`build` writes, per Rust target (default: x86_64 and aarch64 Linux, glibc >= 2.17 through zig):
- dist/python/: abi3 wheels tagged manylinux2014 (maturin --zig) and the sdist;
- dist/npm/: the `dynoshift` package plus one `dynoshift-<platform>` package per target carrying
  the prebuilt addon, wired through optionalDependencies (napi-rs's layout);
- dist/ruby/: the platform gem (x86_64-linux; the library inside) and the plain gem, which builds
  the library with cargo when installed;
- dist/cli/: the CLI as a tarball per target with a .sha256 beside it;
- dist/crate/: the crate as `cargo package` makes it (after `cargo publish --dry-run`).
It ends with a table of artefact sizes and the time each step took (dist/SUMMARY.txt).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
TARGET_DIR = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
HOST = "x86_64-unknown-linux-gnu"
VERSION = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["package"]["version"]


class Target:
    """A Rust target and its names in each ecosystem."""

    def __init__(self, triple: str, npm: str, cpu: str, gem: str, zig: str) -> None:
        self.triple, self.npm, self.cpu, self.gem, self.zig = triple, npm, cpu, gem, zig

    @property
    def env_name(self) -> str:
        return self.triple.replace("-", "_")


TARGETS = {
    t.triple: t
    for t in (
        Target("x86_64-unknown-linux-gnu", "linux-x64-gnu", "x64", "x86_64-linux", "x86_64-linux-gnu.2.17"),
        Target("aarch64-unknown-linux-gnu", "linux-arm64-gnu", "arm64", "aarch64-linux", "aarch64-linux-gnu.2.17"),
    )
}

TIMES: list[tuple[str, float]] = []


def run(cmd: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=cwd, env={**os.environ, **(env or {})}, check=True)


@contextmanager
def timed(label: str) -> Iterator[None]:
    """Records how long a build step took, for the summary."""
    start = time.monotonic()
    yield
    TIMES.append((label, time.monotonic() - start))


def tool_path() -> str:
    """PATH with the venv first: maturin finds `python -m ziglang` there."""
    return f"{VENV / 'bin'}{os.pathsep}{os.environ['PATH']}"


def zig_env(target: Target) -> dict[str, str]:
    """Compiler and linker for `target` through zig (glibc 2.17 symbols), via maturin's wrapper."""
    wrappers = TARGET_DIR / "dist-zig"
    wrappers.mkdir(parents=True, exist_ok=True)
    prelude = (
        "#!/bin/sh\n"
        f"export CARGO_ZIGBUILD_ZIG_COMMAND={VENV / 'bin' / 'python3'}\n"
        "export CARGO_ZIGBUILD_ZIG_COMMAND_ARGS='-m ziglang'\n"
    )
    cc = wrappers / f"cc-{target.triple}.sh"
    cc.write_text(prelude + f'exec {VENV / "bin" / "maturin"} zig cc -- -g -fno-sanitize=all -target {target.zig} "$@"\n')
    ar = wrappers / "ar.sh"
    ar.write_text(prelude + f'exec {VENV / "bin" / "maturin"} zig ar -- "$@"\n')
    for script in (cc, ar):
        script.chmod(0o755)
    return {
        f"CC_{target.env_name}": str(cc),
        f"AR_{target.env_name}": str(ar),
        f"CARGO_TARGET_{target.env_name.upper()}_LINKER": str(cc),
        "PATH": tool_path(),
    }


def cargo_release(package: str, target: Target, extra: list[str] | None = None) -> Path:
    run(
        ["cargo", "build", "--quiet", "--release", "-p", package, "--target", target.triple, *(extra or [])],
        env=zig_env(target),
    )
    return TARGET_DIR / target.triple / "release"


# ---- Python ---------------------------------------------------------------------------------
def python_wheel(target: Target, out: Path) -> None:
    run(
        [str(VENV / "bin" / "maturin"), "build", "--quiet", "--release", "--zig", "--compatibility", "manylinux2014",
         "--target", target.triple, "-o", str(out)],
        cwd=ROOT / "python",
        env={"PATH": tool_path()},
    )


def python_sdist(out: Path) -> None:
    run([str(VENV / "bin" / "maturin"), "sdist", "-o", str(out)], cwd=ROOT / "python", env={"PATH": tool_path()})


def auditwheel_report(out: Path) -> None:
    """auditwheel's own reading of each wheel's platform tag, kept beside the wheels."""
    lines = []
    for wheel in sorted(out.glob("*.whl")):
        shown = subprocess.run(
            [str(VENV / "bin" / "auditwheel"), "show", str(wheel)], capture_output=True, text=True, check=True
        ).stdout
        lines.append(f"== {wheel.name}\n{shown.strip()}\n")
    (out / "auditwheel.txt").write_text("\n".join(lines))
    print("\n".join(lines))


# ---- Node -------------------------------------------------------------------------------------
def node_manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((ROOT / "node" / "package.json").read_text())
    return manifest


def stage_npm(addons: dict[str, Path], out: Path, stage: Path) -> list[Path]:
    """napi-rs's layout: one package per platform with its addon, and the main package naming
    them in optionalDependencies (npm installs the one matching the machine). Returns tarballs."""
    main = node_manifest()
    shutil.rmtree(stage, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    tarballs = []
    optional = {}
    for triple, addon in sorted(addons.items()):
        target = TARGETS[triple]
        name = f"{main['name']}-{target.npm}"
        pkg_dir = stage / target.npm
        pkg_dir.mkdir(parents=True)
        node_file = f"{main['napi']['binaryName']}.{target.npm}.node"
        shutil.copy(addon, pkg_dir / node_file)
        manifest = {
            "name": name,
            "version": main["version"],
            "description": f"{main['description']} (prebuilt addon for {target.npm})",
            "license": main["license"],
            "main": node_file,
            "files": [node_file],
            "os": ["linux"],
            "cpu": [target.cpu],
            "libc": ["glibc"],
            "engines": main["engines"],
        }
        (pkg_dir / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
        optional[name] = main["version"]
        tarballs.append(npm_pack(pkg_dir, out))
    main_dir = stage / "main"
    main_dir.mkdir(parents=True)
    for name in ("index.js", "index.d.ts"):
        shutil.copy(ROOT / "node" / name, main_dir / name)
    shutil.copy(ROOT / "core" / "README.md", main_dir / "README.md")
    published = {k: v for k, v in main.items() if k not in ("scripts", "devDependencies")}
    published["files"] = ["index.js", "index.d.ts"]
    published["optionalDependencies"] = optional
    (main_dir / "package.json").write_text(json.dumps(published, indent=2) + "\n")
    tarballs.append(npm_pack(main_dir, out))
    return tarballs


def npm_pack(pkg_dir: Path, out: Path) -> Path:
    name = subprocess.run(
        ["npm", "pack", "--silent", "--pack-destination", str(out)], cwd=pkg_dir, capture_output=True, text=True,
        check=True,
    ).stdout.strip().splitlines()[-1]
    return out / name


def node_addon(target: Target) -> Path:
    return cargo_release("dynoshift-node", target) / "libdynoshift_node.so"


# ---- Ruby -------------------------------------------------------------------------------------
RUBY = ROOT / "bindings" / "ruby"
GENERATED_RB = RUBY / "lib" / "dynoshift" / "native" / "dynoshift.rb"


def ruby_sources(stage: Path) -> None:
    """The gem's Ruby files: lib/ as the repository has it plus the module UniFFI generated."""
    if not GENERATED_RB.is_file():
        sys.exit(f"{GENERATED_RB} is missing: run `make build-ruby` first (it generates the module)")
    shutil.copytree(RUBY / "lib", stage / "lib", ignore=shutil.ignore_patterns("*.so", "*.dylib"))
    shutil.copy(RUBY / "dynoshift.gemspec", stage / "dynoshift.gemspec")


def gem_build(stage: Path, out: Path, env: dict[str, str]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    run(["gem", "build", "--quiet", "dynoshift.gemspec"], cwd=stage, env=env)
    built = next(stage.glob("*.gem"))
    return Path(shutil.move(str(built), out / built.name))


def stage_platform_gem(library: Path, target: Target, out: Path, stage: Path) -> Path:
    shutil.rmtree(stage, ignore_errors=True)
    ruby_sources(stage)
    shutil.copy(library, stage / "lib" / "dynoshift" / "native" / "libdynoshift_ruby.so")
    return gem_build(stage, out, {"DYNOSHIFT_GEM_PLATFORM": target.gem})


def ruby_library(target: Target) -> Path:
    return cargo_release("dynoshift-ruby", target) / "libdynoshift_ruby.so"


def stage_source_gem(out: Path, stage: Path) -> Path:
    """The plain gem: Ruby files, the generated module, and the Rust sources of the library with
    an extconf.rb that builds it with cargo at install time."""
    shutil.rmtree(stage, ignore_errors=True)
    ruby_sources(stage)
    src = stage / "ext" / "dynoshift"
    shutil.copytree(RUBY / "ext" / "dynoshift", src)
    # The core as `cargo package` ships it (its manifest normalised: no workspace inheritance,
    # no tests or examples that are not in the package), then the Ruby crate beside it.
    run(["cargo", "package", "--quiet", "--no-verify", "-p", "dynoshift", "--allow-dirty", "--target", HOST])
    with tarfile.open(TARGET_DIR / "package" / f"dynoshift-{VERSION}.crate") as crate_file:
        crate_file.extractall(src / "rust", filter="data")
    (src / "rust" / f"dynoshift-{VERSION}").rename(src / "rust" / "core")
    shutil.copytree(RUBY / "src", src / "rust" / "bindings" / "ruby" / "src")
    for part in ("bindings/ruby/Cargo.toml", "Cargo.lock"):
        shutil.copy(ROOT / part, src / "rust" / part)
    workspace = (ROOT / "Cargo.toml").read_text()
    members = next(line for line in workspace.splitlines() if line.startswith("members = "))
    workspace = workspace.replace(members, 'members = ["core", "bindings/ruby"]')
    (src / "rust" / "Cargo.toml").write_text(workspace)
    return gem_build(stage, out, {"DYNOSHIFT_GEM_SOURCE": "1"})


# ---- CLI and crate ----------------------------------------------------------------------------
def cli_tarball(binary: Path, target: Target, out: Path) -> Path:
    """The CLI binary and the README as a tarball, with its sha256 beside it."""
    out.mkdir(parents=True, exist_ok=True)
    name = f"dynoshift-{VERSION}-{target.triple}"
    tarball = out / f"{name}.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(binary, f"{name}/dynoshift")
        tar.add(ROOT / "README.md", f"{name}/README.md")
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    (out / f"{tarball.name}.sha256").write_text(f"{digest}  {tarball.name}\n")
    return tarball


def crate(out: Path, dry_run_publish: bool = True) -> Path:
    """The crate as `cargo package` makes it (after `cargo publish --dry-run`, which builds it
    from the packaged sources, unless `dry_run_publish` is off)."""
    if dry_run_publish:
        run(["cargo", "publish", "--dry-run", "--quiet", "-p", "dynoshift", "--allow-dirty", "--target", HOST])
    run(["cargo", "package", "--quiet", "--no-verify", "-p", "dynoshift", "--allow-dirty", "--target", HOST])
    out.mkdir(parents=True, exist_ok=True)
    name = f"dynoshift-{VERSION}.crate"
    return Path(shutil.copy(TARGET_DIR / "package" / name, out / name))


def summary(dist: Path) -> str:
    rows = [f"{'artefact':<64} {'size':>10}"]
    for path in sorted(p for p in dist.rglob("*") if p.is_file() and ".stage" not in p.parts):
        if path.suffix in (".whl", ".gz", ".tgz", ".gem", ".crate"):
            rows.append(f"{str(path.relative_to(dist)):<64} {path.stat().st_size / 2**10:>8.0f} KiB")
    rows.append("")
    rows.append(f"{'step':<64} {'seconds':>10}")
    rows += [f"{label:<64} {secs:>10.0f}" for label, secs in TIMES]
    rows.append(f"{'total':<64} {sum(s for _, s in TIMES):>10.0f}")
    return "\n".join(rows) + "\n"


def build(targets: list[Target]) -> None:
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    stage = dist / ".stage"
    for target in targets:
        with timed(f"python wheel {target.triple}"):
            python_wheel(target, dist / "python")
    with timed("python sdist"):
        python_sdist(dist / "python")
    auditwheel_report(dist / "python")
    addons = {}
    for target in targets:
        with timed(f"node addon {target.triple}"):
            addons[target.triple] = node_addon(target)
    stage_npm(addons, dist / "npm", stage / "npm")
    host = TARGETS[HOST]
    if host in targets:  # the platform gem is made for the build machine's platform only
        with timed(f"ruby library {HOST}"):
            library = ruby_library(host)
        stage_platform_gem(library, host, dist / "ruby", stage / f"gem-{host.gem}")
    stage_source_gem(dist / "ruby", stage / "gem-source")
    for target in targets:
        with timed(f"cli {target.triple}"):
            release = cargo_release("dynoshift", target, ["--bin", "dynoshift"])
            cli_tarball(release / "dynoshift", target, dist / "cli")
    with timed("crate (cargo publish --dry-run)"):
        crate(dist / "crate")
    shutil.rmtree(stage)
    table = summary(dist)
    (dist / "SUMMARY.txt").write_text(table)
    print(table)


def stage_host(out: Path) -> None:
    """The artefacts `make test-dist` installs when `make dist` has not run: the debug builds of
    this machine, packed exactly like the release ones (wheel as maturin wrote it), plus the
    sdist, the source gem, the CLI tarball and the crate (packed, not published dry-run)."""
    host = TARGETS[HOST]
    shutil.rmtree(out, ignore_errors=True)
    stage = out / ".stage"
    wheels = sorted((TARGET_DIR / "wheels").glob("dynoshift-*manylinux*.whl"))
    if not wheels:
        sys.exit("no wheel in target/wheels: run `make build-python` first")
    (out / "python").mkdir(parents=True)
    shutil.copy(wheels[-1], out / "python" / wheels[-1].name)
    addon = ROOT / "node" / f"dynoshift.{host.npm}.node"
    if not addon.is_file():
        sys.exit(f"{addon} is missing: run `make build-node` first")
    stage_npm({HOST: addon}, out / "npm", stage / "npm")
    library = RUBY / "lib" / "dynoshift" / "native" / "libdynoshift_ruby.so"
    stage_platform_gem(library, host, out / "ruby", stage / "gem")
    stage_source_gem(out / "ruby", stage / "gem-source")
    python_sdist(out / "python")
    binary = TARGET_DIR / HOST / "debug" / "dynoshift"
    if not binary.is_file():
        sys.exit(f"{binary} is missing: run `make build-cli` first")
    cli_tarball(binary, host, out / "cli")
    crate(out / "crate", dry_run_publish=False)
    shutil.rmtree(stage)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="release artefacts into dist/")
    b.add_argument("--targets", default=",".join(TARGETS), help="comma-separated Rust targets")
    s = sub.add_parser("stage-host", help="pack this machine's debug builds like the release ones")
    s.add_argument("out", type=Path)
    args = parser.parse_args()
    if args.command == "build":
        unknown = [t for t in args.targets.split(",") if t not in TARGETS]
        if unknown:
            sys.exit(f"unknown target(s) {unknown}; known: {sorted(TARGETS)}")
        build([TARGETS[t] for t in args.targets.split(",")])
    else:
        stage_host(args.out.resolve())


if __name__ == "__main__":
    main()
