require 'dynoshift'

bill = Dynoshift::Formation.from_json('{"web": {"size": "standard-2x", "quantity": 4}}').monthly_cost
puts bill.total_monthly_usd # 200.0
begin
  Dynoshift.dyno_size('standard-3x')
rescue Dynoshift::Error => e   # Dynoshift::InvalidInputError here
  puts e.kind                  # "invalid_input"
end

# Rehearse the staged cutover on an in-memory zone (virtual time: instant), printing each event.
plan = Dynoshift::CutoverPlan.from_json(File.read('plan.json'))
zone = Dynoshift::MemoryZone.new(plan, 0.0, true)  # or Dynoshift::Route53.new(endpoint_url, region, key, secret)
cutover = Dynoshift::Cutover.new(plan, zone, 'cutover.journal.json',
                                 ->(e) { puts e.description })  # on_event; gates: [->(ctx) { {status: 'pass', reason: 'ok'} }]
puts cutover.run.status                    # "promoted"; also resume, rollback('full'), promote
