import dynoshift

pods = [{"process_type": "web", "replicas": 4, "cpu_millis": 500, "memory_mib": 1024},
        {"process_type": "worker", "replicas": 2, "cpu_millis": 250, "memory_mib": 512}]
plan = dynoshift.plan_nodes({"pods": pods, "options": {"solver": "exact", "time_budget_ms": 1500}})
print(plan["types"], plan["monthly_usd"], plan["gap_percent"], plan["ffd_monthly_usd"])
bill = dynoshift.compare_bill({"formation": {"web": {"size": "standard-2x", "quantity": 4}},
                               "plan": {"pods": pods}})
print(bill["heroku_monthly_usd"], bill["aws_monthly_usd"])
