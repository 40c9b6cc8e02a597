//! `dynoshift catalog`: show the EC2 catalog a plan would use, or import AWS's offer file into a
//! compact catalog for another region or fresher prices.

use std::path::PathBuf;

use crate::output::{eout, outln};
use clap::Subcommand;
use dynoshift::Error;
use dynoshift::nodes::{Catalog, CatalogFilter, import_offer_file};

#[derive(Subcommand)]
pub enum CatalogCommand {
    /// List the built-in catalog's instance types (default filter: burstable types left out).
    ///
    /// Example: dynoshift catalog list --region us-east-1 --all
    List {
        /// Region of the built-in catalog.
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// Include burstable types (t3/t3a).
        #[arg(long)]
        all: bool,
        /// Print JSON (the shape `--catalog` of `dynoshift plan` reads).
        #[arg(long)]
        json: bool,
    },
    /// Stream AWS's EC2 offer file (hundreds of MB of JSON) into a compact catalog JSON, with
    /// bounded memory. Download it from
    /// https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/<region>/index.json
    ///
    /// Example: dynoshift catalog import --offer-file index.json --region eu-west-1 --out eu.json
    Import {
        /// The offer file (index.json).
        #[arg(long)]
        offer_file: PathBuf,
        /// Region to keep.
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// Where to write the catalog JSON (stdout if absent).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn io_error(path: &std::path::Path, e: std::io::Error) -> Error {
    let kind = dynoshift::files::io_error(&e, path).kind();
    Error::new(kind, format!("cannot use {}: {e}", path.display()))
}

pub fn run(cmd: CatalogCommand) -> Result<(), Error> {
    let mut o = String::new();
    match cmd {
        CatalogCommand::List { region, all, json } => {
            let catalog = Catalog::builtin(&region)?;
            let filter = CatalogFilter {
                exclude_burstable: !all,
                ..CatalogFilter::default()
            };
            let types = catalog.filtered(&filter)?;
            if json {
                let c = Catalog::new(&catalog.region, &catalog.source, types)?;
                outln!(o, "{}", c.to_json());
            } else {
                outln!(o, "{} ({})", catalog.region, catalog.source);
                outln!(
                    o,
                    "{:<14} {:<7} {:>5} {:>9} {:>9} {:>9}",
                    "type",
                    "arch",
                    "vCPU",
                    "GiB",
                    "max pods",
                    "$/hour"
                );
                for t in types {
                    outln!(
                        o,
                        "{:<14} {:<7} {:>5} {:>9} {:>9} {:>9.4}{}",
                        t.name,
                        t.arch.as_str(),
                        t.vcpu,
                        t.memory_gib(),
                        t.eni_max_pods,
                        t.usd_per_hour,
                        if t.burstable { "  burstable" } else { "" }
                    );
                }
            }
        }
        CatalogCommand::Import {
            offer_file,
            region,
            out,
        } => {
            let file = std::fs::File::open(&offer_file).map_err(|e| io_error(&offer_file, e))?;
            let base = Catalog::builtin(dynoshift::nodes::catalog::BUILTIN_REGION)?;
            let report = import_offer_file(file, &region, &base)?;
            let json = report.catalog.to_json();
            match out {
                Some(path) => {
                    std::fs::write(&path, json).map_err(|e| io_error(&path, e))?;
                    eout!(
                        "wrote {} types to {} ({} products read, {} matched)",
                        report.catalog.types.len(),
                        path.display(),
                        report.products_seen,
                        report.products_matched
                    );
                }
                None => outln!(o, "{json}"),
            }
            if !report.missing_eni_limits.is_empty() {
                eout!(
                    "left out (no ENI limits known, add them to a catalog by hand): {}",
                    report.missing_eni_limits.join(", ")
                );
            }
            for reason in &report.invalid {
                eout!("left out (refused): {reason}");
            }
            if !report.missing_price.is_empty() {
                eout!(
                    "left out (no on-demand hourly price): {}",
                    report.missing_price.join(", ")
                );
            }
        }
    }
    crate::output::emit(&o);
    Ok(())
}
