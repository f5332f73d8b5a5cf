//! The Trainer: evaluation cadence, epochs with a validation loss, the stop on a non-finite
//! loss, callbacks (early stop, learning-rate decay, gradient hook), and the same curves on 1
//! and 2 threads.

use dl_data::Dataset;
use dl_models::{
    Callback, EarlyStopping, Event, Flow, OptimizerKind, Schedule, Sequential, StepDecay,
    TrainAccuracy, TrainError, Trainer,
};
use dl_optim::Optimizer;
use dl_tensor::{Tensor, rng_from_seed};

/// Three Gaussian blobs in 4 dimensions, `n` points, labelled by blob.
fn blobs(n: usize, seed: u64) -> Dataset {
    let noise = Tensor::<f32>::randn([n, 4], 0.5, &mut rng_from_seed(seed)).to_vec();
    let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let centers = [
        [2.0, 0.0, 0.0, 1.0],
        [0.0, 2.0, 0.0, -1.0],
        [0.0, 0.0, 2.0, 0.0],
    ];
    let x: Vec<f32> = noise
        .iter()
        .enumerate()
        .map(|(i, v)| v + centers[labels[i / 4]][i % 4])
        .collect();
    Dataset::new(Tensor::from_vec(x, [n, 4]), labels, 3)
}

fn net(seed: u64) -> Sequential<f32> {
    Sequential::builder([4])
        .affine(16)
        .relu()
        .affine(3)
        .build(seed)
        .unwrap()
}

#[test]
fn iterations_are_evaluated_at_0_every_k_and_at_the_end() {
    let (train, test) = (blobs(120, 1), blobs(60, 2));
    let trainer = Trainer::new(Schedule::Iterations {
        iterations: 25,
        eval_every: 10,
    })
    .batch_size(20)
    .train_accuracy(TrainAccuracy::Full);
    let mut adam = OptimizerKind::adam(0.05).build::<f32>();
    let mut net = net(0);
    let history = trainer
        .fit(&mut net, adam.as_mut(), &train, &test, &mut [])
        .unwrap();
    let steps: Vec<usize> = history.points.iter().map(|p| p.step).collect();
    assert_eq!(steps, [0, 10, 20, 24]);
    assert_eq!(history.steps, 25);
    assert!(!history.stopped_early);
    assert!(history.points.iter().all(|p| p.val_loss.is_none()));
    let last = history.points.last().unwrap();
    assert!(last.test_acc > 0.9 && last.train_acc > 0.9, "{last:?}");
    // The recorded accuracies are the network's, recomputed.
    assert_eq!(last.test_acc, net.accuracy(&test.images, &test.labels, 7));
}

#[test]
fn epochs_record_the_running_accuracy_and_the_validation_loss() {
    let (train, test) = (blobs(90, 3), blobs(30, 4));
    let trainer = Trainer::new(Schedule::Epochs { epochs: 3 }).batch_size(32);
    assert_eq!(trainer.total_steps(train.len()), 3 * 3);
    let mut events = Vec::new();
    let mut record = |e: &Event<'_>| {
        if let Event::Step { step, of, .. } = *e {
            events.push((step, of));
        }
        Flow::Continue
    };
    let mut sgd = OptimizerKind::sgd(0.1).build::<f32>();
    let mut net = net(1);
    let history = trainer
        .fit(&mut net, sgd.as_mut(), &train, &test, &mut [&mut record])
        .unwrap();
    assert_eq!(events, (1..=9).map(|s| (s, 9)).collect::<Vec<_>>());
    assert_eq!(
        history.points.iter().map(|p| p.step).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let last = history.points.last().unwrap();
    let (val_loss, val_acc) = net.evaluate(&test.images, &test.labels, 1000);
    assert_eq!(last.val_loss, Some(val_loss));
    assert_eq!(last.test_acc, val_acc);
}

#[test]
fn a_non_finite_loss_stops_with_the_step() {
    let (train, test) = (blobs(60, 5), blobs(30, 6));
    let trainer = Trainer::new(Schedule::Iterations {
        iterations: 200,
        eval_every: 50,
    })
    .batch_size(30);
    let mut sgd = OptimizerKind::sgd(1e30).build::<f32>();
    let err = trainer
        .fit(&mut net(2), sgd.as_mut(), &train, &test, &mut [])
        .unwrap_err();
    let TrainError::Diverged { step, loss } = err else {
        panic!("{err:?}")
    };
    assert!(step > 0 && step < 200 && !loss.is_finite(), "{step} {loss}");
}

#[test]
fn bad_settings_are_errors() {
    let data = blobs(30, 7);
    let mut sgd = OptimizerKind::sgd(0.1).build::<f32>();
    let zero = Trainer::new(Schedule::Epochs { epochs: 1 }).batch_size(0);
    let err = zero.fit(&mut net(0), sgd.as_mut(), &data, &data, &mut []);
    assert!(matches!(err, Err(TrainError::Settings(_))), "{err:?}");
    let never = Trainer::new(Schedule::Iterations {
        iterations: 5,
        eval_every: 0,
    });
    let err = never.fit(&mut net(0), sgd.as_mut(), &data, &data, &mut []);
    assert!(matches!(err, Err(TrainError::Settings(_))), "{err:?}");
}

#[test]
fn callbacks_stop_early_decay_the_learning_rate_and_see_the_gradients() {
    let (train, test) = (blobs(60, 8), blobs(30, 9));
    let trainer = Trainer::new(Schedule::Epochs { epochs: 50 }).batch_size(30);
    // Nothing improves with a learning rate of 0: patience 1 stops at the second evaluation.
    let mut early = EarlyStopping::new(1);
    let mut sgd = OptimizerKind::sgd(0.0).build::<f32>();
    let history = trainer
        .fit(&mut net(3), sgd.as_mut(), &train, &test, &mut [&mut early])
        .unwrap();
    assert!(history.stopped_early);
    assert_eq!(history.points.len(), 2, "{history:?}");

    struct Watch {
        lrs: Vec<f64>,
        hooks: usize,
    }
    impl Callback for Watch {
        fn on_event(&mut self, e: &Event<'_>, opt: &mut dyn Optimizer<f32>) -> Flow {
            if let Event::Step { .. } = e {
                self.lrs.push(opt.learning_rate());
            }
            Flow::Continue
        }
        fn before_update(&mut self, net: &mut Sequential<f32>, _step: usize) {
            // Freeze everything: zero gradients, so SGD moves nothing.
            net.visit_params(&mut |p| p.grad.fill(0.0));
            self.hooks += 1;
        }
    }
    let mut decay = StepDecay {
        every: 2,
        factor: 0.5,
    };
    let mut watch = Watch {
        lrs: Vec::new(),
        hooks: 0,
    };
    let trainer = Trainer::new(Schedule::Iterations {
        iterations: 6,
        eval_every: 3,
    })
    .batch_size(10);
    let mut sgd = OptimizerKind::sgd(1.0).build::<f32>();
    let mut frozen = net(4);
    let weights = |n: &mut Sequential<f32>| {
        let mut all = Vec::new();
        n.visit_params(&mut |p| all.extend(p.value.to_vec()));
        all
    };
    let before = weights(&mut frozen);
    trainer
        .fit(
            &mut frozen,
            sgd.as_mut(),
            &train,
            &test,
            &mut [&mut decay, &mut watch],
        )
        .unwrap();
    assert_eq!(watch.lrs, [1.0, 0.5, 0.5, 0.25, 0.25, 0.125]);
    assert_eq!(watch.hooks, 6);
    assert_eq!(weights(&mut frozen), before);
}

#[test]
fn the_same_curves_on_one_and_two_threads() {
    let (train, test) = (blobs(200, 10), blobs(50, 11));
    // On the threads set, also beside other tests.
    dl_tensor::set_fewer_threads_when_busy(false);
    let run = |threads: usize| {
        dl_tensor::set_num_threads(threads);
        let trainer = Trainer::new(Schedule::Iterations {
            iterations: 30,
            eval_every: 5,
        })
        .batch_size(50)
        .seed(12);
        let mut adam = OptimizerKind::adam(0.01).build::<f32>();
        let mut conv = Sequential::builder([4])
            .affine(64)
            .batch_norm()
            .relu()
            .dropout(0.2)
            .affine(3)
            .build::<f32>(13)
            .unwrap();
        trainer
            .fit(&mut conv, adam.as_mut(), &train, &test, &mut [])
            .unwrap()
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(one, two);
}
