//! Importer for AWS's public EC2 price list (the "offer file"):
//! `https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/<region>/index.json`,
//! about 450 MB of JSON for us-east-1.
//!
//! The file is read as a stream: each product and each on-demand term is decoded on its own and
//! dropped, everything else is skipped without being kept, so memory stays bounded by the
//! number of *matching* products (a few thousand), not by the file size. Matching means Linux,
//! shared tenancy, no pre-installed software, `capacitystatus` Used, and the wanted region.
//!
//! The offer file has no ENI limits, so they come from another catalog (by default the built-in
//! one); types without known limits are listed in the report and left out rather than guessed.
//! AWS writes `products` before `terms`; if a file does the opposite, on-demand prices are
//! buffered per SKU (one number each) until the products arrive.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};
use crate::nodes::catalog::{Arch, Catalog, InstanceType};

/// What an import found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// The compact catalog.
    pub catalog: Catalog,
    /// Products read from the file.
    pub products_seen: u64,
    /// Products that matched (Linux, shared, no software, used capacity, region).
    pub products_matched: u64,
    /// Instance types in the file with no ENI limits in the given table (left out).
    pub missing_eni_limits: Vec<String>,
    /// Matching instance types with no on-demand hourly price (left out).
    pub missing_price: Vec<String>,
    /// Matching instance types whose numbers dynoshift refuses (e.g. 0 vCPU), with the reason
    /// (left out).
    pub invalid: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Attributes {
    #[serde(rename = "instanceType")]
    instance_type: Option<String>,
    vcpu: Option<String>,
    memory: Option<String>,
    #[serde(rename = "operatingSystem")]
    operating_system: Option<String>,
    tenancy: Option<String>,
    #[serde(rename = "preInstalledSw")]
    pre_installed_sw: Option<String>,
    capacitystatus: Option<String>,
    #[serde(rename = "licenseModel")]
    license_model: Option<String>,
    #[serde(rename = "physicalProcessor")]
    physical_processor: Option<String>,
    #[serde(rename = "regionCode")]
    region_code: Option<String>,
}

#[derive(Deserialize)]
struct Product {
    #[serde(default)]
    attributes: Attributes,
}

#[derive(Deserialize)]
struct PriceDimension {
    #[serde(default)]
    unit: String,
    #[serde(rename = "pricePerUnit", default)]
    price_per_unit: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Term {
    #[serde(rename = "priceDimensions", default)]
    price_dimensions: BTreeMap<String, PriceDimension>,
}

struct Found {
    name: String,
    arch: Arch,
    vcpu: u32,
    memory_mib: u64,
}

#[derive(Default)]
struct State {
    region: String,
    products_done: bool,
    products_seen: u64,
    matched: HashMap<String, Found>,
    prices: HashMap<String, f64>,
}

fn parse_memory_mib(text: &str) -> Option<u64> {
    let t = text.trim().replace(',', "");
    let (num, unit) = t.split_once(' ').unwrap_or((&t, "GiB"));
    let v: f64 = num.parse().ok()?;
    let mib = match unit.trim().to_ascii_lowercase().as_str() {
        "gib" | "gb" => v * 1024.0,
        "mib" | "mb" => v,
        _ => return None,
    };
    (mib > 0.0).then(|| mib.round() as u64)
}

impl State {
    fn consider(&mut self, sku: String, p: Product) {
        self.products_seen += 1;
        let a = p.attributes;
        let is = |v: &Option<String>, want: &str| v.as_deref().is_some_and(|s| s == want);
        let is_or_absent = |v: &Option<String>, want: &str| v.as_deref().is_none_or(|s| s == want);
        if !(is(&a.operating_system, "Linux")
            && is(&a.tenancy, "Shared")
            && is_or_absent(&a.pre_installed_sw, "NA")
            && is_or_absent(&a.capacitystatus, "Used")
            && is_or_absent(&a.license_model, "No License required")
            && a.region_code
                .as_deref()
                .is_none_or(|r| r.eq_ignore_ascii_case(&self.region)))
        {
            return;
        }
        let (Some(name), Some(vcpu), Some(mem)) = (a.instance_type, a.vcpu, a.memory) else {
            return;
        };
        let (Ok(vcpu), Some(memory_mib)) = (vcpu.trim().parse::<u32>(), parse_memory_mib(&mem))
        else {
            return;
        };
        let arch = if a
            .physical_processor
            .as_deref()
            .is_some_and(|p| p.to_ascii_lowercase().contains("graviton"))
        {
            Arch::Arm64
        } else {
            Arch::X86_64
        };
        self.matched.insert(
            sku,
            Found {
                name,
                arch,
                vcpu,
                memory_mib,
            },
        );
    }
}

struct Top<'a>(&'a mut State);
struct Products<'a>(&'a mut State);
struct Terms<'a>(&'a mut State);
struct OnDemand<'a>(&'a mut State);

macro_rules! seed_via_map {
    ($t:ident, $what:literal) => {
        impl<'de> DeserializeSeed<'de> for $t<'_> {
            type Value = ();
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
                d.deserialize_map(self)
            }
        }
        impl<'de> Visitor<'de> for $t<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($what)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<(), A::Error> {
                self.walk(map)
            }
        }
    };
}

seed_via_map!(
    Top,
    "an EC2 offer file (a JSON object with products and terms)"
);
seed_via_map!(Products, "the offer file's products object");
seed_via_map!(Terms, "the offer file's terms object");
seed_via_map!(OnDemand, "the offer file's terms.OnDemand object");

impl Top<'_> {
    fn walk<'de, A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "products" => {
                    map.next_value_seed(Products(self.0))?;
                    self.0.products_done = true;
                }
                "terms" => map.next_value_seed(Terms(self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

impl Products<'_> {
    fn walk<'de, A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(sku) = map.next_key::<String>()? {
            let product: Product = map.next_value()?;
            self.0.consider(sku, product);
        }
        Ok(())
    }
}

impl Terms<'_> {
    fn walk<'de, A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "OnDemand" {
                map.next_value_seed(OnDemand(self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl OnDemand<'_> {
    fn walk<'de, A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(sku) = map.next_key::<String>()? {
            let wanted = !self.0.products_done || self.0.matched.contains_key(&sku);
            if !wanted {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let terms: BTreeMap<String, Term> = map.next_value()?;
            let price = terms
                .values()
                .flat_map(|t| t.price_dimensions.values())
                .filter(|d| d.unit.eq_ignore_ascii_case("hrs"))
                .filter_map(|d| d.price_per_unit.get("USD")?.parse::<f64>().ok())
                .filter(|p| *p > 0.0)
                .reduce(f64::min);
            if let Some(p) = price {
                self.0.prices.insert(sku, p);
            }
        }
        Ok(())
    }
}

/// Streams an EC2 offer file from `reader` into a compact catalog for `region`, taking ENI
/// limits from `eni_limits` (e.g. [`Catalog::builtin`]). Malformed JSON is `invalid_input`;
/// a file with no matching product is `invalid_input` too (wrong region or not an EC2 file).
pub fn import_offer_file<R: Read>(
    reader: R,
    region: &str,
    eni_limits: &Catalog,
) -> Result<ImportReport> {
    let mut state = State {
        region: region.trim().to_owned(),
        ..State::default()
    };
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, reader));
    Top(&mut state).deserialize(&mut de).map_err(|e| {
        Error::invalid_input(format!(
            "the offer file is not the JSON AWS publishes ({e}); download it again from \
             https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/{region}/index.json"
        ))
    })?;
    de.end()
        .map_err(|e| Error::invalid_input(format!("trailing data after the offer file ({e})")))?;
    let matched_count = state.matched.len() as u64;
    let mut by_name: BTreeMap<String, (Found, Option<f64>)> = BTreeMap::new();
    for (sku, found) in state.matched {
        let price = state.prices.get(&sku).copied();
        match by_name.get_mut(&found.name) {
            Some((_, p)) => {
                if let Some(new) = price {
                    *p = Some(p.map_or(new, |old: f64| old.min(new)));
                }
            }
            None => {
                by_name.insert(found.name.clone(), (found, price));
            }
        }
    }
    let mut types = Vec::new();
    let mut missing_eni = Vec::new();
    let mut missing_price = Vec::new();
    let mut invalid = Vec::new();
    for (name, (f, price)) in by_name {
        let Some(price) = price else {
            missing_price.push(name);
            continue;
        };
        let Some(limits) = eni_limits.get(&name) else {
            missing_eni.push(name);
            continue;
        };
        match InstanceType::new(
            &name,
            f.arch,
            f.vcpu,
            f.memory_mib,
            limits.max_enis,
            limits.ipv4_per_eni,
            price,
        ) {
            Ok(t) => types.push(t),
            Err(e) => invalid.push(format!("{name}: {}", e.message())),
        }
    }
    if types.is_empty() {
        return Err(Error::invalid_input(format!(
            "no Linux shared-tenancy on-demand instance type of region {region} with known ENI \
             limits was found in the offer file ({} products read, {matched_count} matched); \
             check the region and that this is the AmazonEC2 offer file",
            state.products_seen
        )));
    }
    let catalog = Catalog::new(
        region,
        &format!(
            "AWS EC2 offer file for {region} (Linux, shared tenancy, on-demand); ENI limits from: {}",
            eni_limits.source
        ),
        types,
    )?;
    Ok(ImportReport {
        catalog,
        products_seen: state.products_seen,
        products_matched: matched_count,
        missing_eni_limits: missing_eni,
        missing_price,
        invalid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn product(
        sku: &str,
        it: &str,
        vcpu: u32,
        mem: &str,
        os: &str,
        tenancy: &str,
        cpu: &str,
    ) -> String {
        format!(
            r#""{sku}":{{"sku":"{sku}","productFamily":"Compute Instance","attributes":{{"servicecode":"AmazonEC2","location":"US East (N. Virginia)","regionCode":"us-east-1","instanceType":"{it}","currentGeneration":"Yes","vcpu":"{vcpu}","physicalProcessor":"{cpu}","memory":"{mem}","networkPerformance":"Up to 12500 Megabit","processorArchitecture":"64-bit","tenancy":"{tenancy}","operatingSystem":"{os}","licenseModel":"No License required","usagetype":"BoxUsage:{it}","operation":"RunInstances","capacitystatus":"Used","preInstalledSw":"NA"}}}}"#
        )
    }

    fn term(sku: &str, usd: &str) -> String {
        format!(
            r#""{sku}":{{"{sku}.JRTCKXETXF":{{"offerTermCode":"JRTCKXETXF","sku":"{sku}","effectiveDate":"2026-11-01T00:00:00Z","priceDimensions":{{"{sku}.JRTCKXETXF.6YS6EN2CT7":{{"rateCode":"{sku}.JRTCKXETXF.6YS6EN2CT7","description":"$ per On Demand Linux hour","beginRange":"0","endRange":"Inf","unit":"Hrs","pricePerUnit":{{"USD":"{usd}"}},"appliesTo":[]}}}},"termAttributes":{{}}}}}}"#
        )
    }

    fn offer_file(terms_first: bool, filler: usize) -> String {
        let mut products = vec![
            product(
                "SKU1",
                "m7i.large",
                2,
                "8 GiB",
                "Linux",
                "Shared",
                "Intel Xeon Scalable (Sapphire Rapids)",
            ),
            product(
                "SKU2",
                "m7i.large",
                2,
                "8 GiB",
                "Windows",
                "Shared",
                "Intel Xeon",
            ),
            product(
                "SKU3",
                "m7i.large",
                2,
                "8 GiB",
                "Linux",
                "Dedicated",
                "Intel Xeon",
            ),
            product(
                "SKU4",
                "m7g.large",
                2,
                "8 GiB",
                "Linux",
                "Shared",
                "AWS Graviton3 Processor",
            ),
            product("SKU5", "zz9.large", 2, "4 GiB", "Linux", "Shared", "Intel"),
            product("SKU7", "m5.large", 0, "8 GiB", "Linux", "Shared", "Intel"),
            product(
                "SKU6",
                "c7g.medium",
                1,
                "2 GiB",
                "Linux",
                "Shared",
                "AWS Graviton3 Processor",
            ),
        ];
        let mut terms = vec![
            term("SKU1", "0.1008000000"),
            term("SKU2", "0.1928000000"),
            term("SKU3", "0.1100000000"),
            term("SKU4", "0.0816000000"),
            term("SKU5", "0.0500000000"),
            term("SKU7", "0.0960000000"),
        ];
        for i in 0..filler {
            products.push(product(
                &format!("F{i}"),
                "r6i.large",
                2,
                "16 GiB",
                "RHEL",
                "Shared",
                "Intel",
            ));
            terms.push(term(&format!("F{i}"), "0.2000000000"));
        }
        let products = format!(r#""products":{{{}}}"#, products.join(","));
        let terms = format!(
            r#""terms":{{"OnDemand":{{{}}},"Reserved":{{"SKU1":{{"x":{{"priceDimensions":{{"d":{{"unit":"Hrs","pricePerUnit":{{"USD":"0.01"}}}}}}}}}}}}}}"#,
            terms.join(",")
        );
        let head = r#""formatVersion":"v1.0","disclaimer":"test","offerCode":"AmazonEC2","version":"20261101","publicationDate":"2026-11-01T00:00:00Z""#;
        if terms_first {
            format!("{{{head},{terms},{products}}}")
        } else {
            format!("{{{head},{products},{terms}}}")
        }
    }

    #[test]
    fn imports_a_generated_offer_file() {
        let base = Catalog::builtin("us-east-1").unwrap();
        for terms_first in [false, true] {
            let text = offer_file(terms_first, 50);
            let r = import_offer_file(text.as_bytes(), "us-east-1", &base).unwrap();
            let names: Vec<&str> = r.catalog.types.iter().map(|t| t.name.as_str()).collect();
            assert_eq!(
                names,
                ["m7g.large", "m7i.large"],
                "terms_first={terms_first}"
            );
            let m7i = r.catalog.get("m7i.large").unwrap();
            assert!(
                (m7i.usd_per_hour - 0.1008).abs() < 1e-12,
                "Reserved must be ignored"
            );
            assert_eq!((m7i.memory_mib, m7i.eni_max_pods), (8192, 29));
            assert_eq!(r.catalog.get("m7g.large").unwrap().arch, Arch::Arm64);
            assert_eq!(r.missing_eni_limits, ["zz9.large"]);
            assert_eq!(r.missing_price, ["c7g.medium"]);
            assert_eq!(r.products_seen, 57);
            assert_eq!(r.products_matched, 5);
            assert_eq!(r.invalid.len(), 1, "{:?}", r.invalid);
            assert!(r.invalid[0].starts_with("m5.large"), "{:?}", r.invalid);
        }
    }

    #[test]
    fn wrong_region_or_garbage_is_refused() {
        let base = Catalog::builtin("us-east-1").unwrap();
        let text = offer_file(false, 0);
        let err = import_offer_file(text.as_bytes(), "eu-west-1", &base).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.message().contains("eu-west-1"), "{err}");
        let err = import_offer_file(&b"{\"products\": [1,"[..], "us-east-1", &base).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(parse_memory_mib("1,952 GiB"), Some(1_998_848));
        assert_eq!(parse_memory_mib("0.5 GiB"), Some(512));
        assert_eq!(parse_memory_mib("NA"), None);
    }
}
