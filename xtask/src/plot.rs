//! Line charts written as SVG and PNG, with an embedded font so PNGs render on machines
//! without system fonts.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::XtaskError;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// One labelled line, with an optional shaded band around it.
pub struct Series {
    /// Legend label.
    pub label: String,
    /// `(x, y)` points in order.
    pub points: Vec<(f64, f64)>,
    /// `(x, low, high)` in order: the band drawn under the line (the min–max over seeds).
    pub band: Option<Vec<(f64, f64, f64)>>,
}

/// A chart of one or more lines.
pub struct LineChart {
    /// Title above the plot.
    pub title: String,
    /// A second line under the title (which seeds the figure shows).
    pub subtitle: String,
    /// X-axis label.
    pub x_label: String,
    /// Y-axis label.
    pub y_label: String,
    /// Fixed y range; `None` fits the data.
    pub y_range: Option<(f64, f64)>,
    /// The lines.
    pub series: Vec<Series>,
}

/// Width of the figure, and of the plot within it (the legend sits to its right).
const WIDTH: u32 = 1040;
const PLOT_WIDTH: u32 = 780;
const HEIGHT: u32 = 520;

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

impl LineChart {
    /// Writes `<stem>.svg` and `<stem>.png`.
    pub fn save(&self, stem: &Path) -> Result<(), XtaskError> {
        REGISTER.call_once(|| {
            // The font is compiled in; failing to parse it would be a build defect.
            let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
        });
        let svg = stem.with_extension("svg");
        let png = stem.with_extension("png");
        let fail = |path: &Path, e: String| XtaskError::Write {
            path: path.to_path_buf(),
            reason: e,
        };
        {
            let root = SVGBackend::new(&svg, (WIDTH, HEIGHT)).into_drawing_area();
            self.draw(&root).map_err(|e| fail(&svg, e))?;
            root.present().map_err(|e| fail(&svg, e.to_string()))?;
        }
        let (width, height) = (WIDTH, HEIGHT);
        let mut rgb = vec![0u8; width as usize * height as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
            self.draw(&root).map_err(|e| fail(&png, e))?;
            root.present().map_err(|e| fail(&png, e.to_string()))?;
        }
        std::fs::write(&png, crate::png::encode_rgb(width, height, &rgb))
            .map_err(|e| fail(&png, e.to_string()))?;
        Ok(())
    }

    fn bounds(&self) -> ((f64, f64), (f64, f64)) {
        let pts = self
            .series
            .iter()
            .flat_map(|s| {
                let band = s
                    .band
                    .iter()
                    .flatten()
                    .flat_map(|&(x, lo, hi)| [(x, lo), (x, hi)]);
                s.points.iter().copied().chain(band)
            })
            .filter(|p| p.1.is_finite());
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (x, y) in pts {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if x0 > x1 {
            (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
        }
        if x1 - x0 < 1e-12 {
            x1 = x0 + 1.0;
        }
        let y = self.y_range.unwrap_or_else(|| {
            let pad = ((y1 - y0) * 0.05).max(1e-6);
            (y0 - pad, y1 + pad)
        });
        ((x0, x1), y)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(err)?;
        let root = root.titled(&self.title, ("sans-serif", 22)).map_err(err)?;
        let (plot, legend) = root.split_horizontally(PLOT_WIDTH);
        let ((x0, x1), (y0, y1)) = self.bounds();
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.subtitle, ("sans-serif", 14))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(err)?;
        // Steps and epochs are whole numbers: label only whole ticks, without a decimal point.
        let whole = |x: &f64| {
            if (x - x.round()).abs() < 1e-9 {
                format!("{}", x.round() as i64)
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&whole)
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(err)?;
        for (i, s) in self.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            if let Some(band) = &s.band {
                let finite = band.iter().filter(|b| b.1.is_finite() && b.2.is_finite());
                let upper = finite.clone().map(|&(x, _, hi)| (x, hi));
                let lower = finite.rev().map(|&(x, lo, _)| (x, lo));
                let outline: Vec<(f64, f64)> = upper.chain(lower).collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        outline,
                        color.mix(0.18).filled(),
                    )))
                    .map_err(err)?;
            }
            let points = s.points.iter().copied().filter(|p| p.1.is_finite());
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(err)?;
        }
        // The legend beside the plot, never over a curve.
        let top = 40;
        for (i, s) in self.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let y = top + 24 * i as i32;
            legend
                .draw(&PathElement::new(
                    vec![(8, y), (32, y)],
                    color.stroke_width(3),
                ))
                .map_err(err)?;
            legend
                .draw(&Text::new(
                    s.label.clone(),
                    (40, y - 8),
                    ("sans-serif", 14).into_font(),
                ))
                .map_err(err)?;
        }
        Ok(())
    }
}
