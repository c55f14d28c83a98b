//! The shape of what the mock writes: turn counts, roles, clean text, no
//! repeats, the same text for the same seed, any input.

use serde_json::json;

use super::tests::{Case, joined, map, roles, sweep};
use super::{MockInput, generate};
use crate::rng::ConvRng;

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
                    start: super::calendar::test_start((turns as u32 * 97) % 1440),
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
