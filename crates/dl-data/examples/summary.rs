//! Loads a dataset and prints where it came from, its sizes, class counts, pixel statistics
//! and how long the load took.
//!
//! `cargo run -p dl-data --release --example summary -- [mnist|fashion-mnist|cifar10] [DIR]`

use std::time::Instant;

use dl_data::{DatasetName, LoadOptions, load};

fn main() {
    let mut args = std::env::args().skip(1);
    let name: DatasetName = match args.next().unwrap_or_else(|| "mnist".into()).parse() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let mut opts = LoadOptions::default();
    if let Some(dir) = args.next() {
        opts = opts.data_dir(dir);
    }
    let start = Instant::now();
    let splits = match load(name, &opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "{} (loaded and verified in {:.2?})",
        splits.describe(),
        start.elapsed()
    );
    for (split, d) in [("train", &splits.train), ("test", &splits.test)] {
        let x = d.images.as_slice();
        let n = x.len() as f64;
        let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let std = (x
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n)
            .sqrt();
        println!(
            "{split}: class counts {:?}, pixel mean {mean:.4}, std {std:.4}",
            d.class_counts()
        );
    }
}
