//! What the command line builds: the pipeline's configuration and its inputs,
//! a population, a record format; and the parsers of the values people type
//! (counts, rates, log heads). Nothing here runs.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::args::{FormatArg, GenerateArgs, InputArgs, ScenarioFlags};
use crate::capture::{InputSpec, expand_inputs};
use crate::flow::{FlowConfig, Subscribers};
use crate::generate::{self, Population, System};
use crate::oversight::LogHead;
use crate::pipeline::{self, Format, Output};
use crate::simulator::{KeyChoice, RunOptions};

/// A count of people: digits with optional `_` or `,` separators, or a whole
/// number in scientific notation (`6e7`).
pub(super) fn parse_count(s: &str) -> Result<u64, String> {
    let bad = || format!("`{s}` is not a whole number of people");
    let digits: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, '_' | ','))
        .collect();
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits.parse().map_err(|_| format!("`{s}` is too large"));
    }
    if digits.contains(['e', 'E']) {
        let x: f64 = digits.parse().map_err(|_| bad())?;
        if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= u64::MAX as f64 {
            return Ok(x as u64);
        }
    }
    Err(bad())
}

/// A rate: a proportion (`0.01`) or a percentage (`1%`), between 0 and 1.
pub(super) fn parse_rate(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, scale) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (t, 1.0),
    };
    let x: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a rate (write 0.01 or 1%)"))?;
    let r = x / scale;
    if !(0.0..=1.0).contains(&r) {
        return Err(format!("`{s}` is not between 0 and 1 (0% and 100%)"));
    }
    Ok(r)
}

/// `HASH:COUNT`, the head a run recorded for its oversight log.
pub(super) fn parse_head(s: &str) -> Result<LogHead, String> {
    let (hash, count) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("`{s}` is not HASH:COUNT"))?;
    let hash = hash.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("`{hash}` is not a SHA-256 hash (64 hex digits)"));
    }
    let entries = count
        .trim()
        .parse()
        .map_err(|_| format!("`{count}` is not a number of entries"))?;
    Ok(LogHead {
        entries,
        head_hash: hash,
    })
}

/// Whether `path` is a labels file `ivraie generate` wrote (its first line is
/// the labels header).
pub(super) fn is_labels_file(path: &Path) -> bool {
    crate::output::first_line(path).is_some_and(|l| l.starts_with(generate::LABELS_HEADER))
}

impl GenerateArgs {
    /// The population: the file's values (or the defaults), then the flags.
    pub(super) fn build(&self) -> Result<Population> {
        let mut p = match &self.population_file {
            Some(f) => Population::from_toml_file(f).map_err(anyhow::Error::msg)?,
            None => Population::default(),
        };
        if let Some(v) = self.population {
            p.population = v;
        }
        if let Some(v) = self.days {
            p.days = v;
        }
        if let Some(v) = self.seed {
            p.seed = v;
        }
        if let Some(v) = &self.start {
            p.start = v.clone();
        }
        if let Some(v) = &self.subscribers {
            p.subscribers = v.clone();
        }
        if let Some(v) = self.targets {
            p.targets = v;
        }
        if let Some(v) = self.lookalikes {
            p.lookalikes = Some(v);
        }
        if let Some(list) = &self.systems {
            p.systems = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    System::from_name(s).with_context(|| {
                        format!("--systems: `{s}` is not l851, hadopi, pbx or spam")
                    })
                })
                .collect::<Result<_>>()?;
        }
        p.validate().map_err(anyhow::Error::msg)?;
        Ok(p)
    }
}

impl InputArgs {
    /// Builds the pipeline configuration and the list of inputs.
    pub(super) fn build(
        &self,
        output: Option<Output>,
    ) -> Result<(Vec<InputSpec>, Vec<PathBuf>, pipeline::Config)> {
        let subscribers = match &self.subscribers {
            Some(s) => s
                .parse::<Subscribers>()
                .map_err(anyhow::Error::msg)
                .context("--subscribers")?,
            None => Subscribers::private(),
        };
        let threads = thread_count(self.threads)?;
        if self.max_flows == 0 {
            bail!("--max-flows must be at least 1");
        }
        const SEC: i64 = 1_000_000_000;
        let flow = FlowConfig {
            tcp_idle_ns: self.tcp_timeout as i64 * SEC,
            udp_idle_ns: self.udp_timeout as i64 * SEC,
            other_idle_ns: self.other_timeout as i64 * SEC,
            active_ns: self.active_timeout as i64 * SEC,
            max_flows: self.max_flows,
            ..FlowConfig::default()
        };
        #[cfg(not(feature = "live"))]
        for (set, option) in [
            (self.interface.is_some(), "-i/--interface"),
            (self.filter.is_some(), "--filter"),
        ] {
            if set {
                return Err(needs_feature(
                    option,
                    "live",
                    " (and libpcap: apt-get install libpcap-dev)",
                ));
            }
        }
        let (inputs, skipped) = expand_inputs(&self.captures);
        let live = self.interface.is_some();
        if inputs.is_empty() && !live {
            bail!("no capture found in {}", display_list(&self.captures));
        }
        if inputs.iter().filter(|i| **i == InputSpec::Stdin).count() > 1 {
            bail!("`-` (standard input) can be given only once");
        }
        let cfg = pipeline::Config {
            threads,
            flow,
            subscribers,
            output,
            progress: !self.no_progress,
            span_ns: None,
            end_ns: None,
            end_clock: None,
            dissect: !self.flows_only,
            mmap: self.mmap,
            keep: false,
            #[cfg(feature = "live")]
            filter: self.filter.clone(),
        };
        Ok((inputs, skipped, cfg))
    }
}

fn display_list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FormatArg {
    pub(super) fn build(self) -> Result<Format> {
        match self {
            FormatArg::Jsonl => Ok(Format::Jsonl),
            FormatArg::Csv => Ok(Format::Csv),
            #[cfg(feature = "parquet")]
            FormatArg::Parquet => Ok(Format::Parquet),
            #[cfg(not(feature = "parquet"))]
            FormatArg::Parquet => Err(needs_feature("--format parquet", "parquet", "")),
        }
    }
}

/// The error of an option whose feature this build left out.
#[allow(dead_code)]
pub(super) fn needs_feature(option: &str, feature: &str, extra: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{option} needs ivraie built with the `{feature}` feature: \
         cargo build --release --features {feature}{extra}"
    )
}

/// `--threads`: the number of cores by default, at least 1.
pub(super) fn thread_count(threads: Option<usize>) -> Result<usize> {
    match threads {
        Some(0) => bail!("--threads must be at least 1"),
        Some(n) => Ok(n),
        None => Ok(pipeline::Config::default().threads),
    }
}

/// The `oversight_head` a run stored in its report.
pub(super) fn read_report_head(path: &Path) -> Result<LogHead> {
    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let report: serde_json::Value =
        serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let head = report
        .get("oversight_head")
        .with_context(|| format!("{} has no `oversight_head` field", path.display()))?;
    serde_json::from_value(head.clone())
        .with_context(|| format!("`oversight_head` in {}", path.display()))
}

/// The options of `run` and `sweep`: the output directory defaults to
/// `runs/<scenario file stem><suffix>`.
pub(super) fn run_options(
    scenario: &std::path::Path,
    output: Option<PathBuf>,
    suffix: &str,
    f: &ScenarioFlags,
) -> Result<RunOptions> {
    let out_dir = output.unwrap_or_else(|| {
        let stem = scenario
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned());
        PathBuf::from("runs").join(format!("{}{suffix}", stem.unwrap_or_else(|| "run".into())))
    });
    Ok(RunOptions {
        out_dir,
        threads: thread_count(f.threads)?,
        progress: !f.no_progress,
        key: f.key_file.clone().map(KeyChoice::File).unwrap_or_default(),
        name_inputs: f.name_inputs,
        cluster: cluster_spec(&f.cluster)?,
    })
}

/// The cluster a process belongs to, if any.
pub(super) fn cluster_spec(f: &super::args::ClusterFlags) -> Result<Option<crate::cluster::Spec>> {
    let (Some(n), Some(i), Some(hostfile)) = (f.processes, f.process, &f.hostfile) else {
        return Ok(None);
    };
    if !cfg!(feature = "cluster") {
        anyhow::bail!(
            "--processes: this ivraie was built without the `cluster` feature \
             (cargo build --release --features cluster)"
        );
    }
    let spec = crate::cluster::Spec::from_hostfile(hostfile, n, i, f.workers.unwrap_or(1))
        .map_err(anyhow::Error::msg)?;
    Ok(Some(spec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_the_way_people_write_them() {
        assert_eq!(parse_count("60,000,000"), Ok(60_000_000));
        assert_eq!(parse_count("60_000_000"), Ok(60_000_000));
        assert_eq!(parse_count("6e7"), Ok(60_000_000));
        assert!(parse_count("1.5").is_err());
        assert!(parse_count("-3").is_err());
        assert!(parse_count("").is_err());
        assert_eq!(parse_rate("1%"), Ok(0.01));
        assert_eq!(parse_rate("0.01"), Ok(0.01));
        assert_eq!(parse_rate("100%"), Ok(1.0));
        assert!(parse_rate("101%").unwrap_err().contains("between 0 and 1"));
        assert!(parse_rate("1.5").is_err());
        assert!(parse_rate("NaN").is_err());
        assert!(parse_rate("a lot").unwrap_err().contains("not a rate"));
        let h = format!("{}:12", "A".repeat(64));
        assert_eq!(parse_head(&h).unwrap().head_hash, "a".repeat(64));
        assert_eq!(parse_head(&h).unwrap().entries, 12);
        assert!(parse_head("abc:12").is_err());
        assert!(parse_head(&"a".repeat(64)).is_err());
    }
}
