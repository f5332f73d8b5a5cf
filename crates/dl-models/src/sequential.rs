//! A sequential container of named, boxed layers ending in a loss.

use dl_layers::{BufferMut, Labels, Layer, Loss, Mode, ParamMut};
use dl_tensor::{Float, Tensor};

/// Layers applied in order, then a loss. Each layer has a name (`affine1`, `conv3`) that
/// prefixes its parameters' names (`affine1.W`).
///
/// # Shapes
/// Input: whatever the first layer takes, batch first. Scores: `(N, classes)`.
pub struct Sequential<T: Float> {
    layers: Vec<(String, Box<dyn Layer<T>>)>,
    loss: Box<dyn Loss<T>>,
    last_scores: Option<Tensor<T>>,
}

impl<T: Float> Sequential<T> {
    /// An empty network ending in `loss`.
    pub fn new(loss: Box<dyn Loss<T>>) -> Self {
        Sequential {
            layers: Vec::new(),
            loss,
            last_scores: None,
        }
    }

    /// Appends a layer under `name`.
    pub fn push(&mut self, name: impl Into<String>, layer: impl Layer<T> + 'static) -> &mut Self {
        self.layers.push((name.into(), Box::new(layer)));
        self
    }

    /// The layers' names and descriptions, in order.
    pub fn describe(&self) -> Vec<(String, String)> {
        self.layers
            .iter()
            .map(|(n, l)| (n.clone(), l.describe()))
            .collect()
    }

    /// The number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Runs every layer: the scores before the loss.
    pub fn forward(&mut self, x: &Tensor<T>, mode: Mode) -> Tensor<T> {
        let mut h = x.clone();
        for (_, layer) in &mut self.layers {
            h = layer.forward(&h, mode);
        }
        h
    }

    /// Runs every layer and records each one's output shape (name, description, shape).
    pub fn trace_shapes(&mut self, x: &Tensor<T>, mode: Mode) -> Vec<(String, String, Vec<usize>)> {
        let mut h = x.clone();
        let mut out = Vec::with_capacity(self.layers.len());
        for (name, layer) in &mut self.layers {
            h = layer.forward(&h, mode);
            out.push((name.clone(), layer.describe(), h.shape().to_vec()));
        }
        out
    }

    /// Forward pass and loss: the data loss plus every layer's auxiliary term.
    pub fn loss(&mut self, x: &Tensor<T>, labels: Labels<'_, T>, mode: Mode) -> T {
        // Dropped first, so the last layer can reuse its output buffer.
        self.last_scores = None;
        let scores = self.forward(x, mode);
        let aux = self
            .layers
            .iter()
            .fold(T::zero(), |acc, (_, l)| acc + l.aux_loss());
        let data_loss = self.loss.forward(&scores, labels);
        self.last_scores = Some(scores);
        data_loss + aux
    }

    /// The predicted class of each row of the scores of the last [`Sequential::loss`].
    ///
    /// # Panics
    /// If no loss was computed yet.
    pub fn last_scores_argmax(&self) -> Vec<usize> {
        match &self.last_scores {
            Some(s) => s.argmax_axis(1).to_vec(),
            None => panic!("last_scores_argmax: no loss computed yet"),
        }
    }

    /// Back-propagates from the last [`Sequential::loss`], filling every parameter gradient.
    ///
    /// The gradient with respect to the network's input is not computed: the first layer with
    /// parameters runs [`Layer::backward_params`], and the parameter-free layers before it run
    /// nothing.
    pub fn backward(&mut self) {
        let first = self
            .layers
            .iter_mut()
            .position(|(_, layer)| has_params(layer));
        let Some(first) = first else { return };
        let mut d = self.loss.backward();
        for (_, layer) in self.layers[first + 1..].iter_mut().rev() {
            d = layer.backward(&d);
        }
        self.layers[first].1.backward_params(&d);
    }

    /// Visits every trainable parameter, in layer order.
    pub fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_, T>)) {
        for (name, layer) in &mut self.layers {
            layer.visit_params(&mut |p| f(ParamMut { layer: name, ..p }));
        }
    }

    /// Visits every non-trainable state tensor, in layer order.
    pub fn visit_buffers(&mut self, f: &mut dyn FnMut(BufferMut<'_, T>)) {
        for (name, layer) in &mut self.layers {
            layer.visit_buffers(&mut |b| f(BufferMut { layer: name, ..b }));
        }
    }

    /// The number of trainable scalars.
    pub fn param_count(&mut self) -> usize {
        let mut n = 0;
        self.visit_params(&mut |p| n += p.value.len());
        n
    }

    /// Predicted classes in eval mode, computed in batches of `batch_size` rows.
    pub fn predict(&mut self, x: &Tensor<T>, batch_size: usize) -> Vec<usize> {
        let n = x.shape()[0];
        let mut out = Vec::with_capacity(n);
        let mut start = 0;
        while start < n {
            let len = batch_size.max(1).min(n - start);
            let scores = self.forward(&x.narrow(0, start, len), Mode::Eval);
            out.extend(scores.argmax_axis(1).to_vec());
            start += len;
        }
        out
    }

    /// The fraction of rows of `x` whose predicted class equals the label (eval mode, batched).
    ///
    /// # Panics
    /// If `labels` does not have one entry per row of `x`.
    #[track_caller]
    pub fn accuracy(&mut self, x: &Tensor<T>, labels: &[usize], batch_size: usize) -> f64 {
        if labels.len() != x.shape()[0] {
            dl_tensor::shape_mismatch("accuracy (inputs vs labels)", x.shape(), &[labels.len()]);
        }
        if labels.is_empty() {
            return 0.0;
        }
        let predicted = self.predict(x, batch_size);
        let correct = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
        correct as f64 / labels.len() as f64
    }
}

/// Whether `layer` has a trainable parameter.
fn has_params<T: Float>(layer: &mut Box<dyn Layer<T>>) -> bool {
    let mut any = false;
    layer.visit_params(&mut |_| any = true);
    any
}
