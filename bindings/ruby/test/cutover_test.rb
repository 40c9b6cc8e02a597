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
    assert_equal ['shop-1a2b.herokudns.com', 'shop-lb-123456.us-east-1.elb.amazonaws.com'], [p.heroku_target, p.aws_target]
    assert_equal [300, 60, 'graduated', false], [p.soak_seconds, p.ttl, p.rollback, p.require_approval]
    assert plan(require_approval: true, rollback: 'full').then { |q| q.require_approval && q.rollback == 'full' }
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
    typed = report.steps
    assert_equal steps, typed.map(&:aws_percent)
    assert_equal [90, 75, 50, 0], typed.last(4).map(&:heroku_percent)
    assert(typed.last(4).all? { |s| s.batches == 1 && s.changes.positive? && s.soak_seconds == 300 })
    assert_equal JSON.parse(report.to_json)['api_calls'].except('retries').values.sum, report.api_calls
    assert_kind_of Array, report.notes
  end

  def test_the_plans_live_checks_run_in_preflight
    # both targets pinned to a closed loopback port: the TLS check cannot connect
    port = TCPServer.open('127.0.0.1', 0) { |s| s.addr[1] }
    der = File.binread(File.expand_path('../../../tests/fixtures/heroku-api/tls/cert.der', __dir__))
    ca = File.join(@dir, 'ca.pem')
    File.write(ca, "-----BEGIN CERTIFICATE-----\n#{[der].pack('m')}-----END CERTIFICATE-----\n")
    aws = PLAN['aws_target']
    heroku = PLAN['heroku_target']
    p = plan(checks: { 'tls' => { 'ca_bundle' => ca }, 'connect_to' => { aws => "127.0.0.1:#{port}", heroku => "127.0.0.1:#{port}" } })
    report = Dynoshift.preflight(p, Dynoshift::MemoryZone.new(p))
    refute report.ok
    codes = report.findings.map(&:code).grep(/\Atls_/)
    assert_equal %w[tls_unreachable tls_unreachable tls_unreachable tls_unreachable], codes # 2 hostnames x 2 targets
    assert_equal [%w[tls true], %w[parity false]], JSON.parse(report.to_json)['checks'].map { |c| [c['check'], c['ran'].to_s] }
    assert_raises(Dynoshift::InvalidInputError) { plan(checks: { 'connect_to' => { aws => 'nowhere' } }) }
  end

  def test_memory_rehearsal_promotes_and_sends_every_event
    target = Dynoshift::MemoryZone.new(plan)
    pre = Dynoshift.preflight(plan, target)
    assert pre.ok, pre.summary.join("\n")
    assert_equal 'example.test', pre.zone_name.chomp('.')
    refute_nil pre.zone_id
    assert(pre.findings.none? { |f| f.severity == 'error' })
    events = []
    journal = File.join(@dir, 'run.journal.json')
    cut = Dynoshift::Cutover.new(plan, target, journal, Dynoshift.listener { |e| events << e })
    outcome = cut.run
    assert_equal 'promoted', outcome.status
    assert_nil outcome.reason
    assert_equal({ 'outcome' => 'promoted' }, JSON.parse(outcome.to_json))
    refute cut.running
    assert_equal 0, cut.callback_errors
    types = events.map(&:event_type)
    assert_equal 'run_started', types.first
    assert_equal 'promoted', types.last
    assert_equal 4, types.count('stage_passed'), types.inspect
    assert(events.all? { |e| e.run_id == events.first.run_id && !e.description.empty? })
    assert_equal [10, 25, 50, 100], events.select { |e| e.event_type == 'stage_passed' }.map { |e| e.to_h['percent'] }
    # the zone now sends everything to AWS, Heroku kept at weight 0
    www = JSON.parse(target.records_json).select { |r| r['name'] == 'www.example.test' && r['type'] == 'CNAME' }
    assert_equal({ 'shop-1a2b.herokudns.com' => 0, 'shop-lb-123456.us-east-1.elb.amazonaws.com' => 100 },
                 www.to_h { |r| [r['values'].first, r['weight']] })
    j = Dynoshift.read_journal(journal)
    assert j.finished
    assert_equal 100, j.current_percent
    assert_equal 'promoted', j.outcome.status
    assert_equal events.first.run_id, j.run_id
    # the run is over: promoting it again is a conflict
    err = assert_raises(Dynoshift::ConflictError) { cut.promote }
    assert_equal 'conflict', err.kind
    back = Dynoshift::Cutover.new(plan, target, journal).rollback('full')
    assert_equal 'rolled_back', back.status
    records = JSON.parse(target.records_json).select { |r| r['type'] == 'CNAME' }
    assert_equal [['api.example.test', nil], ['www.example.test', nil]], records.map { |r| [r['name'], r['weight']] }.sort
  end

  def test_a_listener_that_raises_does_not_stop_the_run
    target = Dynoshift::MemoryZone.new(plan)
    seen = 0
    listener = Dynoshift.listener do |_e|
      seen += 1
      raise 'listener bug' if seen == 2
      raise Dynoshift::UnhealthyError, 'typed listener error' if seen == 3
    end
    journal = File.join(@dir, 'raising.journal.json')
    cut = Dynoshift::Cutover.new(plan, target, journal, listener)
    warnings = Queue.new
    # a failing listener is reported like in every language: a warning on the core's log
    Dynoshift.set_logger('warn') { |level, _target, message| warnings << [level, message] }
    begin
      assert_equal 'promoted', cut.run.status
    ensure
      Dynoshift.set_logger(nil)
    end
    assert_operator seen, :>, 5
    assert_equal 2, cut.callback_errors
    logged = []
    logged << warnings.pop until warnings.empty?
    assert(logged.any? { |l, m| l == 'warn' && m.include?('listener bug') }, logged.inspect)
    assert(logged.any? { |_, m| m.include?('typed listener error') }, logged.inspect)
  end

  def test_errors_from_the_cutover_are_typed
    err = assert_raises(Dynoshift::NotFoundError) { Dynoshift.read_journal(File.join(@dir, 'none.json')) }
    assert_equal 'not_found', err.kind
    target = Dynoshift::MemoryZone.new(plan)
    cut = Dynoshift::Cutover.new(plan, target, File.join(@dir, 'x.json'))
    assert_raises(Dynoshift::NotFoundError) { cut.resume }
    assert_raises(Dynoshift::InvalidInputError) { cut.rollback('sideways') }
    assert_raises(Dynoshift::ConflictError) { cut.pause } # nothing is running
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift::Route53.new(nil, nil, 'only-the-key') }
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift::MemoryZone.new(plan, -1.0) }
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift::Cutover.new(plan, target, ' ') }
    assert_raises(TypeError) { Dynoshift::Cutover.new(plan, 'example.test', File.join(@dir, 'y.json')) }
    assert_raises(TypeError) { Dynoshift.preflight(plan, nil) }
    assert_raises(TypeError) { Dynoshift::Cutover.new(plan, target, File.join(@dir, 'z.json'), nil, [42]) }
    other_zone = Dynoshift::MemoryZone.new(plan(zone: 'example.test', hostnames: ['shop.example.test']))
    report = Dynoshift.preflight(plan, other_zone)
    refute report.ok
    refute_empty(report.findings.select { |f| f.severity == 'error' && !f.message.empty? && !f.kind.empty? })
  end

  # ---- gates and controls -----------------------------------------------------------------

  # Waits (up to 20 s) until the block is true.
  def wait_until(what)
    deadline = Time.now + 20
    until yield
      flunk "timed out waiting for #{what}" if Time.now > deadline
      sleep 0.01
    end
  end

  def canary(ctx)
    ctx['percent'] >= 50 ? { status: 'fail', reason: '5xx rate 7%' } : { 'status' => 'pass', 'reason' => 'ok' }
  end

  def test_gates_are_ruby_callables
    p = plan(soak_seconds: 30)
    asked = []
    steady = lambda do |ctx|
      asked << ctx['percent']
      assert_equal p.hostnames, ctx['hostnames']
      { status: :pass, reason: 'fine' }
    end
    cut = Dynoshift::Cutover.new(p, Dynoshift::MemoryZone.new(p), File.join(@dir, 'a.json'), nil, [steady])
    assert_equal 'promoted', cut.run.status
    assert_equal [10, 25, 50, 100], asked.uniq

    events = []
    cut = Dynoshift::Cutover.new(p, Dynoshift::MemoryZone.new(p), File.join(@dir, 'b.json'),
                                 ->(e) { events << e.to_h }, [method(:canary)])
    outcome = cut.run
    assert_equal 'rolled_back', outcome.status
    assert_includes outcome.reason, '5xx rate 7%'
    verdict = events.select { |e| e['type'] == 'gate_verdict' }.last['verdict']
    assert_equal %w[fail canary], verdict.values_at('status', 'gate')
  end

  def test_a_gate_that_raises_or_answers_nonsense_gives_error_verdicts
    p = plan(soak_seconds: 30, max_consecutive_errors: 2)
    [->(_ctx) { raise 'probe crashed' }, ->(_ctx) { 'yes' }].each_with_index do |gate, i|
      events = Queue.new
      cut = Dynoshift::Cutover.new(p, Dynoshift::MemoryZone.new(p), File.join(@dir, "c#{i}.json"),
                                   ->(e) { events << e.to_h }, [gate])
      run = Thread.new { cut.run }
      seen = []
      wait_until('the pause') do
        seen << events.pop until events.empty?
        seen.any? { |e| e['type'] == 'paused' }
      end
      errors = seen.select { |e| e['type'] == 'gate_verdict' }.map { |e| e['verdict'] }
      assert(errors.all? { |v| v['status'] == 'error' && v['gate'] == 'gate0' }, errors.inspect)
      assert_includes errors.first['reason'], i.zero? ? 'probe crashed' : 'no verdict'
      # a pause that waits for evidence settles as paused, then rollback goes back
      outcome = run.value
      assert_equal 'paused', outcome.status
      assert_includes outcome.reason, '2 consecutive errors of gate gate0'
      refute cut.running
      assert_equal 'rolled_back', cut.rollback.status
    end
  end

  def test_controls_steer_a_running_cutover
    p = plan(require_approval: true)
    zone = Dynoshift::MemoryZone.new(p)
    waiting = Queue.new
    first = Dynoshift::Cutover.new(p, zone, File.join(@dir, 'first.json'),
                                   ->(e) { waiting << e.to_h['stage'] if e.event_type == 'awaiting_approval' })
    assert_raises(Dynoshift::ConflictError) { first.approve } # nothing is running yet
    refute first.running
    run = Thread.new { first.run }
    wait_until('approval') { !waiting.empty? }
    waiting.pop
    assert first.running
    assert_raises(Dynoshift::ConflictError) { first.run } # one call at a time per Cutover object
    second = Dynoshift::Cutover.new(p, zone, File.join(@dir, 'second.json'))
    err = assert_raises(Dynoshift::ConflictError) { second.run } # the zone's lock
    assert_equal 'conflict', err.kind
    assert_raises(Dynoshift::InvalidInputError) { first.rollback_now('sideways') }
    first.approve
    wait_until('the next approval') { !waiting.empty? }
    first.pause
    first.unpause
    first.abort
    outcome = run.value
    assert_equal 'rolled_back', outcome.status
    assert_includes outcome.reason, 'aborted'
    refute first.running
    assert_nil JSON.parse(zone.records_json).find { |r| r['type'] == 'CNAME' && r['weight'] }
  end

  def test_promote_now_from_a_gate_skips_the_remaining_stages
    p = plan(soak_seconds: 30)
    cut = nil
    passed = []
    gate = lambda do |ctx|
      cut.promote_now if ctx['percent'] == 10 && ctx['tick'].zero?
      { status: 'pass', reason: 'fine' }
    end
    cut = Dynoshift::Cutover.new(p, Dynoshift::MemoryZone.new(p), File.join(@dir, 'p.json'),
                                 ->(e) { passed << e.to_h['percent'] if e.event_type == 'stage_passed' }, [gate])
    assert_equal 'promoted', cut.run.status
    assert_operator passed.length, :<, 4
    assert_equal 100, Dynoshift.read_journal(File.join(@dir, 'p.json')).current_percent
  end

  # ---- moto_server ------------------------------------------------------------------------

  R53 = 'https://route53.amazonaws.com/doc/2013-04-01/'

  def with_moto(&block)
    TestSupport.with_moto(&block)
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

  # `zone` on moto with www.`zone` a CNAME (TTL 1) to Heroku; returns the zone id.
  def seed_zone(url, zone = 'example.test')
    body = r53_post(url, 'hostedzone', <<~XML)
      <?xml version="1.0" encoding="UTF-8"?>
      <CreateHostedZoneRequest xmlns="#{R53}">
        <Name>#{zone}.</Name><CallerReference>dynoshift-rb-#{Process.pid}-#{zone}</CallerReference>
      </CreateHostedZoneRequest>
    XML
    zone_id = body[%r{<Id>/hostedzone/([^<]+)</Id>}, 1]
    refute_nil zone_id, body
    r53_post(url, "hostedzone/#{zone_id}/rrset", <<~XML)
      <?xml version="1.0" encoding="UTF-8"?>
      <ChangeResourceRecordSetsRequest xmlns="#{R53}"><ChangeBatch><Changes><Change>
        <Action>CREATE</Action>
        <ResourceRecordSet><Name>www.#{zone}.</Name><Type>CNAME</Type><TTL>1</TTL>
          <ResourceRecords><ResourceRecord><Value>shop-1a2b.herokudns.com</Value></ResourceRecord></ResourceRecords>
        </ResourceRecordSet>
      </Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>
    XML
    zone_id
  end

  def test_short_cutover_on_moto
    with_moto do |url|
      zone_id = seed_zone(url)
      p = plan(hostnames: ['www.example.test'], stages: [50, 100], soak_seconds: 0, tick_seconds: 1, ttl: 1,
               poll_seconds: 1)
      target = Dynoshift::Route53.new(url, 'us-east-1', 'testing', 'testing')
      assert_equal url, target.endpoint_url
      refute_includes target.inspect, 'secret'
      pre = Dynoshift.preflight(p, target)
      assert pre.ok, pre.summary.join("\n")
      events = []
      journal = File.join(@dir, 'moto.journal.json')
      started = Time.now
      outcome = Dynoshift::Cutover.new(p, target, journal, Dynoshift.listener { |e| events << e.event_type }).run
      assert_equal 'promoted', outcome.status
      assert_operator Time.now - started, :<, 60
      assert_includes events, 'change_submitted'
      assert_equal 2, events.count('stage_passed')
      weights = JSON.parse(target.records_json('example.test'))
                    .select { |r| r['name'] == 'www.example.test' && r['type'] == 'CNAME' }
                    .to_h { |r| [r['set_identifier'], r['weight']] }
      assert_equal [0, 100], weights.values.sort
      assert_equal 'rolled_back', Dynoshift::Cutover.new(p, target, journal).rollback.status
      simple = JSON.parse(target.records_json(zone_id)).select { |r| r['type'] == 'CNAME' }
      assert_equal [[nil, ['shop-1a2b.herokudns.com']]], simple.map { |r| [r['weight'], r['values']] }
    end
  end

  # `s3://bucket/key` as the journal: reached with the Route53 target's endpoint and keys,
  # readable JSON in S3, read back by the next call.
  def test_an_s3_journal_on_moto
    with_moto do |url|
      seed_zone(url)
      s3 = Net::HTTP.new('127.0.0.1', URI(url).port)
      s3_auth = { 'Authorization' => R53_HEADERS['Authorization'].sub('/route53/', '/s3/') }
      res = s3.send_request('PUT', '/cutovers', nil, s3_auth)
      assert_includes 200..299, res.code.to_i, res.body
      p = plan(hostnames: ['www.example.test'], stages: [50, 100], soak_seconds: 0, tick_seconds: 1, ttl: 1,
               poll_seconds: 1)
      target = Dynoshift::Route53.new(url, 'us-east-1', 'testing', 'testing')
      journal = 's3://cutovers/shop/www.journal.json'
      cut = Dynoshift::Cutover.new(p, target, journal)
      assert_equal journal, cut.journal_path
      assert_equal 'promoted', cut.run.status
      stored = JSON.parse(s3.send_request('GET', '/cutovers/shop/www.journal.json', nil, s3_auth).body)
      assert_equal 'promoted', stored['outcome']['outcome']
      assert_raises(Dynoshift::ConflictError) { Dynoshift::Cutover.new(p, target, journal).promote }
      err = assert_raises(Dynoshift::NotFoundError) do
        Dynoshift::Cutover.new(p, target, 's3://no-such-bucket/j.json').run
      end
      assert_includes err.message, 'no-such-bucket'
    end
  end

  # Two apps at once under one Route53 budget, each with its own journal and outcome.
  def test_a_fleet_of_two_apps_on_moto
    with_moto do |url|
      target = Dynoshift::Route53.new(url, 'us-east-1', 'testing', 'testing')
      fleet = Dynoshift::Fleet.new(5.0, 1)
      %w[shop blog].each do |app|
        zone = "#{app}.example.test"
        seed_zone(url, zone)
        fleet.add(app, plan(zone: zone, hostnames: ["www.#{zone}"], stages: [50, 100], soak_seconds: 0,
                            tick_seconds: 1, ttl: 1, poll_seconds: 1),
                  target, File.join(@dir, "#{app}.json"))
      end
      assert_equal 2, fleet.length
      report = fleet.run
      assert report.all_promoted, report.table.join("\n")
      doc = JSON.parse(report.to_json)
      assert_equal %w[shop blog], doc['apps'].map { |a| a['app'] }
      assert(doc['apps'].all? { |a| a['outcome'] == 'promoted' && a['route53']['calls'].positive? })
      assert_equal doc['apps'].sum { |a| a['route53']['calls'] }, doc['total']['calls']
      assert File.exist?(File.join(@dir, 'shop.json'))
      # one hostname in two apps: refused before anything runs
      twice = Dynoshift::Fleet.new
      p = plan
      twice.add('a', p, Dynoshift::MemoryZone.new(p), File.join(@dir, 'a.json'))
      twice.add('b', p, Dynoshift::MemoryZone.new(p), File.join(@dir, 'b.json'))
      assert_raises(Dynoshift::InvalidInputError) { twice.run }
      assert_raises(Dynoshift::InvalidInputError) { Dynoshift::Fleet.new(0.0, 1) }
    end
  end

  def test_unreachable_route53_is_unavailable
    target = Dynoshift::Route53.new("http://127.0.0.1:#{TestSupport.free_port}", 'us-east-1', 'testing', 'testing')
    err = assert_raises(Dynoshift::Error) { Dynoshift.preflight(plan, target) }
    assert_includes %w[unavailable timeout], err.kind, err.message
  end

  def test_gates_described_as_data_are_checked_early
    config = JSON.generate([{ type: 'http', name: 'aws-health', probe: { url: 'http://127.0.0.1:9/healthz' } }])
    assert_equal ['aws-health'], Dynoshift.validate_gates(config)
    bad = JSON.generate([{ type: 'http', name: 'x', probe: { url: 'not a url' } }])
    err = assert_raises(Dynoshift::InvalidInputError) { Dynoshift.validate_gates(bad) }
    assert_equal 'invalid_input', err.kind
    Dir.mktmpdir do |dir|
      assert_raises(Dynoshift::InvalidInputError) do
        Dynoshift::Cutover.new(plan, Dynoshift::MemoryZone.new(plan), File.join(dir, 'j.json'), nil, nil, false, false, bad)
      end
    end
  end
end
