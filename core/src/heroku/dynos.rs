//! The Heroku dyno catalog: every size Heroku sells (and the legacy names still found in old
//! formations), with memory, CPU, the R15 hard-kill factor and the list price.
//!
//! The data lives in `core/data/heroku-dynos.json` with its sources; it is parsed once.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How many hours Heroku counts in a month when it turns a monthly price into an hourly one.
pub const HOURS_PER_MONTH: f64 = 720.0;

/// Which dyno generation a size belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Generation {
    /// The classic Cedar stack (Eco ... Performance-2XL, Private, Shield).
    Cedar,
    /// The Fir generation, sized `dyno-<N>c-<M>gb`.
    Fir,
}

/// The CPU a dyno gets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cpu {
    /// A share of a host's CPU (Eco/Basic/Standard). `1` for 1X sizes, `2` for 2X. A fair
    /// Kubernetes CPU request for such a dyno is a fraction of a core, not a whole vCPU.
    Shared(u32),
    /// Dedicated vCPUs (Performance, Private, Shield, Fir).
    Dedicated(f64),
}

/// How a size is priced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pricing {
    /// A list price per dyno per month.
    PerDyno(f64),
    /// Eco: one account-wide pool of dyno hours for a fixed price (Eco dynos sleep when idle).
    Pool {
        /// Price of one pool.
        usd: f64,
        /// Dyno hours one pool holds.
        dyno_hours: f64,
    },
    /// No list price (Private/Shield Spaces, Fir): the price comes from the customer's contract
    /// and must be given as an override.
    Contract,
}

/// One dyno size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DynoSize {
    /// Canonical name, e.g. `Standard-2X`.
    pub name: String,
    /// Cedar or Fir.
    pub generation: Generation,
    /// Memory quota in MiB (Heroku writes "MB").
    pub memory_mb: f64,
    /// CPU share or dedicated vCPUs.
    pub cpu: Cpu,
    /// The process is killed (R15) above `r15_factor × memory_mb`; `None` where Heroku does not
    /// publish it.
    pub r15_factor: Option<f64>,
    /// How this size is priced.
    pub pricing: Pricing,
    /// Anything a user should know about this entry (assumptions, legacy names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Deserialize)]
struct CatalogFile {
    sizes: Vec<DynoSize>,
    legacy: std::collections::BTreeMap<String, LegacyName>,
}

#[derive(Deserialize)]
struct LegacyName {
    size: String,
    note: String,
}

static CATALOG: LazyLock<CatalogFile> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../data/heroku-dynos.json"))
        .expect("core/data/heroku-dynos.json is valid (checked by the catalog tests)")
});

impl DynoSize {
    /// `shared` or `dedicated` (the bindings' `cpu_kind`).
    pub fn cpu_kind(&self) -> &'static str {
        match self.cpu {
            Cpu::Shared(_) => "shared",
            Cpu::Dedicated(_) => "dedicated",
        }
    }

    /// The shared multiplier (1, 2) or the dedicated vCPUs, as one number (the bindings' `cpu`).
    pub fn cpu_count(&self) -> f64 {
        match self.cpu {
            Cpu::Shared(n) => f64::from(n),
            Cpu::Dedicated(v) => v,
        }
    }

    /// The list price per dyno per month; `None` for pool (Eco) or contract pricing.
    pub fn list_monthly_usd(&self) -> Option<f64> {
        match self.pricing {
            Pricing::PerDyno(usd) => Some(usd),
            _ => None,
        }
    }

    /// Looks a size up by name, case-insensitively: a current size (`standard-2x`,
    /// `Private-L-RAM`), a legacy name (`2X`, `Hobby`, `PX`, and the names retired in May 2026,
    /// `Private-Memory-L/XL/2XL` and `Shield-Memory-*`; the result carries a note saying what it
    /// became) or a Fir name (`dyno-2c-4gb`). An unknown name is `invalid_input` with the list
    /// of known names; where the Platform API is at hand, [`crate::HerokuClient::formation`]
    /// then asks Heroku's live list.
    pub fn lookup(name: &str) -> Result<DynoSize> {
        let wanted = name.trim();
        if wanted.is_empty() {
            return Err(Error::invalid_input(format!(
                "the dyno size is empty; use one of: {}",
                known_names()
            )));
        }
        if let Some(size) = find_current(wanted) {
            return Ok(size.clone());
        }
        if let Some((_, legacy)) = CATALOG
            .legacy
            .iter()
            .find(|(old, _)| old.eq_ignore_ascii_case(wanted))
        {
            let mut size = find_current(&legacy.size)
                .expect("every legacy name points at a catalog size (checked by tests)")
                .clone();
            size.note = Some(legacy.note.clone());
            return Ok(size);
        }
        if let Some(size) = parse_fir(wanted)? {
            return Ok(size);
        }
        Err(Error::invalid_input(format!(
            "unknown dyno size {wanted:?}; known sizes are {} (legacy names {} and Fir sizes \
             named like dyno-2c-4gb are accepted too)",
            known_names(),
            CATALOG
                .legacy
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }

    /// Every current size in the built-in catalog, smallest first.
    pub fn all() -> Vec<DynoSize> {
        CATALOG.sizes.clone()
    }

    /// The memory above which Heroku kills the dyno (R15), in MiB, if known.
    pub fn hard_limit_mb(&self) -> Option<f64> {
        self.r15_factor.map(|f| f * self.memory_mb)
    }
}

fn find_current(name: &str) -> Option<&'static DynoSize> {
    CATALOG
        .sizes
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
}

fn known_names() -> String {
    CATALOG
        .sizes
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses `dyno-<N>c-<M>gb` (Fir). Returns `Ok(None)` when the name is not of that shape at all,
/// and an error when it is but the numbers are unusable.
fn parse_fir(name: &str) -> Result<Option<DynoSize>> {
    let lower = name.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("dyno-") else {
        return Ok(None);
    };
    let Some((cpu, mem)) = rest.split_once("c-") else {
        return Ok(None);
    };
    let Some(mem) = mem.strip_suffix("gb") else {
        return Ok(None);
    };
    let parse = |text: &str, what: &str| -> Result<f64> {
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 && v <= 4096.0 => Ok(v),
            _ => Err(Error::invalid_input(format!(
                "Fir dyno size {name:?} has an unusable {what} {text:?}; Fir sizes look like \
                 dyno-2c-4gb (vCPUs, then memory in GB)"
            ))),
        }
    };
    let vcpu = parse(cpu, "vCPU count")?;
    let memory_gb = parse(mem, "memory")?;
    Ok(Some(DynoSize {
        name: format!("dyno-{cpu}c-{mem}gb"),
        generation: Generation::Fir,
        memory_mb: memory_gb * 1024.0,
        cpu: Cpu::Dedicated(vcpu),
        r15_factor: None,
        pricing: Pricing::Contract,
        note: Some("Fir size: vCPU and memory read from the name; no list price is known".into()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn derived_cpu_and_price_follow_the_catalog() {
        let std2x = DynoSize::lookup("standard-2x").unwrap();
        assert_eq!((std2x.cpu_kind(), std2x.cpu_count()), ("shared", 2.0));
        assert_eq!(std2x.cpu_kind(), crate::units::wire_name(&std2x.cpu));
        assert_eq!(std2x.list_monthly_usd(), Some(50.0));
        let fir = DynoSize::lookup("dyno-2c-4gb").unwrap();
        assert_eq!((fir.cpu_kind(), fir.cpu_count()), ("dedicated", 2.0));
        assert_eq!(fir.list_monthly_usd(), None);
        let eco = DynoSize::lookup("eco").unwrap();
        assert_eq!(eco.list_monthly_usd(), None);
    }

    #[test]
    fn catalog_loads_and_every_legacy_name_resolves() {
        assert!(DynoSize::all().len() >= 21);
        for old in CATALOG.legacy.keys() {
            let size = DynoSize::lookup(old).unwrap();
            assert!(size.note.is_some(), "{old} should explain what it became");
        }
    }

    #[test]
    fn lookup_is_case_insensitive_and_trims() {
        let a = DynoSize::lookup(" standard-2x ").unwrap();
        assert_eq!(a.name, "Standard-2X");
        assert_eq!(a.memory_mb, 1024.0);
        assert_eq!(a.cpu, Cpu::Shared(2));
        assert_eq!(a.hard_limit_mb(), Some(2048.0));
    }

    #[test]
    fn the_2026_names_are_current_and_the_memory_names_are_aliases() {
        for (old, new, memory_mb, vcpu) in [
            ("Private-Memory-L", "Private-L-RAM", 30720.0, 4.0),
            ("private-memory-xl", "Private-XL", 63488.0, 8.0),
            ("Private-Memory-2XL", "Private-2XL", 129024.0, 16.0),
            ("Shield-Memory-L", "Shield-L-RAM", 30720.0, 4.0),
            ("SHIELD-MEMORY-XL", "Shield-XL", 63488.0, 8.0),
            ("Shield-Memory-2XL", "Shield-2XL", 129024.0, 16.0),
        ] {
            let current = DynoSize::lookup(new).unwrap();
            assert_eq!(current.name, new);
            assert_eq!(current.note, None, "{new} is a current name");
            assert_eq!(
                (current.memory_mb, current.cpu),
                (memory_mb, Cpu::Dedicated(vcpu))
            );
            let alias = DynoSize::lookup(old).unwrap();
            assert_eq!(alias.name, new, "{old}");
            assert!(alias.note.as_deref().unwrap().contains("renamed"), "{old}");
        }
        assert!(DynoSize::all().iter().all(|s| !s.name.contains("-Memory-")));
    }

    #[test]
    fn fir_names_are_parsed() {
        let s = DynoSize::lookup("Dyno-2c-4GB").unwrap();
        assert_eq!(s.generation, Generation::Fir);
        assert_eq!(s.memory_mb, 4096.0);
        assert_eq!(s.cpu, Cpu::Dedicated(2.0));
        assert_eq!(s.pricing, Pricing::Contract);
        let half = DynoSize::lookup("dyno-1c-0.5gb").unwrap();
        assert_eq!(half.memory_mb, 512.0);
        let bad = DynoSize::lookup("dyno-0c-4gb").unwrap_err();
        assert_eq!(bad.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn unknown_size_lists_the_known_ones() {
        let err = DynoSize::lookup("standard-3x").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.message().contains("Performance-M"), "{err}");
        assert!(err.message().contains("standard-3x"), "{err}");
    }
}
