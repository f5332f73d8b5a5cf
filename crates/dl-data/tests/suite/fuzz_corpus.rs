//! Replays the fuzzers' corpora (`fuzz/corpus/idx`, `fuzz/corpus/cifar`, seeds and every input
//! the fuzzer kept, crashes it found included): each file must load or fail with an error that
//! names it — never panic. A regression fails here without the fuzzer.

use std::path::{Path, PathBuf};

use dl_data::{read_cifar_batch, read_idx};

/// Every file of `fuzz/corpus/<target>`, sorted; panics if there is none.
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
}

#[test]
fn idx_corpus_loads_or_fails_cleanly() {
    let mut loaded = 0;
    for path in corpus("idx") {
        match read_idx(&path) {
            Ok(idx) => {
                loaded += 1;
                assert_eq!(idx.data.len(), idx.dims.iter().product::<usize>());
                let _ = idx.to_tensor::<f32>();
            }
            Err(e) => assert!(e.to_string().contains(&*path.to_string_lossy()), "{e}"),
        }
    }
    // The hand-written seeds include valid files of every element type.
    assert!(loaded >= 6, "only {loaded} corpus files loaded");
}

#[test]
fn cifar_corpus_loads_or_fails_cleanly() {
    let mut loaded = 0;
    for path in corpus("cifar") {
        match read_cifar_batch(&path) {
            Ok(batch) => {
                loaded += 1;
                assert_eq!(batch.pixels.len(), batch.labels.len() * 3072);
                assert!(batch.labels.iter().all(|&l| l < 10));
            }
            Err(e) => assert!(e.to_string().contains(&*path.to_string_lossy()), "{e}"),
        }
    }
    assert!(loaded >= 2, "only {loaded} corpus files loaded");
}
