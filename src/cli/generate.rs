//! `ivraie generate`: a population's capture, its labels and the ISP's
//! attribution log, each written whole under a temporary name.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::args::GenerateArgs;
use super::build::is_labels_file;
use crate::generate::{self, Generator, Role};

pub(super) fn generate(args: &GenerateArgs) -> Result<ExitCode> {
    let p = args.build()?;
    let stdout = args.output.as_os_str() == "-";
    let labels_to = match (&args.labels, stdout) {
        (Some(l), _) => l.clone(),
        (None, false) => generate::labels_path(&args.output),
        (None, true) => bail!("with `-o -` the labels need a file: add --labels PATH"),
    };
    if !stdout {
        // The capture is an earlier output of `generate` when its labels file
        // beside it is one (the labels are written last).
        let beside = generate::labels_path(&args.output);
        crate::output::claim_file(
            &args.output,
            "a capture written by `ivraie generate` (its labels file is not beside it)",
            args.force,
            |_| is_labels_file(&beside),
        )?;
    }
    crate::output::claim_file(
        &labels_to,
        "a labels file written by `ivraie generate`",
        args.force,
        is_labels_file,
    )?;
    let log_to = crate::identity::log_beside_labels(&labels_to);
    crate::output::claim_file(
        &log_to,
        "an attribution log written by `ivraie generate`",
        args.force,
        crate::identity::is_log_file,
    )?;
    // How big, before starting: measured on a sample of the population.
    let est = generate::estimate_size(&p).map_err(anyhow::Error::msg)?;
    eprintln!(
        "ivraie: {} people over {} day{}: about {} packets, {} of capture, {}",
        crate::report::thousands(p.population as u64),
        p.days,
        if p.days == 1 { "" } else { "s" },
        crate::report::about(est.packets as f64),
        crate::report::bytes(est.capture_bytes),
        crate::progress::duration(est.seconds)
    );
    if !stdout {
        let dir = crate::output::parent_of(&args.output);
        if let Some(free) = crate::output::available_space(dir) {
            // The file is written whole beside its final name: it needs all
            // its room at once, and a margin.
            let need = est.capture_bytes.saturating_add(est.capture_bytes / 10);
            if need > free {
                bail!(
                    "{} would need about {} ({} packets) but {} has {} free: \
                     fewer people (--population) or days (--days), or another disk",
                    args.output.display(),
                    crate::report::bytes(need),
                    crate::report::about(est.packets as f64),
                    dir.display(),
                    crate::report::bytes(free)
                );
            }
        }
    }
    let started = std::time::Instant::now();
    let mut g = Generator::new(&p).map_err(anyhow::Error::msg)?;
    let mut progress = crate::progress::Progress::new(!args.no_progress);
    let span = (g.start_ns(), g.end_ns());
    let mut show = |g: &Generator| {
        progress.update(crate::progress::Position {
            fraction: Some((g.now_ns() - span.0) as f64 / (span.1 - span.0).max(1) as f64),
            packets: g.packets(),
            sim_ns: Some(g.now_ns()),
        })
    };
    let (packets, bytes) = if stdout {
        let mut out = io::BufWriter::with_capacity(1 << 20, io::stdout().lock());
        let r = g.write_all_with(&mut out, &mut show)?;
        out.flush()?;
        r
    } else {
        let mut r = (0, 0);
        crate::output::write_atomically(&args.output, |w| {
            r = g.write_all_with(w, &mut show)?;
            Ok(())
        })?;
        r
    };
    drop(show);
    progress.finish();
    // The ISP's log, then the labels (last: they mark a complete output).
    crate::identity::write_log(&log_to, &g.attribution())
        .with_context(|| format!("writing {}", log_to.display()))?;
    generate::write_labels(&labels_to, g.labels())
        .with_context(|| format!("writing {}", labels_to.display()))?;
    let wall = started.elapsed().as_secs_f64();
    let count = |r: Role| g.labels().iter().filter(|l| l.role == r).count();
    eprintln!(
        "ivraie: {} people ({} targets, {} others), {} days from {}: \
         {packets} packets, {bytes} bytes on the wire in {wall:.2} s ({:.2} M packets/s) -> {}, {}, {}",
        g.labels().len(),
        count(Role::Target),
        count(Role::Ordinary),
        p.days,
        p.start,
        packets as f64 / wall.max(1e-9) / 1e6,
        args.output.display(),
        labels_to.display(),
        log_to.display()
    );
    Ok(ExitCode::SUCCESS)
}
