//! Replays the checkpoint fuzzer's corpus (`fuzz/corpus/checkpoint`): each file must load or
//! fail with an error that names it — never panic, never build a model the file cannot hold.

use std::path::{Path, PathBuf};

use dl_models::checkpoint;

#[test]
fn checkpoint_corpus_loads_or_fails_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/checkpoint");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut loaded = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        match checkpoint::from_bytes::<f32>(&bytes, path) {
            Ok(mut net) => {
                loaded += 1;
                assert!(net.param_count() as u64 * 4 <= bytes.len() as u64);
            }
            Err(e) => assert!(e.to_string().contains(&*path.to_string_lossy()), "{e}"),
        }
    }
    // The seed (a 3-4-2 MultiLayerNet written by hand in the format) loads.
    assert!(loaded >= 1, "none of {} corpus files loaded", files.len());
}
