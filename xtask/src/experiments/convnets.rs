//! 2_6, 2_7 and 2_8 (`xtask/experiments/simple-convnet.toml`, `double-convnet.toml`,
//! `deep-conv-net.toml`): SimpleConvNet, DoubleConvNet and DeepConvNet on MNIST images. Here:
//! DeepConvNet's `--full` schedule.

use super::embedded;
use crate::spec::{Check, Experiment, Kind, Verdict, run};

/// 2_6 SimpleConvNet.
pub fn simple() -> Experiment {
    embedded!("simple-convnet.toml")
}

/// 2_7 DoubleConvNet.
pub fn double() -> Experiment {
    embedded!("double-convnet.toml")
}

/// 2_8 DeepConvNet (500/100 images as the notes; `--full` for all 60,000 images, 12,000
/// iterations evaluated every 600, and the docstring's claim as the check).
pub fn deep(full: bool) -> Experiment {
    let mut e = embedded!("deep-conv-net.toml");
    if full && let Kind::Iterations(spec) = &mut e.kind {
        (spec.data.train_first, spec.data.test_first) = (None, None);
        (spec.iterations, spec.eval_every) = (12_000, 600);
        spec.checks = vec![Check::new(
            "on all 60,000 training images DeepConvNet exceeds 99.3% test accuracy (the class's docstring claims over 99%)",
            |r| {
                let t = run(r, "DeepConvNet").final_test();
                Verdict::new(t >= 0.993, format!("final test accuracy {t:.4}"))
            },
        )];
    }
    e
}
