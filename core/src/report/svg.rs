//! Small SVG chart primitives: escaping, number formatting, nice ticks, linear scales, and a
//! builder that writes one `<svg>` element with a title, axes, bars, lines and labels.
//!
//! Everything here writes XML-clean markup (every tag closed, attributes quoted, text escaped)
//! so the page parses as XML as well as HTML.

use std::fmt::Write as _;

/// Escapes text for XML/HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab/newline are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Groups the integer part of a decimal string in thousands: `20160` → `20,160`.
fn group(int_part: &str) -> String {
    let (sign, digits) = match int_part.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", int_part),
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// A number with `decimals` decimals and thousands separators: `1234.5` → `1,234.50`.
pub fn fixed(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let s = format!("{v:.decimals$}");
    let s = if s
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_owned()
    } else {
        s
    };
    match s.split_once('.') {
        Some((i, f)) => format!("{}.{f}", group(i)),
        None => group(&s),
    }
}

/// A count with separators: `20160` → `20,160`.
pub fn count(n: u64) -> String {
    group(&n.to_string())
}

/// A number for people: integers without decimals, small values with up to 3 significant
/// decimals, all with thousands separators.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let a = v.abs();
    if (v - v.round()).abs() < 1e-9 || a >= 100.0 {
        fixed(v, 0)
    } else if a >= 10.0 {
        fixed(v, 1)
    } else if a >= 1.0 {
        trim(fixed(v, 2))
    } else {
        trim(fixed(v, 3))
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// US dollars with cents: `$1,234.50` (negative: `−$12.00`).
pub fn usd(v: f64) -> String {
    if v < 0.0 {
        format!("\u{2212}${}", fixed(-v, 2))
    } else {
        format!("${}", fixed(v, 2))
    }
}

/// About `target` evenly spaced "nice" tick values (steps of 1, 2 or 5 × 10^k) covering
/// `lo..=hi`. The first tick is ≤ `lo`, the last ≥ `hi`.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo, lo + 1.0) };
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor() * step;
    let mut ticks = Vec::new();
    let mut i = 0.0;
    loop {
        let t = first + i * step;
        // Avoid -0 and float noise like 0.30000000000000004.
        let t = (t / step).round() * step;
        ticks.push(if t == 0.0 { 0.0 } else { t });
        if t >= hi - step * 1e-9 || ticks.len() > 100 {
            break;
        }
        i += 1.0;
    }
    ticks
}

/// The decimals that label every tick exactly and alike (`0.25` steps → 2: `0.50`, `1.00`).
pub fn tick_decimals(ticks: &[f64]) -> usize {
    let step = match ticks {
        [a, b, ..] => (b - a).abs(),
        _ => return 0,
    };
    (0..6)
        .find(|d| {
            let scaled = step * 10f64.powi(*d as i32);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(6)
}

/// A linear map from a data range onto a pixel range.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    /// Maps `d0..d1` onto `r0..r1` (either may be reversed, as for y axes).
    pub fn new(d0: f64, d1: f64, r0: f64, r1: f64) -> Scale {
        let d1 = if d1 == d0 { d0 + 1.0 } else { d1 };
        Scale { d0, d1, r0, r1 }
    }

    /// The pixel position of `v`.
    pub fn at(&self, v: f64) -> f64 {
        self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// Spreads label positions (sorted or not) so that neighbours are at least `gap` apart,
/// keeping them within `lo..=hi`; returns positions in the input order.
pub fn spread_labels(ys: &[f64], gap: f64, lo: f64, hi: f64) -> Vec<f64> {
    let mut order: Vec<usize> = (0..ys.len()).collect();
    order.sort_by(|a, b| ys[*a].total_cmp(&ys[*b]));
    let mut placed: Vec<f64> = order.iter().map(|i| ys[*i]).collect();
    for i in 1..placed.len() {
        if placed[i] - placed[i - 1] < gap {
            placed[i] = placed[i - 1] + gap;
        }
    }
    // Pushed past the bottom: shift the tail back up.
    if let Some(last) = placed.last().copied()
        && last > hi
    {
        let n = placed.len();
        placed[n - 1] = hi;
        for i in (0..n - 1).rev() {
            if placed[i + 1] - placed[i] < gap {
                placed[i] = placed[i + 1] - gap;
            }
        }
    }
    for p in &mut placed {
        *p = p.max(lo);
    }
    let mut out = vec![0.0; ys.len()];
    for (k, i) in order.iter().enumerate() {
        out[*i] = placed[k];
    }
    out
}

/// The drawing area of a chart: the whole size and the plot rectangle inside its margins.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    /// Whole width.
    pub width: f64,
    /// Whole height.
    pub height: f64,
    /// Plot left edge.
    pub left: f64,
    /// Plot right edge.
    pub right: f64,
    /// Plot top edge.
    pub top: f64,
    /// Plot bottom edge.
    pub bottom: f64,
}

impl Frame {
    /// A frame of `width × height` with margins (left, right, top, bottom).
    pub fn new(width: f64, height: f64, margins: (f64, f64, f64, f64)) -> Frame {
        Frame {
            width,
            height,
            left: margins.0,
            right: width - margins.1,
            top: margins.2,
            bottom: height - margins.3,
        }
    }
}

fn p(v: f64) -> String {
    // One decimal is plenty for pixels and keeps the markup small.
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// One `<svg>` chart under construction.
#[derive(Debug)]
pub struct Svg {
    out: String,
    /// Its frame.
    pub frame: Frame,
}

impl Svg {
    /// Starts a chart: `id` names it (also in `data-chart`), `title` and `desc` are its
    /// accessible name and description, `data` are extra `data-*` attributes (key figures).
    pub fn new(id: &str, title: &str, desc: &str, frame: Frame, data: &[(&str, String)]) -> Svg {
        let mut out = String::new();
        let _ = write!(
            out,
            "<svg id=\"{id}\" data-chart=\"{id}\" class=\"chart\" role=\"img\" \
             viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" aria-labelledby=\"{id}-title\"",
            id = esc(id),
            w = p(frame.width),
            h = p(frame.height)
        );
        for (k, v) in data {
            let _ = write!(out, " data-{}=\"{}\"", esc(k), esc(v));
        }
        let _ = write!(
            out,
            "><title id=\"{}-title\">{}</title><desc>{}</desc>",
            esc(id),
            esc(title),
            esc(desc)
        );
        Svg { out, frame }
    }

    /// A line.
    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, class: &str) {
        let _ = write!(
            self.out,
            "<line class=\"{}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
            esc(class),
            p(x1),
            p(y1),
            p(x2),
            p(y2)
        );
    }

    /// A rectangle with a tooltip.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, class: &str, tip: &str) {
        let _ = write!(
            self.out,
            "<rect class=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
            esc(class),
            p(x),
            p(y),
            p(w.max(0.0)),
            p(h.max(0.0)),
            esc(tip)
        );
    }

    /// A rectangle filled with an explicit colour (bill line segments).
    pub fn rect_fill(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, tip: &str) {
        let _ = write!(
            self.out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#fff\"><title>{}</title></rect>",
            p(x),
            p(y),
            p(w.max(0.0)),
            p(h.max(0.0)),
            esc(fill),
            esc(tip)
        );
    }

    /// A circle with a tooltip.
    pub fn circle(&mut self, x: f64, y: f64, r: f64, class: &str, tip: &str) {
        let _ = write!(
            self.out,
            "<circle class=\"{}\" cx=\"{}\" cy=\"{}\" r=\"{}\"><title>{}</title></circle>",
            esc(class),
            p(x),
            p(y),
            p(r),
            esc(tip)
        );
    }

    /// Text; `anchor` is `start`, `middle` or `end`.
    pub fn text(&mut self, x: f64, y: f64, anchor: &str, class: &str, text: &str) {
        let _ = write!(
            self.out,
            "<text class=\"{}\" x=\"{}\" y=\"{}\" text-anchor=\"{}\">{}</text>",
            esc(class),
            p(x),
            p(y),
            esc(anchor),
            esc(text)
        );
    }

    /// Text rotated -90° about its position (y-axis titles).
    pub fn vtext(&mut self, x: f64, y: f64, class: &str, text: &str) {
        let _ = write!(
            self.out,
            "<text class=\"{}\" x=\"{x}\" y=\"{y}\" text-anchor=\"middle\" transform=\"rotate(-90 {x} {y})\">{}</text>",
            esc(class),
            esc(text),
            x = p(x),
            y = p(y)
        );
    }

    /// A polyline through `points`.
    pub fn polyline(&mut self, points: &[(f64, f64)], class: &str) {
        self.shape("polyline", points, class);
    }

    /// A closed polygon (areas under lines).
    pub fn polygon(&mut self, points: &[(f64, f64)], class: &str) {
        self.shape("polygon", points, class);
    }

    /// A `<polyline>` or `<polygon>` element through `points`.
    fn shape(&mut self, tag: &str, points: &[(f64, f64)], class: &str) {
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", p(*x), p(*y)))
            .collect();
        let _ = write!(
            self.out,
            "<{tag} class=\"{}\" points=\"{}\"/>",
            esc(class),
            pts.join(" ")
        );
    }

    /// A y axis at the plot's left edge: grid lines and labels at `ticks`, and a title.
    pub fn y_axis(&mut self, y: &Scale, ticks: &[f64], label: impl Fn(f64) -> String, title: &str) {
        let f = self.frame;
        for t in ticks {
            let py = y.at(*t);
            self.line(f.left, py, f.right, py, "grid");
            self.text(f.left - 6.0, py + 4.0, "end", "tick", &label(*t));
        }
        self.line(f.left, f.top, f.left, f.bottom, "axis");
        self.vtext(14.0, (f.top + f.bottom) / 2.0, "axis-title", title);
    }

    /// An x axis at the plot's bottom edge with labelled ticks and a title.
    pub fn x_axis(&mut self, x: &Scale, ticks: &[(f64, String)], title: &str) {
        let f = self.frame;
        self.line(f.left, f.bottom, f.right, f.bottom, "axis");
        for (t, label) in ticks {
            let px = x.at(*t);
            self.line(px, f.bottom, px, f.bottom + 4.0, "axis");
            self.text(px, f.bottom + 16.0, "middle", "tick", label);
        }
        self.text(
            (f.left + f.right) / 2.0,
            f.height - 6.0,
            "middle",
            "axis-title",
            title,
        );
    }

    /// A horizontal reference line across the plot with a label placed at `label_y` on the
    /// right (already spread from its neighbours).
    pub fn hline(&mut self, y: f64, label_y: f64, class: &str, label: &str) {
        let f = self.frame;
        self.line(f.left, y, f.right, y, class);
        if (label_y - y).abs() > 1.0 {
            self.line(f.right, y, f.right + 6.0, label_y - 4.0, "leader");
        }
        self.text(
            f.right + 8.0,
            label_y,
            "start",
            &format!("{class}-label"),
            label,
        );
    }

    /// A legend row at (`x`, `y`): (swatch class, label) pairs.
    pub fn legend(&mut self, mut x: f64, y: f64, items: &[(&str, &str)]) {
        for (class, label) in items {
            self.rect(x, y - 9.0, 12.0, 10.0, class, label);
            self.text(x + 16.0, y, "start", "legend", label);
            // ~6.2 px per character at the legend's 11 px font.
            x += 30.0 + label.chars().count() as f64 * 6.2;
        }
    }

    /// Closes the element and returns the markup.
    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_numbers() {
        assert_eq!(
            esc("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;"
        );
        assert_eq!(count(20160), "20,160");
        assert_eq!(count(999), "999");
        assert_eq!(fixed(-1234567.891, 2), "-1,234,567.89");
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(usd(1234.5), "$1,234.50");
        assert_eq!(usd(-12.0), "\u{2212}$12.00");
        assert_eq!(num(0.25), "0.25");
        assert_eq!(num(12.34), "12.3");
        assert_eq!(num(1536.0), "1,536");
    }

    #[test]
    fn ticks_are_nice_and_cover_the_range() {
        assert_eq!(
            nice_ticks(0.0, 100.0, 5),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        let t = nice_ticks(0.0, 1137.0, 5);
        assert_eq!(t.first(), Some(&0.0));
        assert!(*t.last().unwrap() >= 1137.0, "{t:?}");
        assert!(t.len() <= 8, "{t:?}");
        let step = t[1] - t[0];
        assert!([200.0, 250.0].contains(&step), "{t:?}");
        let small = nice_ticks(0.0, 0.3, 4);
        assert!(
            small
                .iter()
                .all(|v| (v * 10.0 - (v * 10.0).round()).abs() < 1e-9),
            "{small:?}"
        );
    }

    #[test]
    fn tick_labels_share_their_decimals() {
        assert_eq!(tick_decimals(&[0.0, 0.25, 0.5]), 2);
        assert_eq!(tick_decimals(&[0.0, 500.0, 1000.0]), 0);
        assert_eq!(tick_decimals(&[0.0, 0.2, 0.4]), 1);
        assert_eq!(tick_decimals(&[5.0]), 0);
    }

    #[test]
    fn labels_are_spread_apart_in_bounds() {
        let ys = spread_labels(&[100.0, 101.0, 50.0, 102.0], 12.0, 0.0, 200.0);
        let mut sorted = ys.clone();
        sorted.sort_by(f64::total_cmp);
        for w in sorted.windows(2) {
            assert!(w[1] - w[0] >= 12.0 - 1e-9, "{ys:?}");
        }
        assert_eq!(ys[2], 50.0, "a label with room keeps its place");
        let low = spread_labels(&[195.0, 198.0, 199.0], 12.0, 0.0, 200.0);
        assert!(low.iter().all(|y| *y <= 200.0), "{low:?}");
    }
}
