# frozen_string_literal: true

# Runs every shared vector (tests/vectors) through the Ruby API. An op this runner does not know
# is a failure, never a skip.

require 'yaml'
require_relative 'test_helper'

class VectorsTest < Minitest::Test
  include TestSupport

  CASES = TestSupport.vectors

  def self.formation(input)
    text = input.key?('formation_text') ? input['formation_text'] : JSON.generate(input['formation'])
    Dynoshift::Formation.from_json(text)
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
    'nodes.karpenter' => ->(i) { JSON.generate(Dynoshift.karpenter_config(i)) }
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
        err = assert_raises(Dynoshift::Error) { op.call(c['input']) }
        assert_equal want['kind'], err.kind, err.message
        assert_equal want['kind'], err.class.kind
        # a string or a list of strings, all of which must appear
        Array(want['message_contains']).each { |m| assert_includes err.message, m }
      else
        assert_subset c['expect'], JSON.parse(op.call(c['input']))
      end
    end
  end
end
