//! Replicates: a rate's spread across independently drawn populations, and a
//! coverage study of the single-run interval.

use ivraie::scenario::Scenario;
use ivraie::simulator::{KeyChoice, RunOptions};

/// 200 populations of 400 people: the watch box's false-positive rate
/// varies from one to the next (its spread is not zero), and a single run's
/// 95% Wilson interval holds the pooled rate in about 95% of them (the study
/// in scenarios/README.md, "Replicates").
#[test]
fn single_run_intervals_cover_the_pooled_rate_about_95_percent_of_the_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.toml");
    std::fs::write(
        &path,
        "name = \"small\"\nseed = 11\n[source.generate]\npopulation = 400\ndays = 14\nseed = 11\n\
         systems = [\"l851\"]\ntargets = 3\nsessions_per_day = 0.2\ncalls_per_day = 0.0\n\
         mails_per_day = 0.0\nwatch_visits_median = 0.1\n[[boxes]]\nname = \"watch\"\n\
         system = \"l851\"\nscope = \"connection\"\nthreshold = 2\nwindow = \"7d\"\n\
         [[boxes.rules]]\ndomains = [\"watched-one.example\", \"watched-two.example\", \
         \"watched-three.example\", \"watched-four.example\"]\n",
    )
    .unwrap();
    let s = Scenario::load(&path).unwrap();
    let opts = RunOptions {
        out_dir: dir.path().join("out"),
        threads: 1,
        progress: false,
        key: KeyChoice::Auto,
        name_inputs: false,
        cluster: None,
    };
    let (rows, spreads) = ivraie::replicate::run(&s, &path, &opts, 200).unwrap();
    assert_eq!(rows.len(), 200);
    let f = &spreads[0].fpr;
    eprintln!("{f:?}");
    assert!(f.sd > 0.0, "populations differ: {f:?}");
    assert!(f.p025 < f.pooled && f.pooled < f.p975, "{f:?}");
    assert!((0.90..=0.99).contains(&f.coverage), "coverage {f:?}");
    // Every replicate is a different population.
    let mut seeds: Vec<u64> = rows.iter().map(|r| r.seed).collect();
    seeds.dedup();
    assert_eq!(seeds.len(), 200);
}

/// `ivraie sweep --replicates 4`: each point of the grid runs on four drawn
/// populations; sweep.csv gains each point's spread and replicates.csv one
/// row per replicate, point and box.
#[test]
fn sweeps_carry_each_points_spread_across_populations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.toml");
    std::fs::write(
        &path,
        "name = \"small\"\nseed = 5\n[source.generate]\npopulation = 300\ndays = 14\nseed = 5\n\
         systems = [\"l851\"]\ntargets = 3\nsessions_per_day = 0.2\ncalls_per_day = 0.0\n\
         mails_per_day = 0.0\nwatch_visits_median = 0.3\n[policy]\n\
         detection_state = \"rule-window\"\n[[boxes]]\nname = \"watch\"\n\
         system = \"l851\"\nscope = \"connection\"\nthreshold = 2\nwindow = \"7d\"\n\
         [[boxes.rules]]\ndomains = [\"watched-one.example\", \"watched-two.example\", \
         \"watched-three.example\", \"watched-four.example\"]\n",
    )
    .unwrap();
    let out = dir.path().join("sw");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_ivraie"))
        .args(["sweep", "--no-progress", "--replicates", "4", "--set"])
        .arg("box.watch.threshold=1,3")
        .arg("-o")
        .arg(&out)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2);
    let f = |r: &Vec<&str>, c: &str| r[col(c)].parse::<f64>().unwrap();
    for r in &rows {
        assert_eq!(r[col("replicates")], "4");
        assert!(f(r, "fpr_p025") <= f(r, "fpr_mean") && f(r, "fpr_mean") <= f(r, "fpr_p975"));
        assert!(f(r, "fpr_sd") > 0.0, "populations differ: {r:?}");
    }
    // A lower threshold flags more innocent people in every sense.
    assert!(f(&rows[0], "fpr_mean") > f(&rows[1], "fpr_mean"));
    let reps = std::fs::read_to_string(out.join("replicates.csv")).unwrap();
    assert_eq!(reps.lines().count(), 1 + 4 * 2);
    assert!(reps.starts_with("replicate,seed,point,box,tp,fp,fn,tn\n"));
    // Each replicate's points have their full outputs.
    assert!(out.join("replicates/3/points/001/report.json").is_file());
}
