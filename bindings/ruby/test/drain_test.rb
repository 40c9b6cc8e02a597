# frozen_string_literal: true

# The log-drain receiver embedded in Ruby: start, Heroku-shaped POSTs over loopback, the
# profiles it holds, bad credentials refused, stop, and the state kept for the next start.

require_relative 'test_helper'
require 'tmpdir'

class DrainTest < Minitest::Test
  FRAME = '<158>1 2024-03-01T10:00:01+00:00 host app router - at=info method=GET path=/ ' \
          "host=a.example dyno=web.1 connect=1ms service=20ms status=200 bytes=1\n"
  BODY = "#{FRAME.bytesize} #{FRAME}"
  AUTH = 'logplex:s3cret'

  def post(url, frame_id, auth = AUTH)
    uri = URI(url)
    req = Net::HTTP::Post.new(uri)
    req['Content-Type'] = 'application/logplex-1'
    req['Logplex-Msg-Count'] = '1'
    req['Logplex-Frame-Id'] = frame_id
    req['Logplex-Drain-Token'] = 'd.1234'
    req.basic_auth(*auth.split(':', 2))
    req.body = BODY
    Net::HTTP.start(uri.host, uri.port) { |http| http.request(req) }.code.to_i
  end

  def test_serve_drain_receives_profiles_and_stops
    Dir.mktmpdir do |dir|
      state = File.join(dir, 'state')
      server = Dynoshift.serve_drain('127.0.0.1:0', state, AUTH, nil, nil, nil, 2)
      assert_kind_of Dynoshift::DrainServer, server
      assert_equal "http://#{server.addr}/drain", server.url
      assert_equal [204, 204, 204], (0..2).map { |k| post(server.url, "f#{k}") }
      assert_equal 204, post(server.url, 'f0') # a retry: not counted
      assert_equal 403, post(server.url, 'f9', 'logplex:wrong')
      # One receiver per state directory.
      assert_raises(Dynoshift::ConflictError) { Dynoshift.serve_drain('127.0.0.1:0', state) }
      profiles = server.profiles
      assert_equal ['d.1234'], profiles.keys
      assert_equal 3, profiles['d.1234'].lines.records
      assert_equal 3, JSON.parse(profiles['d.1234'].to_json)['process_types']['web']['router']['requests']
      server.stop
      server.stop # a second stop does nothing

      again = Dynoshift.serve_drain('127.0.0.1:0', state, AUTH)
      begin
        assert_equal 3, again.profiles['d.1234'].lines.records
      ensure
        again.stop
      end
    end
  end

  def test_bad_options_raise_invalid_input
    Dir.mktmpdir do |dir|
      assert_raises(Dynoshift::InvalidInputError) { Dynoshift.serve_drain('localhost', dir) }
      assert_raises(Dynoshift::InvalidInputError) { Dynoshift.serve_drain('127.0.0.1:0', dir, 'no-colon') }
      assert_raises(Dynoshift::InvalidInputError) do
        Dynoshift.serve_drain('127.0.0.1:0', dir, nil, File.join(dir, 'cert.pem'))
      end
    end
  end
end
