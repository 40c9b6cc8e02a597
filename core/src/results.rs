//! The read-only result types every binding exposes, declared once: each type's documentation and
//! its fields (name, type, documentation, and how the value is read from the core type).
//!
//! Each binding expands a declaration its own way (`dynoshift::result_type!(DynoSize =>
//! py_result { ...binding-only methods... })`: a pyo3 class, a napi class, a uniffi object, each
//! holding the core value as `inner`, with one getter per field and a `From<&CoreType>`), and the
//! Python `.pyi`, Node `index.d.ts` and Ruby `.rbs` text of the fields is generated from
//! [`declarations`] and drift-checked by `core/tests/generated.rs` (`make generate` rewrites it).
//! Adding a field to a result type is one line here plus `make generate`.
//!
//! Field types are the ones every binding carries as they are (`String`, `f64`, `u32`, `i64`,
//! `bool`, and `Option`/`Vec` of them), `u64` counts (a `number` in Node), and another declared
//! result type (`class T`, `Option<class T>`, `Vec<class T>`).

/// Expands the declaration of one result type into `$expand! { ... }` (the binding's own macro),
/// with `{ $extra }` (the binding's own methods) passed through. The shape is
/// `#[doc = "..."] Name: CoreType { extra }  #[doc = "..."] field: Type = |value| expression;`.
/// The docs are `#[doc = "..."]` rather than `///`: a `///` comment reaches the bindings' macros
/// as a raw string token, which napi would copy into `index.d.ts` as `r" ..."`.
#[macro_export]
macro_rules! result_type {
    (DynoSize => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "A Heroku dyno size."]
            DynoSize: $crate::DynoSize { $($extra)* }
            #[doc = "Canonical name, e.g. `Standard-2X`."]
            name: String = |s| s.name.clone();
            #[doc = "`cedar` or `fir`."]
            generation: String = |s| $crate::units::wire_name(&s.generation);
            #[doc = "Memory quota in MiB."]
            memory_mb: f64 = |s| s.memory_mb;
            #[doc = "`shared` or `dedicated`."]
            cpu_kind: String = |s| s.cpu_kind().to_owned();
            #[doc = "Shared multiplier (1, 2) or dedicated vCPUs."]
            cpu: f64 = |s| s.cpu_count();
            #[doc = "R15 hard-kill factor, if known."]
            r15_factor: Option<f64> = |s| s.r15_factor;
            #[doc = "List price per dyno per month (none: pool or contract pricing)."]
            list_monthly_usd: Option<f64> = |s| s.list_monthly_usd();
            #[doc = "`per_dyno`, `pool` or `contract`."]
            pricing: String = |s| $crate::units::wire_name(&s.pricing);
            #[doc = "Caveat or legacy-name note."]
            note: Option<String> = |s| s.note.clone();
        }
    };
    (Formation => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "An app's formation."]
            Formation: $crate::Formation { $($extra)* }
            #[doc = "The process types, `web` first."]
            processes: Vec<class Process> = |f| &f.processes;
        }
    };
    (Process => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "One process type of a formation."]
            Process: $crate::Process { $($extra)* }
            #[doc = "Process type, e.g. `web`."]
            process_type: String = |p| p.process_type.clone();
            #[doc = "Resolved dyno size."]
            size: class DynoSize = |p| &p.size;
            #[doc = "Size as written in the input."]
            requested_size: String = |p| p.requested_size.clone();
            #[doc = "Number of dynos."]
            quantity: u32 = |p| p.quantity;
            #[doc = "Command, if given."]
            command: Option<String> = |p| p.command.clone();
        }
    };
    (ApiDynoSize => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "A dyno size as the Platform API lists it (`GET /dyno-sizes`)."]
            ApiDynoSize: $crate::ApiDynoSize { $($extra)* }
            #[doc = "Name, e.g. `Standard-2X`."]
            name: String = |s| s.name.clone();
            #[doc = "Memory in GB."]
            memory_gb: f64 = |s| s.memory_gb;
            #[doc = "Compute units."]
            compute: u32 = |s| s.compute;
            #[doc = "Dedicated CPU."]
            dedicated: bool = |s| s.dedicated;
            #[doc = "Price in cents per `cost_unit`, when Heroku lists one."]
            cost_cents: Option<u64> = |s| s.cost.as_ref().map(|c| c.cents);
            #[doc = "Unit of the price, e.g. `month`."]
            cost_unit: Option<String> = |s| s.cost.as_ref().map(|c| c.unit.clone());
            #[doc = "Generation name, e.g. `cedar`."]
            generation: Option<String> = |s| s.generation.clone();
        }
    };
    (CutoverPlan => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "A staged move of hostnames from Heroku to AWS (validated on parsing)."]
            CutoverPlan: $crate::CutoverPlan { $($extra)* }
            #[doc = "Hostnames moved together (normalised)."]
            hostnames: Vec<String> = |p| p.names();
            #[doc = "Hosted zone name or id."]
            zone: String = |p| p.zone.clone();
            #[doc = "Heroku's DNS target."]
            heroku_target: String = |p| p.heroku_target.clone();
            #[doc = "The AWS load balancer's DNS name."]
            aws_target: String = |p| p.aws_target.clone();
            #[doc = "Percent to AWS at each stage."]
            stages: Vec<u32> = |p| p.stages.iter().map(|s| u32::from(*s)).collect();
            #[doc = "Soak per stage, seconds."]
            soak_seconds: u64 = |p| p.soak_seconds;
            #[doc = "TTL of the weighted records, seconds."]
            ttl: i64 = |p| p.ttl;
            #[doc = "`full` or `graduated`."]
            rollback: String = |p| p.rollback.as_str().to_owned();
            #[doc = "Wait for `approve` before every stage after the first."]
            require_approval: bool = |p| p.require_approval;
            #[doc = "SHA-256 of the plan's canonical JSON (as stored in the journal)."]
            digest: String = |p| p.digest();
        }
    };
    (AppPlans => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "The cutover plans written from a Heroku app's custom domains (one per hosted zone), and what was left out and why."]
            AppPlans: $crate::cutover::InitReport { $($extra)* }
            #[doc = "One plan per hosted zone, by zone name."]
            plans: Vec<class CutoverPlan> = |r| r.plans.iter().map(|p| &p.plan);
            #[doc = "The result in plain lines for people (plans, skipped domains, warnings)."]
            summary: Vec<String> = |r| r.summary();
        }
    };
    (FleetReport => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "How every app of a fleet ended."]
            FleetReport: $crate::cutover::FleetReport { $($extra)* }
            #[doc = "Whether every app promoted."]
            all_promoted: bool = |r| r.all_promoted();
        }
    };
    (CostLine => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "The cost of one process type."]
            CostLine: $crate::CostLine { $($extra)* }
            #[doc = "Process type."]
            process_type: String = |l| l.process_type.clone();
            #[doc = "Canonical dyno size."]
            size: String = |l| l.size.clone();
            #[doc = "Dynos."]
            quantity: u32 = |l| l.quantity;
            #[doc = "USD per dyno per month."]
            unit_monthly_usd: f64 = |l| l.unit_monthly_usd;
            #[doc = "USD per month."]
            monthly_usd: f64 = |l| l.monthly_usd;
            #[doc = "`list`, `override` or `pool`."]
            price_source: String = |l| $crate::units::wire_name(&l.price_source);
            #[doc = "How the number was reached."]
            note: Option<String> = |l| l.note.clone();
        }
    };
    (CostReport => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "A formation's monthly Heroku bill (`lines`: one per process type)."]
            CostReport: $crate::CostReport { $($extra)* }
            #[doc = "USD per month."]
            total_monthly_usd: f64 = |r| r.total_monthly_usd;
            #[doc = "`USD`."]
            currency: String = |r| r.currency.clone();
            #[doc = "Hours in a billing month (720)."]
            hours_per_month: f64 = |r| r.hours_per_month;
            #[doc = "Caveats for the whole report."]
            notes: Vec<String> = |r| r.notes.clone();
            #[doc = "One line per process type."]
            lines: Vec<class CostLine> = |r| &r.lines;
        }
    };
    (CutoverOutcome => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "How a run ended."]
            CutoverOutcome: $crate::Outcome { $($extra)* }
            #[doc = "`promoted`, `rolled_back` or `paused`."]
            status: String = |o| o.status().to_owned();
            #[doc = "Why it rolled back or paused (none when promoted)."]
            reason: Option<String> = |o| o.reason().map(str::to_owned);
        }
    };
    (PreflightReport => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "The read-only preflight report (`findings`: its errors and warnings)."]
            PreflightReport: $crate::PreflightReport { $($extra)* }
            #[doc = "True when nothing blocks a run."]
            ok: bool = |r| r.ok;
            #[doc = "The zone's id, if found."]
            zone_id: Option<String> = |r| r.zone.as_ref().map(|z| z.id.clone());
            #[doc = "The zone's name, if found."]
            zone_name: Option<String> = |r| r.zone.as_ref().map(|z| z.name.clone());
            #[doc = "Errors and warnings."]
            findings: Vec<class Finding> = |r| &r.findings;
            #[doc = "The verdict, the findings and which live checks ran (or why not), in plain lines."]
            summary: Vec<String> = |r| r.summary();
        }
    };
    (Finding => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "One preflight finding."]
            Finding: $crate::cutover::preflight::Finding { $($extra)* }
            #[doc = "`error` or `warning`."]
            severity: String = |f| f.severity.as_str().to_owned();
            #[doc = "Stable code, e.g. `apex`, `aaaa_conflict`, `lock_held`."]
            code: String = |f| f.code.clone();
            #[doc = "The hostname concerned, if any."]
            hostname: Option<String> = |f| f.hostname.clone();
            #[doc = "What and what to do."]
            message: String = |f| f.message.clone();
            #[doc = "The error kind a run reports for it."]
            kind: String = |f| f.kind.as_str().to_owned();
        }
    };
    (DryRunStep => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "One step of a dry run."]
            DryRunStep: $crate::cutover::DryRunStep { $($extra)* }
            #[doc = "`convert`, `stage 1`, ..."]
            step: String = |s| s.step.clone();
            #[doc = "Percent to AWS after the step."]
            aws_percent: u32 = |s| u32::from(s.aws_percent);
            #[doc = "Percent to Heroku after the step."]
            heroku_percent: u32 = |s| u32::from(s.heroku_percent);
            #[doc = "Atomic change batches written."]
            batches: u64 = |s| s.batch_count() as u64;
            #[doc = "Record changes in all batches."]
            changes: u64 = |s| s.change_count() as u64;
            #[doc = "Cache wait after INSYNC, seconds."]
            ttl_wait_seconds: u64 = |s| s.ttl_wait_seconds;
            #[doc = "Soak, seconds."]
            soak_seconds: u64 = |s| s.soak_seconds;
        }
    };
    (DryRunReport => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "What a run would write, with timers and API calls (computed without touching DNS)."]
            DryRunReport: $crate::DryRunReport { $($extra)* }
            #[doc = "Forward steps, in order."]
            steps: Vec<class DryRunStep> = |r| &r.steps;
            #[doc = "Route53 calls of the whole run (no retries)."]
            api_calls: u64 = |r| r.api_calls.total();
            #[doc = "The least wall time the run takes: TTL waits plus soaks, seconds."]
            minimum_seconds: u64 = |r| r.minimum_seconds;
            #[doc = "Remarks."]
            notes: Vec<String> = |r| r.notes.clone();
            #[doc = "One line per step, for people."]
            summary: Vec<String> = |r| r.summary();
        }
    };
    (DrainReport => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "The drain verdict: requests per minute still reaching Heroku per hostname over the plan's window, and whether they stayed at or under its threshold."]
            DrainReport: $crate::cutover::DrainReport { $($extra)* }
            #[doc = "True only when every hostname stayed at or under `max_rpm` for the whole window and the input covers it."]
            drained: bool = |r| r.drained;
            #[doc = "Why (not), in one sentence."]
            reason: String = |r| r.reason.clone();
            #[doc = "Whether the input covers the whole window."]
            covered: bool = |r| r.covered;
        }
    };
    (TimeSpan => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "A covered time range."]
            TimeSpan: $crate::telemetry::TimeSpan { $($extra)* }
            #[doc = "First timestamp, unix ms."]
            start_ms: i64 = |s| s.start_ms;
            #[doc = "Last timestamp, unix ms."]
            end_ms: i64 = |s| s.end_ms;
            #[doc = "First timestamp, RFC 3339 UTC."]
            start: String = |s| s.start.clone();
            #[doc = "Last timestamp, RFC 3339 UTC."]
            end: String = |s| s.end.clone();
            #[doc = "`end - start` in seconds."]
            seconds: f64 = |s| s.seconds;
        }
    };
    (LineCounts => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "What was read: bytes, and records by kind."]
            LineCounts: $crate::telemetry::LineCounts { $($extra)* }
            #[doc = "Bytes read (after gzip decompression)."]
            bytes: u64 = |c| c.bytes;
            #[doc = "Records: lines, or octet-counted frames."]
            records: u64 = |c| c.records;
            #[doc = "Records used as telemetry."]
            telemetry: u64 = |c| c.telemetry;
            #[doc = "Well-framed records without telemetry (app output, state changes)."]
            other: u64 = |c| c.other;
            #[doc = "Records that could not be parsed (see `unparsed_examples`)."]
            unparsed: u64 = |c| c.unparsed;
            #[doc = "Empty lines (not counted as records)."]
            blank: u64 = |c| c.blank;
        }
    };
    (UnparsedExample => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "An unparsed record kept as an example."]
            UnparsedExample: $crate::telemetry::UnparsedExample { $($extra)* }
            #[doc = "The input it came from, if known."]
            input: Option<String> = |e| e.input.clone();
            #[doc = "Its record number in that input (1-based)."]
            record: u64 = |e| e.record;
            #[doc = "Why it was not parsed."]
            reason: String = |e| e.reason.clone();
            #[doc = "The first 200 bytes (invalid UTF-8 replaced)."]
            text: String = |e| e.text.clone();
        }
    };
    (InputIssue => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "A problem with a whole input (e.g. a truncated gzip); what was read before it is kept."]
            InputIssue: $crate::telemetry::InputIssue { $($extra)* }
            #[doc = "The input, if known."]
            input: Option<String> = |i| i.input.clone();
            #[doc = "Decompressed bytes read before the problem."]
            bytes_read: u64 = |i| i.bytes_read;
            #[doc = "What went wrong."]
            message: String = |i| i.message.clone();
        }
    };
    (Profiles => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "The result of an ingest: typed top-level figures; the per-process-type profiles (memory and load distributions, router traffic, R14/R15, hourly and daily peaks, per dyno) are in the core's JSON under `process_types`, as `dynoshift ingest --json` writes them."]
            Profiles: $crate::Profiles { $($extra)* }
            #[doc = "Process type names seen (e.g. `clock`, `web`, `worker`), sorted."]
            process_types: Vec<String> = |p| p.process_types.keys().cloned().collect();
            #[doc = "Relative error of every quantile in the result (0.01 = 1%)."]
            relative_error: f64 = |p| p.relative_error;
            #[doc = "Record counts."]
            lines: class LineCounts = |p| &p.lines;
            #[doc = "The first few unparsed records."]
            unparsed_examples: Vec<class UnparsedExample> = |p| &p.unparsed_examples;
            #[doc = "Truncated or corrupt inputs."]
            input_issues: Vec<class InputIssue> = |p| &p.input_issues;
            #[doc = "First and last timestamp of any parsed record (none when nothing was parsed)."]
            span: Option<class TimeSpan> = |p| p.span.as_ref();
        }
    };
    (SynthReport => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "What the log generator wrote; the per-type truth (peak memory, request rate, ...) is in the core's JSON under `process_types`."]
            SynthReport: $crate::heroku::synth::SynthReport { $($extra)* }
            #[doc = "Lines written."]
            lines: u64 = |r| r.lines;
            #[doc = "Bytes written (before gzip)."]
            bytes: u64 = |r| r.bytes;
            #[doc = "Process types written, sorted."]
            process_types: Vec<String> = |r| r.process_types.keys().cloned().collect();
        }
    };
    (Explanation => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "Why a number is what it is."]
            Explanation: $crate::sizing::Explanation { $($extra)* }
            #[doc = "The rule, with the arithmetic that was done."]
            rule: String = |e| e.rule.clone();
            #[doc = "The input statistic the rule started from (`memory_total max`, `load_avg_1m p90`)."]
            statistic: String = |e| e.statistic.clone();
            #[doc = "The statistic's value in its own unit (none: no data, a fallback)."]
            value: Option<f64> = |e| e.value;
            #[doc = "Samples behind the statistic."]
            samples: u64 = |e| e.samples;
            #[doc = "The time window the samples cover, when known."]
            window: Option<String> = |e| e.window.clone();
            #[doc = "`low`, `medium` or `high`."]
            confidence: String as "'low' | 'medium' | 'high'" = |e| $crate::units::wire_name(&e.confidence);
            #[doc = "What the user should know (short data, R14, swap, ...)."]
            warnings: Vec<String> = |e| e.warnings.clone();
        }
    };
    (Explained => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "A recommended number with its unit and explanation."]
            Explained: $crate::sizing::Explained<u32> { $($extra)* }
            #[doc = "The number."]
            value: u32 = |e| e.value;
            #[doc = "Its unit (`millicores`, `MiB`, `pods`, `percent`)."]
            unit: String = |e| e.unit.clone();
            #[doc = "How it was obtained."]
            explanation: class Explanation = |e| &e.explanation;
        }
    };
    (HpaSizing => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "HorizontalPodAutoscaler bounds and target."]
            HpaSizing: $crate::sizing::HpaSizing { $($extra)* }
            #[doc = "`minReplicas`."]
            min_replicas: class Explained = |h| &h.min_replicas;
            #[doc = "`maxReplicas`."]
            max_replicas: class Explained = |h| &h.max_replicas;
            #[doc = "CPU `averageUtilization` target, percent of the request."]
            target_cpu_utilization_percent: class Explained = |h| &h.target_cpu_utilization_percent;
        }
    };
    (ProcessSizing => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "The recommendation for one process type."]
            ProcessSizing: $crate::sizing::ProcessSizing { $($extra)* }
            #[doc = "Process type (`web`, `worker`)."]
            process_type: String = |p| p.process_type.clone();
            #[doc = "The dyno size it ran on."]
            dyno_size: String = |p| p.dyno_size.clone();
            #[doc = "Dynos in the formation."]
            quantity: u32 = |p| p.quantity;
            #[doc = "The dyno's command, when the formation had one."]
            command: Option<String> = |p| p.command.clone();
            #[doc = "CPU request, millicores."]
            cpu_request_millicores: class Explained = |p| &p.cpu_request_millicores;
            #[doc = "CPU limit, millicores (none: no limit)."]
            cpu_limit_millicores: Option<class Explained> = |p| p.cpu_limit_millicores.as_ref();
            #[doc = "Memory request, MiB."]
            memory_request_mib: class Explained = |p| &p.memory_request_mib;
            #[doc = "Memory limit, MiB."]
            memory_limit_mib: class Explained = |p| &p.memory_limit_mib;
            #[doc = "Deployment replicas."]
            replicas: class Explained = |p| &p.replicas;
            #[doc = "Autoscaling (none: a fixed replica count)."]
            hpa: Option<class HpaSizing> = |p| p.hpa.as_ref();
        }
    };
    (SizingReport => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "The result of `recommend_sizing` / `recommend_lines`: one `ProcessSizing` per process type of the formation (`web` first), the policy used and report-level warnings."]
            SizingReport: $crate::sizing::SizingReport { $($extra)* }
            #[doc = "The strategy used (`dynoshift`, `vpa`, `krr`)."]
            strategy: String = |r| r.strategy.as_str().to_owned();
            #[doc = "The time the profiles cover."]
            window: Option<class TimeSpan> = |r| r.window.as_ref();
            #[doc = "One entry per process type, `web` first."]
            processes: Vec<class ProcessSizing> = |r| &r.processes;
            #[doc = "Report-level notes."]
            warnings: Vec<String> = |r| r.warnings.clone();
            #[doc = "Inputs that were truncated or corrupt (a broken gzip): the numbers come from what could be read before the break."]
            input_issues: Vec<class InputIssue> = |r| &r.input_issues;
        }
    };
    (BacktestRow => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "Backtest figures of one strategy for one process type."]
            BacktestRow: $crate::sizing::BacktestRow { $($extra)* }
            #[doc = "Strategy."]
            strategy: String = |r| r.strategy.as_str().to_owned();
            #[doc = "Process type."]
            process_type: String = |r| r.process_type.clone();
            #[doc = "Recommended CPU request, millicores."]
            cpu_request_millicores: u32 = |r| r.cpu_request_millicores;
            #[doc = "Recommended memory request, MiB."]
            memory_request_mib: u32 = |r| r.memory_request_mib;
            #[doc = "Recommended memory limit, MiB."]
            memory_limit_mib: u32 = |r| r.memory_limit_mib;
            #[doc = "Evaluation memory samples."]
            memory_samples: u64 = |r| r.memory_samples;
            #[doc = "Highest evaluation `memory_total`, MiB."]
            memory_max_mib: f64 = |r| r.memory_max_mib;
            #[doc = "Samples above the memory limit (OOM kills on Kubernetes)."]
            memory_exceedances: u64 = |r| r.memory_exceedances;
            #[doc = "1 − mean usage / request."]
            memory_slack: f64 = |r| r.memory_slack;
            #[doc = "Evaluation load samples."]
            cpu_samples: u64 = |r| r.cpu_samples;
            #[doc = "Dyno-minutes with a sample above the CPU request."]
            cpu_minutes_above_request: u64 = |r| r.cpu_minutes_above_request;
            #[doc = "Mean unused share of the CPU request."]
            cpu_slack: f64 = |r| r.cpu_slack;
        }
    };
    (StrategySummary => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "Totals of one strategy over the process types."]
            StrategySummary: $crate::sizing::StrategySummary { $($extra)* }
            #[doc = "Strategy."]
            strategy: String = |s| s.strategy.as_str().to_owned();
            #[doc = "Memory exceedances, all process types."]
            memory_exceedances: u64 = |s| s.memory_exceedances;
            #[doc = "Mean memory slack over the process types with samples."]
            mean_memory_slack: f64 = |s| s.mean_memory_slack;
            #[doc = "Mean CPU slack over the process types with samples."]
            mean_cpu_slack: f64 = |s| s.mean_cpu_slack;
            #[doc = "CPU minutes above request, all process types."]
            cpu_minutes_above_request: u64 = |s| s.cpu_minutes_above_request;
            #[doc = "No memory exceedance and mean memory slack ≤ 25%."]
            meets_target: bool = |s| s.meets_target;
        }
    };
    (BacktestReport => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "The result of `backtest` / `backtest_lines`."]
            BacktestReport: $crate::sizing::BacktestReport { $($extra)* }
            #[doc = "The time the recommendation was fitted on."]
            fit_window: Option<class TimeSpan> = |r| r.fit_window.as_ref();
            #[doc = "The time it was evaluated on."]
            eval_window: Option<class TimeSpan> = |r| r.eval_window.as_ref();
            #[doc = "Per strategy and process type."]
            rows: Vec<class BacktestRow> = |r| &r.rows;
            #[doc = "Per strategy."]
            summary: Vec<class StrategySummary> = |r| &r.summary;
        }
    };
}

/// What every binding makes of a declaration: `class` (the core value as `inner`, one getter per
/// field, the binding's own methods and a `From<&CoreType>`) or `record` (plain data: one public
/// field per declared field, filled by a `From<&CoreType>`). A binding's expander forwards the
/// declaration here with its own settings:
/// `class|record [struct attributes] [impl attributes] [getter attributes] [count type] [plain|held] [repr function, or nothing]`.
///
/// Field types beyond the ones every language carries as they are (`String`, `f64`, `u32`, `i64`,
/// `bool`, `Option`/`Vec` of them):
/// - `u64` and `Option<u64>`: counts, as the binding's count type (napi maps `u64` to BigInt, so
///   Node uses `f64`); the accessor gives the core's `u64`.
/// - `class T`, `Option<class T>`, `Vec<class T>`: another declared result type (named
///   `crate::T`: each binding has every declared type at its crate root); the accessor
///   gives `&CoreT`, an `Option<&CoreT>` or something iterable over `&CoreT`. With `held` a
///   field's type is `<T as Held>::Out` (uniffi: an `Arc` of an object, a record as it is).
// `crate::T` is meant: the binding crate expanding the declaration, where `T` is its class.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! result_class {
    (
        $shape:ident [$($struct_attr:tt)*] [$($impl_attr:tt)*] [$($getter_attr:tt)*] [$count:ty]
        [$nest:ident] [$($repr:tt)*]
        $(#[doc = $doc:tt])* $name:ident : $core:ty { $($extra:tt)* }
        $($fields:tt)*
    ) => {
        $crate::result_class! {
            @fields [[$count] [$nest] [$($getter_attr)*]]
            [$shape [$($struct_attr)*] [$($impl_attr)*] [$($getter_attr)*] [$($repr)*]
             [$(#[doc = $doc])*] $name [$core] [$($extra)*]]
            []
            $($fields)*
        }
    };
    // Each field into `{ [docs] name [type] value [conversion] }`, one at a time.
    (@fields [[$count:ty] $nest:tt $g:tt] $out:tt [$($done:tt)*]
        $(#[doc = $fdoc:tt])* $field:ident : u64 = |$v:ident| $get:expr; $($rest:tt)*
    ) => {
        $crate::result_class! { @fields [[$count] $nest $g] $out
            [$($done)* { [$(#[doc = $fdoc])*] $g $field [$count] $v
                [$crate::results::FromCount::from_count($get)] }]
            $($rest)* }
    };
    (@fields [[$count:ty] $nest:tt $g:tt] $out:tt [$($done:tt)*]
        $(#[doc = $fdoc:tt])* $field:ident : Option<u64> = |$v:ident| $get:expr; $($rest:tt)*
    ) => {
        $crate::result_class! { @fields [[$count] $nest $g] $out
            [$($done)* { [$(#[doc = $fdoc])*] $g $field [Option<$count>] $v
                [($get).map($crate::results::FromCount::from_count)] }]
            $($rest)* }
    };
    (@fields [$count:tt $nest:tt $g:tt] $out:tt $done:tt
        $(#[doc = $fdoc:tt])* $field:ident : class $t:ident = |$v:ident| $get:expr; $($rest:tt)*
    ) => {
        $crate::result_class! { @nested [$count $nest $g] $out $done [[$(#[doc = $fdoc])*] $g] $field [] [] $t $v
            [$crate::results::Held::hold(crate::$t::from($get))] $($rest)* }
    };
    (@fields [$count:tt $nest:tt $g:tt] $out:tt $done:tt
        $(#[doc = $fdoc:tt])* $field:ident : Option<class $t:ident> = |$v:ident| $get:expr;
        $($rest:tt)*
    ) => {
        $crate::result_class! { @nested [$count $nest $g] $out $done [[$(#[doc = $fdoc])*] $g] $field [Option<] [>] $t $v
            [($get).map(|x| $crate::results::Held::hold(crate::$t::from(x)))] $($rest)* }
    };
    (@fields [$count:tt $nest:tt $g:tt] $out:tt $done:tt
        $(#[doc = $fdoc:tt])* $field:ident : Vec<class $t:ident> = |$v:ident| $get:expr;
        $($rest:tt)*
    ) => {
        $crate::result_class! { @nested [$count $nest $g] $out $done [[$(#[doc = $fdoc])*] $g] $field [Vec<] [>] $t $v
            [($get).into_iter().map(|x| $crate::results::Held::hold(crate::$t::from(x))).collect()]
            $($rest)* }
    };
    // `Type as "TypeScript type"`: napi's type for the getter in `index.d.ts` (others ignore it).
    (@fields [$count:tt $nest:tt [#[napi(getter)]]] $out:tt [$($done:tt)*]
        $(#[doc = $fdoc:tt])* $field:ident : $ty:ty as $ts:literal = |$v:ident| $get:expr;
        $($rest:tt)*
    ) => {
        $crate::result_class! { @fields [$count $nest [#[napi(getter)]]] $out
            [$($done)* { [$(#[doc = $fdoc])*] [#[napi(getter, ts_return_type = $ts)]] $field [$ty]
                $v [$get] }]
            $($rest)* }
    };
    (@fields $cfg:tt $out:tt $done:tt
        $(#[doc = $fdoc:tt])* $field:ident : $ty:ty as $ts:literal = |$v:ident| $get:expr;
        $($rest:tt)*
    ) => {
        $crate::result_class! { @fields $cfg $out $done
            $(#[doc = $fdoc])* $field : $ty = |$v| $get; $($rest)* }
    };
    (@fields [$count:tt $nest:tt $g:tt] $out:tt [$($done:tt)*]
        $(#[doc = $fdoc:tt])* $field:ident : $ty:ty = |$v:ident| $get:expr; $($rest:tt)*
    ) => {
        $crate::result_class! { @fields [$count $nest $g] $out
            [$($done)* { [$(#[doc = $fdoc])*] $g $field [$ty] $v [$get] }]
            $($rest)* }
    };
    // A field of another declared type: its type as the binding holds it.
    (@nested [$count:tt [plain] $g:tt] $out:tt [$($done:tt)*] [$docs:tt $ga:tt] $field:ident [$($open:tt)*] [$($close:tt)*]
        $t:ident $v:ident $conv:tt $($rest:tt)*
    ) => {
        $crate::result_class! { @fields [$count [plain] $g] $out
            [$($done)* { $docs $ga $field [$($open)* crate::$t $($close)*] $v $conv }]
            $($rest)* }
    };
    (@nested [$count:tt [held] $g:tt] $out:tt [$($done:tt)*] [$docs:tt $ga:tt] $field:ident [$($open:tt)*] [$($close:tt)*]
        $t:ident $v:ident $conv:tt $($rest:tt)*
    ) => {
        $crate::result_class! { @fields [$count [held] $g] $out
            [$($done)* { $docs $ga $field
                [$($open)* <crate::$t as $crate::results::Held>::Out $($close)*] $v $conv }]
            $($rest)* }
    };
    // A binding that asks for a `__repr__` (`[path]`: a function from a field's value to text).
    (@fields $cfg:tt
        [class $st:tt $im:tt $g0:tt [$repr:path] $doc:tt $name:ident $core:tt [$($extra:tt)*]]
        [$({ $fdoc:tt $g:tt $field:ident $ty:tt $v:ident $get:tt })*]
    ) => {
        $crate::result_class! { @fields $cfg
            [class $st $im $g0 [] $doc $name $core [
                $($extra)*
                fn __repr__(&self) -> String {
                    $crate::results::repr_line(
                        stringify!($name),
                        &[$((stringify!($field), $repr(&self.$field()))),*],
                    )
                }
            ]]
            [$({ $fdoc $g $field $ty $v $get })*]
        }
    };
    (@fields [$count:tt [$nest:ident] $gg:tt]
        [class [$($st:tt)*] [$($im:tt)*] $g0:tt [] [$($doc:tt)*] $name:ident [$core:ty]
         [$($extra:tt)*]]
        [$({ [$($fdoc:tt)*] [$($g:tt)*] $field:ident [$($ty:tt)*] $v:ident [$($get:tt)*] })*]
    ) => {
        $($doc)* $($st)* pub struct $name {
            pub(crate) inner: $core,
        }

        $($im)* impl $name {
            $(
                $($fdoc)*
                $($g)*
                pub fn $field(&self) -> $($ty)* {
                    let $v = &self.inner;
                    $($get)*
                }
            )*
            $($extra)*
        }

        impl From<&$core> for $name {
            fn from(inner: &$core) -> Self {
                $name {
                    inner: inner.clone(),
                }
            }
        }
        $crate::result_class!(@held $nest class $name);
    };
    (@fields [$count:tt [$nest:ident] $gg:tt]
        [record [$($st:tt)*] $im:tt $g0:tt $repr:tt [$($doc:tt)*] $name:ident [$core:ty] []]
        [$({ [$($fdoc:tt)*] [$($g:tt)*] $field:ident [$($ty:tt)*] $v:ident [$($get:tt)*] })*]
    ) => {
        $($doc)* $($st)* pub struct $name {
            $($($fdoc)* pub $field: $($ty)*,)*
        }

        impl From<&$core> for $name {
            fn from(inner: &$core) -> Self {
                $name {
                    $($field: {
                        let $v = inner;
                        $($get)*
                    },)*
                }
            }
        }
        $crate::result_class!(@held $nest record $name);
    };
    (@held held class $name:ident) => {
        impl $crate::results::Held for $name {
            type Out = std::sync::Arc<$name>;
            fn hold(self) -> std::sync::Arc<$name> {
                std::sync::Arc::new(self)
            }
        }
    };
    (@held $nest:ident $shape:ident $name:ident) => {
        impl $crate::results::Held for $name {
            type Out = $name;
            fn hold(self) -> $name {
                self
            }
        }
    };
}

/// How a binding holds a value of a declared type inside another one (uniffi: an object in an
/// `Arc`; everything else as it is). Implemented by [`result_class!`].
pub trait Held {
    /// The held form.
    type Out;
    /// `self` in that form.
    fn hold(self) -> Self::Out;
}

/// A binding's count type made from the core's `u64` (Node's `f64`: exact below 2^53).
pub trait FromCount {
    /// `n` as this type.
    fn from_count(n: u64) -> Self;
}

impl FromCount for u64 {
    fn from_count(n: u64) -> Self {
        n
    }
}

impl FromCount for f64 {
    fn from_count(n: u64) -> Self {
        n as f64
    }
}

/// `Name(field=value, ...)`, the repr of a declared class whose binding asks for one.
pub fn repr_line(name: &str, fields: &[(&str, String)]) -> String {
    let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{name}({})", fields.join(", "))
}

/// Calls `$each!(Name)` for every declared result type.
#[macro_export]
macro_rules! all_result_types {
    ($each:ident) => {
        $each!(DynoSize);
        $each!(Formation);
        $each!(Process);
        $each!(ApiDynoSize);
        $each!(CutoverPlan);
        $each!(AppPlans);
        $each!(FleetReport);
        $each!(CostLine);
        $each!(CostReport);
        $each!(CutoverOutcome);
        $each!(PreflightReport);
        $each!(DrainReport);
        $each!(Finding);
        $each!(DryRunStep);
        $each!(DryRunReport);
        $each!(TimeSpan);
        $each!(LineCounts);
        $each!(UnparsedExample);
        $each!(InputIssue);
        $each!(Profiles);
        $each!(SynthReport);
        $each!(Explanation);
        $each!(Explained);
        $each!(HpaSizing);
        $each!(ProcessSizing);
        $each!(SizingReport);
        $each!(BacktestRow);
        $each!(StrategySummary);
        $each!(BacktestReport);
    };
}

/// One declared result type, as data (for the generated stubs and docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultDecl {
    /// The class name in every language.
    pub name: &'static str,
    /// Its documentation.
    pub doc: String,
    /// Its fields, in order.
    pub fields: Vec<FieldDecl>,
}

/// One field of a [`ResultDecl`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDecl {
    /// The snake_case name (Node shows it in camelCase).
    pub name: &'static str,
    /// The Rust type as written in the declaration (`Option<f64>`).
    pub rust_type: String,
    /// Its documentation.
    pub doc: String,
    /// Its type in `index.d.ts` when narrower than the Rust type gives (`'low' | 'high'`).
    pub typescript: Option<&'static str>,
}

/// The documentation lines of a declaration joined into one text (each `///` line, trimmed).
fn doc_text(lines: &[&str]) -> String {
    lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ")
}

macro_rules! describe {
    (
        $(#[doc = $doc:tt])* $name:ident : $core:ty { $($extra:tt)* }
        $($fields:tt)*
    ) => {
        ResultDecl {
            name: stringify!($name),
            doc: doc_text(&[$($doc),*]),
            fields: describe!(@fields [] $($fields)*),
        }
    };
    (@fields [$($done:expr,)*]) => { vec![$($done),*] };
    (@fields [$($done:expr,)*] $(#[doc = $fdoc:tt])* $field:ident : class $t:ident
        = |$v:ident| $get:expr; $($rest:tt)*) => {
        describe!(@fields [$($done,)* field(stringify!($field), stringify!($t),
            &[$($fdoc),*]),] $($rest)*)
    };
    (@fields [$($done:expr,)*] $(#[doc = $fdoc:tt])* $field:ident : $kind:ident<class $t:ident>
        = |$v:ident| $get:expr; $($rest:tt)*) => {
        describe!(@fields [$($done,)* field(stringify!($field),
            &format!("{}<{}>", stringify!($kind), stringify!($t)), &[$($fdoc),*]),] $($rest)*)
    };
    (@fields [$($done:expr,)*] $(#[doc = $fdoc:tt])* $field:ident : $ty:ty as $ts:literal
        = |$v:ident| $get:expr; $($rest:tt)*) => {
        describe!(@fields [$($done,)* FieldDecl {
            typescript: Some($ts),
            ..field(stringify!($field), stringify!($ty), &[$($fdoc),*])
        },] $($rest)*)
    };
    (@fields [$($done:expr,)*] $(#[doc = $fdoc:tt])* $field:ident : $ty:ty
        = |$v:ident| $get:expr; $($rest:tt)*) => {
        describe!(@fields [$($done,)* field(stringify!($field), stringify!($ty), &[$($fdoc),*]),]
            $($rest)*)
    };
}

fn field(name: &'static str, rust_type: &str, doc: &[&str]) -> FieldDecl {
    FieldDecl {
        name,
        rust_type: rust_type.replace(' ', ""),
        doc: doc_text(doc),
        typescript: None,
    }
}

/// Every declared result type, in declaration order.
pub fn declarations() -> Vec<ResultDecl> {
    let mut out = Vec::new();
    macro_rules! push {
        ($name:ident) => {
            out.push(result_type!($name => describe {}));
        };
    }
    all_result_types!(push);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_are_documented_and_typed() {
        let decls = declarations();
        let names: std::collections::BTreeSet<&str> = decls.iter().map(|d| d.name).collect();
        assert_eq!(names.len(), decls.len(), "one declaration per name");
        assert_eq!(decls[0].name, "DynoSize");
        for d in &decls {
            assert!(d.doc.ends_with('.'), "{}", d.name);
            for f in &d.fields {
                assert!(
                    f.doc.ends_with('.') || f.doc.ends_with(')'),
                    "{}.{}",
                    d.name,
                    f.name
                );
                assert!(!f.rust_type.contains(' '), "{}", f.rust_type);
            }
        }
        let size = &decls[0].fields[5];
        assert_eq!(
            (size.name, size.rust_type.as_str()),
            ("r15_factor", "Option<f64>")
        );
        let sizing = decls.iter().find(|d| d.name == "ProcessSizing").unwrap();
        let types: Vec<&str> = sizing.fields.iter().map(|f| f.rust_type.as_str()).collect();
        assert!(types.contains(&"Explained") && types.contains(&"Option<HpaSizing>"));
        let report = decls.iter().find(|d| d.name == "SizingReport").unwrap();
        assert_eq!(report.fields[2].rust_type, "Vec<ProcessSizing>");
    }

    /// The accessors compile against the core types (the bindings compile them again).
    #[test]
    fn accessors_read_the_core_values() {
        macro_rules! check {
            (
                $(#[doc = $doc:tt])* $name:ident : $core:ty { $($extra:tt)* }
                $( $(#[doc = $fdoc:tt])* $field:ident : $ty:ty = |$v:ident| $get:expr; )*
            ) => {
                fn read(value: &$core) -> Vec<String> {
                    vec![$({
                        let $v = value;
                        let got: $ty = $get;
                        format!("{}={:?}", stringify!($field), got)
                    }),*]
                }
            };
        }
        result_type!(DynoSize => check {});
        let fields = read(&crate::DynoSize::lookup("standard-2x").unwrap());
        assert!(
            fields.contains(&"cpu_kind=\"shared\"".to_owned()),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"list_monthly_usd=Some(50.0)".to_owned()),
            "{fields:?}"
        );
    }
}
