from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"


def load_vectors() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(VECTORS.rglob("*.json")):
        for case in json.loads(path.read_text()):
            case["_file"] = str(path.relative_to(VECTORS))
            cases.append(case)
    return cases


def api_surface() -> dict[str, Any]:
    surface: dict[str, Any] = json.loads((REPO / "tests" / "api-surface.json").read_text())
    return surface
