# The README's `CutoverPlan.from_heroku_app` example, run against a loopback Platform API and
# moto_server (their URLs come from the test runner; the region between the markers is the README's).
require 'dynoshift'

heroku = Dynoshift::HerokuClient.new(nil, ENV.fetch('README_HEROKU_API_URL'), nil)
dns = Dynoshift::Route53.new(nil, nil, nil, nil) # AWS_ENDPOINT_URL points the standard chain at moto_server
# readme:begin
found = Dynoshift::CutoverPlan.from_heroku_app(heroku, 'shop-production', dns,
                                               { aws_target: 'my-alb-123.us-east-1.elb.amazonaws.com' })
puts found.summary
found.plans.each { |plan| File.write("plan.#{plan.zone}.json", plan.to_json) }
# readme:end
