//! The `Layer` and `Loss` traits: explicit forward and backward passes, and access to every
//! trainable parameter with a stable name.

use dl_tensor::{Float, Tensor};

/// Whether a forward pass is for training (dropout active, batch statistics) or inference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Training: dropout draws masks, normalization uses batch statistics.
    Train,
    /// Inference: dropout is deterministic, normalization uses running statistics.
    Eval,
}

/// What a parameter is, so penalties can pick weights and leave the rest alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParamKind {
    /// A weight matrix or filter bank: weight penalties (L1, L2, Elastic Net) apply.
    Weight,
    /// A bias: no penalty by default.
    Bias,
    /// A normalization scale γ.
    Scale,
    /// A normalization shift β.
    Shift,
}

/// One trainable parameter handed to an optimizer or a checkpoint writer.
///
/// Its full name is `"{layer}.{name}"`, for example `affine1.W` or `conv3.b`.
pub struct ParamMut<'a, T> {
    /// The owning layer's name inside its model (empty for a lone layer).
    pub layer: &'a str,
    /// The parameter's name inside its layer (`"W"`, `"b"`, `"gamma"`, `"beta"`).
    pub name: &'static str,
    /// What the parameter is.
    pub kind: ParamKind,
    /// The value, updated in place by optimizers.
    pub value: &'a mut Tensor<T>,
    /// The gradient filled by the last backward pass.
    pub grad: &'a mut Tensor<T>,
}

impl<T> ParamMut<'_, T> {
    /// `"{layer}.{name}"`, or just `name` when the layer has no name.
    pub fn full_name(&self) -> String {
        if self.layer.is_empty() {
            self.name.to_string()
        } else {
            format!("{}.{}", self.layer, self.name)
        }
    }
}

/// A non-trainable state tensor that a checkpoint must keep (BatchNorm's running statistics).
pub struct BufferMut<'a, T> {
    /// The owning layer's name inside its model.
    pub layer: &'a str,
    /// The buffer's name inside its layer (`"running_mean"`).
    pub name: &'static str,
    /// The value.
    pub value: &'a mut Tensor<T>,
}

/// A layer with an explicit backward pass.
///
/// `forward` caches what `backward` needs; `backward` fills the parameter gradients and returns
/// the gradient with respect to the input. A layer never mutates its input.
///
/// # Reusing output buffers
///
/// A warm training step allocates nothing, by one rule. Every tensor a layer hands out (the
/// output of `forward`, the input gradient of `backward`) is written into an [`OutputBuffer`](crate::OutputBuffer)
/// the layer keeps, and handed out *sharing* that buffer: a [`Tensor`] is a view of storage
/// behind a reference count, and a clone is one more reference, not a copy. The next call
/// writes into the last buffer only if nobody else still holds it (the layer's own reference
/// is the only one); else into a second buffer, if nobody holds that one; else into fresh
/// storage. So a tensor you got back never changes under you, however long you keep it, and:
///
/// - a layer that keeps its input for backward (an [`Affine`](crate::Affine), a
///   [`Convolution`](crate::Convolution)) holds the layer before's last output while that layer
///   writes its next one, which then goes into its second buffer;
/// - a caller that drops the tensors it got back before the call after next, as
///   `Sequential` does, allocates nothing once both buffers are warm. `Sequential::loss` drops
///   the last scores before its forward pass, so the last layer writes its first buffer again
///   instead of warming a second one; a caller that keeps every output (a list of activations,
///   say) gets fresh storage each time, and correct values.
///
/// A [`Relu`](crate::Relu) that adopts the output of the layer before
/// ([`Layer::adopt_relu_output`]) holds it the same way, so that layer too alternates between
/// its two buffers.
///
/// Caches a layer never hands out (masks, `x̂`, argmax indices, per-thread scratch) are plain
/// fields, overwritten in place. A layer that returns a view of its input ([`Flatten`](crate::Flatten),
/// [`Dropout`](crate::Dropout) at inference in the inverted convention) owns no buffer for it.
pub trait Layer<T: Float>: Send {
    /// A short description, such as `Affine(784→40)`.
    fn describe(&self) -> String;

    /// Computes the output and caches what backward needs.
    fn forward(&mut self, x: &Tensor<T>, mode: Mode) -> Tensor<T>;

    /// Given ∂L/∂out, fills parameter gradients and returns ∂L/∂x.
    ///
    /// # Panics
    /// If called before `forward`, or with `dout` of another shape than the last output.
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T>;

    /// Fills the parameter gradients as [`Layer::backward`] does, without computing ∂L/∂x: for
    /// the first layer of a network, whose input is data. Layers that can skip that work (an
    /// `Affine` its `dout · Wᵀ` product, a `Convolution` its whole `col2im` pass) do; the
    /// default runs `backward` and drops the result.
    ///
    /// # Panics
    /// As [`Layer::backward`].
    #[track_caller]
    fn backward_params(&mut self, dout: &Tensor<T>) {
        self.backward(dout);
    }

    /// [`Layer::forward`] followed by a ReLU, the ReLU folded into this layer's own write-out
    /// where it can be (an [`Affine`](crate::Affine)'s bias pass, a
    /// [`Convolution`](crate::Convolution)'s bias and layout pass): `Some(max(0, forward(x)))`,
    /// bit for bit, one pass over the output instead of two. `None`, the default, for a layer
    /// that cannot, which has then done nothing. The [`Relu`](crate::Relu) that follows takes
    /// the result with [`Layer::adopt_relu_output`]; `Sequential` does both where a ReLU follows.
    fn forward_relu(&mut self, _x: &Tensor<T>, _mode: Mode) -> Option<Tensor<T>> {
        None
    }

    /// Whether this layer is a ReLU that can take the output of the layer before it,
    /// computed with [`Layer::forward_relu`], instead of running its own forward pass.
    fn is_relu(&self) -> bool {
        false
    }

    /// For a ReLU ([`Layer::is_relu`]): takes `y = max(0, z)`, computed by the layer before
    /// with [`Layer::forward_relu`], as its last output, so that backward masks with it as if
    /// forward had run on `z` (it keeps `y`, sharing its buffer). Other layers ignore it.
    fn adopt_relu_output(&mut self, _y: &Tensor<T>) {}

    /// Visits every trainable parameter in a stable order.
    fn visit_params(&mut self, _f: &mut dyn FnMut(ParamMut<'_, T>)) {}

    /// Visits every non-trainable state tensor a checkpoint must keep.
    fn visit_buffers(&mut self, _f: &mut dyn FnMut(BufferMut<'_, T>)) {}

    /// A term this layer adds to the loss (an activity penalty); zero for most layers.
    fn aux_loss(&self) -> T {
        T::zero()
    }
}

/// Class labels for a loss: one-hot rows or class indices.
pub enum Labels<'a, T> {
    /// One row per sample, `1` at the true class (shape `(N, classes)`).
    OneHot(&'a Tensor<T>),
    /// The true class of each sample.
    Index(&'a [usize]),
}

impl<T> Clone for Labels<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Labels<'_, T> {}

/// A loss at the end of a network, with its own backward.
pub trait Loss<T: Float>: Send {
    /// The mean loss over the batch; caches what backward needs.
    fn forward(&mut self, scores: &Tensor<T>, labels: Labels<'_, T>) -> T;

    /// ∂loss/∂scores for the last forward (the loss's upstream gradient is 1).
    fn backward(&mut self) -> Tensor<T>;
}

/// Panics because `backward` ran before `forward`.
#[cold]
#[track_caller]
pub fn backward_before_forward(layer: &str) -> ! {
    panic!("{layer}: backward called before forward")
}

/// Panics because `dout` does not have the shape of the last output.
#[cold]
#[track_caller]
pub fn dout_shape_mismatch(layer: &str, out: &[usize], dout: &[usize]) -> ! {
    panic!("{layer}: backward got dout of shape {dout:?} but the last output had shape {out:?}")
}

/// A boxed layer is a layer, so `Box<dyn Layer<T>>` plugs in wherever a layer is expected.
impl<T: Float, L: Layer<T> + ?Sized> Layer<T> for Box<L> {
    fn describe(&self) -> String {
        (**self).describe()
    }

    #[track_caller]
    fn forward(&mut self, x: &Tensor<T>, mode: Mode) -> Tensor<T> {
        (**self).forward(x, mode)
    }

    #[track_caller]
    fn backward(&mut self, dout: &Tensor<T>) -> Tensor<T> {
        (**self).backward(dout)
    }

    #[track_caller]
    fn backward_params(&mut self, dout: &Tensor<T>) {
        (**self).backward_params(dout)
    }

    #[track_caller]
    fn forward_relu(&mut self, x: &Tensor<T>, mode: Mode) -> Option<Tensor<T>> {
        (**self).forward_relu(x, mode)
    }

    fn is_relu(&self) -> bool {
        (**self).is_relu()
    }

    fn adopt_relu_output(&mut self, y: &Tensor<T>) {
        (**self).adopt_relu_output(y)
    }

    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_, T>)) {
        (**self).visit_params(f)
    }

    fn visit_buffers(&mut self, f: &mut dyn FnMut(BufferMut<'_, T>)) {
        (**self).visit_buffers(f)
    }

    fn aux_loss(&self) -> T {
        (**self).aux_loss()
    }
}

/// A boxed loss is a loss.
impl<T: Float, L: Loss<T> + ?Sized> Loss<T> for Box<L> {
    #[track_caller]
    fn forward(&mut self, scores: &Tensor<T>, labels: Labels<'_, T>) -> T {
        (**self).forward(scores, labels)
    }

    #[track_caller]
    fn backward(&mut self) -> Tensor<T> {
        (**self).backward()
    }
}
