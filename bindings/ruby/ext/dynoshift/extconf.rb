# frozen_string_literal: true

# Run by `gem install` for the plain (source) gem only: the platform gem carries the library and
# has no extension. Writes a Makefile whose `all` builds libdynoshift_ruby from the Rust sources
# shipped in rust/ with cargo, and whose `install` puts it next to the generated module
# (lib/dynoshift/native/), where the module loads it from.
#
# DYNOSHIFT_CARGO_PROFILE (default release) and CARGO_TARGET_DIR are honoured, so a machine that
# already has a warm target directory can reuse it.

require 'rbconfig'

rust = File.join(__dir__, 'rust')
cargo = ENV.fetch('CARGO', 'cargo')
unless system(cargo, '--version', out: File::NULL, err: File::NULL)
  abort <<~MSG
    dynoshift: this is the source gem, and building its native library needs Rust's cargo
    (https://rustup.rs), which is not on PATH. On x86_64 Linux, install the prebuilt gem instead:
      gem install dynoshift --platform x86_64-linux
  MSG
end

profile = ENV.fetch('DYNOSHIFT_CARGO_PROFILE', 'release')
target_dir = ENV.fetch('CARGO_TARGET_DIR', File.join(rust, 'target'))
library = File.join(target_dir, profile == 'dev' ? 'debug' : profile,
                    "libdynoshift_ruby.#{RbConfig::CONFIG['SOEXT']}")

# Where `make install` puts the library: RubyGems points sitearchdir at the gem's directory
# (through the siteconf it loads before this file); it may refer to other config variables.
config = RbConfig::MAKEFILE_CONFIG.dup
sitearchdir = RbConfig.expand(config['sitearchdir'].dup, config)

File.write('Makefile', <<~MAKE)
  sitearchdir ?= #{sitearchdir}

  all:
  \tcd #{rust} && #{cargo} build --profile #{profile} -p dynoshift-ruby

  install:
  \tmkdir -p $(sitearchdir)/dynoshift/native
  \tcp #{library} $(sitearchdir)/dynoshift/native/

  clean:
  \trm -rf #{File.join(rust, 'target')}
MAKE
