# frozen_string_literal: true

# HerokuClient and CutoverPlan.from_heroku_app against a loopback server serving recorded
# Platform API responses (tests/fixtures/heroku-api); 401 on a wrong token, 404 for unknown paths.

require_relative 'test_helper'

class HerokuApiTest < Minitest::Test
  GOOD_TOKEN = TestSupport::GOOD_TOKEN
  ALB = 'shop-alb-1234.us-east-1.elb.amazonaws.com'

  def setup
    @api = TestSupport::RecordedApi.new
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

  # An in-memory hosted zone `zone` holding `host` as a CNAME to its Heroku target.
  def zone_for(zone, host, heroku_target)
    seed = { zone: zone, hostnames: [host], heroku_target: heroku_target, aws_target: ALB }
    Dynoshift::MemoryZone.new(Dynoshift::CutoverPlan.from_json(JSON.generate(seed)))
  end

  def test_from_heroku_app_plans_every_custom_domain
    client = Dynoshift::HerokuClient.new(GOOD_TOKEN, @api.url)
    dns = zone_for('shop.example.test', 'www.shop.example.test', 'sushi-1a2b.herokudns.com')
    result = Dynoshift::CutoverPlan.from_heroku_app(client, 'shop-production', dns, { aws_target: ALB, stages: [10, 50, 100] })
    assert_kind_of Dynoshift::AppPlans, result
    # the domains come in two pages (206 + Next-Range)
    assert_equal [['/apps/shop-production/domains', nil],
                  ['/apps/shop-production/domains', 'id ]6f4b2a10-3c5d-4e8f-9a01-b2c3d4e5f607..; max=2']],
                 @api.requests.map { |path, headers| [path, headers['range']] }
    assert_equal 1, result.plans.length
    plan = result.plans.first
    assert_kind_of Dynoshift::CutoverPlan, plan
    assert_equal 'shop.example.test', plan.zone
    assert_equal %w[api.shop.example.test www.shop.example.test], plan.hostnames
    assert_equal [ALB, [10, 50, 100]], [plan.aws_target, plan.stages]
    hosts = JSON.parse(plan.to_json)['hostnames'].to_h { |h| [h['name'], h['heroku_target']] }
    assert_equal({ 'api.shop.example.test' => 'tokyo-9z8y.herokudns.com',
                   'www.shop.example.test' => 'sushi-1a2b.herokudns.com' }, hosts)
    report = JSON.parse(result.to_json)
    assert_equal [%w[shop-production.herokuapp.com heroku_domain], %w[shop.example.test apex]],
                 report['skipped'].map { |s| [s['hostname'], s['code']] }
    assert_includes report['skipped'][1]['reason'], 'CNAME'
    assert_equal ['acm_renewal'], report['warnings'].map { |w| w['code'] }
    assert result.summary.first.start_with?('zone shop.example.test')
    assert(result.summary.any? { |line| line.start_with?('skipped shop.example.test [apex]') })
    assert_equal 100, Dynoshift.dry_run(plan).steps.last.aws_percent
  end

  def test_from_heroku_app_lists_what_it_leaves_out
    client = Dynoshift::HerokuClient.new(GOOD_TOKEN, @api.url)
    dns = zone_for('noodle.example.test', 'www.noodle.example.test', 'ramen-3c4d.herokudns.com')
    result = Dynoshift::CutoverPlan.from_heroku_app(client, 'noodle-bar', dns, { 'aws_target' => ALB, 'gates' => false })
    assert_equal [['www.noodle.example.test']], result.plans.map(&:hostnames)
    skipped = JSON.parse(result.to_json)['skipped'].to_h { |s| [s['hostname'], s] }
    assert_equal({ 'noodle-bar.herokuapp.com' => 'heroku_domain', 'order.noodle-eu.example.test' => 'no_zone',
                   'legacy.noodle.example.test' => 'certificate_failed', '*.noodle.example.test' => 'wildcard' },
                 skipped.transform_values { |s| s['code'] })
    assert_includes skipped['legacy.noodle.example.test']['reason'], "Let's Encrypt could not validate the domain"
  end

  def test_from_heroku_app_options_are_checked
    client = Dynoshift::HerokuClient.new(GOOD_TOKEN, @api.url)
    dns = zone_for('shop.example.test', 'www.shop.example.test', 'sushi-1a2b.herokudns.com')
    unknown = assert_raises(Dynoshift::InvalidInputError) do
      Dynoshift::CutoverPlan.from_heroku_app(client, 'shop-production', dns, { aws_target: ALB, health_pth: '/healthz' })
    end
    assert_equal 'invalid_input', unknown.kind
    assert_includes unknown.message, 'health_pth'
    assert_includes unknown.message, 'health_path'
    assert_equal [], @api.requests, 'bad options are refused before any request'
    err = assert_raises(Dynoshift::InvalidInputError) do
      Dynoshift::CutoverPlan.from_heroku_app(client, 'shop-production', dns, {})
    end
    assert_includes err.message, 'aws_target'
    err = assert_raises(Dynoshift::InvalidInputError) do
      Dynoshift::CutoverPlan.from_heroku_app(client, 'shop-production', dns, nil)
    end
    assert_includes err.message, 'known options'
    assert_raises(TypeError) { Dynoshift::CutoverPlan.from_heroku_app(client, 'shop-production', :no_dns, {}) }
    missing = assert_raises(Dynoshift::NotFoundError) do
      Dynoshift::CutoverPlan.from_heroku_app(client, 'no-such-app', dns, { aws_target: ALB })
    end
    assert_includes missing.message, 'no-such-app'
    refute Dynoshift.respond_to?(:plans_from_heroku_app), 'the native call stays private'
  end
end
