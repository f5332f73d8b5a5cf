//! LeNet-5 of the notes' CNN introduction, end to end through the library's public API: built
//! with the builder (shapes inferred from a 32×32 digit), trained with the Trainer on MNIST
//! padded from 28×28 to 32×32, saved to `.safetensors`, loaded back without being told the
//! architecture, and evaluated.
//!
//! ```sh
//! cargo run --release -p dl-models --example lenet                # 2,000 Adam steps, ~10 s
//! cargo run --release -p dl-models --example lenet -- --quick     # 200 steps on 5,000 images
//! cargo run --release -p dl-models --example lenet -- --data-dir DIR --out lenet.safetensors
//! ```
//!
//! The MNIST folder defaults to the repository's `datasets/mnist/`.

use std::path::PathBuf;
use std::process::ExitCode;

use dl_data::{DatasetName, LoadOptions, load_dir};
use dl_models::prelude::*;
use dl_models::{EarlyStopping, Event};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lenet: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut quick = false;
    let mut data_dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../datasets/mnist"));
    let mut out = std::env::temp_dir().join("lenet.safetensors");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--data-dir" => data_dir = args.next().ok_or("--data-dir needs a folder")?.into(),
            "--out" => out = args.next().ok_or("--out needs a file path")?.into(),
            other => {
                return Err(format!(
                    "unknown argument `{other}`; expected --quick, --data-dir DIR or --out FILE"
                ));
            }
        }
    }

    // MNIST as (N, 1, 28, 28) in [0, 1], zero-padded to 32×32 as LeNet-5 expects.
    let options = LoadOptions::default().flatten(false);
    let splits = load_dir(DatasetName::Mnist, &data_dir, &options)
        .map_err(|e| format!("cannot load MNIST from {}: {e}", data_dir.display()))?;
    let (train_n, test_n, steps) = if quick {
        (5_000, 1_000, 200)
    } else {
        (60_000, 10_000, 2_000)
    };
    let train = splits.train.take_first(train_n).padded(2);
    let test = splits.test.take_first(test_n).padded(2);
    println!(
        "MNIST: {} training and {} test images of {:?}",
        train.len(),
        test.len(),
        train.sample_shape()
    );

    // The builder infers every size from the input: no 400 = 16·5·5 typed by hand.
    let mut net = Sequential::builder([1, 32, 32])
        .conv(6, 5)
        .relu()
        .max_pool(2)
        .conv(16, 5)
        .relu()
        .max_pool(2)
        .flatten()
        .affine(120)
        .relu()
        .affine(84)
        .relu()
        .affine(10)
        .build::<f32>(2024)
        .map_err(|e| e.to_string())?;
    assert_eq!(
        net.spec().ok(),
        Preset::LeNet.spec().ok(),
        "the same network as the preset"
    );
    println!("{}", net.summary());

    let trainer = Trainer::new(Schedule::Iterations {
        iterations: steps,
        eval_every: steps / 4,
    })
    .batch_size(100)
    .eval_batch(1000)
    .seed(7);
    let mut adam = OptimizerKind::adam(0.001).build::<f32>();
    let mut progress = |event: &Event<'_>| {
        if let Event::Eval(p) = event {
            println!(
                "step {:>5}: loss {:.4}, batch accuracy {:.3}, test accuracy {:.4}",
                p.step, p.loss, p.train_acc, p.test_acc
            );
        }
        Flow::Continue
    };
    let mut patience = EarlyStopping::new(3);
    let started = std::time::Instant::now();
    let history = trainer
        .fit(
            &mut net,
            adam.as_mut(),
            &train,
            &test,
            &mut [&mut progress, &mut patience],
        )
        .map_err(|e| format!("training stopped: {e}"))?;
    println!(
        "{} steps in {:.1} s",
        history.steps,
        started.elapsed().as_secs_f64()
    );

    checkpoint::save(&mut net, &out).map_err(|e| e.to_string())?;
    let mut reloaded = checkpoint::load::<f32>(&out).map_err(|e| e.to_string())?;
    let trained = net.accuracy(&test.images, &test.labels, 1000);
    let loaded = reloaded.accuracy(&test.images, &test.labels, 1000);
    println!(
        "saved to {}; test accuracy {trained:.4} before saving, {loaded:.4} after loading",
        out.display()
    );
    if trained != loaded {
        return Err("the reloaded network predicts differently".into());
    }
    Ok(())
}
