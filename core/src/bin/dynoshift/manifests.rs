//! `dynoshift manifests`: the whole app as Kubernetes objects (Deployments with Heroku's
//! timings and probes, HPA, PDB, the web Service and ALB Ingress, the config Secret, the
//! release Job), from a formation file or a Heroku app, sized from the logs.

use std::path::PathBuf;

use clap::Args;
use dynoshift::files::read_json_arg as json_arg;
use dynoshift::manifests::{self, ConfigVars, ManifestOptions};
use dynoshift::sizing;
use dynoshift::{Error, Formation, ingest_paths};

use crate::heroku::{ApiArgs, block_on};
use crate::output::{eout, out};
use crate::size::{check_damaged_input, policy};

/// Arguments of `dynoshift manifests`.
#[derive(Args, Debug)]
pub struct ManifestsArgs {
    /// Formation JSON, a file or inline (the Platform API's formation array, with each
    /// process's `command`, or {"web": {"size": ..., "quantity": ..., "command": ...}}).
    #[arg(long, required_unless_present = "app", conflicts_with = "app")]
    formation: Option<PathBuf>,
    /// Read the formation, the custom domains, the config vars and the add-ons' config var
    /// names from this Heroku app (token from HEROKU_API_KEY; values are written only with
    /// --include-values).
    #[arg(long)]
    app: Option<String>,
    #[command(flatten)]
    api: ApiArgs,
    /// Log files (plain or gzip) the sizes come from, as for `dynoshift size`.
    #[arg(long, required = true, num_args = 1..)]
    logs: Vec<PathBuf>,
    /// Strategy: dynoshift (default), vpa or krr.
    #[arg(long)]
    strategy: Option<String>,
    /// Sizing policy JSON, a file or inline.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Container image, e.g. registry.example.com/shop:v42.
    #[arg(long)]
    image: String,
    /// Namespace of every object.
    #[arg(long, default_value = "default")]
    namespace: String,
    /// Objects are named <name>-<process type> [default: the --app name when it is a valid
    /// Kubernetes name, else "app"].
    #[arg(long)]
    name: Option<String>,
    /// Port web listens on ($PORT).
    #[arg(long, default_value_t = 5000)]
    port: u16,
    /// HTTP path for web's readiness probe and the ALB health check (e.g. /healthz); without
    /// it, readiness is a TCP connect and the ALB accepts any 2xx/3xx on /.
    #[arg(long, value_name = "PATH")]
    health_path: Option<String>,
    /// Add a liveness probe to web (off by default: an unwise one restarts healthy pods).
    #[arg(long)]
    liveness_probe: bool,
    /// Seconds of web's preStop pause while the ALB deregisters a pod.
    #[arg(long, default_value_t = 15)]
    pre_stop_seconds: u32,
    /// Custom domains, comma-separated: one Ingress rule each [default with --app: the app's
    /// custom domains].
    #[arg(long, value_delimiter = ',')]
    domains: Vec<String>,
    /// ACM certificate ARN for the ALB's HTTPS listener.
    #[arg(long, value_name = "ARN")]
    certificate_arn: Option<String>,
    /// Config vars as a JSON object of name -> value, a file or inline (`heroku config --json
    /// -a APP`) [default with --app: the app's config vars].
    #[arg(long, value_name = "FILE")]
    config_vars: Option<PathBuf>,
    /// Write the Secret with the config vars' values (otherwise no Secret is written: the
    /// warning names the keys it must hold, and -o DIR adds config.env.example).
    #[arg(long)]
    include_values: bool,
    /// Size from truncated or corrupt logs anyway (see `dynoshift size --help`).
    #[arg(long)]
    allow_damaged_input: bool,
    /// Write a kustomize directory (one file per kind and a kustomization.yaml) instead of
    /// printing one YAML stream.
    #[arg(short = 'o', long = "out-dir", value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

/// What the app itself says, from the Platform API or the files given.
struct AppFacts {
    formation: Formation,
    domains: Vec<String>,
    config_vars: ConfigVars,
    addon_config_vars: Vec<String>,
}

fn facts(args: &ManifestsArgs) -> Result<AppFacts, Error> {
    let config_vars = |path: &PathBuf| -> Result<ConfigVars, Error> {
        serde_json::from_str(&json_arg(path)?).map_err(|e| {
            // only the position: serde's message could quote a value, and values are secrets
            Error::invalid_input(format!(
                "--config-vars is not a JSON object of name -> string value (at line {}, \
                 column {}); write it with `heroku config --json -a APP`",
                e.line(),
                e.column()
            ))
        })
    };
    let Some(app) = &args.app else {
        let formation = args.formation.as_ref().expect("clap: --formation or --app");
        return Ok(AppFacts {
            formation: Formation::from_json(&json_arg(formation)?)?,
            domains: args.domains.clone(),
            config_vars: args
                .config_vars
                .as_ref()
                .map(config_vars)
                .transpose()?
                .unwrap_or_default(),
            addon_config_vars: Vec::new(),
        });
    };
    let client = args.api.client()?;
    let (formation, domains, vars, addon_vars) = block_on(async {
        let formation = client.formation(app).await?;
        let domains = client.domains(app).await?;
        let vars = match &args.config_vars {
            Some(_) => None,
            None => Some(client.config_vars(app).await?),
        };
        let addon_vars = client.addon_config_vars(app).await?;
        Ok((formation, domains, vars, addon_vars))
    })?;
    let domains = if args.domains.is_empty() {
        domains
            .into_iter()
            .filter(|d| d.kind.as_str() == "custom")
            .map(|d| d.hostname)
            .collect()
    } else {
        args.domains.clone()
    };
    let config_vars = match (vars, &args.config_vars) {
        (Some(vars), _) => vars,
        (None, Some(path)) => config_vars(path)?,
        (None, None) => ConfigVars::default(),
    };
    Ok(AppFacts {
        formation,
        domains,
        config_vars,
        addon_config_vars: addon_vars,
    })
}

fn object_name(args: &ManifestsArgs) -> String {
    if let Some(name) = &args.name {
        return name.clone();
    }
    args.app
        .as_ref()
        .filter(|a| {
            a.len() <= 40
                && a.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !a.starts_with('-')
                && !a.ends_with('-')
        })
        .cloned()
        .unwrap_or_else(|| "app".to_owned())
}

/// Runs `dynoshift manifests`.
pub fn run(args: ManifestsArgs) -> Result<(), Error> {
    let facts = facts(&args)?;
    let policy = policy(&args.policy, &args.strategy)?;
    let profiles = ingest_paths(&args.logs)?;
    let report = sizing::recommend(&facts.formation, &profiles, &policy)?;
    check_damaged_input(&report, args.allow_damaged_input)?;
    let options = ManifestOptions {
        image: args.image.clone(),
        namespace: args.namespace.clone(),
        app: object_name(&args),
        port: args.port,
        health_path: args.health_path.clone(),
        liveness_probe: args.liveness_probe,
        pre_stop_seconds: args.pre_stop_seconds,
        domains: facts.domains,
        certificate_arn: args.certificate_arn.clone(),
        config_vars: facts.config_vars,
        addon_config_vars: facts.addon_config_vars,
        include_values: args.include_values,
    };
    let set = manifests::build_set(&report, &options)?;
    // the damaged-input warnings were said above already
    let damaged = report.input_warnings();
    for w in set.warnings.iter().filter(|w| !damaged.contains(w)) {
        eout!("dynoshift: warning: {w}");
    }
    match &args.out_dir {
        None => crate::output::emit(&set.to_yaml()?),
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::invalid_input(format!("cannot create {}: {e}", dir.display()))
            })?;
            let files = set.files()?;
            for (name, text) in &files {
                let path = dir.join(name);
                std::fs::write(&path, text).map_err(|e| {
                    Error::invalid_input(format!("cannot write {}: {e}", path.display()))
                })?;
            }
            out!(
                "wrote {} objects in {} files to {} (kubectl apply -k {})",
                set.objects.len(),
                files.len(),
                dir.display(),
                dir.display()
            );
        }
    }
    Ok(())
}
