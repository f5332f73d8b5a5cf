//! The IDX reader (raw or gzip) on arbitrary bytes: an error is fine, a panic, a hang or an
//! allocation beyond what the input could hold is not.
#![no_main]

mod scratch;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = scratch::scratch_file(data);
    if let Ok(idx) = dl_data::read_idx(&path) {
        let _ = idx.to_tensor::<f32>();
        let _ = dl_data::encode_idx(&idx);
    }
});
