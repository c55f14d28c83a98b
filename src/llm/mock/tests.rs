use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::classify::{Haystack, Topic};
use super::company::company_in_prompt;
use super::vars::value_number;
use super::{MockInput, generate, load, mock_conversation};
use crate::rng::ConvRng;

fn map(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn roles(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

struct Case {
    language: &'static str,
    roles: Vec<String>,
    id: &'static str,
    title: &'static str,
    text: &'static str,
    attrs: BTreeMap<String, Value>,
    vars: BTreeMap<String, Value>,
}

impl Case {
    fn es() -> Self {
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
        }
    }

    fn en() -> Self {
        Case {
            language: "en-US",
            roles: roles(&["agent", "customer"]),
            id: "missing_order",
            title: "Order not delivered",
            text: "The customer's parcel shows as delivered but never arrived.",
            attrs: map(&[("tone", json!("calm"))]),
            vars: BTreeMap::new(),
        }
    }

    fn run_checked(&self, turns: usize, seed: u64) -> Vec<(String, String)> {
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

fn joined(conv: &[(String, String)]) -> String {
    conv.iter()
        .map(|(r, t)| format!("{r}: {t}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every scenario shape the tests sweep: topics, tones, outcomes, both orders.
fn sweep() -> Vec<Case> {
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
                });
            }
        }
    }
    cases
}

#[test]
fn same_seed_same_output_and_seeds_differ() {
    let case = Case::es();
    let a = case.run_checked(12, 7);
    let b = case.run_checked(12, 7);
    assert_eq!(a, b);
    let c = case.run_checked(12, 8);
    assert_ne!(a, c);
}

#[test]
fn exact_turn_count_and_alternation() {
    let mut cases = sweep();
    cases.push(Case::es());
    cases.push(Case::en());
    for (k, case) in cases.iter().enumerate() {
        for turns in [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 31, 40] {
            let conv = case.run_checked(turns, k as u64 * 1000 + turns as u64);
            assert_eq!(conv.len(), turns);
            for (i, (role, text)) in conv.iter().enumerate() {
                assert_eq!(role, &case.roles[i % 2], "turn {i} of {turns}");
                assert!(!text.trim().is_empty(), "empty turn {i} of {turns}");
            }
        }
    }
}

#[test]
fn three_roles_cycle_in_order() {
    let mut case = Case::es();
    case.roles = roles(&["agent", "client", "supervisor"]);
    for turns in [2, 3, 7, 12, 31] {
        let conv = case.run_checked(turns, 3);
        assert_eq!(conv.len(), turns);
        for (i, (role, text)) in conv.iter().enumerate() {
            assert_eq!(role, &case.roles[i % 3]);
            assert!(!text.trim().is_empty());
        }
    }
}

#[test]
fn output_is_clean_text() {
    for (k, case) in sweep().iter().enumerate() {
        for seed in 0..6u64 {
            for turns in [2, 3, 5, 12, 31] {
                let conv = case.run_checked(turns, seed * 7919 + k as u64);
                for (_, text) in &conv {
                    for bad in ["{", "}", "[|", "|", "TODO", "  ", " ,", " ."] {
                        // the marker of unsupported languages is the only bracket
                        assert!(!text.contains(bad), "{bad:?} in {text:?}");
                    }
                    let body = text.strip_prefix("[de→en] ").unwrap_or(text);
                    assert!(!body.contains('['), "bracket in {text:?}");
                    assert!(!body.contains(']'), "bracket in {text:?}");
                    let end = body.chars().last().unwrap();
                    assert!(".?!".contains(end), "unterminated: {text:?}");
                }
            }
        }
    }
}

#[test]
fn spanish_reads_spanish_and_english_reads_english() {
    for seed in 0..20 {
        let es = joined(&Case::es().run_checked(12, seed));
        assert!(es.contains('¿'), "{es}");
        assert!(es.contains("usted") || es.contains("le atiende") || es.contains("ayudarle"));
        assert!(!es.contains(" tú ") && !es.contains("¿Puedes"), "{es}");
        let en = joined(&Case::en().run_checked(12, seed));
        assert!(!en.contains('¿') && !en.contains('¡'), "{en}");
        assert!(en.contains("help") || en.contains("thank") || en.contains("Thank"));
    }
}

#[test]
fn full_call_has_greeting_verification_and_closing() {
    let mut case = Case::es();
    case.vars = map(&[("company", json!("Telco Sur")), ("agent", json!("Marta"))]);
    for seed in 0..30 {
        let conv = case.run_checked(12, seed);
        let greeting = &conv[0].1;
        assert!(
            greeting.contains("Telco Sur") && greeting.contains("Marta"),
            "{greeting}"
        );
        assert!(
            greeting.contains('¿') && greeting.ends_with('?'),
            "{greeting}"
        );
        let all = joined(&conv);
        assert!(
            all.contains("DNI")
                || all.contains("nacimiento")
                || all.contains("dígitos")
                || all.contains("cifras"),
            "no verification: {all}"
        );
        assert!(
            all.contains("INC-"),
            "escalated call without reference: {all}"
        );
        let last_agent = &conv[10].1;
        assert!(
            last_agent.contains("Gracias") || last_agent.contains("gracias"),
            "{last_agent}"
        );
    }
}

#[test]
fn twenty_seeds_give_varied_conversations() {
    for case in [Case::es(), Case::en()] {
        let convs: Vec<String> = (0..20).map(|s| joined(&case.run_checked(12, s))).collect();
        let mut distinct = convs.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() >= 15, "only {} distinct", distinct.len());
        // and each phase varies too: openings and closings are not all alike
        let mut firsts: Vec<String> = (0..20)
            .map(|s| case.run_checked(12, s)[0].1.clone())
            .collect();
        firsts.sort();
        firsts.dedup();
        assert!(firsts.len() >= 8, "greetings barely vary: {}", firsts.len());
    }
}

#[test]
fn variables_show_up_in_the_text() {
    let mut case = Case::es();
    case.vars = map(&[
        ("customer", json!("Lucía Gómez")),
        ("amount", json!(42.5)),
        ("company", json!("Telco Sur")),
    ]);
    for seed in 0..20 {
        for turns in [2, 4, 12] {
            let all = joined(&case.run_checked(turns, seed));
            assert!(all.contains("Lucía Gómez"), "{all}");
            assert!(all.contains("42,50 €"), "{all}");
            assert!(all.contains("Telco Sur"), "{all}");
        }
    }
    let mut en = Case::en();
    en.vars = map(&[
        ("customer_name", json!("Sarah Carter")),
        ("amount", json!("19.99")),
        ("brand", json!("Acme Parcels")),
    ]);
    for seed in 0..10 {
        let all = joined(&en.run_checked(8, seed));
        assert!(
            all.contains("Sarah Carter") && all.contains("$19.99"),
            "{all}"
        );
        assert!(all.contains("Acme Parcels"), "{all}");
    }
    // an amount for a non-billing topic still appears
    let mut tech = Case::es();
    tech.id = "no_internet";
    tech.title = "Avería de fibra";
    tech.text = "Sin internet desde ayer.";
    tech.vars = map(&[("importe", json!(30))]);
    for seed in 0..10 {
        assert!(joined(&tech.run_checked(6, seed)).contains("30 €"));
    }
}

#[test]
fn odd_inputs_do_not_panic() {
    let odd_vars = map(&[
        ("customer", json!(true)),
        ("amount", json!([12.3, "x"])),
        ("company", json!({"name": "X"})),
        ("phone", json!(600123123)),
        ("nombre", json!("")),
        ("currency", json!("GBP")),
    ]);
    let attrs = map(&[
        ("tone", json!(3)),
        ("outcome", json!(null)),
        ("product", json!(["TV"])),
    ]);
    let role_sets = [
        roles(&[]),
        roles(&["narrator"]),
        roles(&["teacher", "student"]),
        roles(&["interviewer", "candidate", "observer"]),
        roles(&["Agent", "Customer"]),
        roles(&["", ""]),
    ];
    for language in [
        "",
        "x",
        "zh-Hant-TW",
        "ES",
        "en_GB",
        "español",
        "??",
        "pt-BR",
    ] {
        for rs in &role_sets {
            for turns in [0, 1, 2, 3, 13, 200] {
                let input = MockInput {
                    language,
                    roles: rs,
                    turns,
                    scenario_id: "",
                    scenario_title: "",
                    scenario_text: "ñ",
                    attrs: &attrs,
                    variables: &odd_vars,
                    system: "",
                    title: "",
                };
                let (conv, bad) = generate(&input, &mut ConvRng::new(turns as u64));
                assert!(!bad);
                assert_eq!(conv.len(), turns);
                assert!(
                    conv.iter()
                        .all(|(_, t)| !t.trim().is_empty() && !t.contains("{{"))
                );
            }
        }
    }
}

#[test]
fn unknown_language_is_marked_english() {
    let mut case = Case::en();
    case.language = "de-AT";
    let conv = case.run_checked(6, 1);
    assert!(conv.iter().all(|(_, t)| t.starts_with("[de→en] ")));
    let mut weird = Case::es();
    weird.language = "--!!";
    let conv = weird.run_checked(4, 1);
    assert!(conv[0].1.starts_with("[und→en] "), "{}", conv[0].1);
}

/// Sentences of 25+ characters never repeat within a conversation. Short
/// acknowledgements ("Sí, ese es.", "Vale.") may, as they do in real calls.
fn assert_no_repeated_sentences(conv: &[(String, String)], context: &str) {
    let mut seen: Vec<String> = Vec::new();
    for (_, text) in conv {
        let text = text.strip_prefix("[de→en] ").unwrap_or(text);
        // sentence ends: . ? ! followed by a space (not "12.50", not "...")
        let mut sentences = Vec::new();
        let mut start = 0;
        let bytes = text.as_bytes();
        for i in 0..bytes.len() {
            let end = matches!(bytes[i], b'.' | b'?' | b'!');
            if end && (i + 1 == bytes.len() || bytes[i + 1] == b' ') {
                sentences.push(&text[start..=i]);
                start = i + 1;
            }
        }
        sentences.push(&text[start..]);
        for sentence in sentences {
            let s = sentence
                .trim()
                .trim_start_matches(['¿', '¡'])
                .trim_end_matches("..")
                .to_string();
            if s.chars().count() < 25 {
                continue;
            }
            assert!(
                !seen.contains(&s),
                "repeated {s:?} in {context}:\n{}",
                joined(conv)
            );
            seen.push(s);
        }
    }
}

#[test]
fn no_sentence_repeats_in_long_calls() {
    for (k, case) in sweep().iter().enumerate() {
        for seed in 0..4u64 {
            for turns in [12, 40] {
                let conv = case.run_checked(turns, seed * 31 + k as u64);
                assert_no_repeated_sentences(&conv, &format!("{} {}", case.id, case.language));
            }
        }
    }
    // 200 turns: the dynamic fillers keep even very long calls free of repeats
    for seed in 0..5 {
        let conv = Case::es().run_checked(200, seed);
        assert_no_repeated_sentences(&conv, "es 200");
        let conv = Case::en().run_checked(200, seed);
        assert_no_repeated_sentences(&conv, "en 200");
    }
}

#[test]
fn generic_roles_get_a_generic_exchange() {
    let mut case = Case::es();
    case.roles = roles(&["teacher", "student"]);
    case.title = "Fracciones";
    for seed in 0..10 {
        let conv = case.run_checked(24, seed);
        let all = joined(&conv);
        assert!(
            all.contains("fracciones") || all.contains("Fracciones"),
            "{all}"
        );
        assert!(!all.contains("DNI") && !all.contains("le atiende"), "{all}");
        assert_no_repeated_sentences(&conv, "generic 24");
    }
}

#[test]
fn attributes_steer_the_call() {
    let mut case = Case::es();
    case.attrs = map(&[
        ("tone", json!("tranquilo")),
        ("resolution", json!("resuelto")),
    ]);
    for seed in 0..10 {
        let all = joined(&case.run_checked(12, seed));
        assert!(!all.contains("INC-") || all.contains("referencia"), "{all}");
        assert!(!all.contains("inadmisible"));
    }
    case.attrs = map(&[
        ("tono", json!("Muy enfadado")),
        ("outcome", json!("escalated")),
    ]);
    let angry = (0..10)
        .filter(|s| {
            let all = joined(&case.run_checked(12, *s));
            [
                "disculpas",
                "Lamento",
                "Siento",
                "razón",
                "Comprendo su enfado",
            ]
            .iter()
            .any(|w| all.contains(w))
        })
        .count();
    assert!(angry >= 8, "angry calls without apologies: {}", 10 - angry);
}

#[test]
fn client_first_calls_open_with_the_client() {
    let mut case = Case::es();
    case.roles = roles(&["client", "agent"]);
    let conv = case.run_checked(12, 5);
    assert_eq!(conv[0].0, "client");
    assert!(conv[1].1.contains("atiende") || conv[1].1.contains(&"de ".to_string()));
    let two = case.run_checked(2, 5);
    assert!(two[1].1.contains("Gracias") || two[1].1.contains("gracias"));
}

#[test]
fn explanations_match_the_problem() {
    let mut case = Case::es();
    case.id = "order_issue";
    case.title = "Incidencia con un pedido";
    case.text = "El cliente llama por su pedido.";
    case.attrs = map(&[("resolution", json!("resuelto"))]);
    let mut checked = [0usize; 3];
    for seed in 0..300 {
        let all = joined(&case.run_checked(12, seed));
        let delivery = [
            "no hay firma",
            "volvió a la delegación",
            "reprogramado la entrega",
        ];
        if all.contains("con un defecto") || all.contains("no es lo que pedí") {
            checked[0] += 1;
            assert!(!delivery.iter().any(|d| all.contains(d)), "{all}");
        } else if all.contains("no me ha llegado") || all.contains("aparece como entregado") {
            checked[1] += 1;
            assert!(
                !all.contains("lote con defectos") && !all.contains("plazo de devolución"),
                "{all}"
            );
        } else if all.contains("Quiero devolver") {
            checked[2] += 1;
            assert!(!delivery.iter().any(|d| all.contains(d)), "{all}");
        }
    }
    assert!(checked.iter().all(|c| *c > 10), "{checked:?}");
}

#[test]
fn company_is_spotted_in_the_system_prompt() {
    let cases = [
        (
            "Eres agente del servicio de atención al cliente de Telvento, un operador.",
            Some("Telvento"),
        ),
        (
            "**Empresa:** Ondara Telecom\n\nTrata de usted.",
            Some("Ondara Telecom"),
        ),
        (
            "You are a support agent at Ashcombe Bank. Be kind.",
            Some("Ashcombe Bank"),
        ),
        ("Las empresas del sector deben cumplir el RGPD.", None),
        ("Atiende a clientes de España con cortesía.", None),
        ("", None),
    ];
    for (system, want) in cases {
        assert_eq!(
            company_in_prompt(system, &load::for_language("es").0.read).as_deref(),
            want,
            "{system}"
        );
    }
}

#[test]
fn bank_scenarios_get_bank_topics() {
    let attrs = BTreeMap::new();
    let vars = BTreeMap::new();
    let roles = roles(&["agent", "customer"]);
    let topic_of = |id: &str, title: &str, text: &str| {
        let input = MockInput {
            language: "en",
            roles: &roles,
            turns: 8,
            scenario_id: id,
            scenario_title: title,
            scenario_text: text,
            attrs: &attrs,
            variables: &vars,
            system: "You are a support agent at an online bank.",
            title: "Customer support — online bank",
        };
        let hay = Haystack::new(&input, &load::for_language(input.language).0.read);
        hay.topic(hay.domain())
    };
    let card = topic_of(
        "card_declined",
        "Card declined abroad",
        "The debit card was declined.",
    );
    assert_eq!(card, Topic::Card);
    let transfer = topic_of(
        "missing_transfer",
        "Transfer not received",
        "The rent payment.",
    );
    assert_eq!(transfer, Topic::Transfer);
    let close = topic_of(
        "close_savings",
        "Closing a savings account",
        "Easy-access savings.",
    );
    assert_eq!(close, Topic::Cancel);
    let fee = topic_of("overdraft_fee", "Overdraft fee dispute", "Charged the fee.");
    assert_eq!(fee, Topic::Billing);

    // and bank calls never talk about routers, engineers or bills
    let mut case = Case::en();
    case.id = "close_savings";
    case.title = "Closing a savings account";
    case.text = "The bank customer wants to close their savings account.";
    for outcome in ["resolved", "escalated"] {
        case.attrs = map(&[("resolution", json!(outcome))]);
        for seed in 0..40 {
            let all = joined(&case.run_checked(40, seed));
            for word in ["router", "engineer", "equipment", "bill ", "TV box"] {
                assert!(!all.contains(word), "{word:?} in a bank call: {all}");
            }
        }
    }
    // the scenario's words choose the card problem
    let mut card = Case::en();
    card.id = "unrecognised_payment";
    card.title = "Unrecognised card payment";
    card.text = "A bank customer sees a card payment they never made.";
    for seed in 0..20 {
        let conv = card.run_checked(8, seed);
        assert!(conv[1].1.contains("payment on my"), "{}", conv[1].1);
    }
}

fn es() -> &'static super::locale::Locale {
    &load::for_language("es").0.locale
}

fn en() -> &'static super::locale::Locale {
    &load::for_language("en").0.locale
}

#[test]
fn money_formats() {
    assert_eq!(es().money(42.5, "€"), "42,50 €");
    assert_eq!(es().money(30.0, "€"), "30 €");
    assert_eq!(es().money(12345.678, "€"), "12.345,68 €");
    assert_eq!(en().money(1234.5, "$"), "$1,234.50");
    assert_eq!(en().money(7.0, "CHF"), "7 CHF");
    assert_eq!(value_number(&json!("42,50 €")), Some(42.5));
    assert_eq!(value_number(&json!("$1,234.50")), Some(1234.5));
    assert_eq!(value_number(&json!("1.234,5")), Some(1234.5));
    assert_eq!(value_number(&json!("n/a")), None);
}

#[test]
#[ignore = "throughput check; run with --release -- --ignored"]
fn throughput() {
    let case = Case::es();
    let start = std::time::Instant::now();
    let mut total = 0;
    for seed in 0..20_000 {
        total += case.run_checked(12, seed).len();
    }
    let rate = 20_000.0 / start.elapsed().as_secs_f64();
    eprintln!("{rate:.0} conversations/s ({total} turns)");
    assert!(rate > 2_000.0);
}
