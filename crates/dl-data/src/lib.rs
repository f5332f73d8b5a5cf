//! `dl-data`: IDX, MNIST, Fashion-MNIST and CIFAR-10 loaders with mini-batch sampling.
