# frozen_string_literal: true

# `drained` on the decaying residual tail of tests/fixtures/drained (see core/tests/drained.rs):
# not drained 6 h after promotion, drained at 8 h; the same from the drain receiver's profiles.

require_relative 'test_helper'

class DrainedTest < Minitest::Test
  FIXTURES = File.expand_path('../../../tests/fixtures/drained', __dir__)

  def plan
    Dynoshift::CutoverPlan.from_json(File.read(File.join(FIXTURES, 'plan.json')))
  end

  def lines
    File.readlines(File.join(FIXTURES, 'residual-tail.log'), chomp: true)
  end

  def test_a_decaying_tail_gives_both_answers
    early = Dynoshift.drained(plan, lines, nil, '2026-12-01T06:00:00Z')
    refute early.drained
    assert early.covered
    assert_includes early.reason, 'drained at the earliest 2026-12-01T06:50'
    assert(early.tail(3).any? { |l| l.include?('www.example.test') })
    late = Dynoshift.drained(plan, lines, nil, '2026-12-01T08:00:00Z')
    assert late.drained, late.reason
    assert_equal 2, JSON.parse(late.to_json)['hosts'].length
  end

  def test_profiles_and_bad_input
    profiles = Dynoshift.ingest([File.join(FIXTURES, 'residual-tail.log')]).to_json
    report = Dynoshift.drained(plan, nil, profiles, '2026-12-01T08:00:00Z')
    assert report.drained, report.reason
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.drained(plan, nil, nil, '2026-12-01T08:00:00Z') }
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.drained(plan, lines, nil, 'yesterday') }
  end
end
