//! A self-contained HTML page for `gen report --html`: tables and charts drawn as inline SVG,
//! with no script, stylesheet or font fetched from anywhere. Pure string building: the data
//! arrive as text cells, as DuckDB's query results give them.

use std::fmt::Write;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 36.0;
const COLOURS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The whole page.
pub fn page(title: &str, sections: &[String]) -> String {
    let mut out = String::new();
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }}\n\
         table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }}\n\
         th, td {{ border: 1px solid #ccc; padding: 0.2em 0.5em; }}\n\
         td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}\n\
         tr.bad td {{ background: #fdd; }}\n\
         svg {{ display: block; margin: 0.5em 0 1.5em; }}\n\
         </style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(title),
        escape(title)
    )
    .expect("writing to a String");
    for s in sections {
        out.push_str(s);
        out.push('\n');
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// A table; rows whose `flag_column` cell is neither empty nor "ok" are highlighted.
pub fn table(columns: &[String], rows: &[Vec<Option<String>>], flag_column: Option<&str>) -> String {
    let flag = flag_column.and_then(|f| columns.iter().position(|c| c == f));
    let mut out = String::from("<table>\n<tr>");
    for c in columns {
        write!(out, "<th>{}</th>", escape(c)).expect("writing to a String");
    }
    out.push_str("</tr>\n");
    for row in rows {
        let bad = flag.is_some_and(|i| row[i].as_deref().is_some_and(|v| v != "ok"));
        out.push_str(if bad { "<tr class=\"bad\">" } else { "<tr>" });
        for cell in row {
            let text = cell.as_deref().unwrap_or("");
            let class = if text.parse::<f64>().is_ok() {
                " class=\"num\""
            } else {
                ""
            };
            write!(out, "<td{class}>{}</td>", escape(text)).expect("writing to a String");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>");
    out
}

/// One point of a chart: x as text (a number or an ISO date), the series it belongs to, y.
pub struct Point {
    pub x: String,
    pub series: String,
    pub y: f64,
}

/// A number for an x value: the number itself, or days since 1970-01-01 for an ISO date.
fn x_value(x: &str) -> Option<f64> {
    if let Ok(v) = x.parse::<f64>() {
        return Some(v);
    }
    let d = chrono::NaiveDate::parse_from_str(x.get(..10)?, "%Y-%m-%d").ok()?;
    Some((d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days() as f64)
}

fn series_names(points: &[Point]) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for p in points {
        if !names.contains(&p.series.as_str()) {
            names.push(&p.series);
        }
    }
    names
}

fn frame(out: &mut String, title: &str) {
    write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"{t}\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <text x=\"{LEFT}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{t}</text>\
         <line x1=\"{LEFT}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#888\"/>\
         <line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{b}\" stroke=\"#888\"/>",
        t = escape(title),
        b = HEIGHT - BOTTOM,
        r = WIDTH - RIGHT,
    )
    .expect("writing to a String");
}

fn legend(out: &mut String, names: &[&str]) {
    for (i, name) in names.iter().enumerate() {
        let x = WIDTH - RIGHT - 150.0;
        let y = TOP + 14.0 * i as f64 + 4.0;
        write!(
            out,
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>",
            y - 9.0,
            COLOURS[i % COLOURS.len()],
            x + 14.0,
            y,
            escape(name)
        )
        .expect("writing to a String");
    }
}

fn label(v: f64) -> String {
    if v.abs() >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

/// The series name whose points are drawn as shaded days (bands) rather than a line.
pub const SHADE: &str = "_shade";

/// A line chart, one polyline per series; the x axis is labelled with the first and last x text.
/// Points of the series [`SHADE`] shade their x (one unit wide) behind the lines.
pub fn line_chart(title: &str, points: &[Point]) -> String {
    let mut out = String::new();
    frame(&mut out, title);
    let xs: Vec<Option<f64>> = points.iter().map(|p| x_value(&p.x)).collect();
    let all: Vec<(f64, &Point)> = xs.iter().zip(points).filter_map(|(x, p)| x.map(|x| (x, p))).collect();
    let (shade, usable): (Vec<_>, Vec<_>) = all.into_iter().partition(|(_, p): &(f64, &Point)| p.series == SHADE);
    if usable.is_empty() {
        out.push_str("<text x=\"300\" y=\"130\">no data</text></svg>");
        return out;
    }
    let (x0, x1) = usable
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (x, _)| {
            (a.min(*x), b.max(*x))
        });
    let y1 = usable.iter().map(|(_, p)| p.y).fold(0.0f64, f64::max).max(1e-12);
    let sx = |x: f64| LEFT + (x - x0) / (x1 - x0).max(1e-12) * (WIDTH - LEFT - RIGHT);
    let sy = |y: f64| HEIGHT - BOTTOM - y / y1 * (HEIGHT - TOP - BOTTOM);
    let names: Vec<&str> = series_names(points).into_iter().filter(|n| *n != SHADE).collect();
    let step = (WIDTH - LEFT - RIGHT) / (x1 - x0).max(1.0);
    for (x, _) in &shade {
        write!(
            out,
            "<rect x=\"{:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{}\" fill=\"#f4a6a6\" fill-opacity=\"0.35\"/>",
            sx(*x) - step / 2.0,
            step.max(1.0),
            HEIGHT - TOP - BOTTOM
        )
        .expect("writing to a String");
    }
    for (i, name) in names.iter().enumerate() {
        let pts: Vec<String> = usable
            .iter()
            .filter(|(_, p)| p.series == *name)
            .map(|(x, p)| format!("{:.1},{:.1}", sx(*x), sy(p.y)))
            .collect();
        write!(
            out,
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>",
            COLOURS[i % COLOURS.len()],
            pts.join(" ")
        )
        .expect("writing to a String");
    }
    let first = usable.iter().find(|(x, _)| *x == x0).map_or("", |(_, p)| p.x.as_str());
    let last = usable.iter().find(|(x, _)| *x == x1).map_or("", |(_, p)| p.x.as_str());
    write!(
        out,
        "<text x=\"{LEFT}\" y=\"{b}\" font-size=\"11\">{}</text>\
         <text x=\"{r}\" y=\"{b}\" font-size=\"11\" text-anchor=\"end\">{}</text>\
         <text x=\"{lx}\" y=\"{top}\" font-size=\"11\" text-anchor=\"end\">{}</text>\
         <text x=\"{lx}\" y=\"{zero}\" font-size=\"11\" text-anchor=\"end\">0</text>",
        escape(first),
        escape(last),
        label(y1),
        b = HEIGHT - BOTTOM + 16.0,
        r = WIDTH - RIGHT,
        lx = LEFT - 6.0,
        top = TOP + 4.0,
        zero = HEIGHT - BOTTOM,
    )
    .expect("writing to a String");
    legend(&mut out, &names);
    out.push_str("</svg>");
    out
}

/// A bar chart of one series on a log₁₀ scale (counts spanning orders of magnitude), each bar
/// labelled with its x and its value.
pub fn bar_chart(title: &str, points: &[Point]) -> String {
    let mut out = String::new();
    frame(&mut out, title);
    // A tenth of headroom above the tallest bar for its label.
    let top = points.iter().map(|p| p.y).fold(1.0f64, f64::max).log10().max(1.0) * 1.1;
    let n = points.len().max(1) as f64;
    let slot = (WIDTH - LEFT - RIGHT) / n;
    for (i, p) in points.iter().enumerate() {
        let h = (p.y.max(1.0).log10() / top) * (HEIGHT - TOP - BOTTOM);
        let x = LEFT + slot * i as f64 + slot * 0.15;
        write!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            HEIGHT - BOTTOM - h,
            slot * 0.7,
            COLOURS[0],
            x + slot * 0.35,
            HEIGHT - BOTTOM - h - 4.0,
            label(p.y),
            x + slot * 0.35,
            HEIGHT - BOTTOM + 16.0,
            escape(&p.x)
        )
        .expect("writing to a String");
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(x: &str, s: &str, y: f64) -> Point {
        Point {
            x: x.into(),
            series: s.into(),
            y,
        }
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }

    #[test]
    fn line_chart_draws_one_polyline_per_series_over_dates() {
        let svg = line_chart(
            "t",
            &[
                pt("2025-01-01", "a", 1.0),
                pt("2025-01-02", "a", 3.0),
                pt("2025-01-01", "b", 2.0),
            ],
        );
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("2025-01-01") && svg.contains("2025-01-02"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        // The highest point touches the top of the plot area.
        assert!(svg.contains(&format!("{:.1},{:.1}", WIDTH - RIGHT, TOP)), "{svg}");
    }

    #[test]
    fn bar_chart_labels_every_bar() {
        let svg = bar_chart("n", &[pt("0", "rows", 1000.0), pt("1", "rows", 10.0)]);
        assert_eq!(svg.matches("<rect x=").count(), 2);
        assert!(svg.contains(">1000<") && svg.contains(">10<"));
    }

    #[test]
    fn table_flags_rows_off_target() {
        let t = table(
            &["a".into(), "status".into()],
            &[
                vec![Some("1".into()), Some("ok".into())],
                vec![Some("x".into()), Some("OUTSIDE".into())],
            ],
            Some("status"),
        );
        assert_eq!(t.matches("class=\"bad\"").count(), 1);
        assert!(t.contains("<td class=\"num\">1</td>"));
    }
}
