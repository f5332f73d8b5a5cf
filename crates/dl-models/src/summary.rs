//! A network's summary table, as Keras's `model.summary()` and torchinfo print it.

use std::fmt;

/// One row of a [`Summary`].
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    /// The layer's name (`conv1`).
    pub name: String,
    /// The layer's own description (`Convolution(6@1×5×5, stride 1, pad 0)`).
    pub kind: String,
    /// The per-sample output shape, when known.
    pub output: Option<Vec<usize>>,
    /// Its trainable scalars.
    pub params: usize,
}

/// The layers of a network with their output shapes and parameter counts; `Display` prints it
/// as a table.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The per-sample input shape, when known.
    pub input: Option<Vec<usize>>,
    /// One row per layer, in order.
    pub rows: Vec<SummaryRow>,
    /// Trainable scalars in all.
    pub total_params: usize,
}

/// `(N, 6, 28, 28)`: a per-sample shape with the batch axis in front, or `?`.
fn shape_text(shape: &Option<Vec<usize>>) -> String {
    match shape {
        Some(s) => {
            let dims: Vec<String> = s.iter().map(|d| d.to_string()).collect();
            format!("(N, {})", dims.join(", "))
        }
        None => "?".into(),
    }
}

/// `61706` → `61,706`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cells: Vec<[String; 4]> = self
            .rows
            .iter()
            .map(|r| {
                [
                    r.name.clone(),
                    r.kind.clone(),
                    shape_text(&r.output),
                    thousands(r.params),
                ]
            })
            .collect();
        let header = ["layer", "type", "output shape", "params"].map(String::from);
        let mut widths = header.clone().map(|h| h.chars().count());
        for row in &cells {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, row: &[String; 4]| {
            writeln!(
                f,
                "{:<w0$}  {:<w1$}  {:<w2$}  {:>w3$}",
                row[0],
                row[1],
                row[2],
                row[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2],
                w3 = widths[3]
            )
        };
        let rule = "─".repeat(widths.iter().sum::<usize>() + 6);
        writeln!(f, "input: {}", shape_text(&self.input))?;
        line(f, &header)?;
        writeln!(f, "{rule}")?;
        for row in &cells {
            line(f, row)?;
        }
        writeln!(f, "{rule}")?;
        write!(f, "total parameters: {}", thousands(self.total_params))
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(61_706), "61,706");
        assert_eq!(thousands(61_100_840), "61,100,840");
    }
}
