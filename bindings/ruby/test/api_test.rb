# frozen_string_literal: true

# The glue: exported names, typed results, error classes.

require_relative 'test_helper'

class ApiTest < Minitest::Test
  include TestSupport

  # Operations only the Ruby front end exposes so far (not yet in tests/api-surface.json).
  CUTOVER_SURFACE = {
    'functions' => %w[preflight dry_run read_journal version],
    'classes' => {
      'CutoverPlan' => { 'static' => %w[from_json], 'methods' => %w[hostnames zone stages digest to_json] },
      'DnsTarget' => { 'static' => %w[memory route53], 'methods' => %w[kind records] },
      'PreflightReport' => { 'methods' => %w[ok summary to_json] },
      'DryRunReport' => { 'methods' => %w[minimum_seconds summary to_json] },
      'Cutover' => { 'methods' => %w[journal_path run resume rollback promote] },
      'Journal' => { 'methods' => %w[run_id zone_name current_percent finished outcome steps to_json] },
      'Outcome' => { 'methods' => %w[outcome reason] },
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

  def test_exports_match_the_api_surface
    surface = TestSupport.api_surface
    missing = missing_from(surface)
    surface['error_kinds'].each_value do |cls|
      missing << cls unless Dynoshift.const_defined?(cls, false) && Dynoshift.const_get(cls) < Dynoshift::Error
    end
    assert_equal [], missing
    assert_equal surface['error_kinds'].keys, Dynoshift.error_kinds
  end

  def test_cutover_operations_are_exported
    assert_equal [], missing_from(CUTOVER_SURFACE)
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
end
