# frozen_string_literal: true

# The plain-data operations: node planning takes and returns Hashes (JSON text natively), and
# parse_line returns the parsed line as JSON text. The shared vectors cover the numbers; this
# covers the Ruby glue around them.

require_relative 'test_helper'

class NodesTest < Minitest::Test
  PODS = [{ process_type: 'web', replicas: 2, cpu_millis: 100, memory_mib: 256 }].freeze

  def test_requests_and_results_are_hashes
    reserved = Dynoshift.kube_reserved({ 'max_pods' => 110 })
    assert_kind_of Hash, reserved
    assert_equal 1465, reserved['memory_mib']
    # symbol keys are fine: the request is written as JSON
    assert_equal reserved, Dynoshift.kube_reserved({ max_pods: 110 })
    plan = Dynoshift.plan_nodes({ pods: PODS })
    assert_kind_of Hash, plan
    refute_empty plan.fetch('nodes')
  end

  def test_errors_are_typed
    err = assert_raises(Dynoshift::InfeasibleError) do
      Dynoshift.plan_nodes({ pods: [{ process_type: 'ml', replicas: 1, cpu_millis: 10_000_000, memory_mib: 1 }] })
    end
    assert_equal 'infeasible', err.kind
    assert_includes err.message, 'ml'
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.plan_nodes({ pods: [] }) }
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.compare_bill('not a request') }
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.max_pods({ vcpu: Float::NAN }) }
  end

  def test_parse_line_returns_json_and_never_raises
    router = JSON.parse(Dynoshift.parse_line(
                          '2026-01-01T00:00:00+00:00 heroku[router]: at=info method=GET path="/" host=x.herokuapp.com ' \
                          'request_id=1 fwd="1.2.3.4" dyno=web.1 connect=1ms service=12ms status=200 bytes=10 protocol=https'
                        ))
    assert_equal 'router', router['kind']
    assert_equal 'unparsed', JSON.parse(Dynoshift.parse_line(''))['kind']
  end
end
