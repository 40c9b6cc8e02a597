# frozen_string_literal: true

# Ingestion from Ruby: the bulk call equals the Rust CLI's JSON, incremental feeding equals the
# bulk call, typed figures, bad input counted or typed.

require 'json'
require 'open3'
require 'tmpdir'
require 'net/http'
require 'zlib'
require_relative 'test_helper'

class IngestTest < Minitest::Test
  FORMATION = '{"web": {"size": "standard-2x", "quantity": 2}, "worker": {"size": "standard-1x", "quantity": 1}}'

  def with_log
    Dir.mktmpdir do |dir|
      path = File.join(dir, 'app.log')
      report = Dynoshift.synth_logs(Dynoshift::Formation.from_json(FORMATION), path, '{"duration_s": 21600, "seed": 11}')
      yield path, report
    end
  end

  def test_bulk_ingest_equals_the_cli_and_incremental_feeding
    with_log do |path, report|
      assert_equal %w[web worker], report.process_types
      assert_operator report.lines, :>, 1000
      bulk = Dynoshift.ingest([path])
      cli = ENV.fetch('DYNOSHIFT_CLI') { flunk 'DYNOSHIFT_CLI must name the dynoshift binary (make test-ruby sets it)' }
      out, err, status = Open3.capture3(cli, 'ingest', path, '--json')
      assert status.success?, err
      assert_equal JSON.parse(out), JSON.parse(bulk.to_json)

      inc = Dynoshift::Ingest.new
      inc.begin_input(path)
      data = File.binread(path)
      rng = Random.new(5)
      pos = 0
      while pos < data.bytesize
        n = rng.rand(1..70_000)
        inc.feed(data.byteslice(pos, n))
        pos += n
      end
      inc.end_input
      assert_equal JSON.parse(bulk.to_json), JSON.parse(inc.finish.to_json)

      assert_equal %w[web worker], bulk.process_types
      assert_equal report.lines, bulk.lines.records
      assert_operator bulk.span.seconds, :>, 21_000
      assert_in_delta 0.01, bulk.relative_error, 1e-9
    end
  end

  def test_threads_change_nothing_but_must_be_sensible
    with_log do |path, _report|
      want = Dynoshift.ingest([path]).to_json
      [1, 2, 3].each { |n| assert_equal want, Dynoshift.ingest([path], n).to_json }
      [0, -1, 257].each do |bad|
        err = assert_raises(Dynoshift::InvalidInputError) { Dynoshift.ingest([path], bad) }
        assert_includes err.message, "got #{bad}"
      end
    end
  end

  def test_bad_input_is_counted_or_typed
    Dir.mktmpdir do |dir|
      garbage = File.join(dir, 'garbage.bin')
      File.binwrite(garbage, "\x00\xff\xfe binary \x01\x02\nnot a heroku line\n".b)
      p = Dynoshift.ingest([garbage])
      assert_operator p.lines.unparsed, :>=, 1
      refute_empty p.unparsed_examples
      err = assert_raises(Dynoshift::NotFoundError) { Dynoshift.ingest([File.join(dir, 'missing.log')]) }
      assert_includes err.message, 'missing.log'
      assert_raises(Dynoshift::InvalidInputError) { Dynoshift.synth_logs(Dynoshift::Formation.from_json(FORMATION), File.join(dir, 'no', 'such', 'dir.log')) }
    end
  end

  def test_ingest_reads_an_s3_prefix_like_the_same_files_on_disk
    with_log do |path, _report|
      TestSupport.with_moto do |url|
        # Unsigned requests reach moto's S3: create the bucket and upload the log, gzipped.
        http = Net::HTTP.new(URI(url).host, URI(url).port)
        binary = { 'Content-Type' => 'application/octet-stream' }
        assert_equal '200', http.send_request('PUT', '/app-logs', '', binary).code
        gz = Zlib.gzip(File.binread(path))
        assert_equal '200', http.send_request('PUT', '/app-logs/archive/app.log.gz', gz, binary).code
        env = { 'AWS_ENDPOINT_URL' => url, 'AWS_ACCESS_KEY_ID' => 'testing',
                'AWS_SECRET_ACCESS_KEY' => 'testing', 'AWS_REGION' => 'us-east-1' }
        saved = env.keys.to_h { |k| [k, ENV.fetch(k, nil)] }
        begin
          env.each { |k, v| ENV[k] = v }
          from_s3 = JSON.parse(Dynoshift.ingest(['s3://app-logs/archive/']).to_json)
          local = JSON.parse(Dynoshift.ingest([path]).to_json)
          assert_equal local['process_types'], from_s3['process_types']
          assert_equal local['lines']['records'], from_s3['lines']['records']
          err = assert_raises(Dynoshift::NotFoundError) { Dynoshift.ingest(['s3://no-such-bucket/x']) }
          assert_includes err.message, 'NoSuchBucket'
        ensure
          saved.each { |k, v| ENV[k] = v }
        end
      end
    end
  end
end
