//! The names a script may give a fact's variable under ("cliente",
//! "segurado", "montant"…). Each bank lists its language's
//! (`[keywords.variables]`); the mock looks a variable up by the names of
//! every bank together, and by the role's own name (a variable named like
//! the agent's role is the agent's name).

use serde::Deserialize;

type Words = Vec<String>;

/// Variable names per fact; a scenario attribute is looked up by the same
/// names as a variable (tone, resolution, priority, product).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VarNames {
    pub company: Words,
    pub agent: Words,
    pub customer: Words,
    pub amount: Words,
    pub currency: Words,
    /// An identity document number (DNI, NIF, CPF…).
    pub id: Words,
    pub birth_date: Words,
    /// The last four digits of the account.
    pub last4: Words,
    pub phone: Words,
    pub product: Words,
    pub plan: Words,
    pub order: Words,
    /// An insurance policy's number, and its deductible.
    pub policy: Words,
    pub deductible: Words,
    pub tone: Words,
    pub resolution: Words,
    pub priority: Words,
}

impl VarNames {
    /// Every list, in the order of the fields.
    fn lists(&self) -> [&Words; 17] {
        [
            &self.company,
            &self.agent,
            &self.customer,
            &self.amount,
            &self.currency,
            &self.id,
            &self.birth_date,
            &self.last4,
            &self.phone,
            &self.product,
            &self.plan,
            &self.order,
            &self.policy,
            &self.deductible,
            &self.tone,
            &self.resolution,
            &self.priority,
        ]
    }

    /// Adds another bank's names after these.
    pub fn extend(&mut self, other: &VarNames) {
        let from = other.lists().map(|l| l.clone());
        let to = [
            &mut self.company,
            &mut self.agent,
            &mut self.customer,
            &mut self.amount,
            &mut self.currency,
            &mut self.id,
            &mut self.birth_date,
            &mut self.last4,
            &mut self.phone,
            &mut self.product,
            &mut self.plan,
            &mut self.order,
            &mut self.policy,
            &mut self.deductible,
            &mut self.tone,
            &mut self.resolution,
            &mut self.priority,
        ];
        for (to, from) in to.into_iter().zip(from) {
            for name in from {
                if !to.contains(&name) {
                    to.push(name);
                }
            }
        }
    }
}

/// The roles' own names, as variable names: a call's agent and client.
#[derive(Clone, Copy, Default)]
pub struct RoleNames<'a> {
    pub agent: Option<&'a str>,
    pub client: Option<&'a str>,
}

impl<'a> RoleNames<'a> {
    /// For a call (`Some(agent_first)`), its two roles; else none.
    pub fn of(roles: &'a [String], call: Option<bool>) -> Self {
        match (call, roles) {
            (Some(agent_first), [first, second]) => {
                let (agent, client) = if agent_first {
                    (first, second)
                } else {
                    (second, first)
                };
                RoleNames {
                    agent: Some(agent.as_str()),
                    client: Some(client.as_str()),
                }
            }
            _ => RoleNames::default(),
        }
    }
}

/// `role`'s name first (when there is one), then `names`.
pub fn with_role<'a>(role: Option<&'a str>, names: &'a [String]) -> Vec<&'a str> {
    let mut out = Vec::with_capacity(names.len() + 1);
    out.extend(role.map(str::trim).filter(|r| !r.is_empty()));
    out.extend(names.iter().map(String::as_str));
    out
}

#[cfg(test)]
mod tests {
    use super::{RoleNames, VarNames, with_role};

    fn names(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn extend_keeps_the_order_and_drops_repeats() {
        let mut a = VarNames {
            customer: names(&["cliente", "nombre"]),
            ..VarNames::default()
        };
        let b = VarNames {
            customer: names(&["customer", "cliente"]),
            amount: names(&["montant"]),
            ..VarNames::default()
        };
        a.extend(&b);
        assert_eq!(a.customer, names(&["cliente", "nombre", "customer"]));
        assert_eq!(a.amount, names(&["montant"]));
    }

    #[test]
    fn the_role_comes_first() {
        let list = names(&["customer"]);
        assert_eq!(
            with_role(Some(" segurado "), &list),
            ["segurado", "customer"]
        );
        assert_eq!(with_role(None, &list), ["customer"]);
        assert_eq!(with_role(Some(""), &list), ["customer"]);
    }

    #[test]
    fn role_names_follow_who_speaks_first() {
        let roles = names(&["segurado", "atendente"]);
        let r = RoleNames::of(&roles, Some(false));
        assert_eq!((r.agent, r.client), (Some("atendente"), Some("segurado")));
        let r = RoleNames::of(&roles, Some(true));
        assert_eq!((r.agent, r.client), (Some("segurado"), Some("atendente")));
        let r = RoleNames::of(&roles, None);
        assert_eq!((r.agent, r.client), (None, None));
    }
}
