//! The embedded DejaVu Sans fonts: metrics for layout, glyph encoding for
//! content streams, and the subset font objects written into the PDF.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

use crate::objects::{deflate, RefAlloc};
use crate::RenderError;

/// DejaVu Sans 2.37 (Debian `fonts-dejavu-core`); licence in `assets/DejaVu-LICENSE.txt`.
static REGULAR_TTF: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// DejaVu Sans Bold 2.37; same licence.
static BOLD_TTF: &[u8] = include_bytes!("../assets/DejaVuSans-Bold.ttf");

/// Which of the two embedded faces to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

impl Weight {
    /// Resource name of the font in every page's `/Font` dictionary.
    pub(crate) fn resource_name(self) -> Name<'static> {
        match self {
            Weight::Regular => Name(b"F1"),
            Weight::Bold => Name(b"F2"),
        }
    }
}

/// One parsed face plus what the PDF needs to know about it.
pub(crate) struct Font {
    data: &'static [u8],
    face: Face<'static>,
    ps_name: &'static str,
    units_per_em: f32,
    stem_v: f32,
    /// Glyph drawn for a char the face lacks, and the char it stands for
    /// (U+FFFD, so text extraction shows a replacement character).
    fallback: (GlyphId, char),
}

impl Font {
    fn load(data: &'static [u8], ps_name: &'static str, stem_v: f32) -> Result<Self, RenderError> {
        let face =
            Face::parse(data, 0).map_err(|e| RenderError::Font(format!("{ps_name}: {e}")))?;
        let fallback = ['\u{FFFD}', '?']
            .into_iter()
            .find_map(|c| face.glyph_index(c).map(|g| (g, c)))
            .unwrap_or((GlyphId(0), '\u{FFFD}'));
        Ok(Font {
            data,
            units_per_em: f32::from(face.units_per_em()),
            face,
            ps_name,
            stem_v,
            fallback,
        })
    }

    /// The glyph for `c` and the char it really shows (differs only for the fallback).
    pub(crate) fn glyph(&self, c: char) -> (GlyphId, char) {
        self.face.glyph_index(c).map_or(self.fallback, |g| (g, c))
    }

    /// Horizontal advance of `g` in ems.
    fn advance(&self, g: GlyphId) -> f32 {
        f32::from(self.face.glyph_hor_advance(g).unwrap_or(0)) / self.units_per_em
    }

    /// Width of `text` set at `size` points, in points.
    pub(crate) fn text_width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c).0))
            .sum::<f32>()
            * size
    }

    /// Ascender above the baseline, in ems.
    pub(crate) fn ascent(&self) -> f32 {
        f32::from(self.face.ascender()) / self.units_per_em
    }

    /// Descender below the baseline, in ems (positive).
    pub(crate) fn descent(&self) -> f32 {
        -f32::from(self.face.descender()) / self.units_per_em
    }

    /// Height of capital letters above the baseline, in ems.
    pub(crate) fn cap_height(&self) -> f32 {
        let h = self.face.capital_height().unwrap_or(self.face.ascender());
        f32::from(h) / self.units_per_em
    }

    /// Font units → PDF glyph space (1000 per em).
    fn to_pdf_units(&self, v: i16) -> f32 {
        f32::from(v) * 1000.0 / self.units_per_em
    }
}

/// Both embedded faces, parsed once per render call (parsing only reads the
/// table directory, so this is cheap).
pub(crate) struct Fonts {
    regular: Font,
    bold: Font,
}

impl Fonts {
    pub(crate) fn load() -> Result<Self, RenderError> {
        Ok(Fonts {
            regular: Font::load(REGULAR_TTF, "DejaVuSans", 80.0)?,
            bold: Font::load(BOLD_TTF, "DejaVuSans-Bold", 140.0)?,
        })
    }

    pub(crate) fn get(&self, weight: Weight) -> &Font {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

/// Glyphs of one font used so far in the document: their subset ids and the
/// text they stand for (for the `/ToUnicode` map that makes text extractable).
#[derive(Default)]
pub(crate) struct GlyphUse {
    remapper: GlyphRemapper,
    unicode: BTreeMap<u16, char>,
}

impl GlyphUse {
    /// Encodes `text` as 2-byte CIDs of the subset font (Identity-H), recording
    /// every glyph it needs.
    pub(crate) fn encode(&mut self, font: &Font, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let (gid, shown) = font.glyph(c);
            let cid = self.remapper.remap(gid.0);
            self.unicode.entry(cid).or_insert(shown);
            out.extend_from_slice(&cid.to_be_bytes());
        }
        out
    }

    /// Writes the Type 0 font `font_ref` with its CID font, descriptor, subset
    /// TrueType program and `/ToUnicode` map.
    pub(crate) fn write(
        &self,
        pdf: &mut Pdf,
        refs: &mut RefAlloc,
        font: &Font,
        font_ref: Ref,
    ) -> Result<(), RenderError> {
        let cid_ref = refs.next();
        let descriptor_ref = refs.next();
        let file_ref = refs.next();
        let cmap_ref = refs.next();

        let program = subsetter::subset(font.data, 0, &self.remapper)
            .map_err(|e| RenderError::Font(format!("{}: subsetting failed: {e}", font.ps_name)))?;
        let base_name = format!("{}+{}", self.subset_tag(font), font.ps_name);
        let base_font = Name(base_name.as_bytes());
        let system_info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };

        pdf.type0_font(font_ref)
            .base_font(base_font)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_ref)
            .to_unicode(cmap_ref);

        let widths: Vec<f32> = self
            .remapper
            .remapped_gids()
            .map(|old| font.advance(GlyphId(old)) * 1000.0)
            .collect();
        let mut cid = pdf.cid_font(cid_ref);
        cid.subtype(CidFontType::Type2)
            .base_font(base_font)
            .system_info(system_info)
            .font_descriptor(descriptor_ref)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid.widths().consecutive(0, widths);
        drop(cid);

        let bbox = font.face.global_bounding_box();
        pdf.font_descriptor(descriptor_ref)
            .name(base_font)
            .flags(FontFlags::SYMBOLIC)
            .bbox(Rect::new(
                font.to_pdf_units(bbox.x_min),
                font.to_pdf_units(bbox.y_min),
                font.to_pdf_units(bbox.x_max),
                font.to_pdf_units(bbox.y_max),
            ))
            .italic_angle(0.0)
            .ascent(font.to_pdf_units(font.face.ascender()))
            .descent(font.to_pdf_units(font.face.descender()))
            .cap_height(font.cap_height() * 1000.0)
            .stem_v(font.stem_v)
            .font_file2(file_ref);

        let packed = deflate(&program);
        pdf.stream(file_ref, &packed)
            .filter(Filter::FlateDecode)
            .pair(
                Name(b"Length1"),
                i32::try_from(program.len()).unwrap_or(i32::MAX),
            );

        let mut cmap = UnicodeCmap::new(Name(b"Custom"), system_info);
        for (&cid, &c) in &self.unicode {
            cmap.pair(cid, c);
        }
        let cmap = deflate(cmap.finish().as_slice());
        pdf.cmap(cmap_ref, &cmap).filter(Filter::FlateDecode);
        Ok(())
    }

    /// Six capitals naming this subset (PDF 32000 §9.6.4), derived from the glyph
    /// set so output stays deterministic.
    fn subset_tag(&self, font: &Font) -> String {
        // FNV-1a over the font name and the glyph ids.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let bytes = font
            .ps_name
            .bytes()
            .chain(self.remapper.remapped_gids().flat_map(u16::to_be_bytes));
        for b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        (0..6)
            .map(|i| char::from(b'A' + ((h >> (i * 8)) % 26) as u8))
            .collect()
    }
}
