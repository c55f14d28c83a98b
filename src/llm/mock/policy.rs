//! An insurer's facts: the policy number and the deductible, from the
//! variables when they give them, else made from facts already drawn (no
//! draw of their own, so that the other domains' conversations stay as
//! they were for a given rng state).

use std::collections::BTreeMap;

use serde_json::Value;

use super::locale::Locale;
use super::var_names::VarNames;
use super::vars::{lookup, value_number, value_text, var_text};

/// `{policy}` and `{deductible}`: the ticket's digits backwards make the
/// policy number, the drawn amount the deductible (150 plus a quarter of it,
/// in tens).
pub fn policy_facts(
    vars: &BTreeMap<String, Value>,
    names: &VarNames,
    loc: &Locale,
    symbol: &str,
    ticket: &str,
    amount_draw: f64,
) -> (String, String) {
    let policy = var_text(vars, &names.policy).unwrap_or_else(|| {
        let digits: String = ticket.chars().filter(char::is_ascii_digit).rev().collect();
        format!("AP-{digits}")
    });
    let deductible = match lookup(vars, &names.deductible) {
        // a number is written in the language's format, a text as given
        Some(v) if v.is_number() => value_number(v)
            .map(|n| loc.money(n, symbol))
            .unwrap_or_default(),
        Some(v) => value_text(v).unwrap_or_default(),
        None => loc.money((amount_draw / 40.0).round() * 10.0 + 150.0, symbol),
    };
    (policy, deductible)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use super::policy_facts;
    use crate::llm::mock::load;

    #[test]
    fn the_variables_give_the_policy_and_the_deductible() {
        let bank = load::for_language("pt-BR").0;
        let (loc, names) = (&bank.locale, &bank.read.variables);
        let none = BTreeMap::new();
        let (policy, deductible) = policy_facts(&none, names, loc, "R$", "INC-123456", 1000.0);
        assert_eq!(policy, "AP-654321");
        assert_eq!(deductible, loc.money(400.0, "R$"));
        let vars: BTreeMap<String, Value> = [
            ("apolice".to_string(), Value::from("AP-77")),
            ("franquia".to_string(), Value::from("R$ 2.500,00")),
        ]
        .into();
        let (policy, deductible) = policy_facts(&vars, names, loc, "R$", "INC-123456", 1000.0);
        assert_eq!(
            (policy.as_str(), deductible.as_str()),
            ("AP-77", "R$ 2.500,00")
        );
        let vars: BTreeMap<String, Value> = [("deductible".to_string(), Value::from(250))].into();
        let (_, deductible) = policy_facts(&vars, names, loc, "R$", "INC-1", 1000.0);
        assert_eq!(deductible, loc.money(250.0, "R$"));
    }
}
