"""`drained` on the decaying residual tail of tests/fixtures/drained (see core/tests/drained.rs):
not drained 6 h after promotion, drained at 8 h; the same from the drain receiver's profiles."""

from pathlib import Path

import pytest

import dynoshift

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "drained"


def _plan() -> dynoshift.CutoverPlan:
    return dynoshift.CutoverPlan.from_json((FIXTURES / "plan.json").read_text())


def _lines() -> list[str]:
    return (FIXTURES / "residual-tail.log").read_text().splitlines()


def test_a_decaying_tail_gives_both_answers() -> None:
    early = dynoshift.drained(_plan(), lines=_lines(), now="2026-12-01T06:00:00Z")
    assert not early.drained
    assert early.covered
    assert "drained at the earliest 2026-12-01T06:50" in early.reason
    assert any("www.example.test" in line for line in early.tail(3))
    late = dynoshift.drained(_plan(), lines=_lines(), now="2026-12-01T08:00:00Z")
    assert late.drained, late.reason
    assert "DrainReport(drained=True" in repr(late)


def test_profiles_and_bad_input() -> None:
    profiles = dynoshift.ingest([str(FIXTURES / "residual-tail.log")]).to_json()
    report = dynoshift.drained(_plan(), profiles_json=profiles, now="2026-12-01T08:00:00Z")
    assert report.drained, report.reason
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.drained(_plan(), now="2026-12-01T08:00:00Z")
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.drained(_plan(), lines=_lines(), now="yesterday")


def test_the_plan_carries_heroku_and_drained_sections() -> None:
    text = (FIXTURES / "plan.json").read_text().replace(
        '"drained"', '"heroku": {"app": "shop", "scale_up": true}, "drained"'
    )
    plan = dynoshift.CutoverPlan.from_json(text)
    assert '"scale_up": true' in plan.to_json()
    assert '"window_seconds": 21600' in plan.to_json()
