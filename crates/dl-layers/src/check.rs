//! Private shape checks shared by the layers: cold, caller-tracked panics naming both shapes.

use dl_tensor::Tensor;

use crate::dout_shape_mismatch;

/// A layer's name for a panic message: a fixed string, or a closure that builds the description
/// only when a check fails (so a passing check allocates nothing).
pub(crate) trait LayerName {
    /// The name.
    fn name(self) -> String;
}

impl LayerName for &str {
    fn name(self) -> String {
        self.to_owned()
    }
}

impl<F: FnOnce() -> String> LayerName for F {
    fn name(self) -> String {
        self()
    }
}

/// Panics unless `dout` has the shape of the last output.
#[track_caller]
pub(crate) fn check_dout<T: Copy>(layer: impl LayerName, out: &[usize], dout: &Tensor<T>) {
    if dout.shape() != out {
        dout_shape_mismatch(&layer.name(), out, dout.shape());
    }
}

/// Panics because the input does not have the shape the layer takes.
#[cold]
#[track_caller]
pub(crate) fn input_shape_mismatch(layer: &str, expected: &[usize], got: &[usize]) -> ! {
    panic!("{layer}: forward expected an input of shape {expected:?} but got {got:?}")
}

/// Panics because the input has the wrong rank.
#[cold]
#[track_caller]
pub(crate) fn input_rank_mismatch(layer: &str, expected: &str, got: &[usize]) -> ! {
    panic!("{layer}: forward expected a {expected} input but got shape {got:?}")
}
