# frozen_string_literal: true

# dynoshift for Ruby: the Rust core through UniFFI. The module in dynoshift/native/ is generated
# from the built library (`make build-ruby`); this file loads it and gives errors their Ruby shape:
# one class per kind (Dynoshift::InvalidInputError, ...), all under Dynoshift::Error, each with
# #kind (the snake_case string shared by every language), #message and #context. The rest is the
# argument glue UniFFI cannot generate: Route53 | MemoryZone arguments, procs as the event
# listener and gates, and Hashes for the node-planning operations (JSON text natively).

require 'io/wait' # uniffi's async calls wait on a pipe with IO#wait_readable (not core on 3.1)
require 'json'
require_relative 'dynoshift/version'

begin
  require_relative 'dynoshift/native/dynoshift'
rescue LoadError => e
  raise LoadError, "dynoshift's native part is missing (#{e.message}); build it with `make build-ruby`"
end

module Dynoshift
  # Base class of every dynoshift error. Branch on the class or on #kind.
  class Error < StandardError
    # Where in the input the problem is (e.g. "web.size"), if known.
    attr_reader :context

    KIND = 'internal'

    def self.kind
      self::KIND
    end

    # The native error (the generated FfiError::Failed, pointed here below) is built with the
    # kind: it becomes an instance of that kind's class.
    def self.new(msg = nil, message: msg, context: nil, kind: nil)
      cls = kind && ERROR_CLASSES.fetch(kind, InternalError)
      return cls.new(message, context: context) if cls && cls != self

      super(message, context: context)
    end

    def initialize(msg = nil, message: msg, context: nil)
      super(message)
      @context = context
    end

    def kind
      self.class.kind
    end
  end
  DynoshiftError = Error

  # uniffi raises its own InternalError on a Rust panic; it becomes the `internal` class.
  send(:remove_const, :InternalError) if const_defined?(:InternalError, false)

  # kind => class, one per kind the core lists (Dynoshift.error_kinds), each named as the core
  # names it: `invalid_input` => InvalidInputError.
  ERROR_CLASSES = Dynoshift.error_kinds.to_h do |kind|
    cls = Class.new(Error)
    cls.const_set(:KIND, kind)
    const_set("#{kind.split('_').map(&:capitalize).join}Error", cls)
    [kind, cls]
  end.freeze

  # The generated reader builds `FfiError::Failed.new(kind:, message:, context:)` and a Ruby
  # callback's raise is sent back when it is a FfiError::Failed: both are Dynoshift::Error.
  FfiError.send(:remove_const, :Failed)
  FfiError.const_set(:Failed, Error)

  # Rust frees a Ruby callback (a Cutover's event listener or gate, a logger) when its owner is
  # dropped, which for a garbage-collected Cutover happens inside a GC finalizer. uniffi's handle
  # map takes a Mutex to remove the callback's handle, and Ruby refuses Mutex#lock there ("can't
  # be called from trap context (ThreadError)"): the removal failed, the error was printed, and the
  # handle with its Ruby object stayed in the map for good. One Hash#delete is atomic under the
  # GVL, so the removal goes without the lock.
  module HandleRemovalWithoutLock
    def remove(handle)
      obj = @map.delete(handle)
      raise InternalError, "UniffiHandleMap.remove: invalid handle #{handle}" if obj.nil?

      obj
    end
  end
  const_get(:UniffiHandleMap).prepend(HandleRemovalWithoutLock)
  private_constant :HandleRemovalWithoutLock

  # An EventListener from a block: Cutover.new(plan, dns, path, Dynoshift.listener { |e| ... }).
  # (Cutover.new also takes a proc, lambda or method directly.)
  def self.listener(&block)
    raise ArgumentError, 'give a block' unless block

    BlockListener.new(block)
  end

  # Calls its block with (level, target, message) for each log event of the core.
  class BlockLogListener
    def initialize(block)
      @block = block
    end

    def log(level, target, message)
      @block.call(level, target, message)
    end
  end

  # Dynoshift.set_logger('info') { |level, target, message| ... }, or with a LogListener
  # (anything with #log(level, target, message)) or a proc as the first argument; nil: off.
  module LoggerArgument
    def set_logger(listener = nil, level = nil, &block)
      listener, level = nil, listener if listener.is_a?(String)
      listener ||= block
      if listener && !listener.respond_to?(:log)
        raise TypeError, 'the logger must respond to #call or #log' unless listener.respond_to?(:call)

        listener = BlockLogListener.new(listener)
      end
      super(listener, level)
    end
  end
  singleton_class.prepend(LoggerArgument)

  # Calls its block with each CutoverEventRecord.
  class BlockListener
    def initialize(block)
      @block = block
    end

    def on_event(event)
      @block.call(event)
    end
  end

  # The event as a Hash (the core's JSON).
  class CutoverEventRecord
    def to_h
      JSON.parse(json)
    end
  end

  # A gate from a callable: called with the gate context as a Hash ("run_id", "stage",
  # "percent", "tick", "elapsed_seconds", "hostnames"), it returns a verdict Hash
  # {status: "pass"|"fail"|"inconclusive"|"error", reason: "..."}. Its name is its #name (a
  # Method object, or any object with #name and #call), else "gate<i>".
  # `end` is a Ruby keyword, so the generated record names the field `_end`; offer the name the
  # other languages use as well.
  class TimeSpan
    define_method(:end) { _end }
  end

  class CallableGate
    attr_reader :name

    def initialize(callable, name)
      @callable = callable
      @name = name
    end

    def check_json(context_json)
      JSON.generate(@callable.call(JSON.parse(context_json)))
    end
  end

  # The glue UniFFI cannot generate: `dns` is a Route53 or a MemoryZone (the native call takes a
  # tagged `Dns`), `on_event` may be a proc and `gates` an array of callables.
  module CutoverArguments
    def initialize(plan, dns, journal_path, on_event = nil, gates = nil, force = false, take_over_stale_lock = false, gates_json = nil, no_wait = false)
      super(plan, Dynoshift.dns_argument(dns), journal_path, Dynoshift.listener_argument(on_event),
            Dynoshift.gates_argument(gates), force, take_over_stale_lock, gates_json, no_wait)
    end
  end
  Cutover.prepend(CutoverArguments)

  # Fleet#add takes a Route53 or a MemoryZone (the native call takes a tagged `Dns`).
  module FleetArguments
    def add(name, plan, dns, journal_path)
      super(name, plan, Dynoshift.dns_argument(dns), journal_path.to_s)
    end
  end
  Fleet.prepend(FleetArguments)

  class << self
    # @api private
    def dns_argument(dns)
      case dns
      when Route53 then Dns::ROUTE53.new(target: dns)
      when MemoryZone then Dns::MEMORY.new(zone: dns)
      else raise TypeError, "dns must be a Dynoshift::Route53 or a Dynoshift::MemoryZone, got #{dns.class}"
      end
    end

    # @api private
    def listener_argument(on_event)
      return on_event if on_event.nil? || on_event.respond_to?(:on_event)
      raise TypeError, 'on_event must respond to #call or #on_event' unless on_event.respond_to?(:call)

      BlockListener.new(on_event)
    end

    # @api private
    def gates_argument(gates)
      return nil if gates.nil?

      Array(gates).each_with_index.map do |gate, i|
        next gate if gate.respond_to?(:check_json) && gate.respond_to?(:name)
        raise TypeError, 'every gate must respond to #call' unless gate.respond_to?(:call)

        CallableGate.new(gate, gate.respond_to?(:name) ? gate.name.to_s : "gate#{i}")
      end
    end

    # Read-only preflight of `plan` against `dns` (a Route53 or a MemoryZone).
    alias_method :_preflight_native, :preflight
    private :_preflight_native

    def preflight(plan, dns)
      _preflight_native(plan, dns_argument(dns))
    end

    # The native call behind CutoverPlan.from_heroku_app (a tagged Dns and JSON options).
    private :plans_from_heroku_app
  end

  class CutoverPlan
    # The cutover plans written from a Heroku app's custom domains (what `dynoshift cutover
    # init` does), as AppPlans: one CutoverPlan per hosted zone (#plans), #summary lines, and
    # #to_json with the domains left out (`skipped`) and `warnings`, each with its reason.
    # `client` is a HerokuClient, `dns` a Route53 or a MemoryZone (where each hostname's zone is
    # found; read-only), `options` a Hash of InitOptions fields: aws_target (required unless
    # aws_targets names one per hostname), aws_targets, zone, stages, ttl, soak_seconds,
    # health_path, gates, allow_failed_certificates. An unknown key raises InvalidInputError
    # naming it. Blocks like HerokuClient's calls.
    def self.from_heroku_app(client, app, dns, options)
      Dynoshift.send(:plans_from_heroku_app, client, app, Dynoshift.dns_argument(dns),
                     Dynoshift.json_argument(options) || 'null')
    end
  end

  # Container sizing returns a SizingReport (records inside: ProcessSizing, Explained,
  # Explanation, HpaSizing); backtest a BacktestReport. `policy` is a Hash of SizingPolicy fields
  # (nil: the defaults), manifest options a Hash (image:, namespace:, app:, port:).
  class << self
    alias_method :_recommend_sizing_native, :recommend_sizing
    alias_method :_recommend_lines_native, :recommend_lines
    alias_method :_backtest_native, :backtest
    alias_method :_backtest_lines_native, :backtest_lines
    alias_method :_manifests_native, :manifests
    alias_method :_parse_manifests_native, :parse_manifests
    private :_recommend_sizing_native, :_recommend_lines_native, :_backtest_native, :_backtest_lines_native,
            :_manifests_native, :_parse_manifests_native

    # Sizes every process type of `formation` from Heroku log files (text, drain frames, .gz).
    def recommend_sizing(formation, log_paths, policy = nil)
      _recommend_sizing_native(formation, Array(log_paths).map(&:to_s), json_argument(policy))
    end

    # Sizes every process type of `formation` from log lines held in memory.
    def recommend_lines(formation, lines, policy = nil)
      _recommend_lines_native(formation, lines, json_argument(policy))
    end

    # Backtests log files: split at `fit_fraction` of their time span, fit `policy` under each of
    # `strategies` (nil: all) on the first part, replay the rest.
    def backtest(formation, log_paths, policy = nil, strategies = nil, fit_fraction = nil)
      _backtest_native(formation, Array(log_paths).map(&:to_s), json_argument(policy), Array(strategies).map(&:to_s),
                       fit_fraction && Float(fit_fraction))
    end

    # #backtest on log lines held in memory.
    def backtest_lines(formation, lines, policy = nil, strategies = nil, fit_fraction = nil)
      _backtest_lines_native(formation, lines, json_argument(policy), Array(strategies).map(&:to_s), fit_fraction && Float(fit_fraction))
    end

    # Kubernetes manifests for a SizingReport, as YAML: Deployments, HPA, PodDisruptionBudgets,
    # the web Service and ALB Ingress (options[:domains]), the config Secret (options[:config_vars],
    # values only with include_values: true) and the release Job; warnings first, as comments.
    def manifests(report, options)
      _manifests_native(report, json_argument(options))
    end

    # Manifests YAML parsed back into the objects (Hashes with the Kubernetes field names).
    def parse_manifests(yaml)
      JSON.parse(_parse_manifests_native(yaml))
    end

    # @api private: plain data as JSON text. NaN and Infinity are written as bare tokens, as
    # Python's json does, so the core refuses them naming the field (`cpu_percentile: NaN is not
    # a finite number ...`).
    def json_argument(value)
      return nil if value.nil?

      JSON.generate(value, allow_nan: true)
    rescue JSON::GeneratorError => e
      raise InvalidInputError, "the argument cannot be written as JSON: #{e.message}"
    end
  end

  # The records of a sizing report as Hashes and JSON (the core's field names).
  module RecordData
    def to_h
      instance_variables.to_h do |iv|
        [iv.to_s.delete_prefix('@'), RecordData.plain(instance_variable_get(iv))]
      end
    end

    def to_json(*args)
      to_h.to_json(*args)
    end

    # @api private
    def self.plain(value)
      case value
      when RecordData then value.to_h
      when Array then value.map { |v| plain(v) }
      else value
      end
    end
  end
  [Explanation, Explained, HpaSizing, ProcessSizing, BacktestRow, StrategySummary].each { |c| c.include(RecordData) }

  # The policy used, as a Hash.
  class SizingReport
    def policy
      JSON.parse(policy_json)
    end

    # The pods for node planning: Dynoshift.plan_nodes({ 'pods' => report.pods }).
    def pods
      JSON.parse(pods_json)
    end

    def to_h
      JSON.parse(to_json)
    end
  end

  # The report as a Hash.
  class BacktestReport
    def to_h
      JSON.parse(to_json)
    end
  end

  # Node planning takes and returns plain data: each takes a request Hash (the JSON request of
  # dynoshift::nodes::ops) and returns the result as a Hash. The native functions take JSON text.
  NODE_OPERATIONS = %i[kube_reserved max_pods allocatable plan_nodes compare_bill karpenter_config].freeze
  NODE_OPERATIONS.each do |op|
    native = method(op)
    define_singleton_method(op) { |request| JSON.parse(native.call(json_argument(request))) }
  end
end
