//! Where outputs land: a directory is new or an earlier output of the same
//! command and scenario, replaced whole; anything else is refused unless
//! `--force`; SIGINT and SIGTERM during `generate`, `extract` and `run` leave no
//! temporary file and exit 128 + the signal.

#![cfg(unix)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{self, repo, stderr};

fn ivraie(args: &[&str], cwd: &Path) -> Output {
    common::ivraie_in(args, cwd)
}

/// Every name under `dir`, relative, sorted (directories with a `/`).
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            if p.is_dir() {
                out.push(format!("{rel}/"));
                stack.push(p);
            } else {
                out.push(rel);
            }
        }
    }
    out.sort();
    out
}

/// Names of `dir` that are ivraie's temporaries.
fn temporaries(dir: &Path) -> Vec<String> {
    tree(dir)
        .into_iter()
        .filter(|n| {
            n.split('/')
                .any(|c| c.starts_with(ivraie::output::TEMP_PREFIX))
        })
        .collect()
}

#[test]
fn a_run_of_another_scenario_is_refused_and_force_replaces_it_whole() {
    let t = tempfile::tempdir().unwrap();
    let pcap = common::corpus().join("ndpi/dns.pcap");
    let pcap = pcap.display().to_string();
    let scenario = |name: &str| {
        common::capture_scenario(t.path(), name, &pcap)
            .display()
            .to_string()
    };
    let (a, b) = (scenario("first"), scenario("second"));
    let o = ivraie(
        &["run", &a, "-o", "R", "--tables", "--no-progress"],
        t.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let first = tree(&t.path().join("R"));
    assert!(first.contains(&"tables/run.csv".to_string()), "{first:?}");

    // The same scenario again: replaced whole, without --force (and without
    // --tables this time: no table of the first run survives).
    let o = ivraie(&["run", &a, "-o", "R", "--no-progress"], t.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !t.path().join("R/tables").exists(),
        "{:?}",
        tree(&t.path().join("R"))
    );

    // Another scenario: refused, saying what is there and which flag replaces it.
    let before = std::fs::read(t.path().join("R/oversight.jsonl")).unwrap();
    let o = ivraie(&["run", &b, "-o", "R", "--no-progress"], t.path());
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("scenario `first`") && e.contains("oversight.jsonl"),
        "{e}"
    );
    assert!(e.contains("--force"), "{e}");
    assert_eq!(
        std::fs::read(t.path().join("R/oversight.jsonl")).unwrap(),
        before,
        "the refused run touched nothing"
    );

    // --force: replaced whole by the second scenario's output.
    let o = ivraie(
        &["run", &b, "-o", "R", "--no-progress", "--force"],
        t.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.path().join("R/report.json")).unwrap()).unwrap();
    assert_eq!(r["scenario"], "second");
    assert_eq!(temporaries(t.path()), Vec::<String>::new());

    // A directory of someone else's files is refused, naming them.
    std::fs::create_dir(t.path().join("mine")).unwrap();
    std::fs::write(t.path().join("mine/thesis.tex"), "x").unwrap();
    let o = ivraie(&["run", &a, "-o", "mine", "--no-progress"], t.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("thesis.tex"), "{}", stderr(&o));
    assert!(t.path().join("mine/thesis.tex").exists());
}

#[test]
fn a_sweep_replaced_keeps_no_point_of_the_earlier_one() {
    let t = tempfile::tempdir().unwrap();
    let classroom = repo("scenarios/classroom.toml");
    let sweep = |values: &str| {
        ivraie(
            &[
                "sweep",
                &classroom,
                "--set",
                &format!("box.watchlist.threshold={values}"),
                "-o",
                "S",
                "--no-progress",
            ],
            t.path(),
        )
    };
    let o = sweep("1..4");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(t.path().join("S/points/003").is_dir());
    let o = sweep("2,3");
    assert!(o.status.success(), "{}", stderr(&o));
    let mut points: Vec<String> = std::fs::read_dir(t.path().join("S/points"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    points.sort();
    assert_eq!(
        points,
        ["000", "001"],
        "no stale point beside a 2-point sweep"
    );
    assert_eq!(temporaries(t.path()), Vec::<String>::new());
}

#[test]
fn extract_and_generate_follow_the_same_rule() {
    let t = tempfile::tempdir().unwrap();
    let pcap = common::corpus().join("ndpi/dns.pcap").display().to_string();
    // -o naming a file: said so.
    std::fs::write(t.path().join("f"), "x").unwrap();
    let o = ivraie(&["extract", &pcap, "-o", "f"], t.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("f exists and is not a directory"),
        "{}",
        stderr(&o)
    );
    // Extract twice into the same directory: replaced.
    for _ in 0..2 {
        let o = ivraie(&["extract", &pcap, "-o", "X"], t.path());
        assert!(o.status.success(), "{}", stderr(&o));
    }
    // A run's directory is not extract's.
    let o = ivraie(
        &[
            "run",
            &repo("scenarios/classroom.toml"),
            "-o",
            "X",
            "--no-progress",
        ],
        t.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("`ivraie extract`"), "{}", stderr(&o));

    // generate: an earlier output of generate is replaced, another file is not.
    let generate = |out: &str, force: bool| {
        let mut a = vec!["generate", "--population", "60", "--days", "1", "-o", out];
        if force {
            a.push("--force");
        }
        ivraie(&a, t.path())
    };
    assert!(generate("pop.pcap", false).status.success());
    let o = generate("pop.pcap", false);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(t.path().join("precious.pcap"), "mine").unwrap();
    let o = generate("precious.pcap", false);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(t.path().join("precious.pcap")).unwrap(),
        b"mine"
    );
    assert!(generate("precious.pcap", true).status.success());
    assert_ne!(
        std::fs::read(t.path().join("precious.pcap")).unwrap(),
        b"mine"
    );
    // Says how big it is before starting.
    assert!(stderr(&generate("pop.pcap", false)).contains("60 people over 1 day: about"));
    assert_eq!(temporaries(t.path()), Vec::<String>::new());
}

#[test]
fn a_read_only_or_impossible_place_fails_before_any_work() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("file"), "x").unwrap();
    let pcap = common::corpus().join("ndpi/dns.pcap").display().to_string();
    let o = ivraie(&["extract", &pcap, "-o", "file/out"], t.path());
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("file exists and is not a directory"), "{e}");
    // Before any work: no summary line of a finished extraction.
    assert!(!e.contains("packets"), "{e}");
}

/// Starts `args` in `cwd`, waits until `ready` says the work is under way,
/// sends `signal` and returns the exit code and stderr.
fn interrupted(
    args: &[&str],
    cwd: &Path,
    stdin: Option<Vec<u8>>,
    ready: impl Fn() -> bool,
    signal: i32,
) -> (Option<i32>, String) {
    let mut child: Child = Command::new(env!("CARGO_BIN_EXE_ivraie"))
        .args(args)
        .current_dir(cwd)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The pipe stays open: a reader of stdin waits for more, mid-job.
    let mut pipe = child.stdin.take();
    if let (Some(p), Some(bytes)) = (pipe.as_mut(), stdin) {
        p.write_all(&bytes).unwrap();
        p.flush().unwrap();
    }
    let t0 = Instant::now();
    while !ready() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "{args:?} ended before it could be interrupted"
        );
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "{args:?} never got going"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: a signal to our own child, which has not been waited for.
    unsafe { libc::kill(child.id() as i32, signal) };
    let o = child.wait_with_output().unwrap();
    drop(pipe);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn has_temporary(dir: &Path) -> bool {
    !temporaries(dir).is_empty()
}

#[test]
fn signals_during_generate_extract_and_run_leave_no_temporary_file() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().to_path_buf();
    // A population whose capture takes several seconds to write.
    let scenario = dir.join("long.toml");
    std::fs::write(
        &scenario,
        "name = \"long\"\nseed = 3\n[source.generate]\npopulation = 1000\ndays = 30\nseed = 3\n\
         [[boxes]]\nname = \"w\"\nscope = \"connection\"\nthreshold = 2\nwindow = \"7d\"\n\
         [[boxes.rules]]\ndomains = [\"watched-one.example\"]\n",
    )
    .unwrap();
    let capture = std::fs::read(common::corpus().join("ndpi/KakaoTalk_talk.pcap")).unwrap();
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let d = dir.clone();
        let (got, err) = interrupted(
            &[
                "generate",
                "--population",
                "5000",
                "--days",
                "7",
                "-o",
                "big.pcap",
                "--no-progress",
            ],
            &dir,
            None,
            || has_temporary(&d),
            signal,
        );
        assert_eq!(got, Some(code), "generate: {err}");
        assert!(!dir.join("big.pcap").exists());

        let (got, err) = interrupted(
            &["extract", "-", "-o", "out"],
            &dir,
            Some(capture.clone()),
            || has_temporary(&d),
            signal,
        );
        assert_eq!(got, Some(code), "extract: {err}");
        assert!(!dir.join("out").exists());

        let (got, err) = interrupted(
            &[
                "run",
                scenario.to_str().unwrap(),
                "-o",
                "run",
                "--no-progress",
            ],
            &dir,
            None,
            || has_temporary(&d),
            signal,
        );
        assert_eq!(got, Some(code), "run: {err}");
        assert!(!dir.join("run").exists());
        let left: Vec<PathBuf> = temporaries(&dir).iter().map(PathBuf::from).collect();
        assert_eq!(left, Vec::<PathBuf>::new(), "after signal {signal}");
    }
}

/// `generate` refuses a capture that would not fit, with its estimate, before
/// writing anything: on a 2 MB tmpfs (mounting one needs root, as CI has; a
/// user without it sees this test pass without checking, and says so).
#[test]
fn generate_refuses_a_capture_that_would_not_fit() {
    let t = tempfile::tempdir().unwrap();
    let small = t.path().join("small");
    std::fs::create_dir(&small).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&small)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("no tmpfs could be mounted (not root?): the disk check is not exercised");
        return;
    }
    let o = ivraie(
        &[
            "generate",
            "--population",
            "100",
            "--days",
            "3",
            "-o",
            "small/x.pcap",
        ],
        t.path(),
    );
    let listing = std::fs::read_dir(&small).unwrap().count();
    let _ = Command::new("umount").arg(&small).status();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("would need about") && e.contains("free"), "{e}");
    assert_eq!(listing, 0, "nothing written");
}
