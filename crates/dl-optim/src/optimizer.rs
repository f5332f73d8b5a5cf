//! The `Optimizer` trait, the `step` driver that numbers parameter slots, and the per-slot
//! state table every optimizer keeps.

use dl_layers::ParamMut;
use dl_tensor::{Float, Shape, Tensor};

/// Updates parameters from their gradients, one parameter slot at a time.
///
/// A *slot* is a parameter's position in the model's visit order ([`step`] numbers them
/// `0, 1, 2, …`). State (velocities, accumulators, moments) is created lazily the first time a
/// slot is updated; afterwards the slot must always hold the same parameter (same layer, name
/// and shape), or the update panics.
pub trait Optimizer<T: Float>: Send {
    /// A short description, such as `Adam(lr=0.001, β1=0.9, β2=0.999)`.
    fn describe(&self) -> String;

    /// The learning rate.
    fn learning_rate(&self) -> f64;

    /// Sets the learning rate (for schedules); the state is kept.
    fn set_learning_rate(&mut self, lr: f64);

    /// Called once at the start of each step, before any [`Optimizer::update`].
    fn begin_step(&mut self) {}

    /// Updates the parameter in `slot` in place from its gradient.
    ///
    /// # Panics
    /// If the slot held another parameter (layer, name or shape) before, if a new slot appears
    /// after the first completed step, or if the gradient's shape differs from the value's.
    fn update(&mut self, slot: usize, p: ParamMut<'_, T>);

    /// Called once at the end of each step with the number of slots updated.
    ///
    /// # Panics
    /// If fewer slots were updated than in earlier steps.
    fn end_step(&mut self, _slots: usize) {}
}

/// One optimizer step over every parameter that `visit` hands out, numbering the slots in
/// visit order.
///
/// `visit` is typically `|f| model.visit_params(f)`.
///
/// ```
/// use dl_layers::{ParamKind, ParamMut};
/// use dl_optim::{Sgd, step};
/// use dl_tensor::Tensor;
/// let mut w = Tensor::from_vec(vec![1.0f32, 2.0], [2]);
/// let mut dw = Tensor::from_vec(vec![0.5f32, -1.0], [2]);
/// let mut sgd = Sgd::new(0.1);
/// step(&mut sgd, |f| {
///     f(ParamMut { layer: "fc", name: "W", kind: ParamKind::Weight, value: &mut w, grad: &mut dw })
/// });
/// assert_eq!(w.to_vec(), vec![1.0 - 0.1 * 0.5, 2.0 + 0.1 * 1.0]);
/// ```
pub fn step<T, O>(opt: &mut O, visit: impl FnOnce(&mut dyn FnMut(ParamMut<'_, T>)))
where
    T: Float,
    O: Optimizer<T> + ?Sized,
{
    opt.begin_step();
    let mut slot = 0;
    visit(&mut |p| {
        opt.update(slot, p);
        slot += 1;
    });
    opt.end_step(slot);
}

/// What a slot held when its state was created.
struct SlotInfo {
    layer: String,
    name: &'static str,
    shape: Shape,
}

/// Per-slot optimizer state, created lazily and checked on every later update.
pub(crate) struct Slots<S> {
    optimizer: &'static str,
    entries: Vec<(SlotInfo, S)>,
    /// Whether a step has been completed, after which no new slot may appear.
    sealed: bool,
}

impl<S> Slots<S> {
    pub fn new(optimizer: &'static str) -> Self {
        Slots {
            optimizer,
            entries: Vec::new(),
            sealed: false,
        }
    }

    /// The state of `slot` for parameter `p`, created by `init(len)` on its first use.
    ///
    /// # Panics
    /// If the slot held another parameter, if `slot` skips ahead, if a new slot appears after a
    /// completed step, or if `p`'s gradient and value shapes differ.
    #[track_caller]
    pub fn get<T: Float>(
        &mut self,
        slot: usize,
        p: &ParamMut<'_, T>,
        init: impl FnOnce(usize) -> S,
    ) -> &mut S {
        if p.grad.shape() != p.value.shape() {
            grad_shape_mismatch(self.optimizer, p);
        }
        if slot < self.entries.len() {
            let (info, _) = &self.entries[slot];
            if info.layer != p.layer || info.name != p.name || &*info.shape != p.value.shape() {
                slot_mismatch(self.optimizer, slot, info, p);
            }
        } else if slot == self.entries.len() && !self.sealed {
            let info = SlotInfo {
                layer: p.layer.to_string(),
                name: p.name,
                shape: p.value.dims(),
            };
            self.entries.push((info, init(p.value.len())));
        } else {
            new_slot(self.optimizer, slot, self.entries.len(), p);
        }
        &mut self.entries[slot].1
    }

    /// Ends a step that updated `visited` slots.
    ///
    /// # Panics
    /// If fewer slots than known were updated.
    #[track_caller]
    pub fn finish(&mut self, visited: usize) {
        if visited < self.entries.len() {
            missing_slots(self.optimizer, visited, self.entries.len());
        }
        self.sealed = true;
    }

    /// The number of known slots.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

fn full_name(layer: &str, name: &str) -> String {
    if layer.is_empty() {
        name.to_string()
    } else {
        format!("{layer}.{name}")
    }
}

#[cold]
#[track_caller]
fn slot_mismatch<T: Copy>(
    optimizer: &str,
    slot: usize,
    was: &SlotInfo,
    got: &ParamMut<'_, T>,
) -> ! {
    panic!(
        "{optimizer}: parameter slot {slot} held {} of shape {:?} but now receives {} of shape {:?}; \
         the model must visit the same parameters in the same order every step",
        full_name(&was.layer, was.name),
        &*was.shape,
        got.full_name(),
        got.value.shape()
    )
}

#[cold]
#[track_caller]
fn new_slot<T: Copy>(optimizer: &str, slot: usize, known: usize, got: &ParamMut<'_, T>) -> ! {
    panic!(
        "{optimizer}: parameter slot {slot} ({} of shape {:?}) is new, but {known} slots were \
         already known; slots must be visited in order and may not appear after the first step",
        got.full_name(),
        got.value.shape()
    )
}

#[cold]
#[track_caller]
fn missing_slots(optimizer: &str, visited: usize, known: usize) -> ! {
    panic!("{optimizer}: a step updated {visited} parameter slots, but {known} are known")
}

#[cold]
#[track_caller]
fn grad_shape_mismatch<T: Copy>(optimizer: &str, p: &ParamMut<'_, T>) -> ! {
    panic!(
        "{optimizer}: the gradient of {} has shape {:?} but its value has shape {:?}",
        p.full_name(),
        p.grad.shape(),
        p.value.shape()
    )
}

/// The gradient as a contiguous tensor (a cheap clone when it already is contiguous).
pub(crate) fn grad_of<T: Float>(p: &ParamMut<'_, T>) -> Tensor<T> {
    p.grad.to_contiguous()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dl_layers::ParamKind;

    fn param<'a>(
        name: &'static str,
        v: &'a mut Tensor<f64>,
        g: &'a mut Tensor<f64>,
    ) -> ParamMut<'a, f64> {
        ParamMut {
            layer: "fc",
            name,
            kind: ParamKind::Weight,
            value: v,
            grad: g,
        }
    }

    #[test]
    fn slots_are_created_once_and_reused() {
        let mut slots = Slots::<usize>::new("Test");
        let (mut v, mut g) = (Tensor::zeros([3]), Tensor::zeros([3]));
        assert_eq!(*slots.get(0, &param("W", &mut v, &mut g), |n| n), 3);
        *slots.get(0, &param("W", &mut v, &mut g), |_| 99) += 1;
        slots.finish(1);
        assert_eq!(*slots.get(0, &param("W", &mut v, &mut g), |_| 99), 4);
        assert_eq!(slots.len(), 1);
    }

    #[test]
    #[should_panic(expected = "Test: parameter slot 1 (fc.b of shape [3]) is new")]
    fn no_new_slot_after_first_step() {
        let mut slots = Slots::<()>::new("Test");
        let (mut v, mut g) = (Tensor::zeros([3]), Tensor::zeros([3]));
        slots.get(0, &param("W", &mut v, &mut g), |_| ());
        slots.finish(1);
        slots.get(1, &param("b", &mut v, &mut g), |_| ());
    }

    #[test]
    #[should_panic(expected = "Test: a step updated 1 parameter slots, but 2 are known")]
    fn missing_slots_panic() {
        let mut slots = Slots::<()>::new("Test");
        let (mut v, mut g) = (Tensor::zeros([3]), Tensor::zeros([3]));
        slots.get(0, &param("W", &mut v, &mut g), |_| ());
        slots.get(1, &param("b", &mut v, &mut g), |_| ());
        slots.finish(1);
    }

    #[test]
    #[should_panic(
        expected = "Test: the gradient of fc.W has shape [2] but its value has shape [3]"
    )]
    fn grad_shape_must_match_value() {
        let mut slots = Slots::<()>::new("Test");
        let (mut v, mut g) = (Tensor::zeros([3]), Tensor::zeros([2]));
        slots.get(0, &param("W", &mut v, &mut g), |_| ());
    }
}
