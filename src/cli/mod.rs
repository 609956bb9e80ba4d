//! The `ivraie` command: clap arguments ([`args`]) → a built configuration →
//! the command ([`commands`]) → an exit status. Nothing else: what a command
//! prints is drawn by `report`, what it computes by the modules below.
//!
//! Exit status, the same for every command ([`exit`]): 0 on success; 1 when the
//! command could not do its job (a usage error, a bad scenario, a file that
//! cannot be read or written, an output place refused); 2 when it did its job
//! on damaged input: some capture could not be read to its end (the rest was
//! still processed and the outputs written), or an oversight log does not
//! verify (`verify-log`, `report`); 128 + N when signal N stopped it (130 for
//! Ctrl-C, 143 for SIGTERM), with no temporary file left behind. A closed
//! stdout (`ivraie inspect x.pcap | head`) is not an error.

use std::io;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

mod args;
mod build;
mod cluster;
mod commands;
mod generate;

use args::{Cli, Command};

/// The exit statuses of every command (README, "Exit status").
pub mod exit {
    /// The command did its job.
    pub const OK: u8 = 0;
    /// The command could not do its job: usage error, bad scenario, unreadable
    /// or unwritable file, refused output place.
    pub const ERROR: u8 = 1;
    /// The job was done on damaged input: a capture not read to its end, or
    /// an oversight log that does not verify.
    pub const DAMAGED: u8 = 2;
}

/// The status of a command that read traffic: damaged if any input was not
/// read to its end.
fn status(s: &crate::pipeline::Summary) -> ExitCode {
    if s.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::DAMAGED)
    }
}

/// Parses the command line, runs, and maps the outcome to an exit status.
pub fn main() -> ExitCode {
    crate::output::install_signal_cleanup();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let _ = e.print();
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                _ => ExitCode::from(exit::ERROR),
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("ivraie: error: {}", error_text(&e));
            ExitCode::from(exit::ERROR)
        }
    }
}

/// An error and its causes on one line, each said once: a cause whose text
/// its context already holds (`cannot read x: No such file...` over the same
/// `No such file...`) is not repeated.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let t = cause.to_string();
        if t.is_empty() || out.contains(&t) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&t);
    }
    out
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(io::ErrorKind::BrokenPipe))
    })
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Generate(args) => generate::generate(&args),
        Command::Inspect { input, json } => commands::inspect(&input, json),
        Command::Extract {
            input,
            output,
            format,
            force,
            cluster,
        } => match super::cli::build::cluster_spec(&cluster)? {
            Some(spec) => cluster::extract(&input, &output, format, force, &spec),
            None => commands::extract(&input, &output, format, force),
        },
        Command::Run(args) => commands::run_scenario(&args),
        Command::Report { dir, format } => commands::report_dir(&dir, format),
        Command::Sweep(args) => commands::sweep(args),
        Command::Check { scenarios } => commands::check(&scenarios),
        Command::Serve {
            scenario,
            bind,
            simulations,
            max_observations,
            run,
        } => {
            let opts = crate::serve::ServeOptions {
                bind,
                simulations,
                max_observations,
                run: build::run_options(&scenario, None, "", &run)?,
            };
            crate::serve::serve(&scenario, opts)?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::ClusterLocal {
            processes,
            workers,
            command,
        } => cluster::local(processes, workers, &command),
        Command::VerifyLog {
            file,
            expect_head,
            report,
        } => commands::verify_log(&file, expect_head, report.as_deref()),
        Command::Baserate(args) => commands::baserate(&args),
    }
}
