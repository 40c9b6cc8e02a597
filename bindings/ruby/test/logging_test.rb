# frozen_string_literal: true

# The core's log events reach a Ruby block at the chosen level.

require 'tmpdir'
require_relative 'test_helper'

class LoggingTest < Minitest::Test
  FORMATION = '{"web": {"size": "standard-1x", "quantity": 1}}'

  def teardown
    Dynoshift.set_logger(nil)
  end

  def ingest_once
    Dir.mktmpdir do |dir|
      path = File.join(dir, 'app.log')
      Dynoshift.synth_logs(Dynoshift::Formation.from_json(FORMATION), path, '{"duration_s": 3600, "seed": 3}')
      Dynoshift.ingest([path])
    end
  end

  def test_ingest_events_reach_the_block
    seen = []
    Dynoshift.set_logger('info') { |level, target, message| seen << [level, target, message] }
    profiles = ingest_once
    finished = seen.find { |_, _, m| m.start_with?('ingest: finished') }
    refute_nil finished, seen.inspect
    assert_equal %w[info dynoshift::telemetry], finished[0, 2]
    assert_includes finished[2], "records=#{profiles.lines.records}"
  end

  def test_events_below_the_level_and_after_nil_are_not_sent
    seen = []
    Dynoshift.set_logger(->(level, _t, _m) { seen << level }, 'warn')
    ingest_once
    assert_empty seen
    Dynoshift.set_logger(nil)
    ingest_once
    assert_empty seen
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.set_logger(nil, 'loud') }
  end
end
