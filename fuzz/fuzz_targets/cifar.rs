//! The CIFAR-10 batch reader (raw or gzip) on arbitrary bytes.
#![no_main]

mod scratch;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = scratch::scratch_file(data);
    if let Ok(batch) = dl_data::read_cifar_batch(&path) {
        assert_eq!(batch.pixels.len(), batch.labels.len() * dl_data::CIFAR10_PIXELS);
    }
});
