# frozen_string_literal: true

# Sizing from Ruby: Hashes with explanations, files or lines, policies as Hashes, typed errors.

require 'tmpdir'
require_relative 'test_helper'

class SizingTest < Minitest::Test
  FORMATION = '{"web": {"size": "standard-2x", "quantity": 2}, "worker": {"size": "standard-1x", "quantity": 1}}'

  def formation
    Dynoshift::Formation.from_json(FORMATION)
  end

  def lines
    @lines ||= (0...(3 * 3600)).step(20).flat_map do |t|
      ts = format('2026-11-01T%<h>02d:%<m>02d:%<s>02d+00:00', h: t / 3600, m: t / 60 % 60, s: t % 60)
      [['web.1', 400 + (t % 100), 0.3], ['web.2', 380.0, 0.2], ['worker.1', 300.0, 0.8]].flat_map do |source, mb, load|
        ["#{ts} heroku[#{source}]: source=#{source} dyno=heroku.1.x sample#load_avg_1m=#{format('%.2f', load)}",
         "#{ts} heroku[#{source}]: source=#{source} dyno=heroku.1.x sample#memory_total=#{format('%.2f', mb)}MB " \
         "sample#memory_rss=#{format('%.2f', mb)}MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB"]
      end
    end
  end

  def test_numbers_explain_themselves_and_files_match_lines
    report = Dynoshift.recommend_lines(formation, lines)
    web = report['processes'].find { |p| p['process_type'] == 'web' }
    assert_operator web['memory_request_mib']['value'], :>=, 499
    assert_operator web['memory_request_mib']['explanation']['samples'], :>, 0
    Dir.mktmpdir do |dir|
      log = File.join(dir, 'app.log')
      File.write(log, "#{lines.join("\n")}\n")
      assert_equal report, Dynoshift.recommend_sizing(formation, [log])
    end
  end

  def test_policies_and_typed_errors
    assert_equal 'vpa', Dynoshift.recommend_lines(formation, lines, { strategy: 'vpa' })['strategy']
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.recommend_lines(formation, lines, { cpu_percentile: 2.0 }) }
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.recommend_lines(formation, lines, { cpu_percentile: Float::NAN }) }
    assert_raises(Dynoshift::NotFoundError) { Dynoshift.recommend_sizing(formation, ['/nonexistent/app.log']) }
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.recommend_sizing(formation, []) }
  end
end
