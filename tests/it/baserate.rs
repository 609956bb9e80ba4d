//! `ivraie baserate` end to end: the 2015 hand calculation (60 million people,
//! 1,000 targets, 1% false positives) in text and JSON, and bad input.

use assert_cmd::Command;

fn ivraie() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ivraie"))
}

const INRIA_2015: [&str; 9] = [
    "baserate",
    "--population",
    "60000000",
    "--targets",
    "1000",
    "--tpr",
    "1",
    "--fpr",
    "1%",
];

#[test]
fn the_2015_arithmetic_in_plain_words() {
    let o = ivraie().args(INRIA_2015).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        text,
        "Population 60,000,000, of whom 1,000 are real targets.\n\
         A box that flags 100% of targets and 1% of innocent people raises about 600,990 alerts: 1,000 true, 599,990 false.\n\
         For every real target flagged, about 600 innocent people are flagged.\n\
         The chance that an alert points at a real target is 0.17% (1 in 601).\n"
    );
}

#[test]
fn the_2015_arithmetic_as_json() {
    let mut args = INRIA_2015.to_vec();
    args[8] = "0.01";
    args.push("--json");
    let o = ivraie().args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let num = |k: &str| {
        v[k].as_f64()
            .unwrap_or_else(|| panic!("{k} missing in {v}"))
    };
    assert_eq!(v["population"], 60_000_000);
    assert_eq!(v["targets"], 1_000);
    assert_eq!(num("tpr"), 1.0);
    assert_eq!(num("fpr"), 0.01);
    assert!((num("expected_true_alerts") - 1_000.0).abs() < 1e-6);
    assert!((num("expected_false_alerts") - 599_990.0).abs() < 1e-6);
    assert!((num("alerts") - 600_990.0).abs() < 1e-6);
    assert!((num("ppv") - 1.0 / 600.99).abs() < 1e-12);
    assert!((num("alerts_per_target") - 600.99).abs() < 1e-6);
    assert!((num("false_per_true") - 599.99).abs() < 1e-6);
}

#[test]
fn bad_input_is_a_usage_error_naming_the_problem() {
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "--population",
                "10",
                "--targets",
                "11",
                "--tpr",
                "1",
                "--fpr",
                "0",
            ],
            "11 targets is more than the population of 10",
        ),
        (
            &[
                "--population",
                "10",
                "--targets",
                "1",
                "--tpr",
                "150%",
                "--fpr",
                "0",
            ],
            "--tpr",
        ),
        (
            &[
                "--population",
                "10",
                "--targets",
                "1",
                "--tpr",
                "1",
                "--fpr",
                "often",
            ],
            "not a rate",
        ),
        (
            &[
                "--population",
                "ten",
                "--targets",
                "1",
                "--tpr",
                "1",
                "--fpr",
                "0",
            ],
            "not a whole number",
        ),
        (
            &[
                "--population",
                "0",
                "--targets",
                "0",
                "--tpr",
                "1",
                "--fpr",
                "0",
            ],
            "at least one person",
        ),
    ];
    for (args, says) in cases {
        let o = ivraie().arg("baserate").args(args).output().unwrap();
        // 1 for values ivraie refuses, 2 for those the argument parser refuses.
        assert!(matches!(o.status.code(), Some(1 | 2)), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn help_teaches_with_an_example() {
    let o = ivraie().args(["baserate", "--help"]).output().unwrap();
    let help = String::from_utf8(o.stdout).unwrap();
    assert!(help.contains("ivraie baserate --population 60000000 --targets 1000 --tpr 1 --fpr 1%"));
    let o = ivraie().args(["verify-log", "--help"]).output().unwrap();
    let help = String::from_utf8(o.stdout).unwrap();
    assert!(
        help.contains("ivraie verify-log run/oversight.jsonl"),
        "{help}"
    );
}
