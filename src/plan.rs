//! The run plan: what a run will be, decided before anything is registered
//! or sent — the scenario mode, the batch size, the seed and the start.
//!
//! Pure: the flags and the prompt (and whether its script defines
//! `select_scenario`) in, a [`RunPlan`] or one error naming the flag out.
//! `generate` and `preview` (and the menu, through `generate`) share it.

use chrono::{DateTime, Duration, Utc};

use crate::conversation::ScenarioMode;
use crate::prompt::{self, Prompt};

/// Seeds recorded in artefacts stay below 2^53, so every JSON reader (and
/// SAS, whose numbers are doubles) keeps them exact.
pub const SEED_MASK: u64 = (1 << 53) - 1;

/// Conversations per batch when `--batch-size` is not given (or the total, when smaller).
pub const DEFAULT_BATCH_SIZE: u64 = 100;

/// How scenarios are chosen when no single one is given (`--scenario-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeChoice {
    /// Uniformly at random.
    Random,
    /// At random, in proportion to the catalog's weights.
    Weighted,
    /// The script's select_scenario hook decides.
    Script,
}

/// What was asked for a run.
#[derive(Debug, Clone, Default)]
pub struct Asked<'a> {
    /// `--scenario`: every conversation gets this one.
    pub scenario: Option<&'a str>,
    pub mode: Option<ModeChoice>,
    pub total: u64,
    pub batch_size: Option<u64>,
    pub seed: Option<u64>,
    /// `--start`, as typed.
    pub start: Option<&'a str>,
}

/// A run as it will be made.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    pub mode: ScenarioMode,
    pub total: u64,
    pub batch_size: u64,
    pub seed: u64,
    /// Base time of the simulated conversations.
    pub start: DateTime<Utc>,
}

/// Why a run cannot be planned as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "--scenario-mode script: {prompt} has no script with a select_scenario hook; use random or weighted"
    )]
    NoSelectScenario { prompt: String },
    #[error(
        "--batch-size {batch_size} is larger than --total {total}; use a batch size of at most {total}"
    )]
    BatchTooLarge { batch_size: u64, total: u64 },
    #[error("--start: {0}")]
    Start(String),
    #[error("--scenario {id}: no such scenario in {prompt} (known: {known})")]
    UnknownScenario {
        id: String,
        prompt: String,
        known: String,
    },
}

/// Checks a run's scenario mode against the prompt before anything is written.
pub fn check_mode(prompt: &Prompt, mode: &ScenarioMode) -> Result<(), PlanError> {
    if let ScenarioMode::Fixed(id) = mode
        && prompt.scenario(id).is_none()
    {
        return Err(PlanError::UnknownScenario {
            id: id.clone(),
            prompt: prompt.path.to_string(),
            known: prompt.scenario_ids().join(", "),
        });
    }
    Ok(())
}

/// The scenario mode: `--scenario`, else `--scenario-mode`, else `script`
/// when the script defines `select_scenario`, else `weighted`.
pub fn scenario_mode(
    prompt: &Prompt,
    scenario: Option<&str>,
    mode: Option<ModeChoice>,
    has_select_scenario: bool,
) -> Result<ScenarioMode, PlanError> {
    Ok(match (scenario, mode) {
        (Some(id), _) => ScenarioMode::Fixed(id.to_string()),
        (None, Some(ModeChoice::Random)) => ScenarioMode::Random,
        (None, Some(ModeChoice::Weighted)) => ScenarioMode::Weighted,
        (None, Some(ModeChoice::Script) | None) if has_select_scenario => ScenarioMode::Script,
        (None, None) => ScenarioMode::Weighted,
        (None, Some(ModeChoice::Script)) => {
            return Err(PlanError::NoSelectScenario {
                prompt: prompt.path.to_string(),
            });
        }
    })
}

/// A random seed in the recorded range.
pub fn random_seed() -> u64 {
    rand::random::<u64>() & SEED_MASK
}

/// The base time of a run given neither `--start` nor a prompt `start`:
/// 09:00 UTC on day `seed % 366` of 2020 (a leap year), so that the same seed
/// gives the same files on any day it is run.
pub fn default_start(seed: u64) -> DateTime<Utc> {
    let epoch = DateTime::<Utc>::from_timestamp(1_577_869_200, 0) // 2020-01-01T09:00:00Z
        .unwrap_or_default();
    epoch + Duration::days((seed % 366) as i64)
}

/// Plans a run of `prompt` (the seed is drawn here when none was asked).
pub fn plan(
    prompt: &Prompt,
    asked: &Asked,
    has_select_scenario: bool,
) -> Result<RunPlan, PlanError> {
    let mode = scenario_mode(prompt, asked.scenario, asked.mode, has_select_scenario)?;
    let batch_size = asked
        .batch_size
        .unwrap_or(asked.total.min(DEFAULT_BATCH_SIZE));
    if batch_size > asked.total {
        return Err(PlanError::BatchTooLarge {
            batch_size,
            total: asked.total,
        });
    }
    let seed = asked.seed.unwrap_or_else(random_seed);
    let start = match (asked.start, prompt.start) {
        (Some(s), _) => prompt::parse_time(s).map_err(PlanError::Start)?,
        (None, Some(t)) => t,
        (None, None) => default_start(seed),
    };
    Ok(RunPlan {
        mode,
        total: asked.total,
        batch_size,
        seed,
        start,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(front: &str) -> Prompt {
        let text = format!(
            "+++\nlanguage = \"es\"\nroles = [\"a\", \"b\"]\nturns = 2\n{front}\n+++\nx\n## Scenarios\n### s: S\nt\n"
        );
        prompt::parse(camino::Utf8Path::new("prompts/p.md"), text.as_bytes()).unwrap()
    }

    #[test]
    fn the_scenario_mode_follows_flags_then_the_script() {
        let p = prompt("");
        let mode = |s, m, has| scenario_mode(&p, s, m, has);
        assert_eq!(
            mode(Some("s"), None, true),
            Ok(ScenarioMode::Fixed("s".into()))
        );
        assert_eq!(mode(None, None, true), Ok(ScenarioMode::Script));
        assert_eq!(mode(None, None, false), Ok(ScenarioMode::Weighted));
        assert_eq!(
            mode(None, Some(ModeChoice::Random), true),
            Ok(ScenarioMode::Random)
        );
        assert_eq!(
            mode(None, Some(ModeChoice::Script), false),
            Err(PlanError::NoSelectScenario {
                prompt: "prompts/p.md".into()
            })
        );
    }

    #[test]
    fn a_fixed_scenario_must_be_in_the_catalog() {
        let p = prompt("");
        assert!(check_mode(&p, &ScenarioMode::Fixed("s".into())).is_ok());
        let e = check_mode(&p, &ScenarioMode::Fixed("zzz".into()))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "--scenario zzz: no such scenario in prompts/p.md (known: s)"
        );
    }

    #[test]
    fn batch_size_seed_and_start() {
        let p = prompt("");
        let asked = Asked {
            total: 250,
            seed: Some(7),
            ..Asked::default()
        };
        let plan_of = |a: &Asked| plan(&p, a, false);
        let planned = plan_of(&asked).unwrap();
        assert_eq!(planned.batch_size, 100);
        assert_eq!(planned.start, default_start(7));
        let small = plan_of(&Asked {
            total: 5,
            ..asked.clone()
        })
        .unwrap();
        assert_eq!(small.batch_size, 5);
        assert_eq!(
            plan_of(&Asked {
                batch_size: Some(300),
                ..asked.clone()
            }),
            Err(PlanError::BatchTooLarge {
                batch_size: 300,
                total: 250
            })
        );
        let at = plan_of(&Asked {
            start: Some("2026-03-02T10:00:00+01:00"),
            ..asked.clone()
        })
        .unwrap();
        assert_eq!(at.start.to_rfc3339(), "2026-03-02T09:00:00+00:00");
        assert!(matches!(
            plan_of(&Asked {
                start: Some("soon"),
                ..asked.clone()
            }),
            Err(PlanError::Start(_))
        ));
        let fixed = prompt("start = \"2026-01-05T08:00:00Z\"");
        assert_eq!(
            plan(&fixed, &asked, false).unwrap().start.to_rfc3339(),
            "2026-01-05T08:00:00+00:00"
        );
        assert!(random_seed() <= SEED_MASK);
    }

    #[test]
    fn the_default_start_is_a_day_of_2020_chosen_by_the_seed() {
        let at = |seed| crate::validate::format_timestamp(default_start(seed));
        assert_eq!(at(0), "2020-01-01T09:00:00.000Z");
        assert_eq!(at(7), "2020-01-08T09:00:00.000Z");
        assert_eq!(at(365), "2020-12-31T09:00:00.000Z");
        assert_eq!(at(366), at(0));
    }
}
