//! `dynoshift plan`: the cheapest EC2 worker mix for the pods, its optimality gap, the monthly
//! bill against Heroku's, and optionally the Karpenter YAML.

use dynoshift::files::{read_json_arg as json_arg, read_text as read};
use std::path::PathBuf;

use crate::output::outln;
use clap::{Args, ValueEnum};
use dynoshift::nodes::{
    AwsCostOptions, Bill, Catalog, KarpenterOptions, Plan, PlanOptions, PodGroup, Solver,
    compare_bill, karpenter_config, plan_nodes,
};
use dynoshift::{Error, Formation, Prices};
use serde::Deserialize;

#[derive(Clone, Copy, ValueEnum)]
pub enum SolverArg {
    /// Branch-and-bound with a proven lower bound (default).
    Exact,
    /// First-fit-decreasing, the Karpenter-like baseline.
    Ffd,
}

/// Arguments of `dynoshift plan` (documented on the subcommand).
#[derive(Args)]
pub struct PlanArgs {
    /// Heroku log files (text, drain frames, Papertrail archives, .gz) or s3://bucket/prefix
    /// URLs: the pods are sized from them with the default sizing policy (see `dynoshift size`).
    #[arg(long, num_args = 1.., required_unless_present_any = ["pods", "profiles"], conflicts_with_all = ["pods", "profiles"])]
    logs: Vec<PathBuf>,
    #[command(flatten)]
    s3: crate::inputs::S3Args,
    /// Saved profiles instead of logs: a file of `dynoshift ingest --json`, or a drain
    /// receiver's URL (http(s)://[user:password@]host/profiles/APP).
    #[arg(long, conflicts_with = "pods")]
    profiles: Option<String>,
    /// Pods JSON instead of logs (see above), a file or inline.
    #[arg(long)]
    pods: Option<PathBuf>,
    /// Formation JSON, a file or inline (Platform API array or {"web": {"size": ..., "quantity":
    /// ...}}), for the Heroku side of the bill.
    #[arg(long)]
    formation: PathBuf,
    /// Heroku price overrides JSON, a file or inline, e.g. --prices '{"private-m": 600}'.
    #[arg(long)]
    prices: Option<PathBuf>,
    /// AWS region of the built-in catalog.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// A catalog file instead of the built-in one: JSON (as `Catalog::to_json`) or CSV (the
    /// shipped columns).
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Solver.
    #[arg(long, value_enum, default_value = "exact")]
    solver: SolverArg,
    /// Time budget of the exact solver, milliseconds.
    #[arg(long)]
    budget_ms: Option<u64>,
    /// AWS cost inputs JSON, a file or inline (spot_discount, savings_plan_discount,
    /// load_balancer_usd_per_month, nat_gateway_usd_per_month, ebs_gib_per_node, ...).
    #[arg(long)]
    aws: Option<PathBuf>,
    /// Also write the Karpenter NodePool + EC2NodeClass YAML to this file.
    #[arg(long)]
    karpenter: Option<PathBuf>,
    /// EKS cluster name used in the Karpenter YAML.
    #[arg(long, default_value = "dynoshift")]
    cluster: String,
    /// Print plan and bill as JSON.
    #[arg(long)]
    json: bool,
    /// Plan from logs that are truncated or corrupt (a broken .gz) anyway: the pods are then
    /// sized from the part before the break, and the plan carries a warning. Without this flag
    /// such logs are refused (exit 2).
    #[arg(long)]
    allow_damaged_input: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PodsFile {
    Bare(Vec<PodGroup>),
    Full {
        pods: Vec<PodGroup>,
        #[serde(default)]
        options: Option<PlanOptions>,
    },
}

fn parse<T: for<'de> Deserialize<'de>>(text: &str, what: &str) -> Result<T, Error> {
    serde_json::from_str(text)
        .map_err(|e| Error::invalid_input(format!("{what} is not in the expected JSON shape: {e}")))
}

pub fn run(args: PlanArgs) -> Result<(), Error> {
    let formation = Formation::from_json(&json_arg(&args.formation)?)?;
    let mut input_warnings = Vec::new();
    let (pods, options) = match &args.pods {
        Some(path) => match parse::<PodsFile>(&json_arg(path)?, "the pods JSON")? {
            PodsFile::Bare(p) => (p, PlanOptions::default()),
            PodsFile::Full { pods, options } => (pods, options.unwrap_or_default()),
        },
        None => {
            let policy = dynoshift::sizing::SizingPolicy::default();
            let profiles = match &args.profiles {
                Some(p) => crate::drain::load_profiles(p)?,
                None => crate::inputs::ingest(&args.logs, None, &args.s3)?,
            };
            let sizing = dynoshift::sizing::recommend(&formation, &profiles, &policy)?;
            crate::size::check_damaged_input(&sizing, args.allow_damaged_input)?;
            input_warnings = sizing.input_warnings();
            (sizing.pod_groups(), PlanOptions::default())
        }
    };
    let mut options = options;
    options.solver = match args.solver {
        SolverArg::Exact => Solver::Exact,
        SolverArg::Ffd => Solver::Ffd,
    };
    if let Some(ms) = args.budget_ms {
        options.time_budget_ms = ms;
    }
    let catalog = match &args.catalog {
        None => Catalog::builtin(&args.region)?,
        Some(path) => {
            let text = read(path)?;
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
            {
                Catalog::from_csv(&args.region, &path.display().to_string(), &text)?
            } else {
                Catalog::from_json(&args.region, &text)?
            }
        }
    };
    let prices = match &args.prices {
        Some(p) => Prices::from_json(&json_arg(p)?)?,
        None => Prices::list(),
    };
    let aws = match &args.aws {
        Some(p) => parse::<AwsCostOptions>(&json_arg(p)?, "the AWS options JSON")?,
        None => AwsCostOptions::default(),
    };
    let heroku = formation.monthly_cost(&prices)?;
    let mut plan = plan_nodes(&pods, &catalog, &options)?;
    plan.warnings.extend(input_warnings);
    let bill = compare_bill(&heroku, &plan, &aws)?;
    let yaml = match &args.karpenter {
        Some(path) => {
            let cfg = karpenter_config(
                &plan,
                &catalog,
                &KarpenterOptions {
                    cluster_name: args.cluster.clone(),
                    filter: options.filter.clone(),
                    ..KarpenterOptions::default()
                },
            )?;
            std::fs::write(path, &cfg.yaml).map_err(|e| {
                Error::invalid_input(format!("cannot write {}: {e}", path.display()))
            })?;
            Some(path.display().to_string())
        }
        None => None,
    };
    let mut o = String::new();
    if args.json {
        let out = serde_json::json!({ "plan": plan, "bill": bill, "karpenter_yaml": yaml });
        outln!(o, "{out}");
    } else {
        print_plan(&mut o, &plan);
        outln!(o);
        print_bill(&mut o, &bill);
        if let Some(path) = yaml {
            outln!(o);
            outln!(o, "Karpenter NodePool + EC2NodeClass written to {path}");
        }
    }
    crate::output::emit(&o);
    Ok(())
}

fn print_plan(o: &mut String, plan: &Plan) {
    let solver = match plan.solver {
        Solver::Exact => "exact",
        Solver::Ffd => "FFD",
    };
    outln!(
        o,
        "Node plan ({}, {solver} solver): {} node(s), ${:.2}/month on-demand ({} pods, {}m CPU, {} MiB requested)",
        plan.region,
        plan.node_count,
        plan.monthly_usd,
        plan.pod_count,
        plan.cpu_requested_millis,
        plan.memory_requested_mib
    );
    outln!(
        o,
        "  {:<14} {:>5} {:>9} {:>10}",
        "type",
        "count",
        "$/hour",
        "$/month"
    );
    for t in &plan.types {
        outln!(
            o,
            "  {:<14} {:>5} {:>9.4} {:>10.2}",
            t.instance_type,
            t.count,
            t.usd_per_hour,
            t.monthly_usd
        );
    }
    for (i, n) in plan.nodes.iter().enumerate() {
        outln!(
            o,
            "  node {:<3} {:<12} CPU {:>6}/{:<6}m  memory {:>6}/{:<6} MiB  pods {:>3}/{:<3}  {}",
            i + 1,
            n.instance_type,
            n.cpu_used_millis,
            n.cpu_available_millis,
            n.memory_used_mib,
            n.memory_available_mib,
            n.pods.len(),
            n.pod_slots,
            n.pods.join(", ")
        );
    }
    match (plan.gap_percent, plan.lower_bound_monthly_usd) {
        (Some(_), Some(_)) if plan.proven_optimal => {
            outln!(o, "Optimality: proven optimal (gap 0%)")
        }
        (Some(g), Some(lb)) => {
            outln!(
                o,
                "Optimality: gap {g:.3}% — no plan can cost less than ${lb:.2}/month"
            )
        }
        _ => outln!(
            o,
            "Optimality: not bounded (FFD heuristic; use --solver exact for a gap)"
        ),
    }
    let cheaper = if plan.ffd_monthly_usd > 0.0 {
        (plan.ffd_monthly_usd - plan.monthly_usd) / plan.ffd_monthly_usd * 100.0
    } else {
        0.0
    };
    outln!(
        o,
        "FFD baseline (Karpenter-like): ${:.2}/month; this plan is {cheaper:.1}% cheaper",
        plan.ffd_monthly_usd
    );
    for line in &plan.explanation {
        outln!(o, "  - {line}");
    }
    for w in &plan.warnings {
        outln!(o, "warning: {w}");
    }
}

pub(crate) fn print_bill(o: &mut String, bill: &Bill) {
    outln!(
        o,
        "Monthly bill: Heroku ${:.2} vs AWS ${:.2}",
        bill.heroku_monthly_usd,
        bill.aws_monthly_usd
    );
    for l in &bill.aws_lines {
        outln!(o, "  {:<22} {:>10.2}   {}", l.item, l.monthly_usd, l.rule);
    }
    outln!(o, "  {:<22} {:>10.2}", "AWS total", bill.aws_monthly_usd);
    outln!(
        o,
        "  {:<22} {:>10.2}   ({:.1}% of the Heroku bill)",
        if bill.saving_monthly_usd >= 0.0 {
            "saving"
        } else {
            "extra cost"
        },
        bill.saving_monthly_usd.abs(),
        bill.saving_percent.abs()
    );
    outln!(o, "Verdict: {}", bill.verdict);
    for n in &bill.notes {
        outln!(o, "note: {n}");
    }
}
