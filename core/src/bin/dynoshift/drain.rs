//! `dynoshift drain serve`: the log-drain receiver; and `--profiles FILE|URL` for `size` and
//! `plan` (profiles saved by `ingest --json` or served by the receiver).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use dynoshift::drain::{self, DrainServer};
use dynoshift::{Error, Profiles};

use crate::output::out;

#[derive(Subcommand, Debug)]
pub enum DrainCommand {
    /// Receive a Heroku log drain and size as it listens.
    ///
    /// Point Heroku at it: heroku drains:add https://user:password@HOST/drain -a APP (or
    /// /drain/NAME to key the app by NAME rather than by its Logplex-Drain-Token). Each batch
    /// is answered 2xx once it is durable in --state; a restart (even after kill -9) loses no
    /// acknowledged batch and counts none twice. Serves GET /profiles[/APP] (the JSON of
    /// `dynoshift ingest --json`), GET /metrics (Prometheus) and GET /healthz. Runs until
    /// stopped; SIGTERM and SIGKILL are both safe.
    ///
    /// Fir apps: POST /v1/metrics (or /otlp/NAME/v1/metrics) takes OTLP/HTTP metrics
    /// (protobuf or JSON, gzip or not): heroku telemetry:add https://HOST --signals metrics
    /// --transport http -a APP. Memory, CPU and request metrics are mapped onto the same
    /// profiles by the OpenTelemetry semantic conventions' names, or by --otlp-map.
    ///
    /// Example: dynoshift drain serve --listen 0.0.0.0:8443 --state /var/lib/dynoshift --auth-file /etc/dynoshift/drain.auth --tls-cert cert.pem --tls-key key.pem
    Serve(ServeArgs),
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port; the address is printed).
    #[arg(long)]
    listen: String,
    /// State directory: batch log and checkpoint (created if missing). Keep it on a local disk.
    #[arg(long)]
    state: PathBuf,
    /// Basic-auth credentials user:password (visible in the process list: prefer --auth-file).
    #[arg(long, conflicts_with = "auth_file")]
    auth: Option<String>,
    /// A file holding user:password on its first line.
    #[arg(long)]
    auth_file: Option<PathBuf>,
    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Largest batch body accepted, in bytes (larger: 413).
    #[arg(long, default_value_t = drain::DEFAULT_MAX_BODY as u64)]
    max_body: u64,
    /// Batches between checkpoints of the state (the batch log holds those in between).
    #[arg(long, default_value_t = drain::DEFAULT_CHECKPOINT_EVERY)]
    checkpoint_every: u64,
    /// A JSON file mapping OTLP metric names to the profile's series, e.g. {"metrics":
    /// [{"name": "app.memory", "series": "memory", "unit": "By"}], "dyno_attributes":
    /// ["host.name"]}; its rules come before the defaults ("replace_defaults": true drops
    /// them). Series: memory, cpu, requests.
    #[arg(long)]
    otlp_map: Option<PathBuf>,
}

pub fn run(cmd: DrainCommand) -> Result<(), Error> {
    let DrainCommand::Serve(args) = cmd;
    let auth = match (args.auth, &args.auth_file) {
        (Some(a), _) => Some(a),
        (None, Some(f)) => {
            let text = std::fs::read_to_string(f).map_err(|e| dynoshift::files::io_error(&e, f))?;
            Some(text.lines().next().unwrap_or("").to_owned())
        }
        (None, None) => None,
    };
    let mut options = drain::options_from_args(
        &args.listen,
        args.state,
        auth.as_deref(),
        args.tls_cert,
        args.tls_key,
        Some(args.max_body),
        Some(args.checkpoint_every),
    )?;
    if let Some(path) = &args.otlp_map {
        options.otlp_map =
            std::sync::Arc::new(dynoshift::telemetry::otlp::MetricMap::from_file(path)?);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let server = DrainServer::start(options).await?;
        out!("dynoshift drain: listening on {}", server.url());
        // Runs until the process is stopped: every acknowledged batch is already durable.
        std::future::pending::<()>().await;
        Ok(())
    })
}

/// Profiles saved by `dynoshift ingest --json` (a file, or inline JSON) or served by a
/// receiver (`http(s)://[user:password@]host/profiles/APP`).
pub fn load_profiles(arg: &str) -> Result<Profiles, Error> {
    if arg.starts_with("http://") || arg.starts_with("https://") {
        return crate::heroku::block_on(drain::fetch_profiles(arg));
    }
    let path = PathBuf::from(arg);
    drain::profiles_from_json(&dynoshift::files::read_json_arg(&path)?)
}
