//! PDF assembly: pages, content streams, fonts; deterministic and compressed.

use pdf_writer::{Content, Filter, Finish, Pdf, Rect, Ref, Str, TextStr};

use crate::font::{Fonts, GlyphUse, Weight};
use crate::layout::{Op, PageLayout};
use crate::objects::{deflate, RefAlloc};
use crate::RenderError;

/// Writes the laid-out pages as one PDF. `title` goes into the document info.
///
/// Nothing time- or randomness-dependent is written (no dates, no file id), so
/// equal input gives byte-identical output.
pub(crate) fn write_document(
    fonts: &Fonts,
    pages: &[PageLayout],
    title: &str,
) -> Result<Vec<u8>, RenderError> {
    let mut refs = RefAlloc::new();
    let catalog_ref = refs.next();
    let tree_ref = refs.next();
    let info_ref = refs.next();
    let regular_ref = refs.next();
    let bold_ref = refs.next();
    let page_refs: Vec<(Ref, Ref)> = pages.iter().map(|_| (refs.next(), refs.next())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_ref).pages(tree_ref);
    pdf.pages(tree_ref)
        .kids(page_refs.iter().map(|&(page, _)| page))
        .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
    pdf.document_info(info_ref)
        .title(TextStr(title))
        .producer(TextStr(concat!("aspk-render ", env!("CARGO_PKG_VERSION"))));

    let mut regular = GlyphUse::default();
    let mut bold = GlyphUse::default();
    for (layout, &(page_ref, content_ref)) in pages.iter().zip(&page_refs) {
        let content = page_content(fonts, layout, &mut regular, &mut bold);
        let mut page = pdf.page(page_ref);
        page.parent(tree_ref)
            .media_box(Rect::new(0.0, 0.0, layout.width, layout.height))
            .contents(content_ref);
        page.resources()
            .fonts()
            .pair(Weight::Regular.resource_name(), regular_ref)
            .pair(Weight::Bold.resource_name(), bold_ref);
        page.finish();
        pdf.stream(content_ref, &deflate(&content))
            .filter(Filter::FlateDecode);
    }

    regular.write(&mut pdf, &mut refs, fonts.get(Weight::Regular), regular_ref)?;
    bold.write(&mut pdf, &mut refs, fonts.get(Weight::Bold), bold_ref)?;
    Ok(pdf.finish())
}

/// The uncompressed content stream of one page.
fn page_content(
    fonts: &Fonts,
    layout: &PageLayout,
    regular: &mut GlyphUse,
    bold: &mut GlyphUse,
) -> Vec<u8> {
    let h = layout.height;
    let mut c = Content::new();
    for op in &layout.ops {
        match op {
            Op::Text {
                x,
                baseline,
                weight,
                size,
                gray,
                text,
            } => {
                let glyphs = match weight {
                    Weight::Regular => &mut *regular,
                    Weight::Bold => &mut *bold,
                };
                let encoded = glyphs.encode(fonts.get(*weight), text);
                c.set_fill_gray(*gray)
                    .begin_text()
                    .set_font(weight.resource_name(), *size)
                    .next_line(*x, h - baseline)
                    .show(Str(&encoded))
                    .end_text();
            }
            Op::Fill {
                x,
                y,
                w,
                h: rh,
                gray,
            } => {
                c.set_fill_gray(*gray)
                    .rect(*x, h - y - rh, *w, *rh)
                    .fill_nonzero();
            }
            Op::Frame {
                x,
                y,
                w,
                h: rh,
                line,
            } => {
                c.set_stroke_gray(0.0)
                    .set_line_width(*line)
                    .rect(*x, h - y - rh, *w, *rh)
                    .stroke();
            }
            Op::Rule {
                x,
                y,
                w,
                line,
                gray,
            } => {
                // A thin filled rectangle: crisper than a stroked line at small widths.
                c.set_fill_gray(*gray)
                    .rect(*x, h - y - line / 2.0, *w, *line)
                    .fill_nonzero();
            }
            Op::Qr {
                x,
                y,
                module,
                matrix,
            } => {
                // Module space: origin at the symbol's top-left, one unit per
                // module, y growing downwards. One rectangle per horizontal run
                // of dark modules, all filled at once (no seams between rows).
                c.save_state().set_fill_gray(0.0).transform([
                    *module,
                    0.0,
                    0.0,
                    -module,
                    *x,
                    h - y,
                ]);
                for row in 0..matrix.width() {
                    for (col, len) in matrix.dark_runs(row) {
                        c.rect(col as f32, row as f32, len as f32, 1.0);
                    }
                }
                c.fill_nonzero().restore_state();
            }
        }
    }
    c.finish().into_vec()
}
