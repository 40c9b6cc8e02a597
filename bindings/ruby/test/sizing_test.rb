# frozen_string_literal: true

# Sizing from Ruby: typed reports whose numbers carry explanations, files or lines, policies as
# Hashes, typed errors; backtest and Kubernetes manifests (read back by Psych).

require 'tmpdir'
require 'zlib'
require 'yaml'
require_relative 'test_helper'

class SizingTest < Minitest::Test
  FORMATION = '{"web": {"size": "standard-2x", "quantity": 2}, "worker": {"size": "standard-1x", "quantity": 1}}'

  def formation
    Dynoshift::Formation.from_json(FORMATION)
  end

  def lines
    @lines ||= (0...(3 * 3600)).step(20).flat_map do |t|
      ts = format('2026-11-01T%<h>02d:%<m>02d:%<s>02d+00:00', h: t / 3600, m: t / 60 % 60, s: t % 60)
      [['web.1', 400 + (t % 100), 0.3], ['web.2', 380.0, 0.2], ['worker.1', 300.0, 0.8]].flat_map do |source, mb, load|
        ["#{ts} heroku[#{source}]: source=#{source} dyno=heroku.1.x sample#load_avg_1m=#{format('%.2f', load)}",
         "#{ts} heroku[#{source}]: source=#{source} dyno=heroku.1.x sample#memory_total=#{format('%.2f', mb)}MB " \
         "sample#memory_rss=#{format('%.2f', mb)}MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB"]
      end
    end
  end

  def test_numbers_explain_themselves_and_files_match_lines
    report = Dynoshift.recommend_lines(formation, lines)
    assert_kind_of Dynoshift::SizingReport, report
    web = report.process('web')
    assert_kind_of Dynoshift::ProcessSizing, web
    assert_operator web.memory_request_mib.value, :>=, 499
    assert_equal 'MiB', web.memory_request_mib.unit
    why = web.memory_request_mib.explanation
    assert_kind_of Dynoshift::Explanation, why
    assert_operator why.samples, :>, 0
    assert_equal 'memory_total max', why.statistic
    assert_equal 'low', why.confidence
    assert_nil report.process('clock')
    Dir.mktmpdir do |dir|
      log = File.join(dir, 'app.log')
      File.write(log, "#{lines.join("\n")}\n")
      assert_equal report.to_json, Dynoshift.recommend_sizing(formation, [log]).to_json
    end
  end

  def test_a_truncated_gzip_is_a_typed_input_issue_of_the_report
    Dir.mktmpdir do |dir|
      log = File.join(dir, 'app.log.gz')
      data = Zlib.gzip("#{lines.join("\n")}\n", level: 1)
      File.binwrite(log, data[0, data.bytesize / 2])
      issues = Dynoshift.recommend_sizing(formation, [log]).input_issues
      assert_equal 1, issues.size
      assert_kind_of Dynoshift::InputIssue, issues[0]
      assert_equal log, issues[0].input
      assert_operator issues[0].bytes_read, :>, 0
    end
    assert_empty Dynoshift.recommend_lines(formation, lines).input_issues
  end

  def test_every_number_is_typed_and_round_trips
    report = Dynoshift.recommend_lines(formation, lines)
    assert_equal %w[web worker], report.processes.map(&:process_type)
    report.processes.each do |p|
      numbers = [p.cpu_request_millicores, p.memory_request_mib, p.memory_limit_mib, p.replicas]
      numbers += [p.hpa.min_replicas, p.hpa.max_replicas, p.hpa.target_cpu_utilization_percent] if p.hpa
      numbers.each do |n|
        assert_kind_of Dynoshift::Explained, n
        assert_kind_of Integer, n.value
        refute_empty n.explanation.rule
        assert_includes %w[low medium high], n.explanation.confidence
      end
      assert_nil p.cpu_limit_millicores
    end
    plain = JSON.parse(report.to_json)
    assert_equal plain, report.to_h
    assert_equal plain['processes'][0], report.processes[0].to_h
    assert_equal plain['processes'][0]['memory_request_mib'], JSON.parse(report.processes[0].memory_request_mib.to_json)
    assert_equal 'dynoshift', report.policy['strategy']
    assert_equal report.to_json, Dynoshift::SizingReport.from_json(report.to_json).to_json
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift::SizingReport.from_json('{"strategy": "dynoshift"}') }
  end

  def test_policies_and_typed_errors
    assert_equal 'vpa', Dynoshift.recommend_lines(formation, lines, { strategy: 'vpa' }).strategy
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.recommend_lines(formation, lines, { cpu_percentile: 2.0 }) }
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.recommend_lines(formation, lines, { cpu_percentile: Float::NAN }) }
    assert_raises(Dynoshift::NotFoundError) { Dynoshift.recommend_sizing(formation, ['/nonexistent/app.log']) }
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.recommend_sizing(formation, []) }
  end

  # 12 hours of worker samples every 20 minutes: 300 MB throughout, one 420 MB spike at 09:00.
  def worker_lines
    (0...(12 * 3600)).step(1200).flat_map do |t|
      ts = format('2026-11-01T%<h>02d:%<m>02d:00+00:00', h: t / 3600, m: t / 60 % 60)
      mb = t == 9 * 3600 ? 420 : 300
      ["#{ts} heroku[worker.1]: source=worker.1 dyno=heroku.1.x sample#load_avg_1m=0.20",
       "#{ts} heroku[worker.1]: source=worker.1 dyno=heroku.1.x sample#memory_total=#{mb}.00MB " \
       "sample#memory_rss=#{mb}.00MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB"]
    end
  end

  def test_backtest_on_lines_and_files
    report = Dynoshift.backtest_lines(formation, worker_lines, nil, %w[dynoshift krr])
    assert_kind_of Dynoshift::BacktestReport, report
    assert_equal %w[dynoshift krr], report.summary.map(&:strategy)
    rows = report.rows.to_h { |r| [r.strategy, r] }
    assert_kind_of Dynoshift::BacktestRow, rows['dynoshift']
    # Fitted on 300 MB for under a day: 300 x 1.2 rounded up to 16 = 368 MiB; the spike exceeds it.
    assert_equal 368, rows['dynoshift'].memory_limit_mib
    assert_equal 1, rows['dynoshift'].memory_exceedances
    assert_equal 345, rows['krr'].memory_limit_mib
    assert_operator report.fit_window.end, :<, report.eval_window.start
    assert_match(/dynoshift/, report.table)
    Dir.mktmpdir do |dir|
      log = File.join(dir, 'worker.log')
      File.write(log, "#{worker_lines.join("\n")}\n")
      assert_equal report.to_json, Dynoshift.backtest(formation, [log], nil, %w[dynoshift krr], 0.5).to_json
    end
    assert_equal 3, Dynoshift.backtest_lines(formation, worker_lines).summary.length
    err = assert_raises(Dynoshift::InvalidInputError) { Dynoshift.backtest_lines(formation, worker_lines, { cpu_percentile: 0 }) }
    assert_equal 'invalid_input', err.kind
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.backtest_lines(formation, worker_lines, nil, nil, 1.0) }
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.backtest_lines(formation, worker_lines, nil, ['p99']) }
    assert_raises(Dynoshift::NotFoundError) { Dynoshift.backtest(formation, ['/nonexistent/app.log']) }
  end

  def test_manifests_render_and_parse_back
    f = Dynoshift::Formation.from_json('{"web": {"size": "standard-2x", "quantity": 2, "command": "bundle exec puma"}, ' \
                                       '"worker": {"size": "standard-1x", "quantity": 1}}')
    report = Dynoshift.recommend_lines(f, lines)
    yaml = Dynoshift.manifests(report, { image: 'registry.example.com/shop:v42', namespace: 'shop', app: 'shop' })
    objects = YAML.load_stream(yaml)
    assert_equal objects, Dynoshift.parse_manifests(yaml)
    names = objects.map { |o| "#{o['kind']}/#{o['metadata']['name']}" }
    assert_includes names, 'Deployment/shop-web'
    assert_includes names, 'PodDisruptionBudget/shop-worker'
    web = objects.find { |o| o['kind'] == 'Deployment' && o['metadata']['name'] == 'shop-web' }
    sizing = report.processes[0]
    container = web['spec']['template']['spec']['containers'][0]
    assert_equal "#{sizing.memory_request_mib.value}Mi", container['resources']['requests']['memory']
    assert_equal "#{sizing.cpu_request_millicores.value}m", container['resources']['requests']['cpu']
    assert_equal sizing.memory_limit_mib.explanation.rule, web['metadata']['annotations']['dynoshift.dev/memory']
    # the app around the sizes: the domains as Ingress rules, config var names without values
    app = Dynoshift.parse_manifests(Dynoshift.manifests(report, { image: 'shop:1', app: 'shop', domains: ['www.shop.com'],
                                                                   config_vars: { 'SECRET_KEY_BASE' => 'rb-secret-value' } }))
    assert_equal ['www.shop.com'], app.find { |o| o['kind'] == 'Ingress' }['spec']['rules'].map { |r| r['host'] }
    assert_nil(app.find { |o| o['kind'] == 'Secret' }) # no values asked for: the team creates it
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.manifests(report, { namespace: 'shop' }) }
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.manifests(report, { image: 'shop:1', replicas: 3 }) }
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.manifests(report, { image: 'shop:1', pre_stop_seconds: 900 }) }
    assert_raises(Dynoshift::InvalidInputError) { Dynoshift.parse_manifests("kind: Service\nmetadata: {name: x}\n") }
  end

  def test_the_sizing_feeds_node_planning_without_renaming_keys
    report = Dynoshift.recommend_lines(formation, lines)
    web = report.process('web')
    pods = report.pods
    assert_equal({ 'process_type' => 'web', 'replicas' => web.replicas.value,
                   'cpu_millis' => web.cpu_request_millicores.value, 'memory_mib' => web.memory_request_mib.value },
                 pods.find { |p| p['process_type'] == 'web' })
    plan = Dynoshift.plan_nodes({ 'pods' => pods })
    placed = plan['nodes'].sum { |n| n['pods'].count { |pod| !pod.end_with?('-surge') } }
    assert_equal pods.sum { |p| p['replicas'] }, placed
    assert_operator placed, :>, 0
  end
end
