//! After the first step, an optimizer step (and a weight penalty) allocates nothing.
//! A counting global allocator; this file holds a single test so no other test allocates
//! concurrently.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use dl_layers::{ParamKind, ParamMut};
use dl_optim::{OptimizerKind, Penalty, step};
use dl_tensor::Tensor;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn steps_after_the_first_do_not_allocate() {
    let mut w = Tensor::<f32>::ones([64, 32]);
    let mut dw = Tensor::<f32>::full([64, 32], 0.01);
    let mut b = Tensor::<f32>::zeros([32]);
    let mut db = Tensor::<f32>::full([32], -0.02);
    let kinds = [
        OptimizerKind::sgd(0.1),
        OptimizerKind::momentum(0.1, 0.9),
        OptimizerKind::adagrad_notebook(0.1),
        OptimizerKind::rmsprop(0.01),
        OptimizerKind::adam(0.001),
    ];
    let penalty = Penalty::elastic_net(0.01, 0.1);
    for kind in kinds {
        let mut opt = kind.build::<f32>();
        let mut visit = |f: &mut dyn FnMut(ParamMut<'_, f32>)| {
            f(ParamMut {
                layer: "affine1",
                name: "W",
                kind: ParamKind::Weight,
                value: &mut w,
                grad: &mut dw,
            });
            f(ParamMut {
                layer: "affine1",
                name: "b",
                kind: ParamKind::Bias,
                value: &mut b,
                grad: &mut db,
            });
        };
        let first = ALLOCATIONS.load(Ordering::SeqCst);
        step(opt.as_mut(), &mut visit);
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        // The first step creates the state (the counter sees it)...
        assert!(
            before > first,
            "{}: first step allocated nothing?",
            opt.describe()
        );
        // ...later steps reuse it.
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        for _ in 0..3 {
            penalty.apply_to_grads(&mut visit);
            let _: f32 = penalty.loss_term(&mut visit);
            step(opt.as_mut(), &mut visit);
        }
        let after = ALLOCATIONS.load(Ordering::SeqCst);
        assert_eq!(after - before, 0, "{} allocated", opt.describe());
    }
}
