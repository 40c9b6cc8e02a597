# frozen_string_literal: true

# HerokuClient against a loopback server serving recorded Platform API responses
# (tests/fixtures/heroku-api); 401 on a wrong token, 404 for unknown paths.

require 'socket'
require_relative 'test_helper'

class HerokuApiTest < Minitest::Test
  FIXTURES = File.join(TestSupport::REPO, 'tests', 'fixtures', 'heroku-api')
  GOOD_TOKEN = 'hk-test-0123456789abcdef'

  # A tiny HTTP/1.1 server on a Ruby thread (the client's calls release the GVL while waiting).
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
      status, body = answer(path, headers)
      conn.write("HTTP/1.1 #{status} X\r\nContent-Type: application/json\r\nContent-Length: #{body.bytesize}\r\n" \
                 "Connection: close\r\n\r\n#{body}")
    ensure
      conn&.close
    end

    def answer(path, headers)
      return [401, '{"id": "unauthorized", "message": "Invalid credentials provided."}'] \
        unless headers['authorization'] == "Bearer #{GOOD_TOKEN}"

      file = File.expand_path("#{path.delete_prefix('/')}.json", FIXTURES)
      if file.start_with?("#{FIXTURES}/") && File.file?(file)
        [200, File.read(file)]
      else
        [404, %({"id": "not_found", "message": "Couldn't find that app."})]
      end
    end
  end

  def setup
    @api = RecordedApi.new
  end

  def teardown
    @api.close
  end

  def test_formation_is_fetched_and_parsed
    client = Dynoshift::HerokuClient.new(GOOD_TOKEN, @api.url)
    assert_equal @api.url, client.base_url.chomp('/')
    formation = client.formation('shop-production')
    assert_kind_of Dynoshift::Formation, formation
    assert_equal 'web', formation.processes.first.process_type
    assert_operator formation.monthly_cost.total_monthly_usd, :>, 0
    path, headers = @api.requests.last
    assert_equal '/apps/shop-production/formation', path
    assert_equal 'application/vnd.heroku+json; version=3', headers['accept']
  end

  def test_dyno_sizes_are_typed
    sizes = Dynoshift::HerokuClient.new(GOOD_TOKEN, @api.url).dyno_sizes.to_h { |s| [s.name, s] }
    assert_equal 5000, sizes['Standard-2X'].cost_cents
    assert_equal false, sizes['Standard-2X'].dedicated
    assert_equal 'Standard-2X', JSON.parse(sizes['Standard-2X'].to_json)['name']
  end

  def test_errors_are_typed_and_never_show_the_token
    wrong = 'hk-wrong-token-do-not-print'
    unauthorized = assert_raises(Dynoshift::UnauthorizedError) do
      Dynoshift::HerokuClient.new(wrong, @api.url).formation('shop-production')
    end
    assert_equal 'unauthorized', unauthorized.kind
    missing = assert_raises(Dynoshift::NotFoundError) do
      Dynoshift::HerokuClient.new(GOOD_TOKEN, @api.url).formation('no-such-app')
    end
    assert_includes missing.message, 'no-such-app'
    [unauthorized.message, unauthorized.inspect, missing.message].each do |text|
      refute_includes text, wrong
      refute_includes text, GOOD_TOKEN
    end
  end

  def test_bad_timeout_is_invalid_input
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift::HerokuClient.new(GOOD_TOKEN, @api.url, -1.0) }
  end
end
