//! What each command does, once its arguments are parsed and built.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::args::{BaserateArgs, FormatArg, InputArgs, ReportFormat, RunArgs, SweepArgs};
use super::build::{read_report_head, run_options};
use super::{error_text, exit, status};
use crate::capture::{InputSpec, expand_inputs};
use crate::generate;
use crate::measure::BaseRate;
use crate::output::{Claim, Staged};
use crate::oversight::{self, LogHead, Problem};
use crate::pipeline::{self, Output, Summary};
use crate::scenario::Scenario;
use crate::simulator::{self, Report};

/// `ivraie verify-log`: the verdict on stdout; exit 0 (intact), 2 (not
/// intact) or 1 (could not be checked).
pub(super) fn verify_log(
    file: &Path,
    expect: Option<LogHead>,
    report: Option<&Path>,
) -> Result<ExitCode> {
    let expect = match (expect, report) {
        (Some(h), _) => Some(h),
        (None, Some(r)) => match read_report_head(r) {
            Ok(h) => Some(h),
            Err(e) => {
                eprintln!("ivraie: error: {}", error_text(&e));
                return Ok(ExitCode::from(exit::ERROR));
            }
        },
        (None, None) => None,
    };
    let result = match &expect {
        Some(h) => oversight::verify_against(file, h),
        None => oversight::verify(file),
    };
    let mut out = io::stdout().lock();
    match result {
        Ok(v) => {
            writeln!(
                out,
                "OK: {}: {} entries verify, the last one closes the log; head {}{}",
                file.display(),
                v.entries,
                v.head_hash,
                if expect.is_some() {
                    " (the head the run recorded)"
                } else {
                    ""
                }
            )?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if let Problem::Io { source } = &e.problem {
                eprintln!("ivraie: error: cannot read {}: {source}", file.display());
                return Ok(ExitCode::from(exit::ERROR));
            }
            writeln!(out, "FAILED: {}: {e}", file.display())?;
            out.flush()?;
            Ok(ExitCode::from(exit::DAMAGED))
        }
    }
}

/// `ivraie baserate`.
pub(super) fn baserate(args: &BaserateArgs) -> Result<ExitCode> {
    let b = BaseRate {
        population: args.population,
        targets: args.targets,
        tpr: args.tpr,
        fpr: args.fpr,
    };
    if let Err(e) = b.validate() {
        eprintln!("ivraie: error: {e}");
        return Ok(ExitCode::from(exit::ERROR));
    }
    let x = b.extrapolate();
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &x)?;
        writeln!(out)?;
    } else {
        out.write_all(crate::report::baserate::baserate_text(&x).as_bytes())?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Says how big a scenario's traffic is before reading it: a generated
/// population's packets (measured on a sample), or the captures' bytes.
/// Quiet when `quiet` and the job is small.
pub(super) fn announce_size(s: &Scenario, quiet: bool) -> Result<()> {
    let mut parts = Vec::new();
    let mut big = false;
    if let Some(pop) = &s.source.generate {
        let est = generate::estimate_size(pop).map_err(anyhow::Error::msg)?;
        big |= est.packets > 10_000_000;
        parts.push(format!(
            "{} people over {} days to generate (about {} packets)",
            crate::report::thousands(pop.population as u64),
            pop.days,
            crate::report::about(est.packets as f64)
        ));
    }
    let (inputs, _) = expand_inputs(&s.source.captures);
    if !inputs.is_empty() {
        let bytes: u64 = inputs
            .iter()
            .filter_map(|i| match i {
                InputSpec::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
                _ => None,
            })
            .sum();
        big |= bytes > 1 << 30;
        parts.push(format!(
            "{} capture{} ({})",
            inputs.len(),
            if inputs.len() == 1 { "" } else { "s" },
            crate::report::bytes(bytes)
        ));
        if s.clock.loops > 1 {
            parts.push(format!("looped {} times", s.clock.loops));
        }
    }
    if !parts.is_empty() && (big || !quiet) {
        eprintln!("ivraie: reading {}", parts.join(", "));
    }
    Ok(())
}

/// What a run's or sweep's output directory holds the output of.
pub(super) fn scenario_claim(s: &Scenario) -> String {
    format!("scenario `{}`", s.name)
}

pub(super) fn run_scenario(f: &RunArgs) -> Result<ExitCode> {
    let path = f.scenario.as_path();
    let mut s = Scenario::load(path)?;
    if !f.captures.is_empty() {
        s.source.captures = f.captures.clone();
    }
    let mut opts = run_options(
        path,
        f.output.clone().or_else(|| s.output.clone()),
        "",
        &f.run,
    )?;
    if super::cluster::contributed(&s, &opts, f.replicates)? {
        return Ok(ExitCode::SUCCESS);
    }
    let out_dir = opts.out_dir.clone();
    let staged = Staged::prepare(
        &out_dir,
        Claim::new("run", &scenario_claim(&s)),
        f.run.force,
    )?;
    announce_size(&s, f.json || f.run.no_progress)?;
    opts.out_dir = staged.dir().to_path_buf();
    if opts.cluster.is_some() {
        let mut kept = out_dir.clone().into_os_string();
        kept.push(".abandoned-oversight.jsonl");
        crate::output::keep_on_abandon(staged.dir().join("oversight.jsonl"), kept.into());
    }
    let report = simulator::run(&s, path, &opts)?;
    crate::report::write_outputs(staged.dir(), &report, f.tables)?;
    let replicated = if f.replicates > 1 {
        let (rows, spreads) = crate::replicate::run(&s, path, &opts, f.replicates)?;
        let csv = staged.dir().join("replicates.csv");
        crate::output::write_atomically(&csv, |w| {
            w.write_all(crate::replicate::csv(&rows).as_bytes())
        })?;
        Some(crate::replicate::summary(f.replicates, &spreads))
    } else {
        None
    };
    staged.commit()?;
    let json = f.json;
    for w in &report.warnings {
        eprintln!("ivraie: warning: {w}");
    }
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        crate::report::terminal(&mut out, &report, &out_dir)?;
        if let Some(text) = &replicated {
            write!(out, "\n{text}")?;
        }
    }
    out.flush()?;
    Ok(if report.traffic.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::DAMAGED)
    })
}

/// `ivraie report DIR`: redraws the HTML report or writes the tables.
pub(super) fn report_dir(dir: &Path, format: ReportFormat) -> Result<ExitCode> {
    let path = dir.join("report.json");
    let text = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    if !value.get("boxes").is_some_and(serde_json::Value::is_array) {
        bail!(
            "{} is not an ivraie report (no `boxes` list)",
            path.display()
        );
    }
    let report: Report = serde_json::from_value(value.clone()).with_context(|| {
        format!(
            "{} does not read as a report of ivraie {}",
            path.display(),
            env!("CARGO_PKG_VERSION")
        )
    })?;
    let written = match format {
        ReportFormat::Html => vec![crate::report::write_html(dir, &report)?],
        ReportFormat::Csv => crate::report::write_tables(dir, &value)?,
        #[cfg(feature = "parquet")]
        ReportFormat::Parquet => crate::report::write_parquet_tables(dir, &value)?,
        #[cfg(not(feature = "parquet"))]
        ReportFormat::Parquet => {
            return Err(super::build::needs_feature(
                "--format parquet",
                "parquet",
                "",
            ));
        }
    };
    let mut out = io::stdout().lock();
    for p in written {
        writeln!(out, "{}", p.display())?;
    }
    out.flush()?;
    // The run's log is checked whatever is written: a report redrawn over a
    // tampered log must not pass in silence (the HTML says it too).
    use crate::report::html::LogCheck;
    let log = dir.join("oversight.jsonl");
    match LogCheck::of(dir, &report) {
        LogCheck::Verified { .. } => Ok(ExitCode::SUCCESS),
        LogCheck::Failed(why) => {
            eprintln!(
                "ivraie: warning: {} does not verify: {why} (`ivraie verify-log {}` says more)",
                log.display(),
                log.display()
            );
            Ok(ExitCode::from(exit::DAMAGED))
        }
        LogCheck::Unchecked(why) => {
            eprintln!(
                "ivraie: warning: {} could not be checked: {why}",
                log.display()
            );
            Ok(ExitCode::from(exit::DAMAGED))
        }
    }
}

pub(super) fn run_pipeline(
    args: &InputArgs,
    inputs: &[InputSpec],
    skipped: Vec<PathBuf>,
    cfg: &pipeline::Config,
) -> Result<Summary> {
    #[cfg(feature = "live")]
    if let Some(iface) = &args.interface {
        use crate::capture::live::{LiveSource, Stop};
        let stop = Stop {
            duration: args.duration.map(std::time::Duration::from_secs),
            count: args.count,
        };
        // The kernel filters live traffic; a second pass in the reader is redundant.
        let src = LiveSource::open(iface, args.filter.as_deref(), stop)?;
        let cfg = pipeline::Config {
            filter: None,
            ..cfg.clone()
        };
        return Ok(pipeline::run_source(
            src,
            vec![format!("interface {iface}")],
            &cfg,
        )?);
    }
    #[cfg(not(feature = "live"))]
    let _ = args;
    let mut summary = pipeline::run(inputs, cfg)?;
    summary.skipped = skipped.iter().map(|p| p.display().to_string()).collect();
    for e in &summary.errors {
        eprintln!("ivraie: warning: {}", e.message);
    }
    Ok(summary)
}

/// `ivraie inspect`.
pub(super) fn inspect(input: &InputArgs, json: bool) -> Result<ExitCode> {
    let (inputs, skipped, cfg) = input.build(None)?;
    let summary = run_pipeline(input, &inputs, skipped, &cfg)?;
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &summary)?;
        writeln!(out)?;
    } else {
        crate::report::inspect::write_summary(&mut out, &summary)?;
    }
    out.flush()?;
    Ok(status(&summary))
}

/// `ivraie extract`.
pub(super) fn extract(
    input: &InputArgs,
    output: &Path,
    format: FormatArg,
    force: bool,
) -> Result<ExitCode> {
    let format = format.build()?;
    // Checked (and the place claimed) before any work.
    let staged = Staged::prepare(output, Claim::new("extract", ""), force)?;
    let (inputs, skipped, cfg) = input.build(Some(Output {
        dir: staged.dir().to_path_buf(),
        format,
    }))?;
    let mut summary = run_pipeline(input, &inputs, skipped, &cfg)?;
    for p in &mut summary.outputs {
        if let Ok(rest) = p.strip_prefix(staged.dir()) {
            *p = output.join(rest);
        }
    }
    staged.commit()?;
    let pps = summary.traffic.packets as f64 / summary.wall_s.max(1e-9);
    eprintln!(
        "ivraie: {} packets, {} flows in {:.2} s ({:.2} M packets/s) -> {}",
        summary.traffic.packets,
        summary.flows,
        summary.wall_s,
        pps / 1e6,
        summary
            .outputs
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(status(&summary))
}

/// `ivraie sweep`.
pub(super) fn sweep(a: SweepArgs) -> Result<ExitCode> {
    let s = Scenario::load(&a.scenario)?;
    let mut opts = run_options(&a.scenario, a.output, "-sweep", &a.run)?;
    if super::cluster::contributed(&s, &opts, a.replicates)? {
        return Ok(ExitCode::SUCCESS);
    }
    let out_dir = opts.out_dir.clone();
    let staged = Staged::prepare(
        &out_dir,
        Claim::new("sweep", &scenario_claim(&s)),
        a.run.force,
    )?;
    opts.out_dir = staged.dir().to_path_buf();
    let swept = crate::sweep::run_replicated(&s, &a.scenario, a.sets, &opts, a.replicates)?;
    crate::sweep::write_csv(staged.dir(), &swept)?;
    if a.replicates > 1 {
        let csv = staged.dir().join("replicates.csv");
        crate::output::write_atomically(&csv, |w| {
            w.write_all(crate::sweep::replicates_csv(&swept).as_bytes())
        })?;
    }
    crate::sweep::write_html(staged.dir(), &swept, &s.name)?;
    staged.commit()?;
    eprintln!(
        "ivraie: {} points in {:.1} s (traffic read {} and simulated in {:.1} s) -> {}, {}",
        swept.points.len(),
        swept.wall_s,
        match swept.reads {
            1 => "once".to_string(),
            n => format!("{n} times, once per population"),
        },
        swept.prepare_s,
        out_dir.join("sweep.csv").display(),
        out_dir.join("sweep.html").display()
    );
    let mut out = io::stdout().lock();
    out.write_all(&crate::sweep::csv_bytes(&swept))?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `ivraie check`: each scenario's verdict, exit 1 if one is invalid.
pub(super) fn check(scenarios: &[PathBuf]) -> Result<ExitCode> {
    let mut out = io::stdout().lock();
    let mut bad = 0;
    for path in scenarios {
        match Scenario::load(path) {
            Ok(s) => {
                let boxes: Vec<String> = s
                    .boxes()
                    .map(|b| {
                        format!(
                            "{} ({}, threshold {} in {})",
                            b.name,
                            b.scope.name(),
                            b.threshold,
                            b.window
                        )
                    })
                    .collect();
                writeln!(out, "{}: OK: {}", path.display(), boxes.join("; "))?;
            }
            Err(e) => {
                bad += 1;
                eprintln!("ivraie: error: {e}");
            }
        }
    }
    out.flush()?;
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::ERROR)
    })
}
