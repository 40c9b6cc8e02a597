//! The EC2 instance-type catalog: what each type offers (vCPU, memory, ENI limits) and what it
//! costs per hour in one region, plus the filters a plan applies to it.
//!
//! The crate ships `core/data/ec2-us-east-1.csv` (94 common types, Karpenter's price table of
//! 2026-07-20; see `core/data/ec2-us-east-1.csv.md`). Other regions or fresher prices come from a
//! user catalog ([`Catalog::from_csv`], [`Catalog::from_json`]) or from AWS's offer file through
//! [`crate::nodes::import_offer_file`].

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// The region of the built-in catalog.
pub const BUILTIN_REGION: &str = "us-east-1";

const BUILTIN_CSV: &str = include_str!("../../data/ec2-us-east-1.csv");

/// Where the built-in catalog's numbers come from.
pub const BUILTIN_SOURCE: &str = "Karpenter generated tables (instance types, VPC limits, \
     us-east-1 Linux on-demand prices of 2026-07-20), shipped as core/data/ec2-us-east-1.csv";

/// CPU architecture of an instance type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Arch {
    /// Intel and AMD.
    #[serde(rename = "x86_64", alias = "amd64")]
    X86_64,
    /// AWS Graviton.
    #[serde(rename = "arm64", alias = "aarch64")]
    Arm64,
}

impl Arch {
    /// `x86_64` or `arm64`, as in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The Kubernetes `kubernetes.io/arch` label value (`amd64` or `arm64`).
    pub fn kubernetes_label(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }

    /// Parses `x86_64`/`amd64` or `arm64`/`aarch64`.
    pub fn parse(text: &str) -> Result<Arch> {
        match text.trim().to_ascii_lowercase().as_str() {
            "x86_64" | "amd64" | "x86-64" => Ok(Arch::X86_64),
            "arm64" | "aarch64" => Ok(Arch::Arm64),
            other => Err(Error::invalid_input(format!(
                "unknown architecture {other:?}; use x86_64 (alias amd64) or arm64"
            ))),
        }
    }
}

/// One EC2 instance type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceType {
    /// API name, e.g. `m7i.large`.
    pub name: String,
    /// Family, the part before the dot (`m7i`).
    #[serde(default)]
    pub family: String,
    /// CPU architecture.
    pub arch: Arch,
    /// vCPUs.
    pub vcpu: u32,
    /// Memory in MiB (the catalog's GiB × 1024).
    pub memory_mib: u64,
    /// Maximum network interfaces.
    pub max_enis: u32,
    /// IPv4 addresses per network interface.
    pub ipv4_per_eni: u32,
    /// Max pods with the VPC CNI without prefix delegation: ENIs × (IPv4 per ENI − 1) + 2.
    #[serde(default)]
    pub eni_max_pods: u32,
    /// On-demand Linux price, USD per hour.
    pub usd_per_hour: f64,
    /// Burstable (t2/t3/t3a/t4g): CPU credits, not for sustained CPU.
    #[serde(default)]
    pub burstable: bool,
}

impl InstanceType {
    /// Builds a type, deriving family, ENI max pods and the burstable flag from the name and
    /// ENI limits; checks every number.
    pub fn new(
        name: &str,
        arch: Arch,
        vcpu: u32,
        memory_mib: u64,
        max_enis: u32,
        ipv4_per_eni: u32,
        usd_per_hour: f64,
    ) -> Result<InstanceType> {
        let mut t = InstanceType {
            name: name.trim().to_owned(),
            family: String::new(),
            arch,
            vcpu,
            memory_mib,
            max_enis,
            ipv4_per_eni,
            eni_max_pods: 0,
            usd_per_hour,
            burstable: false,
        };
        t.normalise()?;
        Ok(t)
    }

    /// Fills derived fields (family, eni_max_pods when 0, burstable from the family) and
    /// validates the numbers.
    fn normalise(&mut self) -> Result<()> {
        let name = self.name.trim().to_owned();
        let Some((family, size)) = name.split_once('.') else {
            return Err(Error::invalid_input(format!(
                "instance type {name:?} is not of the form family.size (e.g. m7i.large)"
            )));
        };
        if family.is_empty() || size.is_empty() {
            return Err(Error::invalid_input(format!(
                "instance type {name:?} is not of the form family.size (e.g. m7i.large)"
            )));
        }
        if self.family.is_empty() {
            self.family = family.to_owned();
        }
        if !self.burstable {
            self.burstable = is_burstable_family(family);
        }
        if self.vcpu == 0 || self.memory_mib == 0 {
            return Err(Error::invalid_input(format!(
                "{name}: vCPU and memory must be more than 0"
            )));
        }
        if self.max_enis == 0 || self.ipv4_per_eni < 2 {
            return Err(Error::invalid_input(format!(
                "{name}: needs at least 1 ENI with 2 or more IPv4 addresses (got {} ENIs × {})",
                self.max_enis, self.ipv4_per_eni
            )));
        }
        if self.eni_max_pods == 0 {
            self.eni_max_pods =
                crate::nodes::allocatable::eni_max_pods(self.max_enis, self.ipv4_per_eni);
        }
        if !self.usd_per_hour.is_finite() || self.usd_per_hour <= 0.0 {
            return Err(Error::invalid_input(format!(
                "{name}: the price must be a positive number of USD per hour, got {}",
                self.usd_per_hour
            )));
        }
        self.name = name;
        Ok(())
    }

    /// The size part of the name (`large`, `2xlarge`).
    pub fn size(&self) -> &str {
        self.name.split_once('.').map(|(_, s)| s).unwrap_or("")
    }

    /// Memory in GiB.
    pub fn memory_gib(&self) -> f64 {
        self.memory_mib as f64 / 1024.0
    }
}

fn is_burstable_family(family: &str) -> bool {
    let f = family.to_ascii_lowercase();
    f.starts_with("t2") || f.starts_with("t3") || f.starts_with("t4")
}

/// A region's instance types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// Region key, e.g. `us-east-1`.
    pub region: String,
    /// Where the numbers come from (and when).
    pub source: String,
    /// The types, cheapest first.
    pub types: Vec<InstanceType>,
}

static BUILTIN: LazyLock<Catalog> = LazyLock::new(|| {
    Catalog::from_csv(BUILTIN_REGION, BUILTIN_SOURCE, BUILTIN_CSV)
        .expect("the shipped EC2 catalog parses")
});

impl Catalog {
    /// The catalog shipped with the crate for `region`. Only `us-east-1` ships; other regions
    /// are `not_found` and need a user catalog or an imported offer file.
    pub fn builtin(region: &str) -> Result<Catalog> {
        if region.trim().eq_ignore_ascii_case(BUILTIN_REGION) {
            Ok(BUILTIN.clone())
        } else {
            Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "no EC2 catalog ships for region {region:?} (only {BUILTIN_REGION}); import \
                     AWS's offer file for that region or pass a catalog as JSON or CSV"
                ),
            ))
        }
    }

    /// Builds a catalog from types, validating each and sorting cheapest first. Duplicate names
    /// are `invalid_input`.
    pub fn new(region: &str, source: &str, types: Vec<InstanceType>) -> Result<Catalog> {
        let mut out = Vec::with_capacity(types.len());
        for (i, mut t) in types.into_iter().enumerate() {
            t.normalise().map_err(|e| e.at(format!("types[{i}]")))?;
            out.push(t);
        }
        out.sort_by(|a, b| {
            a.usd_per_hour
                .total_cmp(&b.usd_per_hour)
                .then_with(|| a.name.cmp(&b.name))
        });
        for w in out.windows(2) {
            if w[0].name == w[1].name {
                return Err(Error::invalid_input(format!(
                    "instance type {} appears twice in the catalog; keep one row per type",
                    w[0].name
                )));
            }
        }
        if out.is_empty() {
            return Err(Error::invalid_input(
                "the catalog has no instance types; give at least one",
            ));
        }
        Ok(Catalog {
            region: region.trim().to_owned(),
            source: source.to_owned(),
            types: out,
        })
    }

    /// Parses the CSV shape of the shipped file: a header naming at least `instance_type, arch,
    /// vcpu, memory_gib, max_enis, ipv4_per_eni, on_demand_usd_per_hour` (any order; optional
    /// `eni_max_pods`). Lines starting with `#` are comments.
    pub fn from_csv(region: &str, source: &str, text: &str) -> Result<Catalog> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        let Some((_, header)) = lines.next() else {
            return Err(Error::invalid_input("the catalog CSV is empty"));
        };
        let cols: Vec<String> = header
            .split(',')
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        let col = |name: &str| -> Result<usize> {
            cols.iter().position(|c| c == name).ok_or_else(|| {
                Error::invalid_input(format!(
                    "the catalog CSV has no {name:?} column; the header must name instance_type, \
                     arch, vcpu, memory_gib, max_enis, ipv4_per_eni, on_demand_usd_per_hour"
                ))
            })
        };
        let (c_name, c_arch, c_vcpu, c_mem, c_enis, c_ipv4, c_price) = (
            col("instance_type")?,
            col("arch")?,
            col("vcpu")?,
            col("memory_gib")?,
            col("max_enis")?,
            col("ipv4_per_eni")?,
            col("on_demand_usd_per_hour")?,
        );
        let c_pods = cols.iter().position(|c| c == "eni_max_pods");
        let mut types = Vec::new();
        for (n, line) in lines {
            let at = format!("line {}", n + 1);
            let cells: Vec<&str> = line.split(',').map(str::trim).collect();
            let cell = |i: usize| -> Result<&str> {
                cells.get(i).copied().ok_or_else(|| {
                    Error::invalid_input(format!(
                        "has {} cells, fewer than the header",
                        cells.len()
                    ))
                    .at(&at)
                })
            };
            let num = |i: usize, what: &str| -> Result<f64> {
                let raw = cell(i)?;
                raw.parse::<f64>().map_err(|_| {
                    Error::invalid_input(format!("{what} must be a number, got {raw:?}")).at(&at)
                })
            };
            let name = cell(c_name)?;
            let arch = Arch::parse(cell(c_arch)?).map_err(|e| e.at(&at))?;
            let vcpu = num(c_vcpu, "vcpu")?;
            let mem_gib = num(c_mem, "memory_gib")?;
            let enis = num(c_enis, "max_enis")?;
            let ipv4 = num(c_ipv4, "ipv4_per_eni")?;
            let price = num(c_price, "on_demand_usd_per_hour")?;
            for (v, what) in [(vcpu, "vcpu"), (enis, "max_enis"), (ipv4, "ipv4_per_eni")] {
                if v < 0.0 || v.fract() != 0.0 || v > f64::from(u32::MAX) {
                    return Err(Error::invalid_input(format!(
                        "{what} must be a whole number, got {v}"
                    ))
                    .at(&at));
                }
            }
            if !(mem_gib.is_finite() && mem_gib > 0.0) {
                return Err(Error::invalid_input("memory_gib must be more than 0").at(&at));
            }
            let mut t = InstanceType::new(
                name,
                arch,
                vcpu as u32,
                (mem_gib * 1024.0).round() as u64,
                enis as u32,
                ipv4 as u32,
                price,
            )
            .map_err(|e| e.at(&at))?;
            if let Some(i) = c_pods {
                let given = num(i, "eni_max_pods")?;
                if given as u32 != t.eni_max_pods {
                    return Err(Error::invalid_input(format!(
                        "eni_max_pods is {given} but ENIs × (IPv4 per ENI − 1) + 2 = {}; fix \
                         one of them",
                        t.eni_max_pods
                    ))
                    .at(&at));
                }
                t.eni_max_pods = given as u32;
            }
            types.push(t);
        }
        Catalog::new(region, source, types)
    }

    /// Parses `{"region": ..., "source": ..., "types": [InstanceType, ...]}` or a bare array of
    /// types (then `region` names the region). Memory is `memory_mib`.
    pub fn from_json(region: &str, text: &str) -> Result<Catalog> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Shape {
            Full {
                region: Option<String>,
                source: Option<String>,
                types: Vec<InstanceType>,
            },
            Bare(Vec<InstanceType>),
        }
        let shape: Shape = serde_json::from_str(text).map_err(|e| {
            Error::invalid_input(format!(
                "a catalog is JSON: an array of instance types ({{\"name\": \"m7i.large\", \
                 \"arch\": \"x86_64\", \"vcpu\": 2, \"memory_mib\": 8192, \"max_enis\": 3, \
                 \"ipv4_per_eni\": 10, \"usd_per_hour\": 0.1008}}) or {{\"region\", \"types\"}} \
                 ({e})"
            ))
        })?;
        match shape {
            Shape::Full {
                region: r,
                source,
                types,
            } => Catalog::new(
                r.as_deref().unwrap_or(region),
                source.as_deref().unwrap_or("user catalog"),
                types,
            ),
            Shape::Bare(types) => Catalog::new(region, "user catalog", types),
        }
    }

    /// JSON text of the catalog (the shape [`Catalog::from_json`] reads).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a catalog always serialises")
    }

    /// The type called `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&InstanceType> {
        self.types
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name.trim()))
    }

    /// The types `filter` allows, cheapest first. An empty result is `infeasible` and says which
    /// filter emptied it.
    pub fn filtered(&self, filter: &CatalogFilter) -> Result<Vec<InstanceType>> {
        // a name the catalog does not have is a typo, not a filter that is too narrow
        if let Some(unknown) = filter
            .types
            .iter()
            .find(|n| !self.types.iter().any(|t| t.name.eq_ignore_ascii_case(n)))
        {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "instance type {unknown:?} is not in the {} catalog; check the name (e.g. \
                     m7i.large)",
                    self.region
                ),
            )
            .at("filter.types"));
        }
        let out: Vec<InstanceType> = self
            .types
            .iter()
            .filter(|t| filter.allows(t))
            .cloned()
            .collect();
        if out.is_empty() {
            return Err(Error::new(
                ErrorKind::Infeasible,
                format!(
                    "no instance type of the {} catalog passes the filter ({}); widen it",
                    self.region,
                    filter.describe()
                ),
            ));
        }
        Ok(out)
    }
}

/// Which instance types a plan may use. The default: any architecture, every family except
/// burstable ones (t3/t3a/t4g cannot hold sustained CPU), any size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogFilter {
    /// Only this architecture (`x86_64` or `arm64`), or any.
    pub arch: Option<Arch>,
    /// Only these families (e.g. `["m7i", "c7i"]`); empty means all.
    pub families: Vec<String>,
    /// Never these families.
    pub exclude_families: Vec<String>,
    /// Leave out burstable types (default true).
    pub exclude_burstable: bool,
    /// Largest vCPU count allowed.
    pub max_vcpu: Option<u32>,
    /// Largest memory allowed, MiB.
    pub max_memory_mib: Option<u64>,
    /// Only these exact types (e.g. `["m7i.large"]`); empty means all.
    pub types: Vec<String>,
}

impl Default for CatalogFilter {
    fn default() -> Self {
        CatalogFilter {
            arch: None,
            families: Vec::new(),
            exclude_families: Vec::new(),
            exclude_burstable: true,
            max_vcpu: None,
            max_memory_mib: None,
            types: Vec::new(),
        }
    }
}

impl CatalogFilter {
    /// Whether `t` passes.
    pub fn allows(&self, t: &InstanceType) -> bool {
        let fam = |list: &[String]| list.iter().any(|f| f.eq_ignore_ascii_case(&t.family));
        self.arch.is_none_or(|a| a == t.arch)
            && (self.families.is_empty() || fam(&self.families))
            && !fam(&self.exclude_families)
            && !(self.exclude_burstable && t.burstable)
            && self.max_vcpu.is_none_or(|v| t.vcpu <= v)
            && self.max_memory_mib.is_none_or(|m| t.memory_mib <= m)
            && (self.types.is_empty() || self.types.iter().any(|n| n.eq_ignore_ascii_case(&t.name)))
    }

    /// A short human description of the active conditions.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(a) = self.arch {
            parts.push(format!("arch {}", a.as_str()));
        }
        if !self.families.is_empty() {
            parts.push(format!("families {}", self.families.join("/")));
        }
        if !self.exclude_families.is_empty() {
            parts.push(format!("not {}", self.exclude_families.join("/")));
        }
        if self.exclude_burstable {
            parts.push("no burstable".into());
        }
        if let Some(v) = self.max_vcpu {
            parts.push(format!("≤ {v} vCPU"));
        }
        if let Some(m) = self.max_memory_mib {
            parts.push(format!("≤ {m} MiB"));
        }
        if !self.types.is_empty() {
            parts.push(format!("types {}", self.types.join("/")));
        }
        if parts.is_empty() {
            "no conditions".into()
        } else {
            parts.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_has_the_reference_types() {
        let c = Catalog::builtin("us-east-1").unwrap();
        assert_eq!(c.types.len(), 94);
        let m = c.get("m7i.large").unwrap();
        assert_eq!((m.vcpu, m.memory_mib, m.eni_max_pods), (2, 8192, 29));
        assert_eq!(m.family, "m7i");
        assert!((m.usd_per_hour - 0.1008).abs() < 1e-12);
        assert!(c.get("t3.medium").unwrap().burstable);
        assert_eq!(c.get("c7g.medium").unwrap().arch, Arch::Arm64);
        assert!(
            c.types
                .windows(2)
                .all(|w| w[0].usd_per_hour <= w[1].usd_per_hour)
        );
        let err = Catalog::builtin("eu-west-1").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn filters_apply() {
        let c = Catalog::builtin("us-east-1").unwrap();
        let all = c.filtered(&CatalogFilter::default()).unwrap();
        assert!(all.iter().all(|t| !t.burstable));
        assert_eq!(all.len(), 94 - 8);
        let f = CatalogFilter {
            arch: Some(Arch::Arm64),
            families: vec!["m7g".into(), "c7g".into()],
            max_vcpu: Some(4),
            ..CatalogFilter::default()
        };
        let some = c.filtered(&f).unwrap();
        let names: Vec<&str> = some.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names.len(), 6, "{names:?}");
        assert!(some.iter().all(|t| t.vcpu <= 4 && t.arch == Arch::Arm64));
        let none = CatalogFilter {
            max_vcpu: Some(0),
            ..CatalogFilter::default()
        };
        assert_eq!(c.filtered(&none).unwrap_err().kind(), ErrorKind::Infeasible);
    }

    #[test]
    fn user_catalogs_parse_and_validate() {
        let csv = "# mine\ninstance_type,arch,vcpu,memory_gib,max_enis,ipv4_per_eni,on_demand_usd_per_hour\n\
                   x1.big,amd64,4,16,4,15,0.2\nx1.small,arm64,2,4,3,10,0.05\n";
        let c = Catalog::from_csv("eu-west-1", "test", csv).unwrap();
        assert_eq!(c.types[0].name, "x1.small");
        assert_eq!(c.types[1].eni_max_pods, 58);
        let json = c.to_json();
        let back = Catalog::from_json("ignored", &json).unwrap();
        assert_eq!(back, c);
        let bare = r#"[{"name":"z9.large","arch":"x86_64","vcpu":2,"memory_mib":8192,"max_enis":3,"ipv4_per_eni":10,"usd_per_hour":0.1}]"#;
        let b = Catalog::from_json("ap-south-1", bare).unwrap();
        assert_eq!(
            (b.region.as_str(), b.types[0].eni_max_pods),
            ("ap-south-1", 29)
        );
        let bad = "instance_type,arch,vcpu,memory_gib,max_enis,ipv4_per_eni,on_demand_usd_per_hour\nx.y,x86_64,2,4,3,10,free\n";
        let err = Catalog::from_csv("r", "s", bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("line 2"), "{err}");
        let dup = "instance_type,arch,vcpu,memory_gib,max_enis,ipv4_per_eni,on_demand_usd_per_hour\nx.y,x86_64,2,4,3,10,1\nx.y,x86_64,2,4,3,10,1\n";
        assert!(Catalog::from_csv("r", "s", dup).is_err());
    }
}
