//! Finding a scenario's specifics and the phrase around them, in four
//! languages' words.

use super::specifics::{Kind, Specific, SpecificPools, find_all};

/// The first phrase [`find_all`] finds.
fn find(title: &str, text: &str, known: &[&str], p: &SpecificPools) -> Option<Specific> {
    find_all(title, text, known, p).into_iter().next()
}

fn pools(det: &[&str], prep: &[&str], poss: &[(&str, &str)]) -> SpecificPools {
    let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
    SpecificPools {
        determiners: v(det),
        prepositions: v(prep),
        links: v(&["de", "a", "of", "to", "d'un", "du", "à", "da"]),
        possessives: poss
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        noun: v(&["{spec}"]),
        adverbial: v(&["{spec}"]),
    }
}

fn es() -> SpecificPools {
    pools(
        &["el", "la", "los", "las", "un", "una", "su", "sus"],
        &["tras", "en", "desde", "durante"],
        &[("su", "mi"), ("sus", "mis")],
    )
}

fn phrase(s: Option<Specific>) -> Option<(String, Kind)> {
    s.map(|s| (s.phrase, s.kind))
}

#[test]
fn the_place_of_a_trip_with_its_words() {
    let text = "Lucía García, una clienta de edad avanzada, ha recibido una factura de 42,50 €, mucho\nmás alta de lo habitual, tras un viaje a Marruecos y no entiende los cargos. El agente le explica que Marruecos no está en la Unión Europea.";
    let got = find(
        "Cargos de itinerancia fuera de la UE",
        text,
        &["Lucía", "García"],
        &es(),
    );
    assert_eq!(
        phrase(got),
        Some(("tras un viaje a Marruecos".into(), Kind::Adverbial))
    );
}

#[test]
fn a_term_of_the_title_wins_and_possessives_become_the_callers() {
    let text = "Lucía se ha quedado sin cobertura y ha recibido un SMS de Telvento que confirma un duplicado de su tarjeta SIM que no ha pedido.";
    let got = find(
        "Duplicado de tarjeta SIM sospechoso",
        text,
        &["Lucía", "Telvento"],
        &es(),
    );
    assert_eq!(
        phrase(got),
        Some(("un duplicado de mi tarjeta SIM".into(), Kind::Noun))
    );
    // Every phrase around the title's term, once each.
    let text2 = format!("{text} El agente bloquea la SIM duplicada.");
    let all: Vec<String> = find_all(
        "Duplicado de tarjeta SIM",
        &text2,
        &["Lucía", "Telvento"],
        &es(),
    )
    .into_iter()
    .map(|s| s.phrase)
    .collect();
    assert_eq!(all, ["un duplicado de mi tarjeta SIM", "la SIM"]);
    // Without the title's help, the first term found.
    let got = find("Fraude", text, &["Lucía", "Telvento"], &es());
    assert_eq!(phrase(got), Some(("un SMS".into(), Kind::Noun)));
}

#[test]
fn names_units_and_sentence_starts_are_no_specifics() {
    let known = ["Lucía", "García", "Telvento"];
    for text in [
        "En casa de Lucía García la fibra de 300 Mb se les queda corta.",
        "El agente verifica su identidad. La cliente llama a Telvento.",
        "Desde la actualización del descodificador no ve los canales.",
    ] {
        assert_eq!(find("Avería", text, &known, &es()), None, "{text}");
    }
    // No phrase runs back over a verb and its clause.
    let text = "El agente le explica que Marruecos no está incluido.";
    assert_eq!(find("Itinerancia", text, &known, &es()), None);
}

#[test]
fn other_languages_by_their_own_words() {
    let en = pools(
        &["the", "a", "an", "his", "her", "their"],
        &["in", "on", "after", "during"],
        &[("his", "my"), ("her", "my"), ("their", "my")],
    );
    let text = "The customer is on holiday in Portugal and their card was declined.";
    assert_eq!(
        phrase(find("Card declined abroad", text, &[], &en)),
        Some(("on holiday in Portugal".into(), Kind::Adverbial))
    );
    let text = "The bank sent her an SMS code.";
    assert_eq!(
        phrase(find("Code", text, &[], &en)),
        Some(("an SMS".into(), Kind::Noun))
    );
    let fr = pools(
        &["le", "la", "les", "un", "une", "son", "sa", "ses"],
        &["lors", "après", "au", "en"],
        &[("son", "mon"), ("sa", "ma"), ("ses", "mes")],
    );
    let text =
        "Le client conteste des frais lors d'un séjour au Maroc, et sa carte SIM ne marche plus.";
    assert_eq!(
        phrase(find("Frais d'itinérance", text, &[], &fr)),
        Some(("lors d'un séjour au Maroc".into(), Kind::Adverbial))
    );
    assert_eq!(
        phrase(find("Carte SIM bloquée", text, &[], &fr)),
        Some(("ma carte SIM".into(), Kind::Noun))
    );
    let pt = pools(
        &["o", "a", "um", "uma", "seu", "sua"],
        &["na", "no", "após"],
        &[("seu", "meu"), ("sua", "minha")],
    );
    let text = "O cliente vê na fatura uma cobrança da Netflix que nunca subscreveu.";
    assert_eq!(
        phrase(find("Cobrança", text, &[], &pt)),
        Some(("uma cobrança da Netflix".into(), Kind::Noun))
    );
    let text = "Il a perdu l'accès à l'Espace Client.";
    assert_eq!(find("Accès", text, &[], &fr), None);
}

#[test]
fn every_shipped_bank_finds_its_languages_phrases() {
    let cases = [
        (
            "es",
            "Duplicado de tarjeta SIM",
            "Lucía ha recibido un SMS que confirma un duplicado de su tarjeta SIM.",
            "un duplicado de mi tarjeta SIM",
        ),
        (
            "en",
            "Card declined abroad",
            "The customer is on holiday in Portugal and their card was declined.",
            "on holiday in Portugal",
        ),
        (
            "pt-BR",
            "Cobrança",
            "O cliente viu na fatura uma cobrança da Netflix que não reconhece.",
            "uma cobrança da Netflix",
        ),
        (
            "fr",
            "Frais",
            "Le client a reçu une facture élevée après un séjour au Maroc.",
            "après un séjour au Maroc",
        ),
    ];
    for (code, title, text, want) in cases {
        let (bank, marker) = super::load::for_language(code);
        assert!(marker.is_none(), "{code}");
        let got = find(title, text, &["Lucía"], &bank.specifics).map(|s| s.phrase);
        assert_eq!(got.as_deref(), Some(want), "{code}");
    }
}
