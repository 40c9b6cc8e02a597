//! The monthly bill on AWS for a node plan, against the Heroku bill of the formation it replaces.
//!
//! AWS monthly = nodes ($/h × 730, times an optional spot or savings-plan factor) + EKS control
//! plane ($0.10/h) + load balancer + NAT gateway + EBS root volumes. Every line carries its rule.
//! The verdict says plainly when the move saves little or costs more: EKS and the load balancer
//! are fixed costs that small apps do not amortise.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::heroku::cost::CostReport;
use crate::heroku::dynos::{Cpu, DynoSize};
use crate::nodes::pack::{AWS_HOURS_PER_MONTH, Plan};

/// EKS control plane, USD per cluster-hour.
pub const EKS_USD_PER_HOUR: f64 = 0.10;
/// An Application Load Balancer in us-east-1: $0.0225/h + one LCU at $0.008/h, × 730.
pub const DEFAULT_LOAD_BALANCER_USD_PER_MONTH: f64 = 22.27;
/// gp3 EBS, USD per GiB-month (us-east-1).
pub const DEFAULT_EBS_USD_PER_GIB_MONTH: f64 = 0.08;
/// vCPU counted per "1x" share of a Standard/Basic/Eco dyno when comparing CPU capacity: the
/// generous end of the fair request range (0.1–0.5 core) Heroku's shared dynos get.
pub const SHARED_DYNO_VCPU_PER_SHARE: f64 = 0.5;

/// The AWS side's inputs. `Default`: on-demand, EKS $0.10/h, one ALB ($22.27/month), no NAT
/// gateway (nodes in public subnets), a 20 GiB gp3 root volume per node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AwsCostOptions {
    /// Fraction off the on-demand node price for spot capacity (e.g. 0.65); not with a savings plan.
    pub spot_discount: Option<f64>,
    /// Fraction off the on-demand node price from a compute savings plan (e.g. 0.28).
    pub savings_plan_discount: Option<f64>,
    /// EKS control plane, USD per hour.
    pub eks_usd_per_hour: f64,
    /// Load balancer, USD per month.
    pub load_balancer_usd_per_month: f64,
    /// NAT gateway(s), USD per month ($32.85 + data per gateway if nodes sit in private subnets).
    pub nat_gateway_usd_per_month: f64,
    /// Root volume per node, GiB.
    pub ebs_gib_per_node: f64,
    /// EBS price, USD per GiB-month.
    pub ebs_usd_per_gib_month: f64,
}

impl Default for AwsCostOptions {
    fn default() -> Self {
        AwsCostOptions {
            spot_discount: None,
            savings_plan_discount: None,
            eks_usd_per_hour: EKS_USD_PER_HOUR,
            load_balancer_usd_per_month: DEFAULT_LOAD_BALANCER_USD_PER_MONTH,
            nat_gateway_usd_per_month: 0.0,
            ebs_gib_per_node: 20.0,
            ebs_usd_per_gib_month: DEFAULT_EBS_USD_PER_GIB_MONTH,
        }
    }
}

impl AwsCostOptions {
    fn validate(&self) -> Result<()> {
        for (v, name) in [
            (self.eks_usd_per_hour, "eks_usd_per_hour"),
            (
                self.load_balancer_usd_per_month,
                "load_balancer_usd_per_month",
            ),
            (self.nat_gateway_usd_per_month, "nat_gateway_usd_per_month"),
            (self.ebs_gib_per_node, "ebs_gib_per_node"),
            (self.ebs_usd_per_gib_month, "ebs_usd_per_gib_month"),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::invalid_input(format!(
                    "{name} must be a number of 0 or more, got {v}"
                ))
                .at("aws"));
            }
        }
        for (v, name) in [
            (self.spot_discount, "spot_discount"),
            (self.savings_plan_discount, "savings_plan_discount"),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && (0.0..1.0).contains(&v))
            {
                return Err(Error::invalid_input(format!(
                    "{name} is the fraction taken off the on-demand price, from 0 to below 1 \
                     (0.65 for 65% off); got {v}"
                ))
                .at("aws"));
            }
        }
        if self.spot_discount.is_some() && self.savings_plan_discount.is_some() {
            return Err(Error::invalid_input(
                "give a spot discount or a savings-plan discount, not both: savings plans do not \
                 apply to spot capacity",
            )
            .at("aws"));
        }
        Ok(())
    }
}

/// One line of the AWS bill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillLine {
    /// What is paid for.
    pub item: String,
    /// USD per month.
    pub monthly_usd: f64,
    /// How the number was reached.
    pub rule: String,
}

/// How much capacity the money buys on each side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityComparison {
    /// Memory of the Heroku dynos (quota), MiB.
    pub heroku_memory_mib: f64,
    /// vCPU of the Heroku dynos (shared dynos counted at 0.5 vCPU per share).
    pub heroku_vcpu: f64,
    /// Memory the nodes offer pods (after reservations and DaemonSets), MiB.
    pub aws_memory_mib: f64,
    /// CPU the nodes offer pods, vCPU.
    pub aws_vcpu: f64,
    /// Pods' memory requests, MiB.
    pub pods_memory_mib: f64,
    /// Pods' CPU requests, vCPU.
    pub pods_vcpu: f64,
    /// Heroku memory ÷ pods' memory: how many times the pods' memory Heroku's bill buys.
    pub heroku_memory_multiple: f64,
    /// AWS memory ÷ pods' memory.
    pub aws_memory_multiple: f64,
    /// (AWS memory per dollar) ÷ (Heroku memory per dollar): > 1 means the same money buys
    /// more memory on AWS.
    pub memory_per_dollar_ratio: f64,
    /// The same for CPU.
    pub cpu_per_dollar_ratio: f64,
}

/// The comparison of the two monthly bills.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bill {
    /// Heroku, USD per month (from the formation's cost report).
    pub heroku_monthly_usd: f64,
    /// The AWS lines.
    pub aws_lines: Vec<BillLine>,
    /// Sum of the AWS lines, USD per month.
    pub aws_monthly_usd: f64,
    /// Heroku − AWS: positive is a saving, negative an extra cost.
    pub saving_monthly_usd: f64,
    /// The saving as a percentage of the Heroku bill (negative: extra cost).
    pub saving_percent: f64,
    /// What the money buys on each side.
    pub capacity: CapacityComparison,
    /// The verdict in plain words.
    pub verdict: String,
    /// Caveats.
    pub notes: Vec<String>,
}

impl Bill {
    /// JSON text of the bill.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a bill always serialises")
    }
}

fn cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Compares `heroku` (the formation's monthly cost) with the AWS cost of `plan`.
pub fn compare_bill(heroku: &CostReport, plan: &Plan, options: &AwsCostOptions) -> Result<Bill> {
    options.validate()?;
    let h = AWS_HOURS_PER_MONTH;
    let (factor, pricing) = match (options.spot_discount, options.savings_plan_discount) {
        (Some(d), _) => (1.0 - d, format!("spot at {:.0}% off on-demand", d * 100.0)),
        (_, Some(d)) => (
            1.0 - d,
            format!("compute savings plan at {:.0}% off on-demand", d * 100.0),
        ),
        _ => (1.0, "on-demand".to_owned()),
    };
    let mut lines = Vec::new();
    for t in &plan.types {
        lines.push(BillLine {
            item: format!("{} × {}", t.count, t.instance_type),
            monthly_usd: cents(f64::from(t.count) * t.usd_per_hour * factor * h),
            rule: format!(
                "{} node(s) × ${:.4}/h × {factor:.2} ({pricing}) × {h} h",
                t.count, t.usd_per_hour
            ),
        });
    }
    lines.push(BillLine {
        item: "EKS control plane".into(),
        monthly_usd: cents(options.eks_usd_per_hour * h),
        rule: format!("${:.2}/cluster-hour × {h} h", options.eks_usd_per_hour),
    });
    lines.push(BillLine {
        item: "load balancer".into(),
        monthly_usd: cents(options.load_balancer_usd_per_month),
        rule: "input (default: one ALB, $0.0225/h + 1 LCU at $0.008/h, × 730 h)".into(),
    });
    if options.nat_gateway_usd_per_month > 0.0 {
        lines.push(BillLine {
            item: "NAT gateway".into(),
            monthly_usd: cents(options.nat_gateway_usd_per_month),
            rule: "input".into(),
        });
    }
    if options.ebs_gib_per_node > 0.0 {
        lines.push(BillLine {
            item: "EBS root volumes".into(),
            monthly_usd: cents(
                f64::from(plan.node_count)
                    * options.ebs_gib_per_node
                    * options.ebs_usd_per_gib_month,
            ),
            rule: format!(
                "{} node(s) × {} GiB × ${}/GiB-month (gp3)",
                plan.node_count, options.ebs_gib_per_node, options.ebs_usd_per_gib_month
            ),
        });
    }
    let aws = cents(lines.iter().map(|l| l.monthly_usd).sum());
    let heroku_total = heroku.total_monthly_usd;
    let saving = cents(heroku_total - aws);
    let saving_percent = if heroku_total > 0.0 {
        (saving / heroku_total * 1000.0).round() / 10.0
    } else {
        0.0
    };

    let (mut h_mem, mut h_cpu) = (0.0, 0.0);
    let mut notes = Vec::new();
    for l in &heroku.lines {
        match DynoSize::lookup(&l.size) {
            Ok(size) => {
                let q = f64::from(l.quantity);
                h_mem += q * size.memory_mb;
                h_cpu += q * match size.cpu {
                    Cpu::Shared(n) => f64::from(n) * SHARED_DYNO_VCPU_PER_SHARE,
                    Cpu::Dedicated(v) => v,
                };
            }
            Err(_) => notes.push(format!(
                "dyno size {} is unknown to dynoshift; its capacity is not counted",
                l.size
            )),
        }
    }
    let a_mem: f64 = plan
        .nodes
        .iter()
        .map(|n| n.memory_available_mib as f64)
        .sum();
    let a_cpu: f64 = plan
        .nodes
        .iter()
        .map(|n| n.cpu_available_millis as f64 / 1000.0)
        .sum();
    let p_mem = plan.memory_requested_mib as f64;
    let p_cpu = plan.cpu_requested_millis as f64 / 1000.0;
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            (a / b * 100.0).round() / 100.0
        } else {
            0.0
        }
    };
    let per_dollar = |aws_cap: f64, h_cap: f64| {
        if aws > 0.0 && heroku_total > 0.0 && h_cap > 0.0 {
            ratio(aws_cap / aws, h_cap / heroku_total)
        } else {
            0.0
        }
    };
    let capacity = CapacityComparison {
        heroku_memory_mib: h_mem,
        heroku_vcpu: h_cpu,
        aws_memory_mib: a_mem,
        aws_vcpu: a_cpu,
        pods_memory_mib: p_mem,
        pods_vcpu: p_cpu,
        heroku_memory_multiple: ratio(h_mem, p_mem),
        aws_memory_multiple: ratio(a_mem, p_mem),
        memory_per_dollar_ratio: per_dollar(a_mem, h_mem),
        cpu_per_dollar_ratio: per_dollar(a_cpu, h_cpu),
    };
    let fixed = cents(
        options.eks_usd_per_hour * h
            + options.load_balancer_usd_per_month
            + options.nat_gateway_usd_per_month,
    );
    let money = if saving < 0.0 {
        format!(
            "Moving costs more: AWS ≈ ${aws:.2}/month against ${heroku_total:.2} on Heroku \
             (${:.2} more, {:.1}%). At this size the fixed costs (${fixed:.2}/month for EKS and \
             the load balancer) outweigh cheaper compute; move for control or capacity, not to \
             save money.",
            -saving, -saving_percent
        )
    } else if saving_percent < 20.0 || saving < fixed {
        format!(
            "Small apps may save little: AWS ≈ ${aws:.2}/month against ${heroku_total:.2} on \
             Heroku saves ${saving:.2}/month ({saving_percent:.1}%), less than the work of \
             running a cluster may cost. ${fixed:.2}/month of the AWS bill is fixed (EKS and \
             the load balancer)."
        )
    } else {
        format!(
            "AWS ≈ ${aws:.2}/month against ${heroku_total:.2} on Heroku: a saving of \
             ${saving:.2}/month ({saving_percent:.1}%) before the engineering time to run the \
             cluster."
        )
    };
    let verdict = format!(
        "{money} For the money, AWS buys {:.2}× the memory and {:.2}× the CPU of Heroku \
         (nodes offer {:.2}× the pods' memory requests; the dynos offered {:.2}×).",
        capacity.memory_per_dollar_ratio,
        capacity.cpu_per_dollar_ratio,
        capacity.aws_memory_multiple,
        capacity.heroku_memory_multiple
    );
    notes.push(format!(
        "Heroku CPU capacity counts shared (Standard/Basic/Eco) dynos at {SHARED_DYNO_VCPU_PER_SHARE} \
         vCPU per share; AWS capacity is what the nodes offer pods after reservations and DaemonSets"
    ));
    notes.push(
        "not included: data transfer, add-ons/databases (on both sides), CloudWatch, \
         container registry, and the people who run the cluster"
            .into(),
    );
    if options.nat_gateway_usd_per_month == 0.0 {
        notes.push(
            "no NAT gateway counted (nodes in public subnets); private subnets add about \
             $32.85/month per gateway plus data"
                .into(),
        );
    }
    notes.push(format!(
        "Heroku counts {} hours a month, AWS {h}",
        heroku.hours_per_month
    ));
    Ok(Bill {
        heroku_monthly_usd: heroku_total,
        aws_lines: lines,
        aws_monthly_usd: aws,
        saving_monthly_usd: saving,
        saving_percent,
        capacity,
        verdict,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heroku::cost::Prices;
    use crate::heroku::formation::Formation;
    use crate::nodes::catalog::Catalog;
    use crate::nodes::pack::{PlanOptions, PodGroup, plan_nodes};

    fn reference_example() -> (CostReport, Plan) {
        // The reference's worked example: web ×4 Standard-2X + worker ×2 Standard-1X = $250;
        // 2 × m7i.large.
        let heroku = Formation::from_json(
            r#"{"web":{"size":"standard-2x","quantity":4},"worker":{"size":"standard-1x","quantity":2}}"#,
        )
        .unwrap()
        .monthly_cost(&Prices::list())
        .unwrap();
        let pods = [PodGroup {
            process_type: "web".into(),
            replicas: 2,
            cpu_millis: 800,
            memory_mib: 2500,
        }];
        let opts = PlanOptions {
            surge: false,
            filter: crate::nodes::CatalogFilter {
                types: vec!["m7i.large".into()],
                ..Default::default()
            },
            ..PlanOptions::default()
        };
        let plan = plan_nodes(&pods, &Catalog::builtin("us-east-1").unwrap(), &opts).unwrap();
        (heroku, plan)
    }

    #[test]
    fn worked_example_saves_little_and_says_so() {
        let (heroku, plan) = reference_example();
        assert_eq!(plan.monthly_usd, 147.17); // 2 × 0.1008 × 730
        let opts = AwsCostOptions {
            load_balancer_usd_per_month: 0.0,
            ebs_gib_per_node: 0.0,
            ..AwsCostOptions::default()
        };
        let bill = compare_bill(&heroku, &plan, &opts).unwrap();
        assert_eq!(bill.heroku_monthly_usd, 250.0);
        assert_eq!(bill.aws_monthly_usd, 220.17); // 147.17 + 73
        assert_eq!(bill.saving_monthly_usd, 29.83);
        assert!(
            bill.verdict.starts_with("Small apps may save little"),
            "{}",
            bill.verdict
        );
        // With the default ALB and EBS, the move costs about the same; spot changes the picture.
        let full = compare_bill(&heroku, &plan, &AwsCostOptions::default()).unwrap();
        assert_eq!(full.aws_monthly_usd, cents(220.17 + 22.27 + 3.2));
        let spot = compare_bill(
            &heroku,
            &plan,
            &AwsCostOptions {
                spot_discount: Some(0.6),
                ..AwsCostOptions::default()
            },
        )
        .unwrap();
        assert!(spot.aws_monthly_usd < full.aws_monthly_usd - 80.0);
        assert!(bill.aws_lines.iter().all(|l| !l.rule.is_empty()));
        assert!(
            bill.capacity.memory_per_dollar_ratio > 1.0,
            "{:?}",
            bill.capacity
        );
    }

    #[test]
    fn extra_cost_is_said_plainly_and_bad_inputs_refused() {
        let (_, plan) = reference_example();
        let tiny = Formation::from_json(r#"{"web":{"size":"basic","quantity":1}}"#)
            .unwrap()
            .monthly_cost(&Prices::list())
            .unwrap();
        let bill = compare_bill(&tiny, &plan, &AwsCostOptions::default()).unwrap();
        assert!(bill.saving_monthly_usd < 0.0);
        assert!(
            bill.verdict.starts_with("Moving costs more"),
            "{}",
            bill.verdict
        );
        let both = AwsCostOptions {
            spot_discount: Some(0.5),
            savings_plan_discount: Some(0.2),
            ..AwsCostOptions::default()
        };
        assert!(compare_bill(&tiny, &plan, &both).is_err());
        let neg = AwsCostOptions {
            eks_usd_per_hour: -1.0,
            ..AwsCostOptions::default()
        };
        assert!(compare_bill(&tiny, &plan, &neg).is_err());
    }
}
