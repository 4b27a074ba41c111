//! Invoice / credit note -> PDF (A4 portrait), rendered with `krilla`.
//!
//! Plain data in, bytes out: no I/O, and no panics on any input. Text is real,
//! searchable text in an embedded, subsetted Liberation Sans (SIL OFL 1.1, see
//! `static/fonts/LICENSE-OFL.txt`). Widths are measured with `rustybuzz`, the same
//! shaper and the same call sequence krilla's `draw_text` uses, so right-aligned
//! amounts line up exactly.
//!
//! Rendering is two passes: [`Layout`] turns the document into positioned drawing
//! operations page by page (wrapping descriptions, splitting rows that do not fit,
//! repeating the table header), then [`render`] draws them, adding the
//! "Page n of N" footer once N is known.

use std::sync::LazyLock;

use krilla::color::rgb;
use krilla::error::KrillaError;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;

static REGULAR_TTF: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/static/fonts/LiberationSans-Regular.ttf"
));
static BOLD_TTF: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/static/fonts/LiberationSans-Bold.ttf"
));

/// Everything printed on the document, already formatted for display.
#[derive(Debug, Clone, Default)]
pub struct InvoicePdf {
    /// e.g. "Invoice INV-2026-000123" or "Credit note CN-2026-000004".
    pub title: String,
    /// e.g. "Open", "Paid", "Void".
    pub status: String,
    /// Printed as "Billed by: the provider, with {seller} as the seller of record".
    pub seller: String,
    pub customer: String,
    pub customer_country: String,
    pub issued: String,
    pub due: String,
    pub lines: Vec<PdfLine>,
    /// Already formatted money, e.g. "€1,234.50".
    pub subtotal: String,
    pub tax: String,
    /// When `Some`, a "Paid from credit" row with this amount is printed.
    pub credit: Option<String>,
    pub total: String,
    /// When `Some` (an open invoice), a bold "Amount due" row closes the totals.
    pub amount_due: Option<String>,
    /// Free text under the totals (payment note or link); may be empty.
    pub note: String,
}

#[derive(Debug, Clone, Default)]
pub struct PdfLine {
    pub description: String,
    pub quantity: String,
    pub unit: String,
    pub tax: String,
    pub amount: String,
}

/// Renders the document. Never panics; if krilla ever failed to serialize (it can
/// only fail on font embedding, and the fonts are compiled in and tested), a minimal
/// one-page PDF saying so is returned instead. Use [`try_invoice_pdf`] to see the error.
pub fn invoice_pdf(doc: &InvoicePdf) -> Vec<u8> {
    try_invoice_pdf(doc).unwrap_or_else(|_| fallback_pdf())
}

/// Why a PDF could not be rendered.
#[derive(Debug)]
pub enum InvoicePdfError {
    /// A bundled font did not parse (cannot happen with the committed files).
    Font,
    /// krilla failed to serialize the document.
    Krilla(KrillaError),
}

impl std::fmt::Display for InvoicePdfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InvoicePdfError::Font => write!(f, "bundled font failed to parse"),
            InvoicePdfError::Krilla(e) => write!(f, "PDF serialization failed: {e}"),
        }
    }
}

impl std::error::Error for InvoicePdfError {}

pub fn try_invoice_pdf(doc: &InvoicePdf) -> Result<Vec<u8>, InvoicePdfError> {
    let fonts = FONTS.as_ref().ok_or(InvoicePdfError::Font)?;
    let pages = Layout::run(fonts, doc);
    render(fonts, doc, pages).map_err(InvoicePdfError::Krilla)
}

// ---- geometry: PDF points (1/72 in), origin top-left, y grows downwards ----

const PAGE_W: f32 = 595.276; // A4, 210 mm
const PAGE_H: f32 = 841.89; // A4, 297 mm
const MARGIN_X: f32 = 51.02; // 18 mm
const MARGIN_TOP: f32 = 51.02;
const LEFT: f32 = MARGIN_X;
const RIGHT: f32 = PAGE_W - MARGIN_X;
const CONTENT_W: f32 = RIGHT - LEFT;

const FOOTER_RULE_Y: f32 = PAGE_H - 48.0;
const FOOTER_BASELINE: f32 = FOOTER_RULE_Y + 13.0;
/// Nothing but the footer goes below this line.
const CONTENT_BOTTOM: f32 = FOOTER_RULE_Y - 14.0;

/// Table columns: description takes what the right-aligned numeric columns leave.
const QTY_W: f32 = 52.0;
const UNIT_W: f32 = 74.0;
const TAX_W: f32 = 64.0;
const AMOUNT_W: f32 = 78.0;
const DESC_W: f32 = CONTENT_W - QTY_W - UNIT_W - TAX_W - AMOUNT_W;
/// Gap kept free on the left of each numeric cell and right of the description.
const COL_GAP: f32 = 10.0;
const NUM_COL_RIGHTS: [f32; 4] = [
    LEFT + DESC_W + QTY_W,
    LEFT + DESC_W + QTY_W + UNIT_W,
    LEFT + DESC_W + QTY_W + UNIT_W + TAX_W,
    RIGHT,
];
const NUM_COL_WIDTHS: [f32; 4] = [QTY_W, UNIT_W, TAX_W, AMOUNT_W];
const HEADINGS: [&str; 4] = ["Quantity", "Unit price", "Tax", "Amount"];

const BODY: f32 = 9.0;
const LINE_H: f32 = 12.0;
const ROW_PAD: f32 = 5.0;
const MIN_NUM_SIZE: f32 = 6.0;
const TABLE_HEAD_H: f32 = 20.0;
/// A row taller than what is left on the page is split only if at least this many
/// of its lines fit; otherwise it moves to the next page whole (if it fits there).
const MIN_SPLIT_LINES: usize = 3;

/// Each text field is cut (with "…") at this many characters, which bounds the work
/// for pathological input; about four pages of a single description.
const MAX_FIELD_CHARS: usize = 10_000;

type Rgb = (u8, u8, u8);
const INK: Rgb = (28, 28, 30);
const MUTED: Rgb = (105, 105, 112);
const HEAD_RULE: Rgb = (60, 60, 66);
const ROW_RULE: Rgb = (218, 218, 222);

#[derive(Clone, Copy, PartialEq, Debug)]
enum Weight {
    Regular,
    Bold,
}

#[derive(Clone, Copy)]
struct Style {
    weight: Weight,
    size: f32,
    color: Rgb,
}

const fn style(weight: Weight, size: f32, color: Rgb) -> Style {
    Style {
        weight,
        size,
        color,
    }
}

const TITLE: Style = style(Weight::Bold, 20.0, INK);
const LABEL: Style = style(Weight::Bold, 7.5, MUTED);
const VALUE: Style = style(Weight::Regular, 10.0, INK);
const VALUE_BOLD: Style = style(Weight::Bold, 10.0, INK);
const TABLE_HEAD: Style = style(Weight::Bold, 8.0, MUTED);
const CELL: Style = style(Weight::Regular, BODY, INK);
const TOTAL_ROW: Style = style(Weight::Regular, 9.5, INK);
const GRAND_TOTAL: Style = style(Weight::Bold, 11.5, INK);
const NOTE: Style = style(Weight::Regular, 9.0, MUTED);
const SMALL: Style = style(Weight::Regular, 8.0, MUTED);
const RUNNING_TITLE: Style = style(Weight::Bold, 9.5, INK);

// ---- fonts and text measurement ----

struct Typeface {
    font: Font,
    shaper: rustybuzz::Face<'static>,
    /// The plan rustybuzz would build for left-to-right Latin text, built once:
    /// building it is most of the cost of measuring a short string.
    latin: rustybuzz::ShapePlan,
}

impl Typeface {
    fn load(data: &'static [u8]) -> Option<Typeface> {
        let shaper = rustybuzz::Face::from_slice(data, 0)?;
        let latin = rustybuzz::ShapePlan::new(
            &shaper,
            rustybuzz::Direction::LeftToRight,
            Some(rustybuzz::script::LATIN),
            None,
            &[],
        );
        Some(Typeface {
            font: Font::new(data.into(), 0)?,
            shaper,
            latin,
        })
    }

    /// Advance width of `text` at `size` pt, shaped exactly as krilla's `draw_text` does.
    fn width(&self, text: &str, size: f32) -> f32 {
        if text.is_empty() {
            return 0.0;
        }
        let mut buf = rustybuzz::UnicodeBuffer::new();
        buf.push_str(text);
        buf.guess_segment_properties();
        let shaped = if buf.direction() == rustybuzz::Direction::LeftToRight
            && buf.script() == rustybuzz::script::LATIN
            && buf.language().is_none()
        {
            rustybuzz::shape_with_plan(&self.shaper, &self.latin, buf)
        } else {
            rustybuzz::shape(&self.shaper, &[], buf)
        };
        let units: i64 = shaped
            .glyph_positions()
            .iter()
            .map(|p| i64::from(p.x_advance))
            .sum();
        units as f32 * size / self.shaper.units_per_em().max(1) as f32
    }

    /// Advance of `c` alone (no shaping); only used to cut words wider than a line.
    fn char_width(&self, c: char, size: f32) -> f32 {
        let advance = self
            .shaper
            .glyph_index(c)
            .and_then(|g| self.shaper.glyph_hor_advance(g))
            .unwrap_or(0);
        f32::from(advance) * size / self.shaper.units_per_em().max(1) as f32
    }

    /// Cuts a word wider than `max_w` into pieces that each fit (at least one char each).
    fn break_word(&self, word: &str, size: f32, max_w: f32) -> Vec<String> {
        let mut pieces = Vec::new();
        let mut cur = String::new();
        let mut cur_w = 0.0;
        for ch in word.chars() {
            let w = self.char_width(ch, size);
            if !cur.is_empty() && cur_w + w > max_w {
                pieces.push(std::mem::take(&mut cur));
                cur_w = 0.0;
            }
            cur.push(ch);
            cur_w += w;
        }
        if !cur.is_empty() {
            pieces.push(cur);
        }
        // Shaping (kerning) can make a piece a little wider than the sum of its
        // advances: move characters on to the next piece until each one fits.
        let mut i = 0;
        while i < pieces.len() {
            while pieces[i].chars().nth(1).is_some() && self.width(&pieces[i], size) > max_w {
                let Some(ch) = pieces[i].pop() else { break };
                if i + 1 == pieces.len() {
                    pieces.push(String::new());
                }
                pieces[i + 1].insert(0, ch);
            }
            i += 1;
        }
        pieces
    }

    /// Greedy word wrap of one paragraph into at most `max_lines` lines; words wider
    /// than a line are broken between characters. Always returns at least one
    /// (possibly empty) line, and whether text was left over. Each word is shaped
    /// once, each finished line once more to check it really fits.
    fn wrap_limited(
        &self,
        text: &str,
        size: f32,
        max_w: f32,
        max_lines: usize,
    ) -> (Vec<String>, bool) {
        let max_lines = max_lines.max(1);
        let words: Vec<&str> = words(text).collect();
        let widths: Vec<f32> = words.iter().map(|w| self.width(w, size)).collect();
        let space = self.width(" ", size);
        let mut lines: Vec<String> = Vec::new();
        let mut i = 0;
        while i < words.len() {
            if lines.len() >= max_lines {
                return (lines, true);
            }
            // Start a line with word i (or with the tail of it, if it is too wide).
            let (mut line, mut line_w) = if widths[i] <= max_w {
                (words[i].to_string(), widths[i])
            } else {
                let mut pieces = self.break_word(words[i], size, max_w);
                let last = pieces.pop().unwrap_or_default();
                for piece in pieces {
                    if lines.len() >= max_lines {
                        return (lines, true);
                    }
                    lines.push(piece);
                }
                if lines.len() >= max_lines {
                    return (lines, true);
                }
                let w = self.width(&last, size);
                (last, w)
            };
            let mut ends = vec![line.len()];
            let mut j = i + 1;
            while j < words.len() && line_w + space + widths[j] <= max_w {
                line.push(' ');
                line.push_str(words[j]);
                line_w += space + widths[j];
                ends.push(line.len());
                j += 1;
            }
            // Kerning across spaces could push the shaped line past the edge.
            while ends.len() > 1 && self.width(&line, size) > max_w {
                ends.pop();
                line.truncate(ends.last().copied().unwrap_or(0));
                j -= 1;
            }
            lines.push(line);
            i = j;
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        (lines, false)
    }

    fn wrap(&self, text: &str, size: f32, max_w: f32) -> Vec<String> {
        self.wrap_limited(text, size, max_w, usize::MAX).0
    }

    /// Wraps text that may contain explicit newlines; blank lines are kept.
    fn wrap_paragraphs(&self, text: &str, size: f32, max_w: f32) -> Vec<String> {
        text.split('\n')
            .flat_map(|para| self.wrap(para, size, max_w))
            .collect()
    }

    /// At most `max_lines` wrapped lines, the last one ending in "…" if text was cut.
    fn wrap_clamped(&self, text: &str, size: f32, max_w: f32, max_lines: usize) -> Vec<String> {
        let (mut lines, cut) = self.wrap_limited(text, size, max_w, max_lines);
        if let Some(last) = lines.last_mut().filter(|_| cut) {
            *last = self.with_ellipsis(last, size, max_w);
        }
        lines
    }

    /// One line: the text itself if it fits, else cut with "…".
    fn ellipsize(&self, text: &str, size: f32, max_w: f32) -> String {
        let mut lines = self.wrap_clamped(text, size, max_w, 1);
        lines.pop().unwrap_or_default()
    }

    /// `text` + "…", shortened until it fits.
    fn with_ellipsis(&self, text: &str, size: f32, max_w: f32) -> String {
        let mut t = text.trim_end().to_string();
        while !t.is_empty() && self.width(&format!("{t}…"), size) > max_w {
            t.pop();
            let trimmed = t.trim_end().len();
            t.truncate(trimmed);
        }
        format!("{t}…")
    }

    /// Size at which a single line fits `max_w`: shrinks down to `min_size`, and
    /// cuts the text with "…" only if even that is too wide.
    fn fit(&self, text: &str, size: f32, min_size: f32, max_w: f32) -> (f32, String) {
        let w = self.width(text, size);
        if w <= max_w {
            return (size, text.to_string());
        }
        let shrunk = size * max_w / w * 0.995;
        if shrunk >= min_size {
            (shrunk, text.to_string())
        } else {
            (min_size, self.ellipsize(text, min_size, max_w))
        }
    }
}

/// Words separated by breaking whitespace (no-break spaces stay inside words).
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{2007}' | '\u{202f}'))
        .filter(|w| !w.is_empty())
}

struct Fonts {
    regular: Typeface,
    bold: Typeface,
}

impl Fonts {
    fn face(&self, weight: Weight) -> &Typeface {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// Makes arbitrary input drawable: control characters become spaces (newlines
    /// survive if `multiline`), invisible format characters are dropped, characters
    /// the fonts lack become "?", and the text is cut at [`MAX_FIELD_CHARS`].
    fn clean(&self, text: &str, multiline: bool) -> String {
        let mut out = String::with_capacity(text.len().min(MAX_FIELD_CHARS * 4));
        for (i, c) in text.chars().enumerate() {
            if i == MAX_FIELD_CHARS {
                out.push('…');
                break;
            }
            if c == '\n' && multiline {
                out.push('\n');
            } else if c.is_control() {
                out.push(' ');
            } else if is_invisible(c) {
                continue;
            } else if self.regular.shaper.glyph_index(c).is_none()
                || self.bold.shaper.glyph_index(c).is_none()
            {
                out.push('?');
            } else {
                out.push(c);
            }
        }
        if multiline {
            out.lines()
                .map(|l| words(l).collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>()
                .join("\n")
                .trim_matches('\n')
                .to_string()
        } else {
            words(&out).collect::<Vec<_>>().join(" ")
        }
    }
}

/// Default-ignorable code points that a shaper would hide anyway.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}' | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}'
        | '\u{ffa0}' | '\u{fff0}'..='\u{fff8}' | '\u{1bca0}'..='\u{1bca3}'
        | '\u{1d173}'..='\u{1d17a}' | '\u{e0000}'..='\u{e0fff}')
}

static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(|| {
    Some(Fonts {
        regular: Typeface::load(REGULAR_TTF)?,
        bold: Typeface::load(BOLD_TTF)?,
    })
});

// ---- pass 1: layout into positioned operations ----

enum Op {
    Text {
        style: Style,
        x: f32,
        baseline: f32,
        text: String,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
        color: Rgb,
    },
    Badge {
        rect: (f32, f32, f32, f32),
        color: Rgb,
    },
}

/// The input with every field cleaned (see [`Fonts::clean`]).
struct Clean {
    title: String,
    status: String,
    seller: String,
    customer: String,
    customer_country: String,
    issued: String,
    due: String,
    lines: Vec<PdfLine>,
    subtotal: String,
    tax: String,
    credit: Option<String>,
    total: String,
    amount_due: Option<String>,
    note: String,
}

impl Clean {
    fn new(f: &Fonts, doc: &InvoicePdf) -> Clean {
        let one = |s: &str| f.clean(s, false);
        Clean {
            title: one(&doc.title),
            status: one(&doc.status),
            seller: one(&doc.seller),
            customer: one(&doc.customer),
            customer_country: one(&doc.customer_country),
            issued: one(&doc.issued),
            due: one(&doc.due),
            lines: doc
                .lines
                .iter()
                .map(|l| PdfLine {
                    description: f.clean(&l.description, true),
                    quantity: one(&l.quantity),
                    unit: one(&l.unit),
                    tax: one(&l.tax),
                    amount: one(&l.amount),
                })
                .collect(),
            subtotal: one(&doc.subtotal),
            tax: one(&doc.tax),
            credit: doc.credit.as_deref().map(one),
            total: one(&doc.total),
            amount_due: doc.amount_due.as_deref().map(one),
            note: f.clean(&doc.note, true),
        }
    }
}

struct Layout<'a> {
    f: &'a Fonts,
    doc: Clean,
    done: Vec<Vec<Op>>,
    page: Vec<Op>,
    y: f32,
    /// True until something is placed below the running/table header of this page.
    fresh: bool,
}

impl<'a> Layout<'a> {
    fn run(f: &'a Fonts, doc: &InvoicePdf) -> Vec<Vec<Op>> {
        let mut l = Layout {
            f,
            doc: Clean::new(f, doc),
            done: Vec::new(),
            page: Vec::new(),
            y: MARGIN_TOP,
            fresh: true,
        };
        l.first_page_header();
        l.table_header();
        for i in 0..l.doc.lines.len() {
            l.table_row(i);
        }
        l.totals();
        l.note();
        l.done.push(std::mem::take(&mut l.page));
        l.done
    }

    fn text(&mut self, st: Style, x: f32, baseline: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        self.page.push(Op::Text {
            style: st,
            x,
            baseline,
            text: text.to_string(),
        });
    }

    fn text_right(&mut self, st: Style, right: f32, baseline: f32, text: &str) {
        let x = right - self.f.face(st.weight).width(text, st.size);
        self.text(st, x, baseline, text);
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32, color: Rgb) {
        self.page.push(Op::Rule {
            x1,
            x2,
            y,
            width,
            color,
        });
    }

    fn new_page(&mut self, with_table_header: bool) {
        self.done.push(std::mem::take(&mut self.page));
        // Running header: title left, customer right.
        let base = MARGIN_TOP + 10.0;
        let customer_w =
            (CONTENT_W * 0.4).min(self.f.regular.width(&self.doc.customer, SMALL.size));
        let customer = self
            .f
            .regular
            .ellipsize(&self.doc.customer, SMALL.size, customer_w);
        let title_w = CONTENT_W - customer_w - 16.0;
        let title = self
            .f
            .bold
            .ellipsize(&self.doc.title, RUNNING_TITLE.size, title_w);
        self.text(RUNNING_TITLE, LEFT, base, &title);
        self.text_right(SMALL, RIGHT, base, &customer);
        self.y = base + 20.0;
        if with_table_header {
            self.table_header();
        }
        self.fresh = true;
    }

    fn first_page_header(&mut self) {
        let f = self.f;
        let title_base = MARGIN_TOP + 18.0;

        // Status badge, top right.
        let mut badge_w = 0.0;
        if !self.doc.status.is_empty() {
            let st = style(Weight::Bold, 9.0, status_colors(&self.doc.status).1);
            let status = f.bold.ellipsize(&self.doc.status, st.size, 150.0);
            badge_w = f.bold.width(&status, st.size) + 20.0;
            let (bg, _) = status_colors(&self.doc.status);
            self.page.push(Op::Badge {
                rect: (RIGHT - badge_w, title_base - 15.0, badge_w, 20.0),
                color: bg,
            });
            self.text_right(st, RIGHT - 10.0, title_base - 1.5, &status);
        }

        // Title, top left: up to two lines.
        let title_w = CONTENT_W - badge_w - 18.0;
        let lines = f.bold.wrap_clamped(&self.doc.title, TITLE.size, title_w, 2);
        let mut base = title_base;
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                base += 24.0;
            }
            self.text(TITLE, LEFT, base, line);
        }

        // Two-column block: Billed by | Issued, then Billed to | Due.
        let col_w = CONTENT_W * 0.60;
        let right_x = LEFT + CONTENT_W * 0.66;
        let right_w = RIGHT - right_x;
        let mut y = base + 30.0;

        let billed_by = if self.doc.seller.is_empty() {
            "The provider".to_string()
        } else {
            format!(
                "The provider, with {} as the seller of record",
                self.doc.seller
            )
        };
        let left_bottom = self.field(LEFT, col_w, y, "BILLED BY", &[(VALUE, &billed_by, 3)]);
        let issued = self.doc.issued.clone();
        let right_bottom = self.field(right_x, right_w, y, "ISSUED", &[(VALUE, &issued, 2)]);
        y = left_bottom.max(right_bottom) + 22.0;

        let customer = self.doc.customer.clone();
        let country = self.doc.customer_country.clone();
        let left_bottom = self.field(
            LEFT,
            col_w,
            y,
            "BILLED TO",
            &[(VALUE_BOLD, &customer, 3), (VALUE, &country, 2)],
        );
        let due = self.doc.due.clone();
        let right_bottom = self.field(right_x, right_w, y, "DUE", &[(VALUE, &due, 2)]);
        self.y = left_bottom.max(right_bottom) + 26.0;
    }

    /// A small uppercase label with wrapped values below it (label, then each
    /// `(style, text, max_lines)`). `top` is the label's baseline; returns the last baseline.
    fn field(
        &mut self,
        x: f32,
        w: f32,
        top: f32,
        label: &str,
        values: &[(Style, &str, usize)],
    ) -> f32 {
        self.text(LABEL, x, top, label);
        let mut base = top + 3.0;
        for &(st, text, max_lines) in values {
            if text.is_empty() {
                continue;
            }
            for line in self
                .f
                .face(st.weight)
                .wrap_clamped(text, st.size, w, max_lines)
            {
                base += 13.0;
                self.text(st, x, base, &line);
            }
        }
        base
    }

    fn table_header(&mut self) {
        let base = self.y + 12.0;
        self.text(TABLE_HEAD, LEFT, base, "Description");
        for (heading, right) in HEADINGS.iter().zip(NUM_COL_RIGHTS) {
            self.text_right(TABLE_HEAD, right, base, heading);
        }
        self.y += TABLE_HEAD_H;
        self.rule(LEFT, RIGHT, self.y - 2.0, 0.8, HEAD_RULE);
    }

    /// How many description lines fit in a row starting at the current y.
    fn lines_that_fit(&self) -> usize {
        let free = CONTENT_BOTTOM - self.y - 2.0 * ROW_PAD;
        if free < LINE_H {
            0
        } else {
            (free / LINE_H).floor() as usize
        }
    }

    fn table_row(&mut self, index: usize) {
        let line = self.doc.lines[index].clone();
        let desc = self
            .f
            .regular
            .wrap_paragraphs(&line.description, BODY, DESC_W - COL_GAP);
        let mut start = 0;
        loop {
            let rest = desc.len() - start;
            let fit = self.lines_that_fit();
            let n = if rest <= fit {
                rest
            } else if self.fresh {
                fit.max(1) // taller than a whole page: fill this one
            } else if fit >= MIN_SPLIT_LINES && rest > MIN_SPLIT_LINES + fit {
                fit // long row: split it here, continue on the next page
            } else {
                self.new_page(true);
                continue;
            };
            let top = self.y;
            let first_base = top + ROW_PAD + BODY;
            for (i, text) in desc[start..start + n].iter().enumerate() {
                self.text(CELL, LEFT, first_base + LINE_H * i as f32, text);
            }
            if start == 0 {
                let cells = [&line.quantity, &line.unit, &line.tax, &line.amount];
                for ((cell, right), width) in cells.iter().zip(NUM_COL_RIGHTS).zip(NUM_COL_WIDTHS) {
                    let (size, text) =
                        self.f
                            .regular
                            .fit(cell, BODY, MIN_NUM_SIZE, width - COL_GAP);
                    self.text_right(style(Weight::Regular, size, INK), right, first_base, &text);
                }
            }
            self.y = top + n as f32 * LINE_H + 2.0 * ROW_PAD;
            self.rule(LEFT, RIGHT, self.y, 0.5, ROW_RULE);
            self.fresh = false;
            start += n;
            if start >= desc.len() {
                break;
            }
            self.new_page(true);
        }
    }

    fn totals(&mut self) {
        let doc = &self.doc;
        let mut rows: Vec<(Style, &str, String)> = vec![
            (TOTAL_ROW, "Subtotal", doc.subtotal.clone()),
            (TOTAL_ROW, "Tax", doc.tax.clone()),
            (GRAND_TOTAL, "Total", doc.total.clone()),
        ];
        if let Some(credit) = &doc.credit {
            rows.push((
                style(Weight::Regular, 9.5, MUTED),
                "Paid from credit",
                credit.clone(),
            ));
        }
        if let Some(due) = &doc.amount_due {
            rows.push((GRAND_TOTAL, "Amount due", due.clone()));
        }
        let height = 14.0 + 16.0 * rows.len() as f32 + 6.0 + 8.0;
        if self.y + height > CONTENT_BOTTOM {
            self.new_page(false);
        }
        let label_right = RIGHT - AMOUNT_W - 24.0;
        let value_w = RIGHT - label_right - 12.0;
        let mut base = self.y + 14.0;
        for (st, label, value) in rows {
            base += 16.0;
            if label == "Total" {
                self.rule(RIGHT - 230.0, RIGHT, base - 9.0, 0.8, HEAD_RULE);
                base += 6.0;
            }
            let face = self.f.face(st.weight);
            let (size, value) = face.fit(&value, st.size, MIN_NUM_SIZE, value_w);
            let label_style = style(st.weight, st.size, st.color);
            self.text_right(label_style, label_right, base, label);
            self.text_right(style(st.weight, size, st.color), RIGHT, base, &value);
        }
        self.y = base + 8.0;
        self.fresh = false;
    }

    fn note(&mut self) {
        if self.doc.note.is_empty() {
            return;
        }
        let lines = self
            .f
            .face(NOTE.weight)
            .wrap_paragraphs(&self.doc.note, NOTE.size, CONTENT_W);
        self.y += 18.0;
        for line in lines {
            if self.y + 12.5 > CONTENT_BOTTOM {
                self.new_page(false);
            }
            self.y += 12.5;
            self.text(NOTE, LEFT, self.y, &line);
            self.fresh = false;
        }
    }
}

/// (badge background, text colour) for a status word.
fn status_colors(status: &str) -> (Rgb, Rgb) {
    match status.to_lowercase().as_str() {
        "paid" => ((220, 243, 228), (22, 101, 52)),
        "void" | "cancelled" | "canceled" | "draft" => ((234, 234, 238), (82, 82, 91)),
        "overdue" | "uncollectible" => ((253, 226, 226), (153, 27, 27)),
        _ => ((222, 234, 252), (30, 64, 175)),
    }
}

// ---- pass 2: draw ----

fn render(f: &Fonts, doc: &InvoicePdf, pages: Vec<Vec<Op>>) -> Result<Vec<u8>, KrillaError> {
    let mut document = Document::new();
    let title = f.clean(&doc.title, false);
    let mut metadata = Metadata::new().language("en".to_string());
    if !title.is_empty() {
        metadata = metadata.title(title.clone());
    }
    document.set_metadata(metadata);

    let count = pages.len();
    let footer_title = f.regular.ellipsize(&title, SMALL.size, CONTENT_W - 100.0);
    for (i, ops) in pages.iter().enumerate() {
        // PAGE_W and PAGE_H are positive, so this is always Some.
        let Some(settings) = PageSettings::from_wh(PAGE_W, PAGE_H) else {
            continue;
        };
        let mut page = document.start_page_with(settings);
        let mut s = page.surface();
        for op in ops {
            draw(&mut s, f, op);
        }
        // Footer.
        draw_rule(&mut s, LEFT, RIGHT, FOOTER_RULE_Y, 0.5, ROW_RULE);
        draw_text(&mut s, f, SMALL, LEFT, FOOTER_BASELINE, &footer_title);
        let label = format!("Page {} of {count}", i + 1);
        let x = RIGHT - f.regular.width(&label, SMALL.size);
        draw_text(&mut s, f, SMALL, x, FOOTER_BASELINE, &label);
        s.finish();
        page.finish();
    }
    document.finish()
}

fn paint(c: Rgb) -> krilla::paint::Paint {
    rgb::Color::new(c.0, c.1, c.2).into()
}

fn draw(s: &mut Surface<'_>, f: &Fonts, op: &Op) {
    match op {
        Op::Text {
            style,
            x,
            baseline,
            text,
        } => draw_text(s, f, *style, *x, *baseline, text),
        Op::Rule {
            x1,
            x2,
            y,
            width,
            color,
        } => draw_rule(s, *x1, *x2, *y, *width, *color),
        Op::Badge {
            rect: (x, y, w, h),
            color,
        } => {
            let mut pb = PathBuilder::new();
            rounded_rect(&mut pb, *x, *y, *w, *h, 4.0);
            if let Some(path) = pb.finish() {
                s.set_stroke(None);
                s.set_fill(Some(Fill {
                    paint: paint(*color),
                    ..Default::default()
                }));
                s.draw_path(&path);
            }
        }
    }
}

fn draw_text(s: &mut Surface<'_>, f: &Fonts, st: Style, x: f32, baseline: f32, text: &str) {
    if text.is_empty() {
        return;
    }
    // draw_text fills *and* strokes with whatever is active: reset the stroke.
    s.set_stroke(None);
    s.set_fill(Some(Fill {
        paint: paint(st.color),
        ..Default::default()
    }));
    s.draw_text(
        Point::from_xy(x, baseline),
        f.face(st.weight).font.clone(),
        st.size,
        text,
        false,
        TextDirection::Auto,
    );
}

fn draw_rule(s: &mut Surface<'_>, x1: f32, x2: f32, y: f32, width: f32, color: Rgb) {
    let mut pb = PathBuilder::new();
    pb.move_to(x1, y);
    pb.line_to(x2, y);
    if let Some(path) = pb.finish() {
        s.set_fill(None);
        s.set_stroke(Some(Stroke {
            paint: paint(color),
            width,
            ..Default::default()
        }));
        s.draw_path(&path);
    }
}

fn rounded_rect(pb: &mut PathBuilder, x: f32, y: f32, w: f32, h: f32, r: f32) {
    let r = r.min(w / 2.0).min(h / 2.0);
    if r <= 0.0 {
        if let Some(rect) = Rect::from_xywh(x, y, w, h) {
            pb.push_rect(rect);
        }
        return;
    }
    const K: f32 = 0.552_284_8; // cubic approximation of a quarter circle
    let k = r * K;
    let (x2, y2) = (x + w, y + h);
    pb.move_to(x + r, y);
    pb.line_to(x2 - r, y);
    pb.cubic_to(x2 - r + k, y, x2, y + r - k, x2, y + r);
    pb.line_to(x2, y2 - r);
    pb.cubic_to(x2, y2 - r + k, x2 - r + k, y2, x2 - r, y2);
    pb.line_to(x + r, y2);
    pb.cubic_to(x + r - k, y2, x, y2 - r + k, x, y2 - r);
    pb.line_to(x, y + r);
    pb.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
    pb.close();
}

/// A minimal valid one-page PDF (standard Helvetica, no embedded font), returned
/// only if krilla reports an error.
fn fallback_pdf() -> Vec<u8> {
    let content = b"BT /F1 12 Tf 51 780 Td (This document could not be rendered. Please try again later.) Tj ET";
    let objects: [Vec<u8>; 5] = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.276 841.89] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
        [
            format!("<< /Length {} >>\nstream\n", content.len()).into_bytes(),
            content.to_vec(),
            b"\nendstream".to_vec(),
        ]
        .concat(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn line(description: &str) -> PdfLine {
        PdfLine {
            description: description.into(),
            quantity: "1".into(),
            unit: "€1,234.50".into(),
            tax: "€0.00".into(),
            amount: "€1,234.50".into(),
        }
    }

    fn invoice(lines: Vec<PdfLine>) -> InvoicePdf {
        InvoicePdf {
            title: "Invoice INV-2026-000123".into(),
            status: "Open".into(),
            seller: "Northwind Resellers".into(),
            customer: "Łukasz Dvořák GmbH".into(),
            customer_country: "Germany".into(),
            issued: "3 Dec 2026".into(),
            due: "17 Dec 2026".into(),
            lines,
            subtotal: "€1,234.50".into(),
            tax: "€0.00".into(),
            credit: None,
            total: "€1,234.50".into(),
            amount_due: Some("€1,234.50".into()),
            note: "Reverse charge: VAT to be accounted for by the recipient. Pay at \
                   https://pay.example.com/i/INV-2026-000123"
                .into(),
        }
    }

    fn long_description(i: usize) -> String {
        format!(
            "Line {i}: Managed backup service for the Kraków office, including nightly \
             snapshots, off-site replication, monthly restore tests and priority support \
             (ticket queue Żółć-{i})"
        )
    }

    /// Runs a poppler tool on `pdf`; `None` if poppler-utils is not installed (set
    /// INVOICE_PDF_REQUIRE_POPPLER=1 to make that a failure, e.g. in CI).
    fn poppler(tool: &str, pdf: &[u8], name: &str) -> Option<String> {
        let path =
            std::env::temp_dir().join(format!("invoice-pdf-{}-{name}.pdf", std::process::id()));
        std::fs::write(&path, pdf).expect("write temp pdf");
        let mut cmd = Command::new(tool);
        if tool == "pdftotext" {
            cmd.args(["-enc", "UTF-8"]).arg(&path).arg("-");
        } else {
            cmd.arg(&path);
        }
        let out = cmd.output();
        let _ = std::fs::remove_file(&path);
        match out {
            Ok(out) => {
                assert!(
                    out.status.success(),
                    "{tool} failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                Some(String::from_utf8_lossy(&out.stdout).into_owned())
            }
            Err(e) => {
                assert!(
                    std::env::var_os("INVOICE_PDF_REQUIRE_POPPLER").is_none(),
                    "{tool} not runnable ({e}); install poppler-utils"
                );
                eprintln!("SKIPPED {tool} checks: {e} (install poppler-utils to run them)");
                None
            }
        }
    }

    fn squash(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Every text op lies inside the page's content area.
    fn assert_inside_margins(doc: &InvoicePdf) -> usize {
        let f = FONTS.as_ref().expect("fonts");
        let pages = Layout::run(f, doc);
        for (p, ops) in pages.iter().enumerate() {
            for op in ops {
                if let Op::Text {
                    style,
                    x,
                    baseline,
                    text,
                } = op
                {
                    let w = f.face(style.weight).width(text, style.size);
                    assert!(
                        *x >= LEFT - 0.01 && x + w <= RIGHT + 0.01,
                        "page {p}: {text:?} at x={x} w={w} leaves the margins"
                    );
                    assert!(
                        *baseline > MARGIN_TOP && *baseline <= CONTENT_BOTTOM + 0.01,
                        "page {p}: {text:?} at baseline {baseline} is outside the content area"
                    );
                }
            }
        }
        pages.len()
    }

    #[test]
    fn one_line_invoice() {
        let doc = invoice(vec![line(
            "Annual licence – Contoso Analytics (seat pack, 25 users)",
        )]);
        assert_eq!(assert_inside_margins(&doc), 1);
        let pdf = try_invoice_pdf(&doc).expect("renders");
        assert!(pdf.starts_with(b"%PDF-"));
        if let Some(text) = poppler("pdftotext", &pdf, "one") {
            for needle in [
                "Invoice INV-2026-000123",
                "Łukasz Dvořák GmbH",
                "€1,234.50",
                "Annual licence – Contoso Analytics (seat pack, 25 users)",
                "Northwind Resellers as the seller of record",
                "Page 1 of 1",
                "Open",
            ] {
                assert!(
                    squash(&text).contains(needle),
                    "{needle:?} missing from:\n{text}"
                );
            }
        }
    }

    #[test]
    fn many_lines_paginate() {
        let mut doc = invoice((1..=120).map(|i| line(&long_description(i))).collect());
        doc.credit = Some("€10.00".into());
        let pages = assert_inside_margins(&doc);
        assert!(pages > 1);
        let pdf = try_invoice_pdf(&doc).expect("renders");
        assert!(pdf.starts_with(b"%PDF-"));
        if let Some(text) = poppler("pdftotext", &pdf, "many") {
            let text = squash(&text);
            assert!(text.contains("Page 2 of"), "no page 2 in:\n{text}");
            assert!(text.contains(&format!("Page {pages} of {pages}")));
            assert!(text.contains(&long_description(120)), "last line missing");
            assert!(text.contains("Paid from credit €10.00"));
            // The table header is repeated on every page that has rows.
            let with_rows = Layout::run(FONTS.as_ref().expect("fonts"), &doc)
                .iter()
                .filter(|ops| {
                    ops.iter()
                        .any(|op| matches!(op, Op::Text { text, .. } if text == "Unit price"))
                })
                .count();
            assert!(with_rows >= pages - 1);
            assert_eq!(text.matches("Unit price").count(), with_rows);
        }
        if let Some(info) = poppler("pdfinfo", &pdf, "many-info") {
            let n: usize = info
                .lines()
                .find_map(|l| l.strip_prefix("Pages:"))
                .and_then(|v| v.trim().parse().ok())
                .expect("Pages: in pdfinfo output");
            assert_eq!(n, pages);
            assert!(n > 1);
        }
    }

    #[test]
    fn empty_strings_do_not_panic() {
        let empty = InvoicePdf {
            lines: vec![PdfLine::default(); 3],
            credit: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(assert_inside_margins(&empty), 1);
        let pdf = try_invoice_pdf(&empty).expect("renders");
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(invoice_pdf(&InvoicePdf::default()).starts_with(b"%PDF-"));
        if let Some(info) = poppler("pdfinfo", &pdf, "empty") {
            assert!(info.contains("Pages:"));
        }
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let huge_word = "x".repeat(30_000);
        let weird = "Tab\there\r\nnew\nline \u{0} NUL 😀 emoji 中文 العربية שלום e\u{301} \u{200d}\u{fe0f} \u{a0}€";
        let mut doc = invoice(vec![
            line(&huge_word),
            line(weird),
            line(&"word ".repeat(3_000)),
            PdfLine {
                description: "\n\n\n".into(),
                quantity: "1234567890123456789012345678901234567890".into(),
                unit: "€999,999,999,999,999.99".into(),
                tax: weird.into(),
                amount: huge_word.clone(),
            },
        ]);
        doc.title = format!("Credit note {huge_word}");
        doc.status = weird.into();
        doc.customer = weird.into();
        doc.seller = huge_word.clone();
        doc.total = huge_word.clone();
        doc.note = format!("{weird}\n{}", "https://pay.example.com/".repeat(200));
        let pages = assert_inside_margins(&doc);
        assert!(pages > 2);
        let pdf = try_invoice_pdf(&doc).expect("renders");
        if let Some(text) = poppler("pdftotext", &pdf, "hostile") {
            assert!(
                text.contains("שלום") || text.contains("םולש"),
                "Hebrew lost:\n{text}"
            );
            assert!(text.contains(&format!("Page {pages} of {pages}")));
        }
    }

    #[test]
    fn fallback_is_a_pdf() {
        let pdf = fallback_pdf();
        assert!(pdf.starts_with(b"%PDF-"));
        if let Some(info) = poppler("pdfinfo", &pdf, "fallback") {
            assert!(info.lines().any(|l| squash(l) == "Pages: 1"), "{info}");
        }
    }

    /// `INVOICE_PDF_SAMPLE=/tmp/sample.pdf cargo test -- --ignored write_sample`
    /// (`INVOICE_PDF_SAMPLE_LINES=n` appends n long lines, to look at pagination).
    #[test]
    #[ignore]
    fn write_sample() {
        let mut doc = invoice(vec![
            line("Annual licence – Contoso Analytics (seat pack, 25 users)"),
            PdfLine {
                description: long_description(2),
                quantity: "3".into(),
                unit: "€120.00".into(),
                tax: "€68.40".into(),
                amount: "€360.00".into(),
            },
            PdfLine {
                description: "Onboarding workshop (remote, half day)".into(),
                quantity: "0.5".into(),
                unit: "€900.00".into(),
                tax: "19%".into(),
                amount: "€450.00".into(),
            },
        ]);
        doc.subtotal = "€2,044.50".into();
        doc.tax = "€153.90".into();
        doc.credit = Some("€10.00".into());
        doc.total = "€2,198.40".into();
        let extra: usize = std::env::var("INVOICE_PDF_SAMPLE_LINES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        doc.lines
            .extend((4..4 + extra).map(|i| line(&long_description(i))));
        let path = std::env::var("INVOICE_PDF_SAMPLE").unwrap_or_else(|_| {
            std::env::temp_dir()
                .join("invoice-sample.pdf")
                .display()
                .to_string()
        });
        std::fs::write(&path, invoice_pdf(&doc)).expect("write sample");
        eprintln!("wrote {path}");
    }
}
