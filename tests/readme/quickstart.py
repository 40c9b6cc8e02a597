import dynoshift

formation = dynoshift.Formation.from_json(open("formation.json").read())
bill = formation.monthly_cost({"private-m": 600})  # optional contract prices, USD per dyno per month
for line in bill.lines:
    print(line.process_type, line.size, line.quantity, line.monthly_usd)

try:
    dynoshift.dyno_size("standard-3x")
except dynoshift.InvalidInputError as err:   # also a ValueError; err.kind == "invalid_input"
    print(err)
