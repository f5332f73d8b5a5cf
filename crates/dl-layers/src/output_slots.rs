//! Two output buffers used in turn, so a layer can write its next output while the layer after
//! it still holds the previous one (an [`Affine`](crate::Affine) keeps its input for backward).

use dl_tensor::{Float, Tensor};

/// A layer's output buffers: the last one is reused while no one else holds it; otherwise the
/// other one is, so a warm training step allocates nothing either way.
pub(crate) struct OutputSlots<T: Float> {
    slots: [Tensor<T>; 2],
    last: usize,
}

impl<T: Float> Default for OutputSlots<T> {
    fn default() -> Self {
        OutputSlots {
            slots: [Tensor::zeros([0]), Tensor::zeros([0])],
            last: 0,
        }
    }
}

impl<T: Float> OutputSlots<T> {
    /// The buffer the next output goes into (to be recycled or overwritten by the caller): the
    /// last one if no one else holds it, else the other. It becomes the last output.
    pub(crate) fn next(&mut self) -> &mut Tensor<T> {
        if !self.slots[self.last].owns_storage() {
            self.last = 1 - self.last;
        }
        &mut self.slots[self.last]
    }

    /// The last output.
    pub(crate) fn last(&self) -> &Tensor<T> {
        &self.slots[self.last]
    }
}
