"""Every fenced block of the README is a tested file, and every one of them runs here.

Each block is preceded by a marker:
- ``<!-- tested: PATH -->``: the block is PATH (a whole file), or the lines of PATH between a
  ``readme:begin`` and a ``readme:end`` line (dedented) when the file has them: the rest of the
  file only supplies what the README's prose says the block assumes (a client, a formation);
- ``<!-- tested: cli-synopsis -->``: each ``dynoshift ...`` line names real subcommands, and
  every option it shows is in that subcommand's ``--help``;
- ``<!-- tested: make-targets -->``: each ``make TARGET`` line names a target of the Makefile;
- ``<!-- tested: install-names -->``: each ``pip|npm|gem install NAME`` / ``cargo add NAME`` line
  names the package this repository builds for that ecosystem (``make dist``'s artefacts).

The files under tests/readme/ are then executed in a scratch directory with what they need on
loopback (moto_server for Route53, a recorded Platform API, a health endpoint): Python with the
installed wheel, Node through a ``node_modules/dynoshift`` link to ``node/``, Ruby with
``bindings/ruby/lib``, shell with the debug CLI on ``PATH`` under ``bash -e``, as CI runners run
deploy steps. The Rust block is core/tests/readme.rs, run by ``cargo test``.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "python" / "tests"))

from conftest import GOOD_TOKEN, MOTO_SECRET, MotoServer, RecordedHerokuApi  # noqa: E402

README = REPO / "README.md"
CLI = os.environ.get("DYNOSHIFT_CLI") or str(REPO / "target" / "x86_64-unknown-linux-gnu" / "debug" / "dynoshift")
MARKER = re.compile(r"^<!-- tested: (?P<what>\S+) -->$")
# files here that are the runner, not README blocks
RUNNER_FILES = {"test_readme.py", "sync_readme.py"}


class Block:
    def __init__(self, line: int, marker: Optional[str], lang: str, body: str) -> None:
        self.line = line
        self.marker = marker
        self.lang = lang
        self.body = body

    def __repr__(self) -> str:
        return f"README.md:{self.line} ({self.lang}, {self.marker or 'no marker'})"


def readme_blocks() -> list[Block]:
    lines = README.read_text().split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        fence = lines[i]
        if fence.startswith("```") and len(fence) > 3:
            end = lines.index("```", i + 1)
            previous = lines[i - 1] if i > 0 else ""
            match = MARKER.match(previous)
            blocks.append(Block(i + 1, match["what"] if match else None, fence[3:], "\n".join(lines[i + 1 : end])))
            i = end + 1
        else:
            i += 1
    return blocks


def shown_part(path: Path) -> str:
    """What the README must show of a tested file: all of it, or its marked region, dedented."""
    lines = path.read_text().split("\n")
    begins = [n for n, line in enumerate(lines) if "readme:begin" in line]
    ends = [n for n, line in enumerate(lines) if "readme:end" in line]
    if not begins and not ends:
        return "\n".join(lines).rstrip("\n")
    assert len(begins) == 1 and len(ends) == 1 and begins[0] < ends[0], f"{path}: one readme:begin, then one readme:end"
    return textwrap.dedent("\n".join(lines[begins[0] + 1 : ends[0]])).rstrip("\n")


def test_every_readme_block_is_a_tested_file() -> None:
    blocks = readme_blocks()
    assert len(blocks) >= 20, "the README's blocks were not found"
    unmarked = [b for b in blocks if b.marker is None]
    assert not unmarked, f"README blocks without a <!-- tested: ... --> marker: {unmarked}"
    used: set[Path] = set()
    for block in blocks:
        assert block.marker is not None
        if block.marker in ("cli-synopsis", "make-targets", "install-names"):
            continue
        path = REPO / block.marker
        assert path.is_file(), f"{block}: {block.marker} does not exist"
        used.add(path)
        assert block.body == shown_part(path), (
            f"{block} differs from {block.marker}: edit the file (it is executed) and copy it into the README"
        )
    orphans = sorted(p.name for p in HERE.iterdir() if p.is_file() and p.name not in RUNNER_FILES and p not in used)
    assert not orphans, f"files in tests/readme that no README block shows: {orphans}"


def synopsis_commands() -> list[tuple[Block, list[str], list[str]]]:
    """(block, subcommand words, options shown) for every `dynoshift ...` line of a synopsis block."""
    found: list[tuple[Block, list[str], list[str]]] = []
    for block in readme_blocks():
        if block.marker != "cli-synopsis":
            continue
        for line in block.body.replace("\\\n", " ").split("\n"):  # continuation lines joined
            words = line.split("#", 1)[0].split()
            if not words or words[0] != "dynoshift":
                continue
            path: list[str] = []
            for word in words[1:]:
                if not re.fullmatch(r"[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*", word):
                    break
                path.append(word)
            options = re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-z])(?![\w-])", " ".join(words))
            alternatives: list[list[str]] = [[]]
            for word in path:
                alternatives = [prefix + [choice] for prefix in alternatives for choice in word.split("|")]
            found.extend((block, alternative, options) for alternative in alternatives)
    return found


def test_cli_synopsis_lines_match_the_help() -> None:
    commands = synopsis_commands()
    assert len(commands) >= 20, "the README's CLI synopsis was not found"
    for block, words, options in commands:
        done = subprocess.run([CLI, *words, "--help"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{block}: `dynoshift {' '.join(words)} --help` failed: {done.stderr}"
        for option in options:
            assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", done.stdout), (
                f"{block}: `dynoshift {' '.join(words)}` has no option {option}"
            )


def test_make_targets_exist() -> None:
    targets = [
        line.split()[1]
        for block in readme_blocks()
        if block.marker == "make-targets"
        for line in block.body.split("\n")
        if line.startswith("make ")
    ]
    assert targets == ["demo", "test"]
    for target in targets:
        done = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"make {target}: {done.stderr}"


def test_install_lines_name_the_packages_we_build() -> None:
    import tomllib

    built = {
        "pip install": tomllib.loads((REPO / "python" / "pyproject.toml").read_text())["project"]["name"],
        "npm install": json.loads((REPO / "node" / "package.json").read_text())["name"],
        "gem install": re.search(r"spec\.name = '([^']+)'", (REPO / "bindings" / "ruby" / "dynoshift.gemspec").read_text())[1],  # type: ignore[index]
        "cargo add": tomllib.loads((REPO / "core" / "Cargo.toml").read_text())["package"]["name"],
    }
    seen = {}
    for block in readme_blocks():
        if block.marker != "install-names":
            continue
        for line in block.body.split("\n"):
            words = line.split("#", 1)[0].split()
            if words:
                seen[" ".join(words[:2])] = words[2]
    assert seen == built, f"the README's install lines {seen} differ from the packages built {built}"


# ---- running the files ------------------------------------------------------------------------


class Scratch:
    """A scratch working directory for one file, with the environment its language needs."""

    def __init__(self, root: Path) -> None:
        self.dir = root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HEROKU_"))}
        self.env["PATH"] = f"{Path(CLI).parent}{os.pathsep}{self.env.get('PATH', '')}"
        # no AWS configuration from this machine's home directory
        self.env["AWS_CONFIG_FILE"] = str(root / "no-aws-config")
        self.env["AWS_SHARED_CREDENTIALS_FILE"] = str(root / "no-aws-credentials")
        (root / "node_modules").mkdir()
        (root / "node_modules" / "dynoshift").symlink_to(REPO / "node")

    def write(self, name: str, text: str) -> Path:
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def use_moto(self, moto: MotoServer) -> None:
        self.env.update(
            AWS_ENDPOINT_URL=moto.url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY=MOTO_SECRET,
            AWS_REGION="us-east-1",
        )

    def run(self, name: str, stdin: Optional[bytes] = None) -> subprocess.CompletedProcess[str]:
        source = HERE / name
        shutil.copy(source, self.dir / name)
        runner = {
            ".py": [sys.executable],
            ".js": ["node"],
            ".mjs": ["node"],
            ".rb": ["ruby", "-I", str(REPO / "bindings" / "ruby" / "lib")],
            ".sh": ["bash", "-e", "-o", "pipefail"],
        }[source.suffix]
        done = subprocess.run(
            [*runner, name],
            cwd=self.dir,
            env=self.env,
            input=stdin.decode() if stdin is not None else None,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return done


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


@pytest.fixture
def scratch(tmp_path: Path) -> Scratch:
    return Scratch(tmp_path)


@pytest.fixture
def moto() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.close()


FORMATION = '{"web": {"size": "standard-2x", "quantity": 4}, "worker": {"size": "private-m", "quantity": 1}}'


def synth_logs(scratch: Scratch, out: str, duration: str) -> None:
    scratch.write("formation.json", FORMATION)
    (scratch.dir / out).parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [CLI, "synth-logs", "--formation", "formation.json", "--duration", duration, "-o", out],
        cwd=scratch.dir,
        check=True,
        capture_output=True,
        timeout=300,
    )


def cutover_plan(moto: MotoServer, extra: Optional[dict[str, object]] = None) -> dict[str, object]:
    """A plan for a fresh zone in moto (fresh names: moto refuses a second conversion of a name),
    its hostnames seeded as CNAMEs to Heroku, with short timers."""
    zone = f"readme-{uuid.uuid4().hex[:8]}.test"
    zone_id = moto.create_zone(zone)
    hosts = [f"www.{zone}", f"api.{zone}"]
    for host in hosts:
        moto.create_cname(zone_id, host, "shop-1a2b.herokudns.com", 1)
    plan: dict[str, object] = {
        "zone": zone,
        "hostnames": hosts,
        "heroku_target": "shop-1a2b.herokudns.com",
        "aws_target": "shop-lb-1.us-east-1.elb.amazonaws.com",
        "stages": [10, 100],
        "soak_seconds": 1,
        "tick_seconds": 1,
        "ttl": 1,
    }
    plan.update(extra or {})
    return plan


def test_quickstart_py(scratch: Scratch) -> None:
    scratch.write("formation.json", FORMATION)
    out = ok(scratch.run("quickstart.py"))
    assert "web Standard-2X 4 200.0" in out
    assert "worker Private-M 1 600.0" in out  # the contract price given
    assert "standard-3x" in out  # the error names the unknown size


def test_quickstart_js(scratch: Scratch) -> None:
    assert ok(scratch.run("quickstart.js")).split() == ["200", "invalid_input"]


def test_quickstart_rb(scratch: Scratch) -> None:
    shutil.copy(REPO / "core" / "tests" / "fixtures" / "cutover-plan.json", scratch.dir / "plan.json")
    out = ok(scratch.run("quickstart.rb")).split("\n")
    assert out[:2] == ["200.0", "invalid_input"]
    assert out[-2] == "promoted"
    assert json.loads((scratch.dir / "cutover.journal.json").read_text())["plan"]["zone"] == "example.test"


@pytest.mark.parametrize("name", ["from_heroku_app.py", "from_heroku_app.mjs", "from_heroku_app.rb"])
def test_from_heroku_app(scratch: Scratch, moto: MotoServer, name: str) -> None:
    api = RecordedHerokuApi()
    try:
        moto.create_zone("shop.example.test")
        scratch.use_moto(moto)
        scratch.env.update(HEROKU_API_KEY=GOOD_TOKEN, README_HEROKU_API_URL=api.url)
        out = ok(scratch.run(name))
    finally:
        api.close()
    assert "www.shop.example.test" in out, out
    plan = json.loads((scratch.dir / "plan.shop.example.test.json").read_text())
    assert sorted(h if isinstance(h, str) else h["name"] for h in plan["hostnames"]) == [
        "api.shop.example.test",
        "www.shop.example.test",
    ]
    assert plan["aws_target"] == "my-alb-123.us-east-1.elb.amazonaws.com"


def test_plan_yaml_dry_runs(scratch: Scratch) -> None:
    shutil.copy(HERE / "plan.yaml", scratch.dir / "plan.yaml")
    done = subprocess.run(
        [CLI, "cutover", "dry-run", "--plan", "plan.yaml", "--json"], cwd=scratch.dir, capture_output=True, text=True, timeout=60
    )
    report = json.loads(ok(done))
    assert report["steps"], report


def s3_client(moto: MotoServer) -> Any:
    import boto3  # type: ignore[import-untyped]

    return boto3.client(
        "s3", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="x"
    )


class Health:
    """A loopback health endpoint answering a fixed status."""

    def __init__(self, status: int) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/healthz"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(("health_status", "exit_code", "said"), [(200, 0, "promoted"), (503, 1, "rolled back: see stderr")])
def test_deploy_step_sh(scratch: Scratch, moto: MotoServer, health_status: int, exit_code: int, said: str) -> None:
    health = Health(health_status)
    try:
        gate = {"type": "http", "name": "aws-health", "probe": {"url": health.url, "host": "www.shop.com"}}
        plan = cutover_plan(moto, {"gates": [gate], "rollback": "full"})
        scratch.write("plan.yaml", json.dumps(plan))  # JSON is YAML
        scratch.use_moto(moto)
        s3_client(moto).create_bucket(Bucket="my-deploy-state")
        done = scratch.run("deploy_step.sh")
    finally:
        health.close()
    assert done.returncode == exit_code, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert done.stdout.strip().split("\n")[-1] == said
    # the journal is in S3, not on the runner
    journal = s3_client(moto).get_object(Bucket="my-deploy-state", Key="shop/cutover.journal.json")
    assert json.loads(journal["Body"].read())["run_id"]
    assert not list(scratch.dir.glob("*.journal.json"))
    *events, last = [json.loads(line) for line in (scratch.dir / "events.jsonl").read_text().splitlines()]
    expected = "promoted" if exit_code == 0 else "rolled_back"
    assert last["outcome"] == expected, last
    assert events[-1]["type"] == expected, events[-1]
    assert "gate_verdict" in {e["type"] for e in events}  # the plan's gate judged the run


def test_sizing_py(scratch: Scratch) -> None:
    synth_logs(scratch, "logs/app-2026-11.log.gz", "6h")
    out = ok(scratch.run("sizing.py"))
    assert out.startswith("web "), out
    assert "dynoshift" in out and "vpa" in out  # the backtest table compares both
    assert "kind: Deployment" in (scratch.dir / "manifests.yaml").read_text()


def test_sizing_mjs(scratch: Scratch) -> None:
    synth_logs(scratch, "logs/app-2026-11.log.gz", "6h")
    out = ok(scratch.run("sizing.mjs"))
    assert float(out.split()[0]) > 0, out
    assert "kind: Deployment" in (scratch.dir / "manifests.yaml").read_text()


def test_cutover_py(scratch: Scratch, moto: MotoServer) -> None:
    scratch.write("plan.json", json.dumps(cutover_plan(moto)))
    scratch.use_moto(moto)
    out = ok(scratch.run("cutover.py")).strip().split("\n")
    assert out[-1] == "promoted None" or out[-1].startswith("promoted "), out[-3:]
    events = [line for line in out if line.startswith("{")]
    assert any("'type': 'stage_passed'" in line for line in events), out


def test_cutover_mjs(scratch: Scratch, moto: MotoServer) -> None:
    scratch.write("plan.json", json.dumps(cutover_plan(moto)))
    scratch.use_moto(moto)
    out = ok(scratch.run("cutover.mjs")).split()
    assert out[0] == "true", out  # preflight found nothing in the way
    assert int(out[1]) > 0
    assert "stage_passed" in out and out[-1] == "promoted", out


def test_ingest_py(scratch: Scratch, moto: MotoServer) -> None:
    synth_logs(scratch, "logs/2026-11-01.log.gz", "3h")
    synth_logs(scratch, "drain.log", "1h")
    s3 = s3_client(moto)
    s3.create_bucket(Bucket="my-logs")
    s3.upload_file(str(scratch.dir / "logs/2026-11-01.log.gz"), "my-logs", "papertrail/logs/54321/2026-11-01.log.gz")
    scratch.use_moto(moto)
    out = ok(scratch.run("ingest.py", stdin=(scratch.dir / "drain.log").read_bytes()))
    assert "web" in out.split("\n")[0]
    stdin_records = int(out.strip().split("\n")[-1].split()[-1])
    assert stdin_records > 0
    assert (scratch.dir / "app.log").stat().st_size > 0  # synth_logs wrote the sample


def test_ingest_mjs(scratch: Scratch) -> None:
    synth_logs(scratch, "app.log.gz", "1h")
    synth_logs(scratch, "app.log", "1h")
    bulk, incremental = (int(n) for n in ok(scratch.run("ingest.mjs")).split())
    assert bulk == incremental > 0  # the same synthetic log, gzip and plain


def test_nodes_py(scratch: Scratch) -> None:
    out = ok(scratch.run("nodes.py")).strip().split("\n")
    assert len(out) == 2 and out[0].startswith("[")
    heroku, aws = (float(x) for x in out[1].split())
    assert heroku == 200.0 and aws > 0


def test_nodes_js(scratch: Scratch) -> None:
    monthly, has_nodepool = ok(scratch.run("nodes.js")).split()
    assert float(monthly) > 0 and has_nodepool == "true"


def test_gates_py(scratch: Scratch, moto: MotoServer) -> None:
    scratch.write("plan.json", json.dumps(cutover_plan(moto)))
    scratch.use_moto(moto)
    assert ok(scratch.run("gates.py")).split("\n")[:2] == ["['aws-health']", "Cutover"]
