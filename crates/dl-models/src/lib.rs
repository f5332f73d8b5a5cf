//! `dl-models`: MultiLayerNet, the notes' convolutional networks, AlexNet; safetensors checkpoints.
