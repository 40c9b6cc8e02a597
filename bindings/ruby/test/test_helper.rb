# frozen_string_literal: true

require 'json'
require 'net/http'
require 'socket'
require 'minitest/autorun'
require 'dynoshift'

module TestSupport
  REPO = File.expand_path('../../..', __dir__)

  def self.free_port
    s = TCPServer.new('127.0.0.1', 0)
    s.addr[1]
  ensure
    s&.close
  end

  # moto_server ($DYNOSHIFT_MOTO_SERVER) on a free loopback port for the block; yields its URL.
  def self.with_moto
    bin = ENV.fetch('DYNOSHIFT_MOTO_SERVER', File.join(REPO, '.venv', 'bin', 'moto_server'))
    raise "moto_server not found at #{bin}: run `make test` (it installs moto into .venv)" unless File.executable?(bin)

    port = free_port
    pid = Process.spawn(bin, '-H', '127.0.0.1', '-p', port.to_s, %i[out err] => File::NULL)
    deadline = Time.now + 30
    begin
      Net::HTTP.get_response(URI("http://127.0.0.1:#{port}/"))
    rescue SystemCallError
      raise "moto_server did not answer on port #{port} within 30 s" if Time.now > deadline

      sleep 0.1
      retry
    end
    yield "http://127.0.0.1:#{port}"
  ensure
    if pid
      Process.kill('TERM', pid)
      Process.wait(pid)
    end
  end
  VECTORS = File.join(REPO, 'tests', 'vectors')

  def self.vectors
    Dir.glob(File.join(VECTORS, '**', '*.json')).sort.flat_map do |path|
      JSON.parse(File.read(path)).map { |c| c.merge('_file' => path.delete_prefix("#{VECTORS}/")) }
    end
  end

  HEROKU_FIXTURES = File.join(REPO, 'tests', 'fixtures', 'heroku-api')
  GOOD_TOKEN = 'hk-test-0123456789abcdef'

  # A loopback Platform API serving tests/fixtures/heroku-api (`PATH.json` whole,
  # `PATH.pages.json` paged by the Range header, see its README); 401 on a wrong token, 404 for
  # unknown paths. A tiny HTTP/1.1 server on a Ruby thread (the client's calls release the GVL
  # while waiting).
  class RecordedApi
    attr_reader :url, :requests

    def initialize
      @server = TCPServer.new('127.0.0.1', 0)
      @url = "http://127.0.0.1:#{@server.addr[1]}"
      @requests = []
      @thread = Thread.new { loop { serve(@server.accept) } }
    end

    def close
      @thread.kill
      @server.close
    end

    private

    def serve(conn)
      request_line = conn.gets or return
      path = request_line.split[1]
      headers = {}
      while (line = conn.gets) && line != "\r\n"
        k, v = line.split(':', 2)
        headers[k.downcase] = v.strip
      end
      @requests << [path, headers]
      status, body, extra = answer(path, headers)
      extra = (extra || {}).map { |k, v| "#{k}: #{v}\r\n" }.join
      conn.write("HTTP/1.1 #{status} X\r\nContent-Type: application/json\r\nContent-Length: #{body.bytesize}\r\n" \
                 "#{extra}Connection: close\r\n\r\n#{body}")
    ensure
      conn&.close
    end

    def answer(path, headers)
      return [401, '{"id": "unauthorized", "message": "Invalid credentials provided."}'] \
        unless headers['authorization'] == "Bearer #{GOOD_TOKEN}"

      file = File.expand_path("#{path.delete_prefix('/')}.json", HEROKU_FIXTURES)
      pages = File.expand_path("#{path.delete_prefix('/')}.pages.json", HEROKU_FIXTURES)
      if file.start_with?("#{HEROKU_FIXTURES}/") && File.file?(file)
        [200, File.read(file)]
      elsif pages.start_with?("#{HEROKU_FIXTURES}/") && File.file?(pages)
        page = JSON.parse(File.read(pages)).find { |p| p['range'] == headers['range'] }
        return [416, '{"id": "bad_request", "message": "Range not satisfiable."}'] unless page

        [page['status'], JSON.generate(page['body']), page['headers']]
      else
        [404, %({"id": "not_found", "message": "Couldn't find that app."})]
      end
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
