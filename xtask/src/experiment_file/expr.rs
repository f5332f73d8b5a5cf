//! A check's comparison: `final_test("ReLU + He") > final_test("sigmoid + Xavier")`,
//! `best_test("a") - best_test("b") >= 0.05 and gap("L2") < gap("none")`.
//!
//! Grammar: `condition := comparison (("and" | "or") comparison)*` (`and` binds tighter);
//! `comparison := sum ("<" | ">" | "<=" | ">=") sum`; `sum := product (("+" | "-") product)*`;
//! `product := unary (("*" | "/") unary)*`; `unary := "-" unary | number | call | "(" sum ")"`;
//! `call := function "(" "label" ["," number] ")"`.

use crate::experiments::{acc_at, jitter, train_at};
use crate::results::RunResult;
use crate::spec::{Verdict, run};

/// The functions of a run, by name: what they need besides the label, and what they measure.
const FUNCTIONS: [(&str, Arg, &str); 14] = [
    ("final_test", Arg::None, "last test accuracy"),
    ("final_train", Arg::None, "last train accuracy"),
    ("best_test", Arg::None, "highest test accuracy"),
    (
        "tail_test",
        Arg::Count,
        "mean test accuracy of the last k evaluations",
    ),
    (
        "tail_train",
        Arg::Count,
        "mean train accuracy of the last k evaluations",
    ),
    ("gap", Arg::None, "final train − final test accuracy"),
    (
        "test_at",
        Arg::Step,
        "test accuracy at (or just before) an iteration",
    ),
    (
        "train_at",
        Arg::Step,
        "train accuracy at (or just before) an iteration",
    ),
    ("final_loss", Arg::None, "last training loss"),
    ("final_val_loss", Arg::None, "last validation loss"),
    ("best_val_loss", Arg::None, "lowest validation loss"),
    ("rise", Arg::None, "final − lowest validation loss"),
    (
        "jitter",
        Arg::None,
        "mean |Δ test accuracy| over the second half",
    ),
    ("best_train", Arg::None, "highest train accuracy"),
];

/// What a function takes after the label.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Arg {
    None,
    /// A number of evaluations, at least 1.
    Count,
    /// An iteration.
    Step,
}

/// A parsed condition, ready to check runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// One comparison.
    Compare(Expr, Cmp, Expr),
    /// Both hold.
    And(Box<Condition>, Box<Condition>),
    /// Either holds.
    Or(Box<Condition>, Box<Condition>),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
}

/// A number-valued expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A literal, with its text.
    Number(f64, String),
    /// A function of a run.
    Call {
        /// The function's name.
        function: &'static str,
        /// The run's label.
        label: String,
        /// The count or step it takes, if any.
        arg: Option<usize>,
    },
    /// `-x`
    Neg(Box<Expr>),
    /// `a op b` with op one of `+ - * /`.
    Binary(Box<Expr>, char, Box<Expr>),
    /// `(x)`
    Paren(Box<Expr>),
}

impl Condition {
    /// Parses `text`, whose calls must name runs among `labels`; the error says what was
    /// expected where.
    pub fn parse(text: &str, labels: &[&str]) -> Result<Condition, String> {
        let tokens = lex(text)?;
        let mut p = Parser {
            tokens,
            pos: 0,
            labels,
            text,
        };
        let c = p.condition()?;
        match p.peek() {
            None => Ok(c),
            Some(t) => Err(p.unexpected(t, "`and`, `or` or the end")),
        }
    }

    /// Whether the condition holds on `results`, with every value behind it:
    /// `final_test(a) 0.9512 > final_test(b) 0.9011`.
    pub fn verdict(&self, results: &[RunResult]) -> Verdict {
        match self {
            Condition::Compare(a, op, b) => {
                let (x, y) = (a.eval(results), b.eval(results));
                let holds = match op {
                    Cmp::Lt => x < y,
                    Cmp::Gt => x > y,
                    Cmp::Le => x <= y,
                    Cmp::Ge => x >= y,
                };
                let sym = match op {
                    Cmp::Lt => "<",
                    Cmp::Gt => ">",
                    Cmp::Le => "<=",
                    Cmp::Ge => ">=",
                };
                Verdict::new(
                    holds,
                    format!("{} {sym} {}", a.side(results), b.side(results)),
                )
            }
            Condition::And(a, b) | Condition::Or(a, b) => {
                let (va, vb) = (a.verdict(results), b.verdict(results));
                let and = matches!(self, Condition::And(..));
                let holds = if and {
                    va.holds && vb.holds
                } else {
                    va.holds || vb.holds
                };
                let word = if and { "and" } else { "or" };
                Verdict::new(holds, format!("{} {word} {}", va.evidence, vb.evidence))
            }
        }
    }
}

impl Expr {
    /// The value on `results`.
    ///
    /// # Panics
    /// If a call names a run that is not among them (parsing checked the labels).
    pub fn eval(&self, results: &[RunResult]) -> f64 {
        match self {
            Expr::Number(x, _) => *x,
            Expr::Call {
                function,
                label,
                arg,
            } => call(function, run(results, label), *arg),
            Expr::Neg(x) => -x.eval(results),
            Expr::Paren(x) => x.eval(results),
            Expr::Binary(a, op, b) => {
                let (x, y) = (a.eval(results), b.eval(results));
                match op {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x * y,
                    _ => x / y,
                }
            }
        }
    }

    /// The expression with each call's value after it.
    fn text(&self, results: &[RunResult]) -> String {
        match self {
            Expr::Number(_, text) => text.clone(),
            Expr::Call {
                function,
                label,
                arg,
            } => {
                let value = self.eval(results);
                match arg {
                    Some(a) => format!("{function}({label}, {a}) {value:.4}"),
                    None => format!("{function}({label}) {value:.4}"),
                }
            }
            Expr::Neg(x) => format!("-{}", x.text(results)),
            Expr::Paren(x) => format!("({})", x.text(results)),
            Expr::Binary(a, op, b) => format!("{} {op} {}", a.text(results), b.text(results)),
        }
    }

    /// One side of a comparison: its text, and its value when it is computed.
    fn side(&self, results: &[RunResult]) -> String {
        match self {
            Expr::Number(..) | Expr::Call { .. } => self.text(results),
            _ => format!("{} = {:.4}", self.text(results), self.eval(results)),
        }
    }
}

/// A function of one run's curve.
fn call(function: &str, r: &RunResult, arg: Option<usize>) -> f64 {
    let n = arg.unwrap_or(0);
    match function {
        "final_test" => r.final_test(),
        "final_train" => r.final_train(),
        "best_test" => r.best_test(),
        "best_train" => r.curve.iter().map(|p| p.train_acc).fold(0.0, f64::max),
        "tail_test" => r.tail_test(n),
        "tail_train" => r.tail_train(n),
        "gap" => r.final_train() - r.final_test(),
        "test_at" => acc_at(r, n),
        "train_at" => train_at(r, n),
        "final_loss" => r.last().loss,
        "final_val_loss" => r.final_val_loss(),
        "best_val_loss" => r.best_val_loss(),
        "rise" => r.final_val_loss() - r.best_val_loss(),
        _ => jitter(r),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64, String),
    Ident(String),
    Str(String),
    Op(&'static str),
}

/// A token and the byte offset it starts at.
type At = (Token, usize);

fn lex(text: &str) -> Result<Vec<At>, String> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' {
            let end = chars[i + 1..]
                .iter()
                .position(|&(_, d)| d == c)
                .ok_or_else(|| format!("unclosed string starting at `{}`", &text[at..]))?;
            let (start, stop) = (at + 1, chars[i + 1 + end].0);
            out.push((Token::Str(text[start..stop].to_string()), at));
            i += end + 2;
        } else if c.is_ascii_digit() || c == '.' {
            let mut j = i;
            while j < chars.len() {
                let d = chars[j].1;
                let exponent_sign =
                    (d == '-' || d == '+') && j > i && matches!(chars[j - 1].1, 'e' | 'E');
                if d.is_ascii_alphanumeric() || d == '.' || d == '_' || exponent_sign {
                    j += 1;
                } else {
                    break;
                }
            }
            let end = chars.get(j).map_or(text.len(), |x| x.0);
            let s = &text[at..end];
            let x: f64 = s
                .replace('_', "")
                .parse()
                .map_err(|_| format!("`{s}` is not a number"))?;
            out.push((Token::Number(x, s.to_string()), at));
            i = j;
        } else if c.is_alphabetic() || c == '_' {
            let mut j = i;
            while j < chars.len() && (chars[j].1.is_alphanumeric() || chars[j].1 == '_') {
                j += 1;
            }
            let end = chars.get(j).map_or(text.len(), |x| x.0);
            out.push((Token::Ident(text[at..end].to_string()), at));
            i = j;
        } else {
            let two = text[at..].get(..2).unwrap_or("");
            let op = ["<=", ">=", "&&", "||"]
                .into_iter()
                .find(|o| *o == two)
                .or_else(|| {
                    ["<", ">", "+", "-", "*", "/", "(", ")", ","]
                        .into_iter()
                        .find(|o| o.starts_with(c))
                })
                .ok_or_else(|| {
                    format!("unexpected `{c}` in `{text}`; expected a comparison such as final_test(\"a\") > final_test(\"b\")")
                })?;
            out.push((Token::Op(op), at));
            i += op.chars().count();
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<At>,
    pos: usize,
    labels: &'a [&'a str],
    text: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&At> {
        self.tokens.get(self.pos)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some((Token::Op(o), _)) if *o == op)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some((Token::Ident(w), _)) if w == word)
    }

    fn unexpected(&self, (_, at): &At, expected: &str) -> String {
        format!(
            "in `{}`: expected {expected} at `{}`",
            self.text,
            &self.text[*at..]
        )
    }

    fn expect_op(&mut self, op: &str, expected: &str) -> Result<(), String> {
        if self.is_op(op) {
            self.pos += 1;
            return Ok(());
        }
        Err(self.unexpected_here(expected))
    }

    fn unexpected_here(&self, expected: &str) -> String {
        match self.peek() {
            Some(t) => self.unexpected(t, expected),
            None => format!("in `{}`: expected {expected} at the end", self.text),
        }
    }

    fn condition(&mut self) -> Result<Condition, String> {
        let mut c = self.conjunction()?;
        while self.is_word("or") || self.is_op("||") {
            self.pos += 1;
            c = Condition::Or(Box::new(c), Box::new(self.conjunction()?));
        }
        Ok(c)
    }

    fn conjunction(&mut self) -> Result<Condition, String> {
        let mut c = self.comparison()?;
        while self.is_word("and") || self.is_op("&&") {
            self.pos += 1;
            c = Condition::And(Box::new(c), Box::new(self.comparison()?));
        }
        Ok(c)
    }

    fn comparison(&mut self) -> Result<Condition, String> {
        let a = self.sum()?;
        let op = match self.peek() {
            Some((Token::Op("<"), _)) => Cmp::Lt,
            Some((Token::Op(">"), _)) => Cmp::Gt,
            Some((Token::Op("<="), _)) => Cmp::Le,
            Some((Token::Op(">="), _)) => Cmp::Ge,
            _ => return Err(self.unexpected_here("a comparison (<, >, <=, >=)")),
        };
        self.pos += 1;
        Ok(Condition::Compare(a, op, self.sum()?))
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut e = self.product()?;
        while self.is_op("+") || self.is_op("-") {
            let op = if self.is_op("+") { '+' } else { '-' };
            self.pos += 1;
            e = Expr::Binary(Box::new(e), op, Box::new(self.product()?));
        }
        Ok(e)
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut e = self.unary()?;
        while self.is_op("*") || self.is_op("/") {
            let op = if self.is_op("*") { '*' } else { '/' };
            self.pos += 1;
            e = Expr::Binary(Box::new(e), op, Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        let expected = "a number, a function of a run such as final_test(\"label\"), `-` or `(`";
        let Some((token, _)) = self.peek().cloned() else {
            return Err(self.unexpected_here(expected));
        };
        match token {
            Token::Op("-") => {
                self.pos += 1;
                Ok(Expr::Neg(Box::new(self.unary()?)))
            }
            Token::Op("(") => {
                self.pos += 1;
                let e = self.sum()?;
                self.expect_op(")", "`)`")?;
                Ok(Expr::Paren(Box::new(e)))
            }
            Token::Number(x, text) => {
                self.pos += 1;
                Ok(Expr::Number(x, text))
            }
            Token::Ident(name) => self.call(&name),
            _ => Err(self.unexpected_here(expected)),
        }
    }

    fn call(&mut self, name: &str) -> Result<Expr, String> {
        let Some(&(function, arg, _)) = FUNCTIONS.iter().find(|f| f.0 == name) else {
            let known: Vec<&str> = FUNCTIONS.iter().map(|f| f.0).collect();
            return Err(format!(
                "in `{}`: unknown function `{name}`; expected one of {}",
                self.text,
                known.join(", ")
            ));
        };
        self.pos += 1;
        self.expect_op("(", &format!("`(` after {function}"))?;
        let label = match self.peek() {
            Some((Token::Str(s), _)) => s.clone(),
            _ => {
                return Err(self
                    .unexpected_here(&format!("a run's label in quotes: {function}(\"label\")")));
            }
        };
        if !self.labels.contains(&label.as_str()) {
            return Err(format!(
                "in `{}`: unknown run `{label}`; the runs are {}",
                self.text,
                self.labels
                    .iter()
                    .map(|l| format!("\"{l}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        self.pos += 1;
        let arg = match arg {
            Arg::None => None,
            Arg::Count | Arg::Step => {
                let what = if arg == Arg::Count {
                    format!("`,` and the number of evaluations: {function}(\"{label}\", 5)")
                } else {
                    format!("`,` and an iteration: {function}(\"{label}\", 100)")
                };
                self.expect_op(",", &what)?;
                match self.peek() {
                    Some((Token::Number(x, _), _))
                        if x.fract() == 0.0 && *x >= f64::from(u8::from(arg == Arg::Count)) =>
                    {
                        let n = *x as usize;
                        self.pos += 1;
                        Some(n)
                    }
                    _ => return Err(self.unexpected_here(&what)),
                }
            }
        };
        self.expect_op(")", &format!("`)` to close {function}(…)"))?;
        Ok(Expr::Call {
            function,
            label,
            arg,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Point;

    fn result(label: &str, test: &[f64]) -> RunResult {
        RunResult {
            label: label.into(),
            settings: serde_json::Value::Null,
            curve: test
                .iter()
                .enumerate()
                .map(|(i, &t)| Point {
                    step: i * 10,
                    loss: 1.0,
                    train_acc: 1.0,
                    test_acc: t,
                    val_loss: None,
                })
                .collect(),
            wall_seconds: 0.0,
            parameters: 0,
        }
    }

    #[test]
    fn a_comparison_carries_its_numbers() {
        let runs = [result("a", &[0.5, 0.9512]), result("b", &[0.9011])];
        let c = Condition::parse(r#"final_test("a") > final_test('b')"#, &["a", "b"]).unwrap();
        let v = c.verdict(&runs);
        assert!(v.holds);
        assert_eq!(v.evidence, "final_test(a) 0.9512 > final_test(b) 0.9011");
    }

    #[test]
    fn arithmetic_shows_the_computed_side() {
        let runs = [result("a", &[0.95]), result("b", &[0.90])];
        let c = Condition::parse(
            r#"final_test("a") - final_test("b") > 0.05 * 2 or tail_test("a", 1) >= 0.9"#,
            &["a", "b"],
        )
        .unwrap();
        let v = c.verdict(&runs);
        assert!(v.holds);
        assert_eq!(
            v.evidence,
            "final_test(a) 0.9500 - final_test(b) 0.9000 = 0.0500 > 0.05 * 2 = 0.1000 \
             or tail_test(a, 1) 0.9500 >= 0.9"
        );
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let c = Condition::parse("1 > 2 and 1 > 2 or 2 > 1", &[]).unwrap();
        assert!(c.verdict(&[]).holds);
    }

    #[test]
    fn mistakes_say_what_was_expected() {
        let labels = ["a"];
        let err = |t: &str| Condition::parse(t, &labels).unwrap_err();
        assert!(err(r#"final_test("b") > 0"#).contains("unknown run `b`; the runs are \"a\""));
        assert!(err(r#"finl_test("a") > 0"#).contains("unknown function `finl_test`"));
        assert!(err(r#"final_test("a")"#).contains("expected a comparison"));
        assert!(err(r#"final_test("a") > "#).contains("at the end"));
        assert!(err(r#"tail_test("a") > 0"#).contains("the number of evaluations"));
        assert!(err(r#"final_test("a") = 0"#).contains("unexpected `=`"));
        assert!(err(r#"final_test(a) > 0"#).contains("label in quotes"));
    }
}
