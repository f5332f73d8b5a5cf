//! Many seeds: which seeds `--seeds` names, statistics of a figure over seeds, and a check's
//! verdict counted over seeds.

use serde::{Deserialize, Serialize};

/// Parses `--seeds`: `N` (seeds 0 to N−1), a list `3,7,11`, or an inclusive range `5-9`.
pub fn parse(value: &str) -> Result<Vec<u64>, String> {
    let bad = |part: &str| {
        format!(
            "`{part}` is not a seed count (`10`), a list (`3,7,11`) or a range (`5-9`) of \
             unsigned whole numbers"
        )
    };
    let number = |s: &str| s.trim().parse::<u64>().map_err(|_| bad(s));
    let value = value.trim();
    let seeds: Vec<u64> = if value.contains(',') {
        value.split(',').map(number).collect::<Result<_, _>>()?
    } else if let Some((a, b)) = value.split_once('-') {
        let (a, b) = (number(a)?, number(b)?);
        if a > b {
            return Err(format!("the range `{value}` is empty: write it low-high"));
        }
        if b - a >= MAX_SEEDS as u64 {
            return Err(format!("`{value}` names more than {MAX_SEEDS} seeds"));
        }
        (a..=b).collect()
    } else {
        let n = number(value)?;
        if n == 0 {
            return Err("expected at least 1 seed, got 0".into());
        }
        if n > MAX_SEEDS as u64 {
            return Err(format!("expected at most {MAX_SEEDS} seeds, got {n}"));
        }
        (0..n).collect()
    };
    let mut sorted = seeds.clone();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("seed {} is listed twice", w[0]));
    }
    if seeds.len() > MAX_SEEDS {
        return Err(format!(
            "expected at most {MAX_SEEDS} seeds, got {}",
            seeds.len()
        ));
    }
    Ok(seeds)
}

/// The most seeds one invocation runs (a typing slip like `--seeds 1000000` is refused).
pub const MAX_SEEDS: usize = 10_000;

/// Mean, standard deviation (sample, n − 1; 0 for one value), minimum and maximum of a figure
/// over seeds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (divides by n − 1); 0 for a single value.
    pub std: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Stats {
    /// The statistics of `values` (at least one).
    pub fn of(values: &[f64]) -> Stats {
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = if values.len() > 1 {
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Stats {
            mean,
            std: var.sqrt(),
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

/// How a claim fared over seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// It holds for at least 80 % of the seeds.
    Holds,
    /// It holds for at most 20 % of the seeds.
    DoesNotHold,
    /// In between: the seed decides.
    Mixed,
}

/// A claim's verdict over seeds: on how many it held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Seeds on which the claim held.
    pub held: usize,
    /// Seeds evaluated.
    pub of: usize,
}

impl Tally {
    /// Counts the seeds on which the claim held.
    pub fn count(holds: impl IntoIterator<Item = bool>) -> Tally {
        let (mut held, mut of) = (0, 0);
        for h in holds {
            held += usize::from(h);
            of += 1;
        }
        Tally { held, of }
    }

    /// Holds on at least 80 % of the seeds, does not hold on at most 20 %, else mixed (with one
    /// seed: holds or does not hold).
    pub fn standing(self) -> Standing {
        if self.held * 5 >= self.of * 4 {
            Standing::Holds
        } else if self.held * 5 <= self.of {
            Standing::DoesNotHold
        } else {
            Standing::Mixed
        }
    }

    /// `holds (9 of 10 seeds)`, `does not hold (1 of 10 seeds)`, `mixed (6 of 10 seeds)`.
    pub fn describe(self) -> String {
        let word = match self.standing() {
            Standing::Holds => "holds",
            Standing::DoesNotHold => "does not hold",
            Standing::Mixed => "mixed",
        };
        let seeds = if self.of == 1 { "seed" } else { "seeds" };
        format!("{word} ({} of {} {seeds})", self.held, self.of)
    }
}

/// One piece of an evidence sentence: text, or a number with the digits it was printed with.
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Text(&'a str),
    Number(f64, usize),
}

/// Splits a sentence into text and decimal numbers (`0.9512`, `-3`, `1e-4` stays text).
fn pieces(s: &str) -> Vec<Piece<'_>> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut text_start) = (0, 0);
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit()
            || (bytes[i] == b'-'
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()));
        // A digit inside a word (`conv3`, `[40,20]` stays countable) is text when glued to a
        // letter.
        if starts_number && (i == 0 || !bytes[i - 1].is_ascii_alphabetic()) {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            let mut decimals = 0;
            if j + 1 < bytes.len() && bytes[j] == b'.' && bytes[j + 1].is_ascii_digit() {
                j += 1;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                    decimals += 1;
                }
            }
            let glued = j < bytes.len() && (bytes[j].is_ascii_alphabetic() || bytes[j] == b'_');
            if !glued && let Ok(v) = s[i..j].parse::<f64>() {
                if text_start < i {
                    out.push(Piece::Text(&s[text_start..i]));
                }
                out.push(Piece::Number(v, decimals));
                i = j;
                text_start = j;
                continue;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    if text_start < s.len() {
        out.push(Piece::Text(&s[text_start..]));
    }
    out
}

/// The evidence of one claim over seeds: where every seed's sentence has the same words, each
/// number becomes `mean [min, max]` over seeds; otherwise each seed's sentence is listed.
pub fn combine_evidence(per_seed: &[(u64, &str)]) -> String {
    let Some(&(_, first)) = per_seed.first() else {
        return String::new();
    };
    if per_seed.len() == 1 {
        return first.to_string();
    }
    let split: Vec<Vec<Piece<'_>>> = per_seed.iter().map(|(_, e)| pieces(e)).collect();
    let same_shape = split.iter().all(|p| {
        p.len() == split[0].len()
            && p.iter().zip(&split[0]).all(|(a, b)| match (a, b) {
                (Piece::Text(a), Piece::Text(b)) => a == b,
                (Piece::Number(..), Piece::Number(..)) => true,
                _ => false,
            })
    });
    if !same_shape {
        return per_seed
            .iter()
            .map(|(seed, e)| format!("seed {seed}: {e}"))
            .collect::<Vec<_>>()
            .join("; ");
    }
    let mut out = String::new();
    for (k, piece) in split[0].iter().enumerate() {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Number(_, decimals) => {
                let values: Vec<f64> = split
                    .iter()
                    .map(|p| match p[k] {
                        Piece::Number(v, _) => v,
                        Piece::Text(_) => f64::NAN,
                    })
                    .collect();
                let s = Stats::of(&values);
                let d = *decimals;
                if s.min == s.max {
                    out.push_str(&format!("{:.d$}", s.mean));
                } else {
                    out.push_str(&format!("{:.d$} [{:.d$}, {:.d$}]", s.mean, s.min, s.max));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_a_count_a_list_or_a_range() {
        assert_eq!(parse("3"), Ok(vec![0, 1, 2]));
        assert_eq!(parse("4,1,9"), Ok(vec![4, 1, 9]));
        assert_eq!(parse("5-7"), Ok(vec![5, 6, 7]));
        assert_eq!(parse("7-7"), Ok(vec![7]));
        for bad in ["0", "x", "3,3", "9-5", "-1", "1,,2", "", "99999999"] {
            assert!(parse(bad).is_err(), "{bad} was accepted");
        }
        assert!(parse("3,3").unwrap_err().contains("seed 3 is listed twice"));
    }

    #[test]
    fn statistics_are_the_sample_ones() {
        let s = Stats::of(&[1.0, 2.0, 3.0, 6.0]);
        assert_eq!((s.mean, s.min, s.max), (3.0, 1.0, 6.0));
        // Σ(x − 3)² = 4 + 1 + 0 + 9 = 14, over n − 1 = 3.
        assert!((s.std - (14.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(Stats::of(&[0.5]).std, 0.0);
    }

    #[test]
    fn verdicts_are_counted_over_seeds() {
        let t = |held, of| Tally { held, of }.describe();
        assert_eq!(t(10, 10), "holds (10 of 10 seeds)");
        assert_eq!(t(9, 10), "holds (9 of 10 seeds)");
        assert_eq!(t(8, 10), "holds (8 of 10 seeds)");
        assert_eq!(t(7, 10), "mixed (7 of 10 seeds)");
        assert_eq!(t(3, 10), "mixed (3 of 10 seeds)");
        assert_eq!(t(2, 10), "does not hold (2 of 10 seeds)");
        assert_eq!(t(0, 3), "does not hold (0 of 3 seeds)");
        assert_eq!(t(2, 3), "mixed (2 of 3 seeds)");
        assert_eq!(t(1, 1), "holds (1 of 1 seed)");
        assert_eq!(t(0, 1), "does not hold (0 of 1 seed)");
        assert_eq!(Tally::count([true, false, true]), Tally { held: 2, of: 3 });
    }

    #[test]
    fn evidence_numbers_become_mean_and_range() {
        let e = combine_evidence(&[
            (0, "ReLU + He [40,20] 0.9500 vs sigmoid 0.1000"),
            (1, "ReLU + He [40,20] 0.9600 vs sigmoid 0.1000"),
            (2, "ReLU + He [40,20] 0.9700 vs sigmoid 0.1000"),
        ]);
        assert_eq!(
            e,
            "ReLU + He [40,20] 0.9600 [0.9500, 0.9700] vs sigmoid 0.1000"
        );
        let differing = combine_evidence(&[(0, "a 1"), (1, "b 2")]);
        assert_eq!(differing, "seed 0: a 1; seed 1: b 2");
        assert_eq!(combine_evidence(&[(4, "best 0.5")]), "best 0.5");
    }

    #[test]
    fn numbers_glued_to_words_are_text() {
        assert_eq!(
            pieces("conv3 at step 40: 0.25"),
            vec![
                Piece::Text("conv3 at step "),
                Piece::Number(40.0, 0),
                Piece::Text(": "),
                Piece::Number(0.25, 2)
            ]
        );
    }
}
