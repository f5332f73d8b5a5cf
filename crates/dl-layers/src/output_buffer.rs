//! The one way a layer keeps the tensors it hands out warm from step to step.

use dl_tensor::{Float, Shape, Tensor};

/// Where a layer writes a tensor it hands out (an output, an input gradient), reused from call
/// to call under the rule documented on [`Layer`](crate::Layer#reusing-output-buffers): the
/// next call writes into the last buffer if nobody else still holds it, else into a second
/// buffer if nobody holds that one, else into fresh storage.
///
/// Holding a tensor a layer handed out is always safe: the layer never writes into a buffer
/// someone else holds ([`Tensor::owns_storage`] tells), so the values never change under you.
///
/// ```
/// use dl_layers::OutputBuffer;
/// let mut out = OutputBuffer::<f32>::new();
/// out.write([2, 3]).fill(1.0);
/// let first = out.share(); // the caller keeps the first output…
/// out.write([2, 3]).fill(2.0); // …so the second goes into the other buffer,
/// assert_eq!(first.to_vec(), vec![1.0; 6]); // and the first is untouched.
/// drop(first);
/// out.write([2, 3]).fill(3.0); // the second is not held: it is reused.
/// assert_eq!(out.share().to_vec(), vec![3.0; 6]);
/// ```
pub struct OutputBuffer<T> {
    buffers: [Tensor<T>; 2],
    /// The buffer written last.
    last: usize,
    /// Whether anything was written yet.
    written: bool,
}

impl<T: Float> Default for OutputBuffer<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> OutputBuffer<T> {
    /// No buffer yet: the first writes allocate.
    pub fn new() -> Self {
        OutputBuffer {
            buffers: [Tensor::zeros([0]), Tensor::zeros([0])],
            last: 0,
            written: false,
        }
    }

    /// The tensor the next result goes into, to be written whole (with [`Tensor::recycle`],
    /// [`Tensor::map_into`], …): the last buffer if nobody else holds it, else the other one. It
    /// becomes the last result.
    pub fn next_tensor(&mut self) -> &mut Tensor<T> {
        if self.written && !self.buffers[self.last].owns_storage() {
            self.last = 1 - self.last;
        }
        self.written = true;
        &mut self.buffers[self.last]
    }

    /// [`OutputBuffer::next_tensor`] made a dense tensor of `shape`, as its elements. They hold stale
    /// values: write every one.
    pub fn write(&mut self, shape: impl Into<Shape>) -> &mut [T] {
        self.next_tensor().recycle(shape, T::zero())
    }

    /// The last result written, or `None` before the first.
    pub fn last(&self) -> Option<&Tensor<T>> {
        self.written.then(|| &self.buffers[self.last])
    }

    /// The last result, sharing its buffer (no copy): what a layer hands out. Empty before the
    /// first write.
    pub fn share(&self) -> Tensor<T> {
        self.buffers[self.last].clone()
    }
}
