"""Issue: Python crashed at interpreter exit after a successful cutover (SIGSEGV, or SIGABRT
with "PyGILState_Release ... finalizing"): a runtime thread was still inside
`Python::attach` settling the last awaitable while the interpreter finalised. The script
exit_cutover.py runs a gated cutover and exits at once; 50 fresh interpreters must all exit 0
after printing "promoted"."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SCRIPT = Path(__file__).with_name("exit_cutover.py")
RUNS = 50


def run_once(_: int) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


def test_no_crash_at_exit_after_a_cutover() -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run_once, range(RUNS)))
    bad = [(code, err[-300:]) for code, out, err in results if code != 0 or out.strip() != "promoted"]
    assert not bad, f"{len(bad)} of {RUNS} runs crashed or failed at exit: {bad[:3]}"
