# frozen_string_literal: true

# Runs every shared vector (tests/vectors) through the Ruby API. An op this runner does not know
# is a failure, never a skip.

require 'fileutils'
require 'tmpdir'
require 'yaml'
require_relative 'test_helper'

class VectorsTest < Minitest::Test
  include TestSupport

  CASES = TestSupport.vectors

  NON_FINITE = { 'NaN' => Float::NAN, 'Infinity' => Float::INFINITY, '-Infinity' => -Float::INFINITY }.freeze
  SCRATCH = Dir.mktmpdir('dynoshift-vectors-')
  Minitest.after_run { FileUtils.rm_rf(SCRATCH) }

  # The vectors write non-finite numbers as {"$float": "NaN"}; here they become Ruby Floats.
  def self.native(value)
    case value
    when Hash
      return NON_FINITE.fetch(value['$float']) if value.keys == ['$float']

      value.transform_values { |v| native(v) }
    when Array then value.map { |v| native(v) }
    else value
    end
  end

  # `key` as JSON text (non-finite numbers as bare NaN / Infinity tokens, which the core must
  # refuse), or `key_text` as given.
  def self.text(input, key)
    input.key?("#{key}_text") ? input["#{key}_text"] : JSON.generate(input[key], allow_nan: true)
  end

  def self.formation(input)
    Dynoshift::Formation.from_json(text(input, 'formation'))
  end

  def self.plan(input, key = 'plan')
    Dynoshift::CutoverPlan.from_json(text(input, key))
  end

  def self.read_journal(input)
    return Dynoshift.read_journal(input['path']).to_json if input.key?('path')

    path = File.join(SCRATCH, 'cutover.journal.json')
    File.write(path, text(input, 'journal'))
    Dynoshift.read_journal(path).to_json
  end

  # CutoverPlan.from_heroku_app with the app's domains from the recorded Platform API, served on
  # loopback for the one call.
  def self.from_heroku_app(input)
    api = TestSupport::RecordedApi.new
    client = Dynoshift::HerokuClient.new(TestSupport::GOOD_TOKEN, api.url)
    zone = Dynoshift::MemoryZone.new(plan(input, 'memory_plan'))
    Dynoshift::CutoverPlan.from_heroku_app(client, input['app'], zone, input['options']).to_json
  ensure
    api&.close
  end

  # Each op returns the result's JSON text, as the other runners compare it.
  OPS = {
    'dyno_size' => ->(i) { Dynoshift.dyno_size(i['name']).to_json },
    'formation.parse' => ->(i) { formation(i).to_json },
    'formation.monthly_cost' => ->(i) { formation(i).monthly_cost(i['prices']).to_json },
    'logs.parse_line' => ->(i) { Dynoshift.parse_line(i['line']) },
    'sizing.recommend' => ->(i) { Dynoshift.recommend_lines(formation(i), i['logs'], i['policy']).to_json },
    # the YAML is read back by Psych, a YAML parser independent of the core's
    'sizing.manifests' => lambda { |i|
      report = Dynoshift::SizingReport.from_json(JSON.generate(i['report']))
      JSON.generate(YAML.load_stream(Dynoshift.manifests(report, i['options'])))
    },
    'sizing.backtest' => lambda { |i|
      Dynoshift.backtest_lines(formation(i), i['logs'], i['policy'], i['strategies'], i.fetch('fit_fraction', 0.5)).to_json
    },
    # node planning takes and returns Hashes in Ruby
    'nodes.kube_reserved' => ->(i) { JSON.generate(Dynoshift.kube_reserved(i)) },
    'nodes.max_pods' => ->(i) { JSON.generate(Dynoshift.max_pods(i)) },
    'nodes.allocatable' => ->(i) { JSON.generate(Dynoshift.allocatable(i)) },
    'nodes.plan' => ->(i) { JSON.generate(Dynoshift.plan_nodes(i)) },
    'nodes.bill' => ->(i) { JSON.generate(Dynoshift.compare_bill(i)) },
    'nodes.karpenter' => ->(i) { JSON.generate(Dynoshift.karpenter_config(i)) },
    'sizing.recommend_files' => ->(i) { JSON.generate(Dynoshift.recommend_sizing(formation(i), i['log_paths'], i['policy'])) },
    'ingest' => ->(i) { Dynoshift.ingest(i['paths']).to_json },
    'cutover.plan' => ->(i) { plan(i).to_json },
    'cutover.dry_run' => ->(i) { Dynoshift.dry_run(plan(i)).to_json },
    'cutover.preflight' => ->(i) { Dynoshift.preflight(plan(i), Dynoshift::MemoryZone.new(plan(i, 'memory_plan'))).to_json },
    'cutover.from_heroku_app' => ->(i) { from_heroku_app(i) },
    'cutover.read_journal' => ->(i) { read_journal(i) },
    'cutover.drained' => lambda { |i|
      profiles = i['profiles'] && JSON.generate(i['profiles'])
      Dynoshift.drained(plan(i), i['lines'], profiles, i['now']).to_json
    },
    'gates.validate' => ->(i) { JSON.generate(Dynoshift.validate_gates(text(i, 'gates'))) }
  }.freeze

  def test_the_vectors_are_there
    assert_operator CASES.length, :>=, 30
    assert_operator CASES.count { |c| c['op'] == 'logs.parse_line' }, :>=, 29
    assert_operator CASES.count { |c| c['op'].start_with?('nodes.') }, :>=, 1
  end

  CASES.each do |c|
    define_method("test_vector_#{c['id']}") do
      op = OPS[c['op']]
      refute_nil op, "op #{c['op'].inspect} (#{c['_file']}) is not run by the Ruby runner"
      if c.key?('error')
        want = c['error']
        err = assert_raises(Dynoshift::Error) { op.call(VectorsTest.native(c['input'])) }
        assert_equal want['kind'], err.kind, err.message
        assert_equal want['kind'], err.class.kind
        # a string or a list of strings, all of which must appear
        Array(want['message_contains']).each { |m| assert_includes err.message, m }
      else
        assert_subset c['expect'], JSON.parse(op.call(VectorsTest.native(c['input'])))
      end
    end
  end
end
