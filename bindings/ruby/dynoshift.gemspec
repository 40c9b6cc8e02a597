# frozen_string_literal: true

require_relative 'lib/dynoshift/version'

Gem::Specification.new do |spec|
  spec.name = 'dynoshift'
  spec.version = Dynoshift::VERSION
  spec.summary = 'Move a live Heroku app onto Kubernetes on EC2: sizing, staged Route53 cutover, health gating.'
  spec.description = 'Ruby front end of the dynoshift Rust library, generated with UniFFI. ' \
                     'The native library ships inside the gem next to the generated module.'
  spec.license = 'Apache-2.0'
  spec.homepage = 'https://example.invalid/dynoshift'
  spec.authors = ['dynoshift contributors']
  spec.required_ruby_version = '>= 3.1'
  # lib/dynoshift/native/ holds the generated dynoshift.rb and libdynoshift_ruby.so (make build-ruby).
  spec.files = Dir['lib/**/*.rb'] + Dir['lib/dynoshift/native/*.{so,dylib,dll}']
  spec.require_paths = ['lib']

  # `make dist` builds two more shapes (scripts/dist.py):
  # - a platform gem (DYNOSHIFT_GEM_PLATFORM=x86_64-linux): the prebuilt library inside, no Rust
  #   needed on the machine that installs it;
  # - the plain gem (DYNOSHIFT_GEM_SOURCE=1): no library, but the Rust sources and an extconf.rb
  #   that builds it with cargo during `gem install` (for platforms without a platform gem).
  platform = ENV.fetch('DYNOSHIFT_GEM_PLATFORM', '')
  spec.platform = Gem::Platform.new(platform) unless platform.empty?
  if ENV['DYNOSHIFT_GEM_SOURCE'] == '1'
    spec.files += Dir['ext/**/*'].select { |f| File.file?(f) }
    spec.extensions = ['ext/dynoshift/extconf.rb']
  end
  spec.add_dependency 'ffi', '~> 1.15'
end
