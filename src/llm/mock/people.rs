//! The people of a conversation: the company, the agent, the caller and
//! how the agent addresses the caller; taken from the variables when they
//! give them, else drawn from the bank.

use super::MockInput;
use super::bank::Bank;
use super::classify::Domain;
use super::company::company_in_prompt;
use super::facts::pick_str;
use super::vars::var_text;
use crate::rng::ConvRng;

pub struct People {
    pub company: String,
    pub agent: String,
    /// The caller's full name, and first name.
    pub customer: String,
    pub first: String,
    /// How the agent addresses the caller.
    pub addr: String,
}

impl People {
    /// Draws in a fixed order, whatever the variables give, so one rng
    /// state gives one conversation.
    pub fn draw(input: &MockInput, bank: &'static Bank, domain: Domain, rng: &mut ConvRng) -> Self {
        let (pools, loc) = (&bank.facts, &bank.locale);
        let vars = input.variables;
        let company_draw = pick_str(rng, pools.companies.get(domain));
        let company = var_text(
            vars,
            &[
                "company",
                "empresa",
                "compania",
                "compañía",
                "compañia",
                "brand",
                "marca",
                "company_name",
            ],
        )
        .or_else(|| company_in_prompt(input.system, &bank.read))
        .unwrap_or_else(|| company_draw.to_string());

        let agent_draw = pick_str(rng, &pools.agents);
        let agent = var_text(
            vars,
            &[
                "agent",
                "agente",
                "agent_name",
                "nombre_agente",
                "asesor",
                "operator",
                "operador",
                "atendente",
                "conseiller",
                "handler",
            ],
        )
        .map(|a| a.split_whitespace().next().unwrap_or("").to_string())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| agent_draw.to_string());

        let female = rng.chance(0.5);
        let (fem, masc, surnames) = (&pools.female, &pools.male, &pools.surnames);
        let gen_first = pick_str(rng, if female { fem } else { masc });
        let gen_last = pick_str(rng, surnames);
        let gen_last2 = pick_str(rng, surnames);
        let two_surnames = loc.two_surnames && rng.chance(0.5) && gen_last2 != gen_last;
        let formal = rng.chance(0.5);
        let (customer, first, addr) = match var_text(
            vars,
            &[
                "customer",
                "cliente",
                "customer_name",
                "nombre",
                "client",
                "client_name",
                "nombre_cliente",
                "name",
                "segurado",
                "asegurado",
                "assuré",
                "assure",
                "policyholder",
                "insured",
            ],
        ) {
            Some(name) => {
                let first = name.split_whitespace().next().unwrap_or("").to_string();
                let last = name.split_whitespace().nth(1).map(str::to_string);
                let gender = if fem.contains(&first) {
                    Some(true)
                } else if masc.contains(&first) {
                    Some(false)
                } else {
                    None
                };
                let addr = match (gender, last) {
                    (Some(f), Some(last)) if formal => loc.honorific(f, &last),
                    _ => first.clone(),
                };
                (name, first, addr)
            }
            None => {
                let full = if two_surnames {
                    format!("{gen_first} {gen_last} {gen_last2}")
                } else {
                    format!("{gen_first} {gen_last}")
                };
                let addr = if formal {
                    loc.honorific(female, gen_last)
                } else {
                    gen_first.to_string()
                };
                (full, gen_first.to_string(), addr)
            }
        };
        People {
            company,
            agent,
            customer,
            first,
            addr,
        }
    }
}
