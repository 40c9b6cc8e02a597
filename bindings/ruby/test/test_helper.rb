# frozen_string_literal: true

require 'json'
require 'minitest/autorun'
require 'dynoshift'

module TestSupport
  REPO = File.expand_path('../../..', __dir__)
  VECTORS = File.join(REPO, 'tests', 'vectors')

  def self.vectors
    Dir.glob(File.join(VECTORS, '**', '*.json')).sort.flat_map do |path|
      JSON.parse(File.read(path)).map { |c| c.merge('_file' => path.delete_prefix("#{VECTORS}/")) }
    end
  end

  def self.api_surface
    JSON.parse(File.read(File.join(REPO, 'tests', 'api-surface.json')))
  end

  # `expected` is a subset of `actual`: named keys equal, arrays of the same length, numbers
  # within 1e-9 (tests/vectors/README.md).
  def assert_subset(expected, actual, path = '$')
    case expected
    when Hash
      assert_kind_of Hash, actual, "#{path}: expected an object, got #{actual.inspect}"
      expected.each { |k, v| assert_subset(v, actual[k], "#{path}.#{k}") }
    when Array
      assert(actual.is_a?(Array) && actual.length == expected.length, "#{path}: #{actual.inspect}")
      expected.zip(actual).each_with_index { |(e, a), i| assert_subset(e, a, "#{path}[#{i}]") }
    when Numeric
      assert_kind_of Numeric, actual, "#{path}: expected #{expected}, got #{actual.inspect}"
      assert_in_delta expected, actual, 1e-9, path
    when nil
      assert_nil actual, path
    else
      assert_equal expected, actual, path
    end
  end
end
