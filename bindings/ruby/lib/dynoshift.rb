# frozen_string_literal: true

# dynoshift for Ruby: the Rust core through UniFFI. The module in dynoshift/native/ is generated
# from the built library (`make build-ruby`); this file loads it and gives errors their Ruby shape:
# one class per kind (Dynoshift::InvalidInputError, ...), all under Dynoshift::Error, each with
# #kind (the snake_case string shared by every language), #message and #context.

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

    def self.kind
      self::KIND
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

  # kind => [Ruby class, variant of the generated FfiError]
  ERROR_CLASSES = {
    'invalid_input' => %i[InvalidInputError InvalidInput],
    'not_found' => %i[NotFoundError NotFound],
    'conflict' => %i[ConflictError Conflict],
    'throttled' => %i[ThrottledError Throttled],
    'timeout' => %i[TimeoutError Timeout],
    'unavailable' => %i[UnavailableError Unavailable],
    'unauthorized' => %i[UnauthorizedError Unauthorized],
    'infeasible' => %i[InfeasibleError Infeasible],
    'unhealthy' => %i[UnhealthyError Unhealthy],
    'internal' => %i[InternalError Internal]
  }.each_with_object({}) do |(kind, (name, variant)), classes|
    cls = Class.new(Error)
    cls.const_set(:KIND, kind)
    const_set(name, cls)
    # The generated reader builds `FfiError::<Variant>.new(message:, context:)`: point it here.
    FfiError.send(:remove_const, variant)
    FfiError.const_set(variant, cls)
    classes[kind] = cls
  end.freeze

  # An EventListener from a block: Cutover.new(plan, target, path, Dynoshift.listener { |e| ... }).
  def self.listener(&block)
    raise ArgumentError, 'give a block' unless block

    BlockListener.new(block)
  end

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
end
