"""Copies each tested file (or its marked region) into the README block that shows it:
`.venv/bin/python tests/readme/sync_readme.py` after editing a file under tests/readme/."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_readme import MARKER, README, REPO, shown_part  # noqa: E402


def main() -> None:
    lines = README.read_text().split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        match = MARKER.match(out[-1]) if out else None
        if line.startswith("```") and len(line) > 3 and match and "/" in match["what"]:
            end = lines.index("```", i + 1)
            out.append(line)
            out.extend(shown_part(REPO / match["what"]).split("\n"))
            out.append("```")
            i = end + 1
            continue
        out.append(line)
        i += 1
    README.write_text("\n".join(out))


if __name__ == "__main__":
    main()
