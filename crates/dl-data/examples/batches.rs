//! Mini-batches of MNIST, both ways the notes draw them: the shuffled batches of an epoch
//! (without replacement, every image once) and independent random batches with replacement
//! (the course's `np.random.choice(train_size, batch_size)`). Prints the shapes and the label
//! counts of the first few batches of each.
//!
//! ```text
//! cargo run --release -p dl-data --example batches -- [MNIST_DIR]
//! ```
//!
//! `MNIST_DIR` defaults to the repository's `datasets/mnist/` ([`repository_data_dir`]); it must hold the four IDX files
//! (gzip-compressed or not).

use std::path::PathBuf;
use std::process::ExitCode;

use dl_data::{
    DatasetName, LoadOptions, epoch_batches, load_dir, repository_data_dir, rng_from_seed,
    sample_with_replacement,
};

const BATCH_SIZE: usize = 100;
const BATCHES_SHOWN: usize = 3;

/// How many of `labels` fall in each of `classes` classes.
fn label_counts(labels: &[usize], classes: usize) -> Vec<usize> {
    let mut counts = vec![0; classes];
    for &label in labels {
        counts[label] += 1;
    }
    counts
}

fn main() -> ExitCode {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| repository_data_dir().join("mnist"), PathBuf::from);
    // Images as (N, 1, 28, 28) with pixels in [0, 1], labels as class indices.
    let options = LoadOptions::default().flatten(false);
    let mnist = match load_dir(DatasetName::Mnist, &dir, &options) {
        Ok(splits) => splits,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let train = &mnist.train;
    println!("{}", mnist.describe());
    println!(
        "train images {:?}, {} labels",
        train.images.shape(),
        train.len()
    );

    let mut rng = rng_from_seed(0);

    // One epoch: a fresh permutation cut into batches; each image appears exactly once.
    let epoch = epoch_batches(train.len(), BATCH_SIZE, &mut rng);
    println!(
        "\nepoch of {} batches of {BATCH_SIZE}, without replacement:",
        epoch.num_batches()
    );
    let mut seen = vec![false; train.len()];
    for (number, indices) in epoch.enumerate() {
        indices.iter().for_each(|&i| seen[i] = true);
        if number < BATCHES_SHOWN {
            let (x, t) = train.batch(&indices);
            let counts = label_counts(&t, train.classes);
            println!(
                "  batch {number}: x {:?}, label counts {counts:?}",
                x.shape()
            );
        }
    }
    let covered = seen.iter().filter(|&&s| s).count();
    println!(
        "  images covered by the epoch: {covered} of {}",
        train.len()
    );

    // Independent batches with replacement: an index may repeat, within a batch or across.
    println!("\nrandom batches of {BATCH_SIZE}, with replacement:");
    for number in 0..BATCHES_SHOWN {
        let indices = sample_with_replacement(train.len(), BATCH_SIZE, &mut rng);
        let (x, t) = train.batch(&indices);
        let one_hot = train.one_hot(&t);
        let mut distinct = indices.clone();
        distinct.sort_unstable();
        distinct.dedup();
        println!(
            "  batch {number}: x {:?}, one-hot t {:?}, {} distinct images, label counts {:?}",
            x.shape(),
            one_hot.shape(),
            distinct.len(),
            label_counts(&t, train.classes)
        );
    }

    if covered == train.len() {
        ExitCode::SUCCESS
    } else {
        eprintln!("the epoch's batches missed some images");
        ExitCode::FAILURE
    }
}
