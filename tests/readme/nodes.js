const { planNodes, karpenterConfig } = require('dynoshift')
const pods = [{ process_type: 'web', replicas: 4, cpu_millis: 500, memory_mib: 1024 }]
const plan = planNodes({ pods })              // { monthly_usd, gap_percent, ffd_monthly_usd, nodes, types, ... }
const { yaml } = karpenterConfig({ plan: { pods }, options: { cluster_name: 'shop' } }) // NodePool + EC2NodeClass
console.log(plan.monthly_usd, yaml.includes('kind: NodePool'))
