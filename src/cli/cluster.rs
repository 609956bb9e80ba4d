//! The command line's cluster side: a cluster process's `extract`, the
//! processes other than 0 of `run` and `sweep`, and `cluster-local`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::args::{FormatArg, InputArgs};
use super::status;
use crate::capture::{InputSpec, expand_inputs};
use crate::output::{Claim, Staged};
use crate::pipeline::{self, Output};
use crate::scenario::Scenario;
use crate::simulator;

/// On a cluster process other than 0: reads its shares for the cluster and
/// says so (true); on process 0 or outside a cluster, nothing (false).
pub(super) fn contributed(
    s: &Scenario,
    opts: &simulator::RunOptions,
    replicates: u32,
) -> Result<bool> {
    let Some(spec) = &opts.cluster else {
        return Ok(false);
    };
    if replicates > 1 {
        bail!("--replicates is not available on a cluster: run one replicate at a time");
    }
    if spec.process == 0 {
        return Ok(false);
    }
    simulator::contribute(s, opts)?;
    eprintln!(
        "ivraie: process {} of {}: its shares of the traffic are read; process 0 writes the outputs",
        spec.process,
        spec.hosts.len()
    );
    Ok(true)
}

/// `ivraie extract` as one process of a cluster: each worker reads the
/// input arguments assigned to its share ([`crate::cluster::assign`]);
/// process 0 writes the record files, the single run's bytes.
pub(super) fn extract(
    input: &InputArgs,
    output: &Path,
    format: FormatArg,
    force: bool,
    spec: &crate::cluster::Spec,
) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let format = format.build()?;
    if input.captures.iter().any(|p| p.as_os_str() == "-") || input.interface.is_some() {
        bail!("a cluster reads capture files: not standard input nor an interface");
    }
    // Process 0 stages the output; every process spills its share's records
    // in a private temporary directory beside it.
    let staged = if spec.process == 0 {
        Some(Staged::prepare(output, Claim::new("extract", ""), force)?)
    } else {
        None
    };
    let parent = crate::output::parent_of(output).to_path_buf();
    std::fs::create_dir_all(&parent).with_context(|| parent.display().to_string())?;
    let spill = crate::output::private_temp_dir(&parent, "share")
        .with_context(|| parent.display().to_string())?;
    let out = Output {
        dir: staged
            .as_ref()
            .map_or(spill.path(), |s| s.dir())
            .to_path_buf(),
        format,
    };
    let (inputs, skipped, cfg) = input.build(Some(out.clone()))?;
    // One group a command-line argument: the files of one link stay together.
    let groups: Vec<Vec<InputSpec>> = input
        .captures
        .iter()
        .map(|a| expand_inputs(std::slice::from_ref(a)).0)
        .collect();
    let sizes: Vec<u64> = groups
        .iter()
        .map(|g| {
            g.iter()
                .map(|i| match i {
                    InputSpec::File(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
                    _ => 0,
                })
                .sum()
        })
        .collect();
    let owner = crate::cluster::assign(&sizes, spec.shares());
    // The files are written once every process is done: with every thread.
    let write_threads = cfg.threads;
    let cfg = pipeline::Config {
        progress: false,
        threads: (cfg.threads / spec.workers).max(1),
        ..cfg
    };
    let mmap = cfg.mmap;
    let read: crate::cluster::ReadRuns = std::sync::Arc::new(move |share, _shares, dir, clock| {
        let mine: Vec<InputSpec> = groups
            .iter()
            .zip(&owner)
            .filter(|(_, o)| **o == share)
            .flat_map(|(g, _)| g.iter().cloned())
            .collect();
        let share_dir = dir.join(format!("share-{share}"));
        std::fs::create_dir_all(&share_dir).map_err(|e| format!("{}: {e}", share_dir.display()))?;
        let cfg = pipeline::Config {
            output: Some(Output {
                dir: share_dir,
                format,
            }),
            end_clock: Some(clock),
            ..cfg.clone()
        };
        let source = crate::capture::MergedSource::open(&mine, mmap);
        pipeline::run_source_runs(source, &cfg).map_err(|e| e.to_string())
    });
    let got = crate::cluster::extract(spec, read, spill.path()).map_err(anyhow::Error::msg)?;
    let (Some(staged), Some((parts, files))) = (staged, got) else {
        eprintln!(
            "ivraie: process {} of {}: its shares of the captures are read; process 0 writes the records",
            spec.process,
            spec.hosts.len()
        );
        return Ok(ExitCode::SUCCESS);
    };
    let names = inputs.iter().map(|i| i.name()).collect();
    let mut summary = pipeline::summarize(names, parts);
    summary.skipped = skipped.iter().map(|p| p.display().to_string()).collect();
    summary.outputs = pipeline::write_outputs(&out, files, write_threads)?
        .into_iter()
        .map(|p| match p.strip_prefix(staged.dir()) {
            Ok(rest) => output.join(rest),
            Err(_) => p,
        })
        .collect();
    drop(spill);
    staged.commit()?;
    for e in &summary.errors {
        eprintln!("ivraie: warning: {}", e.message);
    }
    let wall = started.elapsed().as_secs_f64();
    eprintln!(
        "ivraie: {} packets, {} flows in {:.2} s ({:.2} M packets/s) on {} processes x {} workers -> {}",
        summary.traffic.packets,
        summary.flows,
        wall,
        summary.traffic.packets as f64 / wall.max(1e-9) / 1e6,
        spec.hosts.len(),
        spec.workers,
        output.display()
    );
    Ok(status(&summary))
}

/// `ivraie cluster-local`: N processes of one command on localhost.
pub(super) fn local(n: usize, workers: usize, command: &[String]) -> Result<ExitCode> {
    if !cfg!(feature = "cluster") {
        bail!(
            "this ivraie was built without the `cluster` feature \
             (cargo build --release --features cluster)"
        );
    }
    if n == 0 || workers == 0 {
        bail!("a cluster has at least one process of at least one worker");
    }
    match command.first().map(String::as_str) {
        Some("run" | "sweep" | "extract") => {}
        other => bail!(
            "cluster-local runs `run`, `sweep` or `extract`, not {}",
            other.map_or("nothing".to_string(), |c| format!("`{c}`"))
        ),
    }
    if command
        .iter()
        .any(|a| a == "--processes" || a == "--process" || a == "--hostfile")
    {
        bail!("cluster-local gives each process its --processes, --process and --hostfile");
    }
    // Free ports, chosen by the kernel now.
    let listeners = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()
        .context("choosing free localhost ports")?;
    let mut hosts = String::new();
    for l in &listeners {
        hosts.push_str(&format!("127.0.0.1:{}\n", l.local_addr()?.port()));
    }
    drop(listeners);
    let tmp = crate::output::private_temp_dir(&std::env::temp_dir(), "cluster")
        .context("a temporary directory for the hostfile")?;
    let hostfile = tmp.path().join("hosts");
    std::fs::write(&hostfile, hosts).with_context(|| hostfile.display().to_string())?;
    let exe = std::env::current_exe().context("finding the ivraie executable")?;
    let mut children = Vec::new();
    for i in 0..n {
        let child = std::process::Command::new(&exe)
            .args(command)
            .args(["--processes", &n.to_string(), "--process", &i.to_string()])
            .args(["--workers", &workers.to_string()])
            .arg("--hostfile")
            .arg(&hostfile)
            .stdout(if i == 0 {
                std::process::Stdio::inherit()
            } else {
                std::process::Stdio::null()
            })
            .spawn()
            .with_context(|| format!("starting process {i}"))?;
        children.push(Some(child));
    }
    // Wait for all; one failing (a bad argument, a lost peer) ends the rest.
    let mut codes: Vec<Option<i32>> = vec![None; n];
    let mut failed = false;
    while codes.iter().any(Option::is_none) {
        for (i, slot) in children.iter_mut().enumerate() {
            let Some(c) = slot else { continue };
            if let Some(status) = c.try_wait()? {
                codes[i] = Some(status.code().unwrap_or(1));
                failed |= !status.success() && status.code() != Some(2);
                *slot = None;
            }
        }
        if failed {
            for c in children.iter_mut().flatten() {
                let _ = c.kill();
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let code = codes[0].unwrap_or(1);
    if let Some((i, c)) = codes
        .iter()
        .enumerate()
        .find(|(_, c)| **c != Some(0) && **c != Some(2))
    {
        eprintln!(
            "ivraie: cluster-local: process {i} exited with status {}",
            c.unwrap_or(1)
        );
    }
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}
