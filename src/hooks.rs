//! The hook seam between the core and a prompt's script (SPEC §3).
//!
//! Generation calls these five hooks; each returns `None` when the script does
//! not define it, and the core then applies its built-in default (scenario by
//! mode, no variables, the role-based latency model, built-in checks only).
//! `NoScript` is the host for prompts without a script; the Lua host
//! implements the same trait.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::conversation::{Conversation, ScenarioMode, Turn};
use crate::prompt::{Prompt, Scenario};
use crate::rng::ConvRng;

/// What a hook sees of the conversation being made (`ctx` in Lua).
pub struct HookCtx<'a> {
    pub prompt: &'a Prompt,
    /// Conversation number in the run, from 1.
    pub index: u64,
    /// Batch number in the run, from 1.
    pub batch_index: u32,
    pub mode: &'a ScenarioMode,
    /// The chosen scenario, once chosen.
    pub scenario: Option<&'a Scenario>,
    pub vars: &'a BTreeMap<String, Value>,
    /// The conversation id, for messages.
    pub conversation_id: &'a str,
}

/// A hook failed: the script raised an error or returned the wrong thing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{script}: hook `{hook}` failed for {conversation_id}: {message}")]
pub struct HookError {
    pub script: String,
    pub hook: &'static str,
    pub conversation_id: String,
    pub message: String,
}

/// The hooks a script may define. `Ok(None)`: not defined, use the default
/// (what every method answers unless a host says otherwise).
pub trait Hooks {
    /// The scenario id for this conversation.
    fn select_scenario(
        &mut self,
        _ctx: &HookCtx,
        _rng: &mut ConvRng,
    ) -> Result<Option<String>, HookError> {
        Ok(None)
    }
    /// Per-conversation variables (fill `{{placeholders}}`).
    fn variables(
        &mut self,
        _ctx: &HookCtx,
        _rng: &mut ConvRng,
    ) -> Result<Option<BTreeMap<String, Value>>, HookError> {
        Ok(None)
    }
    /// Seconds before each turn (turns without timestamps yet), one per turn.
    fn turn_latencies(
        &mut self,
        _turns: &[Turn],
        _ctx: &HookCtx,
        _rng: &mut ConvRng,
    ) -> Result<Option<Vec<f64>>, HookError> {
        Ok(None)
    }
    /// Reasons each turn is not acceptable (empty: fine), one list per turn.
    fn validate_turns(
        &mut self,
        _turns: &[Turn],
        _ctx: &HookCtx,
        _rng: &mut ConvRng,
    ) -> Result<Option<Vec<Vec<String>>>, HookError> {
        Ok(None)
    }
    /// Reasons this conversation is not acceptable (empty: fine).
    fn validate_conversation(
        &mut self,
        _conv: &Conversation,
        _ctx: &HookCtx,
        _rng: &mut ConvRng,
    ) -> Result<Option<Vec<String>>, HookError> {
        Ok(None)
    }
}

/// The host for prompts without a script: every hook falls back to its default.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoScript;

impl Hooks for NoScript {}

/// The default latency model: seconds before a turn, from who speaks and how
/// much the previous speaker said.
///
/// A turn starts after the previous utterance was spoken (about 14 characters
/// a second, the pace of conversational Spanish and English) plus a pause that
/// depends on the role: the first role (the agent, in a call centre) pauses
/// longer, as it looks things up; others answer sooner. The first turn waits
/// for the call to be picked up. Jitter of ±25% keeps turns from ticking like
/// a metronome.
pub fn default_latency(
    turn_index: u32,
    role_index: usize,
    previous_text: Option<&str>,
    rng: &mut ConvRng,
) -> f64 {
    let jitter = rng.range_f64(0.75, 1.25);
    let Some(previous) = previous_text else {
        // Ringing and pick-up.
        return 2.0 + 4.0 * rng.float();
    };
    let spoken = previous.chars().count() as f64 / 14.0;
    let pause = if role_index == 0 { 1.4 } else { 0.8 };
    let seconds = (spoken + pause) * jitter;
    // Longer calls get an occasional hold or lookup in the middle.
    let hold = if turn_index > 3 && rng.chance(0.08) {
        rng.range_f64(8.0, 40.0)
    } else {
        0.0
    };
    (seconds + hold).max(0.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_grows_with_text_and_is_positive() {
        let mut rng = ConvRng::new(1);
        let short: f64 = (0..200)
            .map(|_| default_latency(2, 1, Some("Sí."), &mut rng))
            .sum();
        let long: f64 = (0..200)
            .map(|_| default_latency(2, 1, Some(&"palabra ".repeat(30)), &mut rng))
            .sum();
        assert!(long > short * 3.0, "long {long} short {short}");
        for i in 1..50 {
            assert!(default_latency(i, 0, Some(""), &mut rng) >= 0.2);
        }
        let first = default_latency(1, 0, None, &mut rng);
        assert!((2.0..6.0).contains(&first));
    }

    #[test]
    fn latency_is_deterministic() {
        let a = default_latency(5, 0, Some("hola"), &mut ConvRng::new(9));
        let b = default_latency(5, 0, Some("hola"), &mut ConvRng::new(9));
        assert_eq!(a, b);
    }
}
