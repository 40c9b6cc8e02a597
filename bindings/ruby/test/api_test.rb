# frozen_string_literal: true

# The glue: exported names, typed results, error classes.

require_relative 'test_helper'

class ApiTest < Minitest::Test
  include TestSupport

  # Names the Ruby front end exports beyond tests/api-surface.json (or before it lists them).
  RUBY_SURFACE = {
    'functions' => %w[preflight dry_run read_journal version parse_line kube_reserved max_pods allocatable
                      plan_nodes compare_bill karpenter_config recommend_sizing recommend_lines listener],
    'classes' => {
      'CutoverPlan' => { 'static' => %w[from_json from_heroku_app],
                         'methods' => %w[hostnames zone heroku_target aws_target stages soak_seconds ttl rollback
                                         require_approval digest to_json] },
      'AppPlans' => { 'methods' => %w[plans summary to_json] },
      'Route53' => { 'constructor' => %w[endpoint_url region access_key_id secret_access_key],
                     'methods' => %w[endpoint_url records_json] },
      'MemoryZone' => { 'constructor' => %w[plan insync_delay_seconds virtual_time], 'methods' => %w[records_json] },
      'PreflightReport' => { 'methods' => %w[ok zone_id zone_name findings summary to_json] },
      'Finding' => { 'methods' => %w[severity code hostname message kind] },
      'DryRunReport' => { 'methods' => %w[steps api_calls minimum_seconds notes summary to_json] },
      'DryRunStep' => { 'methods' => %w[step aws_percent heroku_percent batches changes ttl_wait_seconds
                                         soak_seconds] },
      'Cutover' => { 'constructor' => %w[plan dns journal_path on_event gates force take_over_stale_lock gates_json
                                                      no_wait],
                     'methods' => %w[journal_path run resume rollback promote pause unpause approve abort promote_now
                                     rollback_now running callback_errors] },
      'CutoverOutcome' => { 'methods' => %w[status reason to_json] },
      'Journal' => { 'methods' => %w[run_id zone_name current_percent finished outcome steps to_json] },
      'CutoverEventRecord' => { 'methods' => %w[run_id at_ms event_type description json to_h] }
    }
  }.freeze

  def missing_from(surface)
    missing = surface['functions'].reject { |f| Dynoshift.respond_to?(f) }
    surface['classes'].each do |name, spec|
      unless Dynoshift.const_defined?(name, false)
        missing << name
        next
      end
      cls = Dynoshift.const_get(name, false)
      spec.fetch('static', []).each { |m| missing << "#{name}.#{m}" unless cls.respond_to?(m) }
      (spec.fetch('methods', []) + spec.fetch('properties', [])).each do |m|
        missing << "#{name}##{m}" unless cls.method_defined?(m)
      end
      next unless spec.key?('constructor')

      params = cls.instance_method(:initialize).parameters.map { |_, p| p.to_s }
      missing << "#{name}.new(#{spec['constructor'].join(', ')})" unless params == spec['constructor']
    end
    missing
  end

  # Everything in tests/api-surface.json is exported, except exactly the names its optional
  # `pending.ruby` list gives (so the list must change whenever Ruby gains or loses one).
  def test_exports_match_the_api_surface
    surface = TestSupport.api_surface
    missing = missing_from(surface)
    surface['error_kinds'].each_value do |cls|
      missing << cls unless Dynoshift.const_defined?(cls, false) && Dynoshift.const_get(cls) < Dynoshift::Error
    end
    assert_equal surface.fetch('pending', {}).fetch('ruby', []).sort, missing.sort
    assert_equal surface['error_kinds'].keys, Dynoshift.error_kinds
  end

  def test_ruby_operations_are_exported
    assert_equal [], missing_from(RUBY_SURFACE)
  end

  def test_error_classes_carry_their_kind
    TestSupport.api_surface['error_kinds'].each do |kind, name|
      cls = Dynoshift.const_get(name)
      assert_operator cls, :<, StandardError
      assert_operator cls, :<, Dynoshift::DynoshiftError
      assert_equal kind, cls.kind
      assert_equal kind, cls.new('boom').kind
      assert_equal 'boom', cls.new('boom').message
    end
    assert_equal Dynoshift::ERROR_CLASSES.keys, Dynoshift.error_kinds
  end

  def test_unknown_size_is_invalid_input_with_context
    err = assert_raises(Dynoshift::InvalidInputError) do
      Dynoshift::Formation.from_json('{"web": {"size": "standard-3x", "quantity": 1}}')
    end
    assert_equal 'invalid_input', err.kind
    assert_equal 'web.size', err.context
    assert_includes err.message, 'Standard-2X'
    assert_kind_of Dynoshift::Error, err
    # rescued by the base class, as callers do
    kind = begin
      Dynoshift.dyno_size('no-such-size')
    rescue Dynoshift::Error => e
      e.kind
    end
    assert_equal 'invalid_input', kind
  end

  def test_typed_results
    formation = Dynoshift::Formation.from_json(
      '{"worker": {"size": "1x", "quantity": 2}, "web": {"size": "standard-2x", "quantity": 4}}'
    )
    assert_equal %w[web worker], formation.processes.map(&:process_type)
    worker = formation.processes[1]
    assert_equal '1x', worker.requested_size
    assert_equal 'Standard-1X', worker.size.name
    assert_equal 'shared', worker.size.cpu_kind
    assert_nil worker.command
    report = formation.monthly_cost({ 'standard-1x' => 20.0 })
    assert_in_delta 240.0, report.total_monthly_usd
    assert_equal [%w[web list], %w[worker override]], report.lines.map { |l| [l.process_type, l.price_source] }
    assert_equal 'USD', report.currency
    assert_in_delta 720.0, report.hours_per_month
    assert_in_delta 14.0, Dynoshift::Formation.from_json('{"web": {"size": "basic", "quantity": 2}}').monthly_cost.total_monthly_usd
    size = Dynoshift.dyno_size('performance-m')
    assert_equal ['dedicated', 2.0, 250.0], [size.cpu_kind, size.cpu, size.list_monthly_usd]
    assert_equal 'Performance-M', JSON.parse(size.to_json)['name']
    assert_operator Dynoshift.dyno_sizes.length, :>=, 21
    assert_equal Dynoshift::VERSION, Dynoshift.version
  end

  def test_bad_prices_are_invalid_input
    formation = Dynoshift::Formation.from_json('{"web": {"size": "basic", "quantity": 1}}')
    err = assert_raises(Dynoshift::InvalidInputError) { formation.monthly_cost({ 'basic' => -1.0 }) }
    assert_equal 'invalid_input', err.kind
  end

  # A callback's handle is removed even from a trap or finalizer context (where Mutex#lock
  # raises ThreadError): a garbage-collected Cutover frees its listener from a GC finalizer.
  def test_callback_handles_are_removed_in_trap_context
    map = Dynoshift.const_get(:UniffiHandleMap).new
    handle = map.insert(Object.new)
    outcome = nil
    previous = Signal.trap('USR2') do
      outcome = begin
        [:removed, map.remove(handle)]
      rescue ThreadError => e
        [:refused, e]
      end
    end
    Process.kill('USR2', Process.pid)
    Thread.pass while outcome.nil?
    assert_equal :removed, outcome.first, outcome.last.inspect
    assert_equal 0, map.size
  ensure
    Signal.trap('USR2', previous || 'DEFAULT')
  end
end
