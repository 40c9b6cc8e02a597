const { Formation, dynoSize } = require('dynoshift')

const bill = Formation.fromJson('{"web": {"size": "standard-2x", "quantity": 4}}').monthlyCost()
console.log(bill.totalMonthlyUsd) // 200
try { dynoSize('standard-3x') } catch (err) { console.log(err.code) } // 'invalid_input'
