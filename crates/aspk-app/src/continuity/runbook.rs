//! What to do about a failure: the steps of the museum's continuity plan, its own (saved
//! with the venue, edited at `/settings/continuity`) or the ones aspk is seeded with (in
//! the message catalogues), one step a line.

use aspk_domain::{ContinuityPlan, FailureKind, Localized};
use aspk_i18n::Lang;

use crate::access::Action;
use crate::{AppError, Node, Principal};

/// What to do about a failure: the museum's own steps, or the seeded ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runbook {
    pub kind: FailureKind,
    pub title: String,
    pub steps: Vec<String>,
    /// The steps are the museum's own (edited at `/settings/continuity`).
    pub is_museums_own: bool,
}

impl Node {
    /// What to do about `kind` at `venue` (else this node's venue, else the only venue),
    /// in `lang`: the museum's steps when it wrote some, else the seeded ones.
    pub fn runbook(&self, kind: FailureKind, venue: Option<&str>, lang: Lang) -> Runbook {
        let venue = venue
            .map(str::to_owned)
            .or_else(|| self.scope())
            .or_else(|| {
                let venues = self.venues();
                (venues.len() == 1).then(|| venues[0].id.as_str().to_owned())
            });
        let own = venue
            .and_then(|v| self.venue(&v))
            .and_then(|v| v.shop.continuity)
            .and_then(|plan| plan.steps(kind).map(|text| steps_of(text.get(lang.code()))))
            .filter(|steps| !steps.is_empty());
        let title = aspk_i18n::t(lang, &format!("runbook-title-{}", kind.as_str()));
        match own {
            Some(steps) => Runbook {
                kind,
                title,
                steps,
                is_museums_own: true,
            },
            None => Runbook {
                kind,
                title,
                steps: seeded_steps(kind, lang),
                is_museums_own: false,
            },
        }
    }

    /// The museum's steps for every failure at `venue` (admins), as stored.
    pub fn continuity_plan(
        &self,
        who: &Principal,
        venue: &str,
    ) -> Result<ContinuityPlan, AppError> {
        who.require_to(Action::ChangeVenues)?;
        let venue = self.venue(venue).ok_or_else(|| AppError::NotFound {
            what: "venue",
            id: venue.to_owned(),
        })?;
        Ok(venue.shop.continuity.unwrap_or_default())
    }

    /// Saves the museum's steps for `venue` (admins): a failure without steps shows the
    /// seeded ones again. Saved with the venue (a `venue_saved` op), so every replica of the
    /// venue shows them.
    pub async fn save_continuity_plan(
        &self,
        who: &Principal,
        venue: &str,
        plan: ContinuityPlan,
    ) -> Result<(), AppError> {
        who.require_to(Action::ChangeVenues)?;
        let mut stored = self.venue(venue).ok_or_else(|| AppError::NotFound {
            what: "venue",
            id: venue.to_owned(),
        })?;
        stored.shop.continuity = (!plan.is_empty()).then_some(plan);
        self.save_venue(who, stored).await.map(|_| ())
    }
}

/// The steps aspk is seeded with for `kind`, from the message catalogues (one a line there).
pub fn seeded_steps(kind: FailureKind, lang: Lang) -> Vec<String> {
    steps_of(&aspk_i18n::t(
        lang,
        &format!("runbook-steps-{}", kind.as_str()),
    ))
}

/// One step a line; blank lines, bullets and numbers typed before a step left out (the
/// page and the console number the steps themselves).
fn steps_of(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            let line = line.trim();
            let unnumbered = line
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .strip_prefix(['.', ')'])
                .filter(|_| line.starts_with(|c: char| c.is_ascii_digit()));
            unnumbered
                .unwrap_or(line)
                .trim_start_matches(['•', '-', '*', '–', '—'])
                .trim()
                .to_owned()
        })
        .filter(|line| !line.is_empty())
        .collect()
}

/// The steps of a plan form's two text areas: Ukrainian required when either is filled.
pub fn typed_steps(uk: &str, en: &str) -> Option<Localized> {
    let clean = |t: &str| {
        t.replace("\r\n", "\n")
            .replace('\r', "\n")
            .trim()
            .to_owned()
    };
    let (uk, en) = (clean(uk), clean(en));
    (!uk.is_empty() || !en.is_empty()).then(|| Localized::new(uk, en))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_a_line_without_the_numbers_people_type() {
        let steps = steps_of("1. Switch the router\n\n  • Sell paper tickets \n2) Enter them\n- 10 minutes later, check");
        assert_eq!(
            steps,
            [
                "Switch the router",
                "Sell paper tickets",
                "Enter them",
                "10 minutes later, check"
            ]
        );
    }

    #[test]
    fn every_failure_has_seeded_steps_in_both_languages() {
        for kind in FailureKind::ALL {
            for lang in Lang::ALL {
                let steps = seeded_steps(kind, lang);
                assert!(steps.len() >= 2, "{kind:?} {lang:?}: {steps:?}");
                let title = format!("runbook-title-{}", kind.as_str());
                assert!(aspk_i18n::has_message(lang, &title), "{title}");
            }
        }
    }

    #[test]
    fn typed_steps_keep_line_breaks_and_drop_empty_forms() {
        let steps = typed_steps("Крок 1\r\nКрок 2\r\n", "").expect("steps");
        assert_eq!(steps.uk, "Крок 1\nКрок 2");
        assert_eq!(typed_steps(" ", "\r\n"), None);
    }
}
