# frozen_string_literal: true

module Dynoshift
  # The gem's version; the native library reports its own through Dynoshift.version.
  VERSION = '0.1.0'
end
