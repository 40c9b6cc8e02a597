# frozen_string_literal: true

# Saved ingest state from Ruby: dumps/loads round trips, merges of loaded parts equal one
# ingest, foreign or corrupt bytes raise InvalidInputError.

require_relative 'test_helper'

class StateTest < Minitest::Test
  LINES = [
    "2024-03-01T10:00:00+00:00 heroku[web.1]: source=web.1 sample#memory_total=300MB sample#load_avg_1m=0.5\n",
    "2024-03-01T10:00:01+00:00 heroku[router]: at=info dyno=web.1 connect=1ms service=20ms status=200 bytes=1\n",
    "2024-03-01T11:00:00+00:00 heroku[worker.1]: Error R14 (Memory quota exceeded)\n",
    "not a log line\n"
  ].freeze

  def test_loaded_parts_merge_to_one_ingest
    one = Dynoshift::Ingest.new
    merged = Dynoshift::Ingest.new
    LINES.each_with_index do |line, k|
      one.begin_input("part-#{k}")
      one.feed(line.b)
      part = Dynoshift::Ingest.new
      part.begin_input("part-#{k}")
      part.feed(line.b)
      merged.merge(Dynoshift::Ingest.loads(part.dumps))
    end
    assert_equal one.finish.to_json, merged.finish.to_json
  end

  def test_foreign_and_corrupt_bytes_are_invalid_input
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift::Ingest.loads('{}'.b) }
    ingest = Dynoshift::Ingest.new
    ingest.feed(LINES.join.b)
    state = ingest.dumps.b
    state.setbyte(state.bytesize - 1, state.getbyte(state.bytesize - 1) ^ 1)
    err = assert_raises(Dynoshift::InvalidInputError) { Dynoshift::Ingest.loads(state) }
    assert_includes err.message, 'checksum'
  end
end
