//! End-to-end benchmarks of the notes' networks live in `benches/`.
