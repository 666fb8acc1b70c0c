//! Message catalogues (Fluent) for everything aspk shows people: Ukrainian (the default)
//! and English. Text lives in `locales/*.ftl`, never in code. No I/O: the catalogues are
//! compiled in.

use std::collections::HashMap;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A supported interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Uk,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Uk, Lang::En];

    /// `en` (or `en-…`) is English; anything else is Ukrainian.
    pub fn parse(raw: &str) -> Lang {
        if raw.trim().to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::Uk
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Uk => "uk",
            Lang::En => "en",
        }
    }
}

type Bundle = FluentBundle<FluentResource>;

/// The catalogues, one file per area of the product and language; every area has both.
const SOURCES: [(Lang, &str); 24] = [
    (Lang::Uk, include_str!("../locales/uk.ftl")),
    (Lang::En, include_str!("../locales/en.ftl")),
    (Lang::Uk, include_str!("../locales/uk-money.ftl")),
    (Lang::En, include_str!("../locales/en-money.ftl")),
    (Lang::Uk, include_str!("../locales/uk-reports.ftl")),
    (Lang::En, include_str!("../locales/en-reports.ftl")),
    (Lang::Uk, include_str!("../locales/uk-schedule.ftl")),
    (Lang::En, include_str!("../locales/en-schedule.ftl")),
    (Lang::Uk, include_str!("../locales/uk-errors.ftl")),
    (Lang::En, include_str!("../locales/en-errors.ftl")),
    (Lang::Uk, include_str!("../locales/uk-box-office.ftl")),
    (Lang::En, include_str!("../locales/en-box-office.ftl")),
    (Lang::Uk, include_str!("../locales/uk-shop.ftl")),
    (Lang::En, include_str!("../locales/en-shop.ftl")),
    (Lang::Uk, include_str!("../locales/uk-mail.ftl")),
    (Lang::En, include_str!("../locales/en-mail.ftl")),
    (Lang::Uk, include_str!("../locales/uk-pay.ftl")),
    (Lang::En, include_str!("../locales/en-pay.ftl")),
    (Lang::Uk, include_str!("../locales/uk-paper.ftl")),
    (Lang::En, include_str!("../locales/en-paper.ftl")),
    (Lang::Uk, include_str!("../locales/uk-continuity.ftl")),
    (Lang::En, include_str!("../locales/en-continuity.ftl")),
    (Lang::Uk, include_str!("../locales/uk-drills.ftl")),
    (Lang::En, include_str!("../locales/en-drills.ftl")),
];

/// `lang`'s catalogue files compiled into one bundle, with what was wrong in them (syntax
/// errors, a message defined twice, in one file or across two). The tests require none; a
/// release build keeps what parsed.
fn compile(lang: Lang, sources: &[&str]) -> (Bundle, Vec<String>) {
    let id = lang.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    bundle.set_use_isolating(false);
    let mut problems = Vec::new();
    for source in sources {
        let resource =
            FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(res, errors)| {
                problems.extend(errors.iter().map(|e| format!("{}: {e}", lang.code())));
                res
            });
        if let Err(errors) = bundle.add_resource(resource) {
            problems.extend(errors.iter().map(|e| format!("{}: {e}", lang.code())));
        }
    }
    (bundle, problems)
}

/// The catalogue files of `lang`.
fn sources_of(lang: Lang) -> Vec<&'static str> {
    SOURCES
        .iter()
        .filter(|(l, _)| *l == lang)
        .map(|(_, source)| *source)
        .collect()
}

/// What is wrong in the catalogues: nothing, or the tests fail.
pub fn catalogue_errors() -> Vec<String> {
    Lang::ALL
        .iter()
        .flat_map(|lang| compile(*lang, &sources_of(*lang)).1)
        .collect()
}

fn bundles() -> &'static HashMap<Lang, Bundle> {
    static BUNDLES: OnceLock<HashMap<Lang, Bundle>> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        Lang::ALL
            .iter()
            .map(|lang| (*lang, compile(*lang, &sources_of(*lang)).0))
            .collect()
    })
}

/// Whether `lang`'s catalogue has the message `key` (with a value).
pub fn has_message(lang: Lang, key: &str) -> bool {
    bundles()
        .get(&lang)
        .and_then(|b| b.get_message(key))
        .is_some_and(|m| m.value().is_some())
}

/// The message `key` in `lang`, falling back to Ukrainian, then to the key itself.
pub fn t(lang: Lang, key: &str) -> String {
    t_args(lang, key, &[])
}

/// The message `key` with arguments, e.g. `t_args(Lang::Uk, "seats-left", &[("count", 3.into())])`.
pub fn t_args(lang: Lang, key: &str, args: &[(&str, Arg)]) -> String {
    let mut fargs = FluentArgs::new();
    for (name, value) in args {
        match value {
            Arg::Num(n) => fargs.set(*name, FluentValue::from(*n)),
            Arg::Str(s) => fargs.set(*name, FluentValue::from(s.as_str())),
        }
    }
    for candidate in [lang, Lang::Uk] {
        let Some(bundle) = bundles().get(&candidate) else {
            continue;
        };
        if let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) {
            let mut errors = vec![];
            let text = bundle.format_pattern(pattern, Some(&fargs), &mut errors);
            // A message formatted with an argument missing, or naming one it does not
            // know: a bug in the caller or the catalogue, which every test build catches.
            debug_assert!(
                errors.is_empty(),
                "message '{key}' in {}: {errors:?}",
                candidate.code()
            );
            return text.into_owned();
        }
    }
    key.to_owned()
}

/// Both languages at once, `"Квиток / Ticket"`, for documents read by anyone.
pub fn bilingual(key: &str) -> String {
    let (uk, en) = (t(Lang::Uk, key), t(Lang::En, key));
    if uk == en {
        uk
    } else {
        format!("{uk} / {en}")
    }
}

/// A message argument.
#[derive(Debug, Clone)]
pub enum Arg {
    Num(i64),
    Str(String),
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Num(n)
    }
}

impl From<u32> for Arg {
    fn from(n: u32) -> Self {
        Arg::Num(i64::from(n))
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Str(s)
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Str(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(source: &str) -> Vec<&str> {
        source
            .lines()
            .filter(|l| !l.starts_with(' ') && !l.starts_with('#') && l.contains(" ="))
            .filter_map(|l| l.split(" =").next())
            .collect()
    }

    #[test]
    fn both_catalogues_have_the_same_keys() {
        // The files come in pairs, Ukrainian then English, one pair per area.
        for pair in SOURCES.chunks(2) {
            let [(Lang::Uk, uk), (Lang::En, en)] = pair else {
                panic!("the catalogue files must come in (uk, en) pairs");
            };
            let mut uk = keys(uk);
            let mut en = keys(en);
            uk.sort_unstable();
            en.sort_unstable();
            assert_eq!(uk, en);
        }
    }

    #[test]
    fn the_catalogues_have_no_errors() {
        assert_eq!(catalogue_errors(), Vec::<String>::new());
    }

    #[test]
    fn a_broken_catalogue_is_reported() {
        let (_, syntax) = compile(Lang::En, &["ok = fine\nbroken = {\n"]);
        assert_eq!(syntax.len(), 1, "a syntax error: {syntax:?}");
        let (_, twice) = compile(Lang::En, &["ok = fine\nok = twice\n"]);
        assert_eq!(twice.len(), 1, "a message defined twice: {twice:?}");
        let (_, across) = compile(Lang::En, &["ok = fine\n", "ok = twice\n"]);
        assert_eq!(across.len(), 1, "defined in two files: {across:?}");
    }

    #[test]
    fn plurals_follow_each_language() {
        let seats = |lang, n: i64| t_args(lang, "seats-left", &[("count", n.into())]);
        assert_eq!(seats(Lang::Uk, 1), "1 місце");
        assert_eq!(seats(Lang::Uk, 3), "3 місця");
        assert_eq!(seats(Lang::Uk, 5), "5 місць");
        assert_eq!(seats(Lang::Uk, 21), "21 місце");
        assert_eq!(seats(Lang::En, 1), "1 seat");
        assert_eq!(seats(Lang::En, 5), "5 seats");
    }

    #[test]
    fn ticket_labels_are_bilingual() {
        assert_eq!(bilingual("ticket-title"), "Квиток / Ticket");
        assert_eq!(t(Lang::En, "no-such-key"), "no-such-key");
    }
}
