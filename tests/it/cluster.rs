//! One run over several processes on localhost (feature `cluster`): the same
//! bytes as one process, and a loud, clean failure when a process dies.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ivraie"))
}

/// A hostfile of `n` free localhost ports (chosen by the kernel now).
fn hostfile(dir: &Path, n: usize) -> PathBuf {
    let listeners: Vec<_> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let text: String = listeners
        .iter()
        .map(|l| format!("127.0.0.1:{}\n", l.local_addr().unwrap().port()))
        .collect();
    let path = dir.join("hosts");
    std::fs::write(&path, text).unwrap();
    path
}

/// Starts the `n` processes of a cluster running `args`, process 0 last.
fn start(args: &[&str], hosts: &Path, n: usize, workers: usize, cwd: &Path) -> Vec<Child> {
    (0..n)
        .rev()
        .map(|i| {
            Command::new(bin())
                .args(args)
                .args(["--no-progress", "--processes", &n.to_string()])
                .args([
                    "--process",
                    &i.to_string(),
                    "--workers",
                    &workers.to_string(),
                ])
                .arg("--hostfile")
                .arg(hosts)
                .current_dir(cwd)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect()
}

/// Waits for every process; returns their exit codes and standard errors.
fn wait_all(children: Vec<Child>) -> Vec<(Option<i32>, String)> {
    children
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .collect()
}

fn same_file(a: &Path, b: &Path) {
    let (x, y) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    assert!(x == y, "{} and {} differ", a.display(), b.display());
}

/// report.json without its wall-clock seconds.
fn report_without_wall(p: &Path) -> String {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("\"wall_s\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn classroom_on_three_processes_is_the_single_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = common::repo("scenarios/classroom.toml");
    let one = common::ivraie_in(
        &["run", &scenario, "-o", "one", "--no-progress"],
        dir.path(),
    );
    assert_eq!(one.status.code(), Some(0), "{}", common::stderr(&one));
    let hosts = hostfile(dir.path(), 3);
    let runs = wait_all(start(
        &["run", &scenario, "-o", "three"],
        &hosts,
        3,
        1,
        dir.path(),
    ));
    for (code, err) in &runs {
        assert_eq!(*code, Some(0), "{err}");
    }
    assert!(runs[0].1.contains("process 2 of 3"), "{}", runs[0].1);
    let (a, b) = (dir.path().join("one"), dir.path().join("three"));
    same_file(&a.join("alerts.jsonl"), &b.join("alerts.jsonl"));
    same_file(&a.join("oversight.jsonl"), &b.join("oversight.jsonl"));
    assert_eq!(
        report_without_wall(&a.join("report.json")),
        report_without_wall(&b.join("report.json"))
    );
    // The same through `cluster-local`, 2 processes of 2 workers.
    let local = common::ivraie_in(
        &[
            "cluster-local",
            "-n",
            "2",
            "--workers",
            "2",
            "run",
            &scenario,
            "-o",
            "local",
            "--no-progress",
        ],
        dir.path(),
    );
    assert_eq!(local.status.code(), Some(0), "{}", common::stderr(&local));
    let c = dir.path().join("local");
    same_file(&a.join("alerts.jsonl"), &c.join("alerts.jsonl"));
    same_file(&a.join("oversight.jsonl"), &c.join("oversight.jsonl"));
    // Something was flagged: the comparison is not of empty files.
    assert!(common::read_jsonl(&a.join("alerts.jsonl")).len() > 10);
}

#[test]
fn a_sweep_on_two_processes_of_two_workers_is_the_single_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = common::repo("scenarios/classroom.toml");
    let set = "box.watchlist.threshold=2,3,4,5";
    let one = common::ivraie_in(
        &[
            "sweep",
            &scenario,
            "--set",
            set,
            "-o",
            "one",
            "--no-progress",
        ],
        dir.path(),
    );
    assert_eq!(one.status.code(), Some(0), "{}", common::stderr(&one));
    let hosts = hostfile(dir.path(), 2);
    let runs = wait_all(start(
        &["sweep", &scenario, "--set", set, "-o", "two"],
        &hosts,
        2,
        2,
        dir.path(),
    ));
    for (code, err) in &runs {
        assert_eq!(*code, Some(0), "{err}");
    }
    let (a, b) = (dir.path().join("one"), dir.path().join("two"));
    same_file(&a.join("sweep.csv"), &b.join("sweep.csv"));
    for p in 0..4 {
        let point = format!("points/{p:03}");
        same_file(
            &a.join(&point).join("alerts.jsonl"),
            &b.join(&point).join("alerts.jsonl"),
        );
        same_file(
            &a.join(&point).join("oversight.jsonl"),
            &b.join(&point).join("oversight.jsonl"),
        );
        assert_eq!(
            report_without_wall(&a.join(&point).join("report.json")),
            report_without_wall(&b.join(&point).join("report.json"))
        );
    }
}

#[test]
fn a_process_killed_mid_run_stops_the_cluster_and_nothing_is_put_in_place() {
    let dir = tempfile::tempdir().unwrap();
    // The classroom, ten times the people: long enough to be killed mid-run.
    let text = std::fs::read_to_string(common::repo("scenarios/classroom.toml"))
        .unwrap()
        .replace("population = 2000", "population = 20000")
        .replace(
            "subscribers = \"10.0.0.0/16\"",
            "subscribers = \"10.0.0.0/12\"",
        );
    assert!(text.contains("population = 20000"));
    let scenario = dir.path().join("big.toml");
    std::fs::write(&scenario, text).unwrap();
    let hosts = hostfile(dir.path(), 3);
    let mut children = start(
        &["run", scenario.to_str().unwrap(), "-o", "out"],
        &hosts,
        3,
        1,
        dir.path(),
    );
    std::thread::sleep(Duration::from_secs(3));
    // children[1] is process 1.
    assert!(children[1].try_wait().unwrap().is_none(), "still running");
    children[1].kill().unwrap();
    let killed_at = Instant::now();
    let mut codes = Vec::new();
    for (k, mut c) in children.into_iter().enumerate() {
        let status = loop {
            if let Some(s) = c.try_wait().unwrap() {
                break s;
            }
            assert!(
                killed_at.elapsed() < Duration::from_secs(30),
                "child {k} still running 30 s after the kill"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut err = String::new();
        use std::io::Read;
        c.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        codes.push((status, err));
    }
    for (status, err) in &codes {
        assert!(!status.success(), "{err}");
    }
    // The survivors name the lost process.
    let survivors: Vec<&String> = [&codes[0].1, &codes[2].1].into_iter().collect();
    for err in survivors {
        assert!(err.contains("lost cluster process 1"), "{err}");
    }
    // Nothing in place, no temporary left; the log as far as it went is kept
    // beside the output and does not verify as closed.
    let out = dir.path().join("out");
    assert!(!out.join("report.json").exists() && !out.join("alerts.jsonl").exists());
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".ivraie"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let log = dir.path().join("out.abandoned-oversight.jsonl");
    assert!(log.is_file(), "{}", codes[0].1);
    let v = common::ivraie_in(&["verify-log", log.to_str().unwrap()], dir.path());
    assert_ne!(v.status.code(), Some(0));
    let said = String::from_utf8_lossy(&v.stdout).into_owned() + &common::stderr(&v);
    assert!(
        said.contains("not closed") || said.contains("cut"),
        "{said}"
    );
}

#[test]
fn extract_of_the_corpus_on_two_processes_of_two_workers_is_the_single_extract() {
    let dir = tempfile::tempdir().unwrap();
    // Every capture an argument of its own (a link of its own), shared among
    // 4 workers. A single run merges all inputs as one tap, so a connection
    // found in two captures (the corpus repeats some traffic) is one flow
    // there and two on a cluster: the captures taken are those whose
    // connections no other capture taken has.
    let captures = disjoint_captures(dir.path());
    assert!(captures.len() > 400, "{}", captures.len());
    let mut args: Vec<&str> = vec!["extract"];
    args.extend(captures.iter().map(String::as_str));
    let mut single = args.clone();
    single.extend(["-o", "one", "--no-progress"]);
    let one = common::ivraie_in(&single, dir.path());
    let code = one.status.code();
    // Some captures of the corpus are cut or corrupt: exit status 2, both ways.
    assert_eq!(code, Some(2), "{}", common::stderr(&one));
    let hosts = hostfile(dir.path(), 2);
    let mut cluster = args.clone();
    cluster.extend(["-o", "two"]);
    let runs = wait_all(start(&cluster, &hosts, 2, 2, dir.path()));
    assert_eq!(runs[1].0, code, "process 0: {}", runs[1].1);
    assert_eq!(runs[0].0, Some(0), "process 1: {}", runs[0].1);
    let (a, b) = (dir.path().join("one"), dir.path().join("two"));
    let mut files = 0;
    for e in std::fs::read_dir(&a).unwrap() {
        let name = e.unwrap().file_name();
        same_file(&a.join(&name), &b.join(&name));
        files += 1;
    }
    assert!(files >= 13);
    let flows = common::read_jsonl(&a.join("flows.jsonl")).len();
    let tls = common::read_jsonl(&a.join("tls.jsonl")).len();
    eprintln!(
        "{} captures, {flows} flows, {tls} TLS records",
        captures.len()
    );
    assert!(flows > 3000 && tls > 200);
}

/// The corpus captures, but those holding a connection (5-tuple) an earlier
/// one holds.
fn disjoint_captures(tmp: &Path) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, p) in common::corpus_captures().iter().enumerate() {
        let d = tmp.join(format!("probe-{i}"));
        common::extract_jsonl(p, &d, 1);
        let mut keys = Vec::new();
        for f in common::read_jsonl(&d.join("flows.jsonl")) {
            let a = (f["orig_h"].to_string(), f["orig_p"].to_string());
            let b = (f["resp_h"].to_string(), f["resp_p"].to_string());
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            keys.push((lo, hi, f["proto"].to_string()));
        }
        std::fs::remove_dir_all(&d).unwrap();
        if keys.iter().all(|k| !seen.contains(k)) {
            seen.extend(keys);
            out.push(p.display().to_string());
        }
    }
    out
}
