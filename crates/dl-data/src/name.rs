//! The datasets this crate knows: their names, files, classes and how to get them.

use std::fmt;
use std::str::FromStr;

use crate::error::DataError;

/// A dataset this crate can locate, load and fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DatasetName {
    /// MNIST handwritten digits (IDX, 28×28 grey, 60,000 + 10,000).
    Mnist,
    /// Zalando's Fashion-MNIST (IDX, 28×28 grey, 60,000 + 10,000).
    FashionMnist,
    /// CIFAR-10, binary version (32×32 RGB, 50,000 + 10,000).
    Cifar10,
}

/// The four IDX files of MNIST and Fashion-MNIST, without `.gz`.
pub const IDX_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// CIFAR-10's training batches, in order.
pub const CIFAR10_TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];

/// CIFAR-10's test batch.
pub const CIFAR10_TEST_FILE: &str = "test_batch.bin";

/// The subfolder CIFAR-10's archive unpacks to; looked in as well.
pub const CIFAR10_SUBDIR: &str = "cifar-10-batches-bin";

impl DatasetName {
    /// Every dataset.
    pub const ALL: [DatasetName; 3] = [
        DatasetName::Mnist,
        DatasetName::FashionMnist,
        DatasetName::Cifar10,
    ];

    /// The name used for folders and on the command line: `mnist`, `fashion-mnist`, `cifar10`.
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetName::Mnist => "mnist",
            DatasetName::FashionMnist => "fashion-mnist",
            DatasetName::Cifar10 => "cifar10",
        }
    }

    /// The name as its authors write it: `MNIST`, `Fashion-MNIST`, `CIFAR-10`.
    pub fn title(self) -> &'static str {
        match self {
            DatasetName::Mnist => "MNIST",
            DatasetName::FashionMnist => "Fashion-MNIST",
            DatasetName::Cifar10 => "CIFAR-10",
        }
    }

    /// The files a folder must hold (each with or without `.gz`).
    pub fn files(self) -> Vec<&'static str> {
        match self {
            DatasetName::Mnist | DatasetName::FashionMnist => IDX_FILES.to_vec(),
            DatasetName::Cifar10 => {
                let mut f = CIFAR10_TRAIN_FILES.to_vec();
                f.push(CIFAR10_TEST_FILE);
                f
            }
        }
    }

    /// The number of classes (10 for all three).
    pub fn classes(self) -> usize {
        self.class_names().len()
    }

    /// The class names, by label.
    pub fn class_names(self) -> &'static [&'static str] {
        match self {
            DatasetName::Mnist => &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
            DatasetName::FashionMnist => &[
                "T-shirt/top",
                "Trouser",
                "Pullover",
                "Dress",
                "Coat",
                "Sandal",
                "Shirt",
                "Sneaker",
                "Bag",
                "Ankle boot",
            ],
            DatasetName::Cifar10 => &[
                "airplane",
                "automobile",
                "bird",
                "cat",
                "deer",
                "dog",
                "frog",
                "horse",
                "ship",
                "truck",
            ],
        }
    }

    /// The shape of one image: (channels, height, width).
    pub fn image_shape(self) -> [usize; 3] {
        match self {
            DatasetName::Mnist | DatasetName::FashionMnist => [1, 28, 28],
            DatasetName::Cifar10 => [3, 32, 32],
        }
    }

    /// How to get the data, for the error when it is not found.
    pub fn hint(self) -> String {
        let fetch = format!("`cargo xtask fetch {}`", self.as_str());
        let apt = match self {
            DatasetName::FashionMnist => {
                "`apt-get install dataset-fashion-mnist` (installs /usr/share/datasets/fashion-mnist/), or "
            }
            _ => "",
        };
        format!(
            "{apt}{fetch} (writes datasets/{name}/), or put the files in $DL_DATA_DIR/{name}/",
            name = self.as_str()
        )
    }
}

impl fmt::Display for DatasetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DatasetName {
    type Err = DataError;

    /// Parses `mnist`, `fashion-mnist` (or `fashion_mnist`), `cifar10` (or `cifar-10`).
    fn from_str(s: &str) -> Result<Self, DataError> {
        match s.to_ascii_lowercase().as_str() {
            "mnist" => Ok(DatasetName::Mnist),
            "fashion-mnist" | "fashion_mnist" | "fashionmnist" => Ok(DatasetName::FashionMnist),
            "cifar10" | "cifar-10" | "cifar_10" => Ok(DatasetName::Cifar10),
            _ => Err(DataError::UnknownDataset {
                name: s.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_is_an_error() {
        for n in DatasetName::ALL {
            assert_eq!(n.as_str().parse::<DatasetName>().unwrap(), n);
            assert_eq!(n.classes(), 10);
        }
        let err = "imagenet".parse::<DatasetName>().unwrap_err();
        assert!(err.to_string().contains("imagenet"), "{err}");
    }

    #[test]
    fn hints_say_how_to_get_the_data() {
        assert!(
            DatasetName::FashionMnist
                .hint()
                .contains("apt-get install dataset-fashion-mnist")
        );
        assert!(
            DatasetName::Cifar10
                .hint()
                .contains("cargo xtask fetch cifar10")
        );
    }
}
