//! `dynoshift heroku ...`: read an app's formation and the dyno sizes from the Heroku Platform
//! API, and the `--app` form of `dynoshift cost`. The token comes from `HEROKU_API_KEY` only (a
//! command-line flag would show it in `ps` and shell history).
//!
//! The library owns no runtime; this front end starts one per command.

use std::future::Future;
use std::time::Duration;

use crate::output::out;
use clap::{Args, Subcommand};
use dynoshift::{ApiDynoSize, Error, Formation, HerokuApiOptions, HerokuClient};

#[derive(Subcommand)]
pub enum HerokuCommand {
    /// An app's formation (process types, dyno sizes, quantities) from the Platform API.
    ///
    /// Example: HEROKU_API_KEY=$(heroku auth:token) dynoshift heroku formation --app my-app
    Formation {
        /// The Heroku app's name or id.
        #[arg(long)]
        app: String,
        #[command(flatten)]
        api: ApiArgs,
        /// Print the normalised formation as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The dyno sizes Heroku offers this account, with memory, compute and list price.
    ///
    /// Example: HEROKU_API_KEY=$(heroku auth:token) dynoshift heroku dyno-sizes --json
    DynoSizes {
        #[command(flatten)]
        api: ApiArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// How to reach the Platform API (the token is read from HEROKU_API_KEY).
#[derive(Args, Debug, Clone)]
pub struct ApiArgs {
    /// Platform API base URL [default: https://api.heroku.com].
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Give up on a request after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub api_timeout: u64,
}

impl ApiArgs {
    fn client(&self) -> Result<HerokuClient, Error> {
        HerokuClient::new(HerokuApiOptions {
            token: None,
            base_url: self.api_url.clone(),
            timeout: Some(Duration::from_secs(self.api_timeout)),
            danger_accept_invalid_certs: false,
        })
    }
}

pub(crate) fn block_on<T>(future: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("cannot start the async runtime: {e}")))?
        .block_on(future)
}

/// Fetches an app's formation (for `dynoshift cost --app`).
pub fn fetch_formation(app: &str, api: &ApiArgs) -> Result<Formation, Error> {
    let client = api.client()?;
    block_on(client.formation(app))
}

pub fn run(command: HerokuCommand) -> Result<(), Error> {
    match command {
        HerokuCommand::Formation { app, api, json } => {
            let formation = fetch_formation(&app, &api)?;
            if json {
                out!("{}", formation.to_json());
            } else {
                print_formation(&formation);
            }
        }
        HerokuCommand::DynoSizes { api, json } => {
            let client = api.client()?;
            let sizes = block_on(client.dyno_sizes())?;
            if json {
                let text = serde_json::to_string(&sizes)
                    .map_err(|e| Error::internal(format!("cannot serialise dyno sizes: {e}")))?;
                out!("{text}");
            } else {
                print_sizes(&sizes);
            }
        }
    }
    Ok(())
}

fn print_formation(formation: &Formation) {
    out!(
        "{:<12} {:<18} {:>5}  command",
        "process",
        "dyno size",
        "qty"
    );
    for p in &formation.processes {
        let size = if p.requested_size.eq_ignore_ascii_case(&p.size.name) {
            p.size.name.clone()
        } else {
            format!("{} ({})", p.size.name, p.requested_size)
        };
        out!(
            "{:<12} {:<18} {:>5}  {}",
            p.process_type,
            size,
            p.quantity,
            p.command.as_deref().unwrap_or("")
        );
    }
}

fn print_sizes(sizes: &[ApiDynoSize]) {
    out!(
        "{:<20} {:>9} {:>8} {:>10} {:>14}  generation",
        "name",
        "memory GB",
        "compute",
        "dedicated",
        "$/month"
    );
    for s in sizes {
        let cost = match &s.cost {
            Some(c) => match c.monthly_usd() {
                Some(usd) => format!("{usd:.2}"),
                None => format!("{:.2}/{}", c.cents as f64 / 100.0, c.unit),
            },
            None => "contract".to_owned(),
        };
        out!(
            "{:<20} {:>9} {:>8} {:>10} {:>14}  {}",
            s.name,
            s.memory_gb,
            s.compute,
            if s.dedicated { "yes" } else { "no" },
            cost,
            s.generation.as_deref().unwrap_or("")
        );
    }
}
