//! Short real runs of `reproduce`: the same seed gives byte-identical curves whatever the thread
//! count, a diverging run stops with a message saying where, a killed run leaves no half-written
//! file, and an unwritable output folder is named in the error.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::common::{idx_u8, run, text, xtask};

/// A small MNIST-format folder under `root/mnist` (300 training and 100 test images of
/// pseudo-random pixels), so each run loads in an instant; returns `root` for `--data-dir`.
fn tiny_mnist(root: &Path) -> String {
    let dir = root.join("mnist");
    std::fs::create_dir_all(&dir).unwrap();
    let mut state = 12345u32;
    let mut next = move || {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (state >> 24) as u8
    };
    for (prefix, n) in [("train", 300u32), ("t10k", 100)] {
        let pixels: Vec<u8> = (0..n * 784).map(|_| next()).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        let images = idx_u8(&[n, 28, 28], &pixels);
        std::fs::write(dir.join(format!("{prefix}-images-idx3-ubyte")), images).unwrap();
        let labels = idx_u8(&[n], &labels);
        std::fs::write(dir.join(format!("{prefix}-labels-idx1-ubyte")), labels).unwrap();
    }
    root.to_str().unwrap().to_string()
}

/// `reproduce gradient-vanishing --quick --iterations 12 --threads <t>` on `data`, which must
/// succeed; returns the bytes of its `curves.csv`.
fn curves(data: &str, threads: &str, out: &Path) -> Vec<u8> {
    let args = [
        "reproduce",
        "gradient-vanishing",
        "--quick",
        "--iterations",
        "12",
        "--threads",
        threads,
        "--data-dir",
        data,
        "--out",
        out.to_str().unwrap(),
    ];
    let result = run(&args);
    assert!(
        result.status.success(),
        "{args:?} failed: {}",
        text(&result.stderr)
    );
    std::fs::read(out.join("gradient-vanishing/curves.csv")).expect("curves.csv written")
}

/// The 784-40-20-10 products (100×784×40 and larger) are split over both threads, so this
/// compares a parallel run with a serial one.
#[test]
fn same_seed_gives_byte_identical_curves_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_mnist(dir.path());
    let one = curves(&data, "1", &dir.path().join("t1"));
    let two = curves(&data, "2", &dir.path().join("t2"));
    let rows = text(&one).lines().count();
    assert!(rows > 7, "curves.csv has {rows} lines");
    assert!(one == two, "1 and 2 threads differ");
}

#[test]
fn an_absurd_learning_rate_stops_training_with_a_message_saying_where() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_mnist(dir.path());
    let out = dir.path().join("out");
    let result = run(&[
        "reproduce",
        "gradient-vanishing",
        "--quick",
        "--iterations",
        "50",
        "--learning-rate",
        "1e30",
        "--data-dir",
        &data,
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for word in ["diverged", "gradient-vanishing", "run `", "iteration"] {
        assert!(err.contains(word), "`{word}` missing from: {err}");
    }
}

#[test]
fn an_invalid_learning_rate_or_iteration_count_is_refused() {
    for (flag, value) in [
        ("--learning-rate", "-1"),
        ("--learning-rate", "nan"),
        ("--iterations", "0"),
    ] {
        let result = run(&["reproduce", "gradient-vanishing", flag, value]);
        let err = text(&result.stderr);
        assert_eq!(result.status.code(), Some(1), "{flag} {value}: {err}");
        assert!(err.contains(flag), "{flag} {value}: {err}");
    }
}

#[test]
fn an_unwritable_output_folder_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where a folder is needed: no folder can be created beneath it, even as root.
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"x").unwrap();
    let out = blocker.join("results");
    let result = run(&[
        "reproduce",
        "gradient-vanishing",
        "--quick",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(err.contains("not-a-folder"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Checks that a file the run wrote is whole: CSV rows complete, JSON parses, PNG ends with IEND,
/// SVG closes its root element.
fn assert_complete(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    let name = path.display();
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => {
            let csv = text(&bytes);
            assert!(csv.ends_with('\n'), "{name} ends mid-line");
            for line in csv.lines() {
                assert_eq!(line.split(',').count(), 6, "{name}: short row `{line}`");
            }
        }
        Some("json") => {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .unwrap_or_else(|e| panic!("{name} is not whole JSON: {e}"));
        }
        Some("png") => assert!(bytes.ends_with(&[0xae, 0x42, 0x60, 0x82]), "{name} cut"),
        Some("svg") => assert!(text(&bytes).trim_end().ends_with("</svg>"), "{name} cut"),
        _ => {}
    }
}

#[test]
fn a_killed_run_leaves_no_half_written_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_mnist(dir.path());
    let out = dir.path().join("out");
    // Kill at several moments: while starting, while training, while writing files.
    for delay_ms in [150, 500, 1000, 1800, 3000] {
        let mut child = xtask()
            .args([
                "reproduce",
                "gradient-vanishing",
                "--quick",
                "--iterations",
                "100",
                "--data-dir",
                &data,
                "--out",
                out.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the xtask binary starts");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
        let experiment = out.join("gradient-vanishing");
        let Ok(entries) = std::fs::read_dir(&experiment) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') {
                assert_complete(&entry.path());
            }
        }
    }
    // A later run clears the temporaries a killed run left behind.
    let finished = run(&[
        "reproduce",
        "gradient-vanishing",
        "--quick",
        "--iterations",
        "2",
        "--data-dir",
        &data,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(finished.status.success(), "{}", text(&finished.stderr));
    let leftovers: Vec<String> = std::fs::read_dir(out.join("gradient-vanishing"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

/// `reproduce batch-norm` in full, on the repository's MNIST, writes exactly the committed
/// `results/batch-norm/curves.csv`: the library's Trainer, presets and layers give the curves
/// the committed results were made with (regenerate those when a numeric change is meant).
#[test]
fn a_full_run_reproduces_the_committed_curves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = tempfile::tempdir().unwrap();
    let datasets = root.join("datasets");
    let args = [
        "reproduce",
        "batch-norm",
        "--data-dir",
        datasets.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ];
    let result = run(&args);
    assert!(
        result.status.success(),
        "{args:?} failed: {}",
        text(&result.stderr)
    );
    let ours = std::fs::read_to_string(out.path().join("batch-norm/curves.csv")).unwrap();
    let committed = std::fs::read_to_string(root.join("results/batch-norm/curves.csv")).unwrap();
    assert!(
        ours == committed,
        "curves differ from results/batch-norm/curves.csv"
    );
}

/// A run on a data folder in a temporary directory, written to another: its summary names the
/// data by data set, place and SHA-256 of each file, never by an absolute path of this
/// machine, and the `data:` line is printed once.
#[test]
fn a_summary_holds_no_absolute_path_and_the_data_line_is_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_mnist(dir.path());
    let out = dir.path().join("out");
    let result = run(&[
        "reproduce",
        "gradient-vanishing",
        "--quick",
        "--iterations",
        "3",
        "--data-dir",
        &data,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    let stdout = text(&result.stdout);
    assert_eq!(stdout.matches("data: ").count(), 1, "{stdout}");
    let summary = std::fs::read_to_string(out.join("gradient-vanishing/summary.json")).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    for absolute in [dir.path(), root] {
        let absolute = absolute.to_str().unwrap();
        assert!(!summary.contains(absolute), "{absolute} in {summary}");
    }
    let json: serde_json::Value = serde_json::from_str(&summary).unwrap();
    let record = &json["data"];
    assert_eq!(record["dataset"], "mnist");
    assert_eq!(record["from"], "<outside the repository>/mnist");
    let digests = record["sha256"].as_object().unwrap();
    assert_eq!(digests.len(), 4, "{record}");
    assert!(digests.values().all(|d| d.as_str().unwrap().len() == 64));
}
