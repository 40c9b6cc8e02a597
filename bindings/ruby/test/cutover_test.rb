# frozen_string_literal: true

# The cutover through Ruby: plan, dry run, preflight, a rehearsal on the in-memory zone with its
# events, rollback, the journal, and one short run against moto_server (Route53's API).

require 'net/http'
require 'socket'
require 'tmpdir'
require_relative 'test_helper'

class CutoverTest < Minitest::Test
  PLAN = {
    'hostnames' => ['www.example.test', 'api.example.test'],
    'zone' => 'example.test',
    'heroku_target' => 'shop-1a2b.herokudns.com',
    'aws_target' => 'shop-lb-123456.us-east-1.elb.amazonaws.com',
    'stages' => [10, 25, 50, 100],
    'soak_seconds' => 300,
    'tick_seconds' => 10,
    'ttl' => 60,
    'rollback' => 'graduated'
  }.freeze

  def plan(**changes)
    Dynoshift::CutoverPlan.from_json(JSON.generate(PLAN.merge(changes.transform_keys(&:to_s))))
  end

  def setup
    @dir = Dir.mktmpdir('dynoshift-rb')
  end

  def teardown
    FileUtils.remove_entry(@dir) if @dir
  end

  def test_plan_is_validated_with_the_field_at_fault
    p = plan
    assert_equal ['www.example.test', 'api.example.test'], p.hostnames
    assert_equal [10, 25, 50, 100], p.stages
    assert_equal 64, p.digest.length
    assert_equal 'example.test', JSON.parse(p.to_json)['zone']
    err = assert_raises(Dynoshift::InvalidInputError) { plan(stages: [10, 50]) }
    assert_equal 'stages', err.context
    assert_includes err.message, 'last stage must be 100'
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift::CutoverPlan.from_json('{') }
  end

  def test_dry_run_lists_every_stage
    report = Dynoshift.dry_run(plan)
    steps = JSON.parse(report.to_json)['steps'].map { |s| s['aws_percent'] }
    assert_equal [10, 25, 50, 100], steps.last(4)
    assert_operator report.minimum_seconds, :>=, 4 * 300
    refute_empty report.summary
  end

  def test_memory_rehearsal_promotes_and_sends_every_event
    target = Dynoshift::DnsTarget.memory(plan)
    assert_equal 'memory', target.kind
    pre = Dynoshift.preflight(plan, target)
    assert pre.ok, pre.summary.join("\n")
    events = []
    journal = File.join(@dir, 'run.journal.json')
    cut = Dynoshift::Cutover.new(plan, target, journal, Dynoshift.listener { |e| events << e })
    outcome = cut.run
    assert_equal 'promoted', outcome.outcome
    assert_nil outcome.reason
    types = events.map(&:event_type)
    assert_equal 'run_started', types.first
    assert_equal 'promoted', types.last
    assert_equal 4, types.count('stage_passed'), types.inspect
    assert(events.all? { |e| e.run_id == events.first.run_id && !e.description.empty? })
    assert_equal [10, 25, 50, 100], events.select { |e| e.event_type == 'stage_passed' }.map { |e| e.to_h['percent'] }
    # the zone now sends everything to AWS, Heroku kept at weight 0
    www = JSON.parse(target.records('example.test')).select { |r| r['name'] == 'www.example.test' && r['type'] == 'CNAME' }
    assert_equal({ 'shop-1a2b.herokudns.com' => 0, 'shop-lb-123456.us-east-1.elb.amazonaws.com' => 100 },
                 www.to_h { |r| [r['values'].first, r['weight']] })
    j = Dynoshift.read_journal(journal)
    assert j.finished
    assert_equal 100, j.current_percent
    assert_equal 'promoted', j.outcome.outcome
    assert_equal events.first.run_id, j.run_id
    # the run is over: promoting it again is a conflict
    err = assert_raises(Dynoshift::ConflictError) { cut.promote }
    assert_equal 'conflict', err.kind
    back = Dynoshift::Cutover.new(plan, target, journal).rollback('full')
    assert_equal 'rolled_back', back.outcome
    records = JSON.parse(target.records('example.test')).select { |r| r['type'] == 'CNAME' }
    assert_equal [['api.example.test', nil], ['www.example.test', nil]], records.map { |r| [r['name'], r['weight']] }.sort
  end

  def test_a_listener_that_raises_does_not_stop_the_run
    target = Dynoshift::DnsTarget.memory(plan)
    seen = 0
    listener = Dynoshift.listener do |_e|
      seen += 1
      raise 'listener bug' if seen == 2
      raise Dynoshift::UnhealthyError, 'typed listener error' if seen == 3
    end
    journal = File.join(@dir, 'raising.journal.json')
    _out, err = capture_subprocess_io do
      assert_equal 'promoted', Dynoshift::Cutover.new(plan, target, journal, listener).run.outcome
    end
    assert_operator seen, :>, 5
    assert_includes err, 'listener bug'
    assert_includes err, 'typed listener error'
  end

  def test_errors_from_the_cutover_are_typed
    err = assert_raises(Dynoshift::NotFoundError) { Dynoshift.read_journal(File.join(@dir, 'none.json')) }
    assert_equal 'not_found', err.kind
    target = Dynoshift::DnsTarget.memory(plan)
    cut = Dynoshift::Cutover.new(plan, target, File.join(@dir, 'x.json'))
    assert_raises(Dynoshift::NotFoundError) { cut.resume }
    assert_raises(Dynoshift::InvalidInputError) { cut.rollback('sideways') }
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift::DnsTarget.route53(nil, nil, 'only-the-key') }
    other_zone = Dynoshift::DnsTarget.memory(plan(zone: 'example.test', hostnames: ['shop.example.test']))
    report = Dynoshift.preflight(plan, other_zone)
    refute report.ok
  end

  # ---- moto_server ------------------------------------------------------------------------

  R53 = 'https://route53.amazonaws.com/doc/2013-04-01/'

  def free_port
    s = TCPServer.new('127.0.0.1', 0)
    s.addr[1]
  ensure
    s&.close
  end

  def with_moto
    bin = ENV.fetch('DYNOSHIFT_MOTO_SERVER', File.join(TestSupport::REPO, '.venv', 'bin', 'moto_server'))
    assert File.executable?(bin), "moto_server not found at #{bin}: run `make test` (it installs moto into .venv)"
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

  # moto_server picks the service from the SigV4 credential scope (unsigned requests go to S3).
  R53_HEADERS = {
    'Content-Type' => 'application/xml',
    'Authorization' => 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/route53/aws4_request, ' \
                       'SignedHeaders=host, Signature=0'
  }.freeze

  def r53_post(base, path, xml)
    res = Net::HTTP.post(URI("#{base}/2013-04-01/#{path}"), xml, R53_HEADERS)
    assert_includes 200..299, res.code.to_i, res.body
    res.body
  end

  def test_short_cutover_on_moto
    with_moto do |url|
      body = r53_post(url, 'hostedzone', <<~XML)
        <?xml version="1.0" encoding="UTF-8"?>
        <CreateHostedZoneRequest xmlns="#{R53}">
          <Name>example.test.</Name><CallerReference>dynoshift-rb-#{Process.pid}</CallerReference>
        </CreateHostedZoneRequest>
      XML
      zone_id = body[%r{<Id>/hostedzone/([^<]+)</Id>}, 1]
      refute_nil zone_id, body
      r53_post(url, "hostedzone/#{zone_id}/rrset", <<~XML)
        <?xml version="1.0" encoding="UTF-8"?>
        <ChangeResourceRecordSetsRequest xmlns="#{R53}"><ChangeBatch><Changes><Change>
          <Action>CREATE</Action>
          <ResourceRecordSet><Name>www.example.test.</Name><Type>CNAME</Type><TTL>1</TTL>
            <ResourceRecords><ResourceRecord><Value>shop-1a2b.herokudns.com</Value></ResourceRecord></ResourceRecords>
          </ResourceRecordSet>
        </Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>
      XML
      p = plan(hostnames: ['www.example.test'], stages: [50, 100], soak_seconds: 0, tick_seconds: 1, ttl: 1,
               poll_seconds: 1)
      target = Dynoshift::DnsTarget.route53(url, 'us-east-1', 'testing', 'testing')
      assert_equal 'route53', target.kind
      pre = Dynoshift.preflight(p, target)
      assert pre.ok, pre.summary.join("\n")
      events = []
      journal = File.join(@dir, 'moto.journal.json')
      started = Time.now
      outcome = Dynoshift::Cutover.new(p, target, journal, Dynoshift.listener { |e| events << e.event_type }).run
      assert_equal 'promoted', outcome.outcome
      assert_operator Time.now - started, :<, 60
      assert_includes events, 'change_submitted'
      assert_equal 2, events.count('stage_passed')
      weights = JSON.parse(target.records('example.test'))
                    .select { |r| r['name'] == 'www.example.test' && r['type'] == 'CNAME' }
                    .to_h { |r| [r['set_identifier'], r['weight']] }
      assert_equal [0, 100], weights.values.sort
      assert_equal 'rolled_back', Dynoshift::Cutover.new(p, target, journal).rollback.outcome
      simple = JSON.parse(target.records(zone_id)).select { |r| r['type'] == 'CNAME' }
      assert_equal [[nil, ['shop-1a2b.herokudns.com']]], simple.map { |r| [r['weight'], r['values']] }
    end
  end

  def test_unreachable_route53_is_unavailable
    target = Dynoshift::DnsTarget.route53("http://127.0.0.1:#{free_port}", 'us-east-1', 'testing', 'testing')
    err = assert_raises(Dynoshift::Error) { Dynoshift.preflight(plan, target) }
    assert_includes %w[unavailable timeout], err.kind, err.message
  end
end
