//! What the mock writes follows the scenario: attributes, the problem's
//! sub-type, the company, the domain, the language's formats.

use std::collections::BTreeMap;

use serde_json::json;

use super::classify::{Haystack, Topic};
use super::company::company_in_prompt;
use super::tests::{Case, joined, map, roles};
use super::vars::value_number;
use super::{MockInput, load};

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
            start: super::calendar::test_start(10 * 60),
        };
        let hay = Haystack::new(&input, load::for_language(input.language).0);
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
