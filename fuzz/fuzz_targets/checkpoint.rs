//! The checkpoint loader on arbitrary bytes: the configuration in the metadata is untrusted too.
#![no_main]

use std::path::Path;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = dl_models::checkpoint::from_bytes::<f32>(data, Path::new("fuzz.safetensors"));
});
