//! `dl-optim`: SGD, Momentum, AdaGrad, RMSProp, Adam and weight penalties.
