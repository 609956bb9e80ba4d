//! What a run writes never names the subscribers it watched, never holds the
//! pseudonym key, and is private to its owner.

use std::path::{Path, PathBuf};
use std::process::Command;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Whether `text` holds `addr` as a whole address (not as a prefix of a longer one).
fn names(text: &str, addr: &str) -> bool {
    text.match_indices(addr).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + addr.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit() || c == '.')
            && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

#[test]
fn outputs_name_no_subscriber_hold_no_key_and_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    let key_bytes: Vec<u8> = (0..48u8)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    std::fs::write(&key, &key_bytes).unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = dir.path().join("run");
    let o = Command::new(env!("CARGO_BIN_EXE_ivraie"))
        .args([
            "run",
            "scenarios/hadopi-tmg.toml",
            "--no-progress",
            "--key-file",
        ])
        .arg(&key)
        .arg("-o")
        .arg(&out)
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();

    // Every subscriber of the population, from the generator's labels.
    let scenario = std::fs::read_to_string(root.join("scenarios/hadopi-tmg.toml")).unwrap();
    let s = ivraie::scenario::Scenario::parse(&scenario, &root.join("scenarios/hadopi-tmg.toml"))
        .unwrap();
    let generator = ivraie::generate::Generator::new(s.source.generate.as_ref().unwrap()).unwrap();
    let addrs: Vec<String> = generator
        .labels()
        .iter()
        .map(|l| l.address.to_string())
        .collect();
    assert_eq!(addrs.len(), 400);

    let written = files(&out);
    assert!(written.len() >= 3, "{written:?}");
    let key_hex: String = key_bytes.iter().map(|b| format!("{b:02x}")).collect();
    for f in &written {
        let bytes = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for a in &addrs {
            assert!(!names(&text, a), "{} names subscriber {a}", f.display());
        }
        assert!(
            !text.contains(&key_hex[..32]),
            "{} holds the key",
            f.display()
        );
        assert!(
            !bytes.windows(16).any(|w| w == &key_bytes[..16]),
            "{} holds the key's bytes",
            f.display()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", f.display());
        }
    }
    for a in &addrs {
        assert!(!names(&stdout, a), "the summary names {a}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
    // The check can fail: the labels do name them.
    assert!(names("10.60.0.7,x", "10.60.0.7") && !names("10.60.0.71", "10.60.0.7"));
}
