//! What the mock's unit tests share: a case to write, and the sweep of
//! scenario shapes (topics, tones, outcomes, languages, both orders).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{MockInput, generate, mock_conversation};
use crate::rng::ConvRng;

pub(super) fn map(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

pub(super) fn roles(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

pub(super) struct Case {
    pub(super) language: &'static str,
    pub(super) roles: Vec<String>,
    pub(super) id: &'static str,
    pub(super) title: &'static str,
    pub(super) text: &'static str,
    pub(super) attrs: BTreeMap<String, Value>,
    pub(super) vars: BTreeMap<String, Value>,
    /// The simulated start, minutes after midnight.
    pub(super) minute: u32,
}

impl Case {
    pub(super) fn es() -> Self {
        Case {
            language: "es",
            roles: roles(&["agent", "client"]),
            id: "billing_dispute",
            title: "Disputa de factura",
            text: "El cliente llama porque se le ha cobrado dos veces la cuota mensual.",
            attrs: map(&[
                ("tone", json!("molesto")),
                ("resolution", json!("escalado")),
            ]),
            vars: BTreeMap::new(),
            minute: 9 * 60 + 30,
        }
    }

    pub(super) fn en() -> Self {
        Case {
            language: "en-US",
            roles: roles(&["agent", "customer"]),
            id: "missing_order",
            title: "Order not delivered",
            text: "The customer's parcel shows as delivered but never arrived.",
            attrs: map(&[("tone", json!("calm"))]),
            vars: BTreeMap::new(),
            minute: 9 * 60 + 30,
        }
    }

    pub(super) fn run_checked(&self, turns: usize, seed: u64) -> Vec<(String, String)> {
        let input = MockInput {
            language: self.language,
            roles: &self.roles,
            turns,
            scenario_id: self.id,
            scenario_title: self.title,
            scenario_text: self.text,
            attrs: &self.attrs,
            variables: &self.vars,
            system: "Eres un agente de atención al cliente. Trata siempre de usted.",
            title: "Atención al cliente",
            start: super::calendar::test_start(self.minute),
        };
        let (conv, bad) = generate(&input, &mut ConvRng::new(seed));
        assert!(
            !bad,
            "unknown placeholder or malformed template (seed {seed})"
        );
        assert_eq!(conv, mock_conversation(&input, &mut ConvRng::new(seed)));
        conv
    }
}

pub(super) fn joined(conv: &[(String, String)]) -> String {
    conv.iter()
        .map(|(r, t)| format!("{r}: {t}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every scenario shape the tests sweep: topics, tones, outcomes, both orders.
pub(super) fn sweep() -> Vec<Case> {
    let mut cases = Vec::new();
    let scenarios: [(&str, &str, &str); 9] = [
        (
            "card_lost",
            "Tarjeta perdida",
            "El cliente del banco ha perdido su tarjeta de débito.",
        ),
        (
            "transfer_missing",
            "Transferencia no recibida",
            "La transferencia bancaria no ha llegado al banco del destinatario.",
        ),
        (
            "billing_dispute",
            "Disputa de factura",
            "Cobro duplicado en la factura.",
        ),
        (
            "no_internet",
            "Avería de fibra",
            "El cliente no tiene internet, el router parpadea.",
        ),
        (
            "cancel_service",
            "Baja del servicio",
            "Quiere darse de baja por portabilidad.",
        ),
        (
            "plan_upgrade",
            "Cambio de tarifa",
            "Quiere mejorar su tarifa con una oferta.",
        ),
        (
            "late_order",
            "Pedido retrasado",
            "El pedido no ha llegado; el seguimiento no avanza.",
        ),
        (
            "account_locked",
            "Acceso bloqueado",
            "No puede entrar: contraseña bloqueada.",
        ),
        (
            "general",
            "Consulta general",
            "El cliente pregunta por los horarios.",
        ),
    ];
    let tones = ["tranquilo", "molesto", "urgente", "confundido"];
    let outcomes = ["resuelto", "escalado", "pendiente", "callback"];
    for (i, (id, title, text)) in scenarios.iter().enumerate() {
        for (j, tone) in tones.iter().enumerate() {
            for lang in ["es-ES", "en", "de", "pt", "pt-BR", "fr"] {
                let first = if (i + j) % 2 == 0 {
                    ["agent", "client"]
                } else {
                    ["cliente", "asesor"]
                };
                cases.push(Case {
                    language: lang,
                    roles: roles(&first),
                    id,
                    title,
                    text,
                    attrs: map(&[
                        ("tone", json!(tone)),
                        ("resolution", json!(outcomes[(i + j) % 4])),
                    ]),
                    vars: BTreeMap::new(),
                    // Every part of the day, over the cases.
                    minute: ((i * 4 + j) as u32 * 211) % 1440,
                });
            }
        }
    }
    cases
}
