//! A sequential container of named, boxed layers ending in a loss.

use dl_layers::{BufferMut, Labels, Layer, Loss, Mode, ParamMut, SoftmaxWithLoss};
use dl_optim::{Optimizer, Penalty};
use dl_tensor::{Float, Tensor};

use crate::builder::SequentialBuilder;
use crate::layer_config::LayerConfig;
use crate::spec::{BuildError, NamedLayer, NetworkSpec};
use crate::summary::{Summary, SummaryRow};

/// One layer of a [`Sequential`]: its name, its description when it has one, and the layer.
struct Entry<T: Float> {
    name: String,
    config: Option<LayerConfig>,
    layer: Box<dyn Layer<T>>,
    frozen: bool,
}

/// Layers applied in order, then a loss. Each layer has a name (`affine1`, `conv3`) that
/// prefixes its parameters' names (`affine1.W`).
///
/// Made by [`Sequential::builder`] (shapes inferred from the input), from a [`NetworkSpec`] or
/// a [`Preset`](crate::Preset), or by hand with [`Sequential::push`] for layers of your own. A
/// network whose layers all came with a [`LayerConfig`] has a [`Sequential::spec`], which a
/// checkpoint stores so the file rebuilds the network without being told the architecture.
///
/// Layers are reachable by name or position: read them, swap one for another (say, a dropout
/// with a fixed mask) with [`Sequential::replace`], or freeze one's parameters with
/// [`Sequential::set_frozen`]:
///
/// ```
/// use dl_layers::{Dropout, DropoutKind, Labels, Layer, Mode};
/// use dl_models::{OptimizerKind, Preset};
/// use dl_tensor::Tensor;
///
/// let mut net = Preset::deep_conv_net().build::<f64>(0);
/// // The dropout on the logits, with a mask that keeps everything: training is deterministic.
/// let mut keep_all = Dropout::<f64>::new(0.5, DropoutKind::Course, 0);
/// keep_all.set_fixed_mask(Some(Tensor::ones([2, 10])));
/// let old = net.replace("dropout2", keep_all).unwrap();
/// assert_eq!(old.describe(), "Dropout(0.5, course)");
/// // conv1 learns nothing from now on.
/// assert!(net.set_frozen("conv1", true));
/// let weights = |net: &mut dl_models::Sequential<f64>| {
///     let mut w = Vec::new();
///     net.get_mut("conv1").unwrap().visit_params(&mut |p| w.extend(p.value.to_vec()));
///     w
/// };
/// let before = weights(&mut net);
/// let mut sgd = OptimizerKind::sgd(0.1).build::<f64>();
/// net.loss(&Tensor::ones([2, 1, 28, 28]), Labels::Index(&[3, 5]), Mode::Train);
/// net.backward();
/// net.update(sgd.as_mut());
/// assert_eq!(weights(&mut net), before);
/// ```
///
/// # Shapes
/// Input: `(N, …)`, a batch of samples of the input shape. Scores: `(N, classes)`.
///
/// # Example
/// ```
/// use dl_layers::{Labels, Mode};
/// use dl_models::Sequential;
/// use dl_tensor::{rng_from_seed, Tensor};
/// let mut net = Sequential::builder([784]).affine(40).relu().affine(10).build::<f32>(0)?;
/// let x = Tensor::randn([8, 784], 1.0, &mut rng_from_seed(1));
/// let loss = net.loss(&x, Labels::Index(&[0, 1, 2, 3, 4, 5, 6, 7]), Mode::Train);
/// assert!(loss > 0.0);
/// net.backward();
/// assert_eq!(net.names(), ["affine1", "relu1", "affine2"]);
/// # Ok::<(), dl_models::BuildError>(())
/// ```
pub struct Sequential<T: Float> {
    layers: Vec<Entry<T>>,
    loss: Box<dyn Loss<T>>,
    input: Option<Vec<usize>>,
    weight_penalty: Option<Penalty>,
    last_scores: Option<Tensor<T>>,
}

impl Sequential<f32> {
    /// A builder for a network taking samples of shape `input` (no batch axis); its `build`
    /// picks the element type.
    pub fn builder(input: impl Into<Vec<usize>>) -> SequentialBuilder {
        SequentialBuilder::new(input)
    }
}

impl<T: Float> std::fmt::Debug for Sequential<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequential")
            .field("input", &self.input)
            .field("layers", &self.describe())
            .field("weight_penalty", &self.weight_penalty)
            .finish_non_exhaustive()
    }
}

impl<T: Float> Sequential<T> {
    /// An empty network ending in `loss`.
    pub fn new(loss: Box<dyn Loss<T>>) -> Self {
        Sequential {
            layers: Vec::new(),
            loss,
            input: None,
            weight_penalty: None,
            last_scores: None,
        }
    }

    /// An empty network ending in softmax-with-loss.
    pub fn softmax() -> Self {
        Self::new(Box::new(SoftmaxWithLoss::new()))
    }

    /// Appends a layer of your own under `name`. It has no [`LayerConfig`], so the network
    /// then has no [`Sequential::spec`] and cannot be saved by [`crate::checkpoint::save`];
    /// its weights can still be written with [`Sequential::visit_params`].
    pub fn push(&mut self, name: impl Into<String>, layer: impl Layer<T> + 'static) -> &mut Self {
        self.layers.push(Entry {
            name: name.into(),
            config: None,
            layer: Box::new(layer),
            frozen: false,
        });
        self
    }

    pub(crate) fn push_described(
        &mut self,
        name: String,
        config: LayerConfig,
        layer: Box<dyn Layer<T>>,
    ) {
        self.layers.push(Entry {
            name,
            config: Some(config),
            layer,
            frozen: false,
        });
    }

    pub(crate) fn set_input_shape(&mut self, input: Vec<usize>) {
        self.input = Some(input);
    }

    /// Sets the weight penalty the network adds to its own loss and gradients (the course's
    /// `MultiLayerNet(weight_decay_lambda=…)`).
    pub fn set_weight_penalty(&mut self, penalty: Option<Penalty>) {
        self.weight_penalty = penalty;
    }

    /// The built-in weight penalty.
    pub fn weight_penalty(&self) -> Option<Penalty> {
        self.weight_penalty
    }

    /// The per-sample input shape, when the network was built from a description.
    pub fn input_shape(&self) -> Option<&[usize]> {
        self.input.as_deref()
    }

    /// The network's description: input shape, layers and weight penalty; an error naming the
    /// first layer without a [`LayerConfig`] (pushed by hand, or replaced).
    pub fn spec(&self) -> Result<NetworkSpec, BuildError> {
        let mut layers = Vec::with_capacity(self.layers.len());
        for e in &self.layers {
            match &e.config {
                Some(config) => layers.push(NamedLayer {
                    name: e.name.clone(),
                    config: config.clone(),
                }),
                None => {
                    return Err(BuildError::Undescribed {
                        name: e.name.clone(),
                        describe: e.layer.describe(),
                    });
                }
            }
        }
        let Some(input) = self.input.clone() else {
            let first = &self.layers.first();
            return Err(BuildError::Undescribed {
                name: first.map(|e| e.name.clone()).unwrap_or_default(),
                describe: "the network's input shape".into(),
            });
        };
        Ok(NetworkSpec {
            input,
            layers,
            weight_penalty: self.weight_penalty,
        })
    }

    /// The layers' names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.layers.iter().map(|e| e.name.as_str()).collect()
    }

    /// Every layer with its name, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &dyn Layer<T>)> {
        self.layers
            .iter()
            .map(|e| (e.name.as_str(), e.layer.as_ref()))
    }

    /// Every layer with its name, mutably, in order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut dyn Layer<T>)> {
        self.layers
            .iter_mut()
            .map(|e| (e.name.as_str(), e.layer.as_mut() as &mut dyn Layer<T>))
    }

    /// The layers' names and descriptions, in order.
    pub fn describe(&self) -> Vec<(String, String)> {
        self.layers
            .iter()
            .map(|e| (e.name.clone(), e.layer.describe()))
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

    fn index_of(&self, name: &str) -> Option<usize> {
        self.layers.iter().position(|e| e.name == name)
    }

    /// The layer at `index`.
    ///
    /// # Panics
    /// If `index` is out of range.
    #[track_caller]
    pub fn layer(&self, index: usize) -> &dyn Layer<T> {
        self.layers[index].layer.as_ref()
    }

    /// The layer at `index`, mutably (to read its parameters through `visit_params`, say).
    ///
    /// # Panics
    /// If `index` is out of range.
    #[track_caller]
    pub fn layer_mut(&mut self, index: usize) -> &mut dyn Layer<T> {
        self.layers[index].layer.as_mut()
    }

    /// The layer named `name`.
    pub fn get(&self, name: &str) -> Option<&dyn Layer<T>> {
        self.index_of(name).map(|i| self.layer(i))
    }

    /// The layer named `name`, mutably.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut dyn Layer<T>> {
        self.index_of(name).map(|i| self.layer_mut(i))
    }

    /// Replaces the layer named `name`, returning the old one (`None`, and nothing changed, if
    /// there is no such layer). The new layer has no [`LayerConfig`]: the network keeps its
    /// description only if you put one back with [`Sequential::replace_described`].
    pub fn replace(
        &mut self,
        name: &str,
        layer: impl Layer<T> + 'static,
    ) -> Option<Box<dyn Layer<T>>> {
        let i = self.index_of(name)?;
        self.layers[i].config = None;
        Some(std::mem::replace(
            &mut self.layers[i].layer,
            Box::new(layer),
        ))
    }

    /// Replaces the layer named `name` with one that `config` describes (the caller vouches
    /// that it does), returning the old one.
    pub fn replace_described(
        &mut self,
        name: &str,
        config: LayerConfig,
        layer: impl Layer<T> + 'static,
    ) -> Option<Box<dyn Layer<T>>> {
        let i = self.index_of(name)?;
        self.layers[i].config = Some(config);
        Some(std::mem::replace(
            &mut self.layers[i].layer,
            Box::new(layer),
        ))
    }

    /// Runs every layer: the scores before the loss.
    ///
    /// A layer followed by a ReLU that can fold the ReLU into its own write-out
    /// ([`Layer::forward_relu`]: `Affine`, `Convolution`) does, and the ReLU adopts the result
    /// ([`Layer::adopt_relu_output`]): one pass over the output instead of two, the same bits,
    /// and each layer's backward unchanged.
    pub fn forward(&mut self, x: &Tensor<T>, mode: Mode) -> Tensor<T> {
        let mut h = x.clone();
        let mut i = 0;
        while i < self.layers.len() {
            let relu_next = self.layers.get(i + 1).is_some_and(|e| e.layer.is_relu());
            if relu_next && let Some(y) = self.layers[i].layer.forward_relu(&h, mode) {
                self.layers[i + 1].layer.adopt_relu_output(&y);
                h = y;
                i += 2;
                continue;
            }
            h = self.layers[i].layer.forward(&h, mode);
            i += 1;
        }
        h
    }

    /// Runs every layer and records each one's output shape (name, description, shape).
    pub fn trace_shapes(&mut self, x: &Tensor<T>, mode: Mode) -> Vec<(String, String, Vec<usize>)> {
        let mut h = x.clone();
        let mut out = Vec::with_capacity(self.layers.len());
        for e in &mut self.layers {
            h = e.layer.forward(&h, mode);
            out.push((e.name.clone(), e.layer.describe(), h.shape().to_vec()));
        }
        out
    }

    /// Forward pass and loss: the data loss, every layer's auxiliary term, and the built-in
    /// weight penalty's term.
    ///
    /// The last scores are dropped before the forward pass and kept after it
    /// ([`Sequential::last_scores`]), so a warm step allocates nothing (see the rule on
    /// [`Layer`](Layer#reusing-output-buffers)).
    pub fn loss(&mut self, x: &Tensor<T>, labels: Labels<'_, T>, mode: Mode) -> T {
        // Dropped first: nobody else then holds the last layer's buffer, which it reuses (the
        // rule is on `Layer`'s docs, "Reusing output buffers").
        self.last_scores = None;
        let scores = self.forward(x, mode);
        let aux = self
            .layers
            .iter()
            .fold(T::zero(), |acc, e| acc + e.layer.aux_loss());
        let data_loss = self.loss.forward(&scores, labels);
        self.last_scores = Some(scores);
        let loss = data_loss + aux;
        match self.weight_penalty {
            Some(p) => loss + p.loss_term(|f| self.visit_params(f)),
            None => loss,
        }
    }

    /// The scores of the last [`Sequential::loss`].
    pub fn last_scores(&self) -> Option<&Tensor<T>> {
        self.last_scores.as_ref()
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

    /// Back-propagates from the last [`Sequential::loss`], filling every parameter gradient,
    /// the built-in weight penalty's included.
    ///
    /// The gradient with respect to the network's input is not computed: the first layer with
    /// parameters runs [`Layer::backward_params`], and the parameter-free layers before it run
    /// nothing.
    pub fn backward(&mut self) {
        let first = self
            .layers
            .iter_mut()
            .position(|e| has_params(&mut e.layer));
        let Some(first) = first else { return };
        let mut d = self.loss.backward();
        for e in self.layers[first + 1..].iter_mut().rev() {
            d = e.layer.backward(&d);
        }
        self.layers[first].layer.backward_params(&d);
        if let Some(p) = self.weight_penalty {
            p.apply_to_grads(|f| self.visit_params(f));
        }
    }

    /// Freezes (`true`) or unfreezes the parameters of the layer named `name`: [`Sequential::update`]
    /// leaves them as they are. Returns `false`, changing nothing, if there is no such layer.
    ///
    /// Set it before the first update: an optimizer numbers the parameters it sees, and a
    /// different set later is a programming error (it panics naming the parameter).
    pub fn set_frozen(&mut self, name: &str, frozen: bool) -> bool {
        match self.index_of(name) {
            Some(i) => {
                self.layers[i].frozen = frozen;
                true
            }
            None => false,
        }
    }

    /// One optimizer step over every parameter of the layers not frozen (after
    /// [`Sequential::backward`]).
    pub fn update(&mut self, optimizer: &mut dyn Optimizer<T>) {
        let layers = &mut self.layers;
        dl_optim::step(optimizer, |f| {
            for e in layers.iter_mut().filter(|e| !e.frozen) {
                let name = &e.name;
                e.layer
                    .visit_params(&mut |p| f(ParamMut { layer: name, ..p }));
            }
        });
    }

    /// Visits every trainable parameter, in layer order.
    pub fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_, T>)) {
        for e in &mut self.layers {
            let name = &e.name;
            e.layer
                .visit_params(&mut |p| f(ParamMut { layer: name, ..p }));
        }
    }

    /// Visits every non-trainable state tensor, in layer order.
    pub fn visit_buffers(&mut self, f: &mut dyn FnMut(BufferMut<'_, T>)) {
        for e in &mut self.layers {
            let name = &e.name;
            e.layer
                .visit_buffers(&mut |b| f(BufferMut { layer: name, ..b }));
        }
    }

    /// The number of trainable scalars.
    pub fn param_count(&mut self) -> usize {
        let mut n = 0;
        self.visit_params(&mut |p| n += p.value.len());
        n
    }

    /// A table of the layers (name, type, output shape, parameters) and the total, as Keras's
    /// `model.summary()` prints it. Output shapes come from the descriptions; after a layer
    /// without one they are unknown.
    ///
    /// ```
    /// use dl_models::Preset;
    /// let mut net = Preset::LeNet.build::<f32>(0);
    /// let summary = net.summary();
    /// assert_eq!(summary.total_params, 61_706);
    /// assert_eq!(summary.rows[0].output, Some(vec![6, 28, 28]));
    /// println!("{summary}");
    /// ```
    pub fn summary(&mut self) -> Summary {
        let mut shape = self.input.clone();
        let mut rows = Vec::with_capacity(self.layers.len());
        for e in &mut self.layers {
            shape = match (&e.config, &shape) {
                (Some(c), Some(s)) => c.output_shape(s).ok(),
                _ => None,
            };
            let mut params = 0;
            e.layer.visit_params(&mut |p| params += p.value.len());
            rows.push(SummaryRow {
                name: e.name.clone(),
                kind: e.layer.describe(),
                output: shape.clone(),
                params,
            });
        }
        let total_params = rows.iter().map(|r| r.params).sum();
        Summary {
            input: self.input.clone(),
            rows,
            total_params,
        }
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

    /// Mean loss and accuracy over `(x, labels)` in eval mode, in batches of `batch_size` rows
    /// (the loss includes the layers' auxiliary terms and the built-in penalty).
    ///
    /// # Panics
    /// If `labels` does not have one entry per row of `x`.
    #[track_caller]
    pub fn evaluate(&mut self, x: &Tensor<T>, labels: &[usize], batch_size: usize) -> (f64, f64) {
        let n = x.shape()[0];
        if labels.len() != n {
            dl_tensor::shape_mismatch("evaluate (inputs vs labels)", x.shape(), &[labels.len()]);
        }
        if n == 0 {
            return (0.0, 0.0);
        }
        let (mut loss_sum, mut correct) = (0.0, 0usize);
        let mut start = 0;
        while start < n {
            let len = batch_size.max(1).min(n - start);
            let batch = &labels[start..start + len];
            let loss = self.loss(&x.narrow(0, start, len), Labels::Index(batch), Mode::Eval);
            loss_sum += loss.as_f64() * len as f64;
            let predicted = self.last_scores_argmax();
            correct += predicted.iter().zip(batch).filter(|(p, l)| p == l).count();
            start += len;
        }
        (loss_sum / n as f64, correct as f64 / n as f64)
    }
}

/// Whether `layer` has a trainable parameter.
fn has_params<T: Float>(layer: &mut Box<dyn Layer<T>>) -> bool {
    let mut any = false;
    layer.visit_params(&mut |_| any = true);
    any
}
