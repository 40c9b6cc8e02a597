# frozen_string_literal: true

# Stage 0 through the plan JSON: pre_soak_seconds, checks.deadline_seconds and the warm-up
# round-trip and are validated (InvalidInputError naming the field); a real run on the memory
# zone replays the warm-up's GETs against a loopback server standing for AWS.

require 'socket'
require 'tmpdir'
require_relative 'test_helper'

class Stage0Test < Minitest::Test
  AWS = 'shop-lb-123456.us-east-1.elb.amazonaws.com'
  PLAN = {
    'hostnames' => ['www.example.test'],
    'zone' => 'example.test',
    'heroku_target' => 'shop-1a2b.herokudns.com',
    'aws_target' => AWS,
    'stages' => [10, 100],
    'soak_seconds' => 0,
    'tick_seconds' => 1,
    'poll_seconds' => 1,
    'ttl' => 1
  }.freeze

  def plan(**changes)
    Dynoshift::CutoverPlan.from_json(JSON.generate(PLAN.merge(changes.transform_keys(&:to_s))))
  end

  def test_stage0_fields_round_trip
    p = plan(pre_soak_seconds: 120, checks: { 'deadline_seconds' => 30 },
             warmup: { 'paths' => ['/', '/products'], 'requests_per_path' => 2, 'rate_per_second' => 4,
                       'method' => 'HEAD' })
    doc = JSON.parse(p.to_json)
    assert_equal 120, doc['pre_soak_seconds']
    assert_equal 30, doc['checks']['deadline_seconds']
    assert_equal ['/', '/products'], doc['warmup']['paths']
    assert_equal 'HEAD', doc['warmup']['method']
    assert_equal 20, doc['warmup']['top']
    assert_equal p.digest, Dynoshift::CutoverPlan.from_json(p.to_json).digest
  end

  def test_bad_stage0_values_are_invalid_input_naming_the_field
    [
      [{ pre_soak_seconds: 999_999 }, 'pre_soak_seconds'],
      [{ checks: { 'deadline_seconds' => 0 } }, 'checks.deadline_seconds'],
      [{ warmup: { 'method' => 'POST' } }, 'warmup.method'],
      [{ warmup: { 'paths' => ['/a?token=1'] } }, 'warmup.paths[0]'],
      [{ warmup: { 'rate_per_second' => 0 } }, 'warmup.rate_per_second']
    ].each do |changes, field|
      err = assert_raises(Dynoshift::InvalidInputError, field) { plan(**changes) }
      assert_equal 'invalid_input', err.kind
      assert_equal field, err.context
    end
    err = assert_raises(Dynoshift::InvalidInputError) { plan(pre_soak_seconds: -1) }
    assert_includes err.message, 'pre_soak_seconds'
  end

  def test_a_warm_up_replays_gets_before_the_first_weight
    server = TCPServer.new('127.0.0.1', 0)
    port = server.addr[1]
    seen = Queue.new
    thread = Thread.new do
      loop do
        client = server.accept
        Thread.new(client) do |c|
          loop do
            request = c.gets or break
            host = nil
            while (line = c.gets) && line != "\r\n"
              host = line.split(':', 2)[1].strip if line.downcase.start_with?('host:')
            end
            seen << [*request.split[0, 2], host]
            c.write "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
          end
        ensure
          c.close
        end
      end
    end
    p = plan(checks: { 'connect_to' => { AWS => "127.0.0.1:#{port}" } },
             warmup: { 'paths' => ['/', '/products'], 'requests_per_path' => 2, 'rate_per_second' => 50,
                       'scheme' => 'http', 'port' => port })
    events = []
    Dir.mktmpdir('dynoshift-rb') do |dir|
      cut = Dynoshift::Cutover.new(p, Dynoshift::MemoryZone.new(p), File.join(dir, 'run.journal.json'),
                                   Dynoshift.listener { |e| events << e })
      assert_equal 'promoted', cut.run.status
    end
    hits = []
    hits << seen.pop until seen.empty?
    assert_equal [%w[GET / www.example.test]] * 2 + [%w[GET /products www.example.test]] * 2, hits.sort
    types = events.map(&:event_type)
    warm = events.find { |e| e.event_type == 'warmup_baseline' }
    refute_nil warm, types.inspect
    assert_equal 4, warm.to_h['requests']
    first_stage = events.index { |e| e.event_type == 'writing' && e.to_h['percent'] == 10 }
    assert_operator types.index('warmup_baseline'), :<, first_stage
  ensure
    thread&.kill
    server&.close
  end
end
