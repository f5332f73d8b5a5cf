//! `dl-norm`: Batch, layer and instance normalization with explicit backward passes.
