//! The revenue chart: the last 12 months' paid revenue (bars) and commission (a line), drawn on
//! the server as an SVG by plotters, so it shows without JavaScript. The page puts a table of
//! the same figures beside it for screen readers; the SVG itself is labelled as an image.
use std::sync::Once;

use plotters::prelude::*;

use crate::domain::{Currency, Money};

static FONT: Once = Once::new();

/// Text is measured with the font the PDFs embed (plotters has no system fonts here).
fn register_font() {
    FONT.call_once(|| {
        let bytes: &'static [u8] = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/static/fonts/LiberationSans-Regular.ttf"
        ));
        if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_err() {
            tracing::warn!("the chart's font could not be loaded: the chart has no labels");
        }
    });
}

/// "Dec" for "2026-12", "Jan 27" for a January.
fn month_label(period: &str) -> String {
    let Some(d) = crate::services::commission::period_start(period) else {
        return period.to_string();
    };
    if d.format("%m").to_string() == "01" {
        d.format("%b %y").to_string()
    } else {
        d.format("%b").to_string()
    }
}

/// A whole-unit axis label: "1,200", "12k".
fn axis_label(minor: i64, currency: Currency) -> String {
    let unit = 10i64.pow(currency.decimals());
    let whole = minor / unit.max(1);
    if whole.abs() >= 10_000 {
        format!("{}k", whole / 1000)
    } else {
        whole.to_string()
    }
}

/// The chart as an SVG document. `months`: (period, paid, commission) in minor units.
pub fn svg(months: &[(String, i64, i64)], currency: Currency) -> String {
    register_font();
    let mut out = String::new();
    let top = months
        .iter()
        .map(|(_, p, c)| (*p).max(*c))
        .max()
        .unwrap_or(0)
        .max(1);
    // Room above the tallest bar; the axis in whole units.
    let top = top + top / 8 + 1;
    let n = months.len() as u32;
    {
        let root = SVGBackend::with_string(&mut out, (760, 300)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(56)
            .build_cartesian_2d((0u32..n).into_segmented(), 0i64..top);
        if let Ok(mut chart) = chart {
            let labels: Vec<String> = months.iter().map(|(p, _, _)| month_label(p)).collect();
            let _ = chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(months.len())
                .x_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) => {
                        labels.get(*i as usize).cloned().unwrap_or_default()
                    }
                    _ => String::new(),
                })
                .y_labels(5)
                .y_label_formatter(&|v| axis_label(*v, currency))
                .y_desc(currency.code())
                .label_style(("sans-serif", 13).into_font().color(&RGBColor(55, 65, 81)))
                .axis_desc_style(("sans-serif", 13).into_font().color(&RGBColor(55, 65, 81)))
                .max_light_lines(1)
                .light_line_style(RGBColor(243, 244, 246))
                .bold_line_style(RGBColor(209, 213, 219))
                .draw();
            // Paid revenue: bars in the page's primary blue.
            let _ = chart.draw_series(
                Histogram::vertical(&chart)
                    .style(RGBColor(37, 99, 235).filled())
                    .margin(8)
                    .data(
                        months
                            .iter()
                            .enumerate()
                            .map(|(i, (_, p, _))| (i as u32, *p)),
                    ),
            );
            // Commission: a dark line with points, centred on each month.
            let points: Vec<(SegmentValue<u32>, i64)> = months
                .iter()
                .enumerate()
                .map(|(i, (_, _, c))| (SegmentValue::CenterOf(i as u32), *c))
                .collect();
            let _ = chart.draw_series(LineSeries::new(
                points.iter().cloned(),
                RGBColor(180, 83, 9).stroke_width(3),
            ));
            let _ = chart.draw_series(
                points
                    .iter()
                    .map(|p| Circle::new(p.clone(), 4, RGBColor(180, 83, 9).filled())),
            );
        }
        let _ = root.present();
    }
    // Named as an image, with the figures in words; the table beside it has them all.
    let total_paid: i64 = months.iter().map(|m| m.1).sum();
    let total_commission: i64 = months.iter().map(|m| m.2).sum();
    let title = format!(
        "Paid revenue (bars) and commission (line) over the last {} months: {} paid, {} commission",
        months.len(),
        Money::new(total_paid, currency),
        Money::new(total_commission, currency)
    );
    out.replacen(
        "<svg ",
        &format!(
            "<svg role=\"img\" aria-label=\"{}\" class=\"chart\" preserveAspectRatio=\"xMinYMin meet\" ",
            title
                .replace('&', "&amp;")
                .replace('"', "&quot;")
                .replace('<', "&lt;")
        ),
        1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_has_a_bar_per_month_labels_and_a_name() {
        let months: Vec<(String, i64, i64)> = (1..=12)
            .map(|m| (format!("2026-{m:02}"), m * 10_000, m * 1_250))
            .collect();
        let svg = svg(&months, Currency::Usd);
        assert!(svg.starts_with("<svg role=\"img\""), "{}", &svg[..80]);
        assert!(svg.contains("aria-label=\"Paid revenue (bars)"));
        assert!(
            svg.contains("\nJan 26\n") && svg.contains("\nDec\n"),
            "month labels"
        );
        // Twelve bars in the bar colour.
        assert_eq!(svg.matches("fill=\"#2563EB\"").count(), 12);
        assert!(
            svg.contains("<polyline fill=\"none\" opacity=\"1\" stroke=\"#B45309\""),
            "the commission line"
        );
    }

    #[test]
    fn an_empty_year_still_draws_an_axis() {
        let months: Vec<(String, i64, i64)> =
            (1..=12).map(|m| (format!("2026-{m:02}"), 0, 0)).collect();
        let svg = svg(&months, Currency::Vnd);
        assert!(svg.contains("</svg>"));
        assert!(svg.contains("VND"));
    }
}
