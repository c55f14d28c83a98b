//! Insurance: the domain and the claim topic are told from each language's
//! stems (at the start of a word), the shipped prompts keep the domain and
//! topic they had, and an insurer's call takes only phrases fit for it.

use std::collections::BTreeMap;

use camino::Utf8Path;
use serde_json::Value;

use super::MockInput;
use super::classify::{Domain, Haystack, Topic, count_word_hits};
use super::load;

/// The domain, topic and sub-type of a scenario in a prompt of `language`.
fn classify(
    language: &str,
    system: &str,
    id: &str,
    title: &str,
    text: &str,
) -> (Domain, Topic, u8) {
    let (attrs, vars) = (BTreeMap::new(), BTreeMap::new());
    let roles = [String::from("agent"), String::from("client")];
    let input = MockInput {
        language,
        roles: &roles,
        turns: 12,
        scenario_id: id,
        scenario_title: title,
        scenario_text: text,
        attrs: &attrs,
        variables: &vars,
        system,
        title: "",
        start: super::calendar::test_start(600),
    };
    let hay = Haystack::new(&input, load::for_language(language).0);
    let domain = hay.domain();
    let topic = hay.topic(domain);
    (domain, topic, hay.subtype_hint(topic))
}

#[test]
fn insurance_claims_are_recognised_in_every_language() {
    let cases = [
        (
            "pt-BR",
            "Central de sinistros da Seguradora Horizonte: seguro auto e residencial.",
            "colisao",
            "Colisão de veículo",
            "O segurado bateu o carro num cruzamento e quer abrir um sinistro. O atendente registra o boletim de ocorrência e agenda a vistoria.",
            1,
        ),
        (
            "pt-BR",
            "Central de sinistros da Seguradora Horizonte.",
            "roubo",
            "Roubo do veículo",
            "O carro do segurado foi roubado ontem à noite. O atendente abre o sinistro de roubo.",
            2,
        ),
        (
            "pt",
            "Linha de apoio da Atlântida Seguros, seguro multirriscos habitação.",
            "inundacao",
            "Inundação em casa",
            "Rebentou um cano e a água estragou a cozinha do segurado, que quer participar o sinistro.",
            4,
        ),
        (
            "fr",
            "Service sinistres d'un assureur habitation.",
            "degat_des_eaux",
            "Dégât des eaux",
            "Une fuite a inondé l'appartement de l'assuré. Le conseiller ouvre le dossier de sinistre.",
            4,
        ),
        (
            "es",
            "Servicio de siniestros de una aseguradora de seguros de coche.",
            "colision",
            "Colisión en un cruce",
            "Al asegurado le han dado un golpe en un cruce y quiere dar parte del siniestro.",
            1,
        ),
        (
            "en",
            "Claims line of an insurer of cars and homes.",
            "stolen_car",
            "Car stolen overnight",
            "The policyholder's car was stolen from the drive; the agent opens a theft claim.",
            2,
        ),
    ];
    for (language, system, id, title, text, sub) in cases {
        let got = classify(language, system, id, title, text);
        assert_eq!(
            got,
            (Domain::Insurance, Topic::Claim, sub),
            "{language} {id}"
        );
    }
    // an insurer's other matters keep their topic
    let cancel = classify(
        "es",
        "Atención al cliente de una aseguradora.",
        "baja",
        "Anular la póliza",
        "El asegurado quiere cancelar la póliza del seguro de hogar.",
    );
    assert_eq!((cancel.0, cancel.1), (Domain::Insurance, Topic::Cancel));
    let premium = classify(
        "en",
        "Customer line of an insurer.",
        "premium_twice",
        "Premium taken twice",
        "The policyholder's insurance premium was taken twice.",
    );
    assert_eq!((premium.0, premium.1), (Domain::Insurance, Topic::Billing));
}

#[test]
fn insurance_stems_match_only_at_the_start_of_a_word() {
    let stems = [String::from("claim"), String::from("seguro")];
    assert_eq!(count_word_hits("a disclaimer; we reclaim it", &stems), 0);
    assert_eq!(count_word_hits("no estoy muy inseguro", &stems), 0);
    assert_eq!(
        count_word_hits("to (claim) on the seguro de hogar", &stems),
        2
    );
    // a privacy policy, a complaint, a secure payment: no insurer
    let (domain, _, _) = classify(
        "en",
        "Support for an online shop. Follow our privacy policy; never disclaim an order.",
        "complaint",
        "Complaint about an order",
        "The customer's parcel never arrived and she wants to complain.",
    );
    assert_eq!(domain, Domain::Shop);
    let (domain, _, _) = classify(
        "es",
        "Atención al cliente de Telvento, fibra y móvil.",
        "factura",
        "Cargo en la factura",
        "El cliente no está seguro de por qué le cobran más; su pago es seguro.",
    );
    assert_eq!(domain, Domain::Telecom);
}

/// Each scenario of a shipped prompt: (id, domain, topic).
fn shipped(file: &str, text: &str) -> Vec<(String, Domain, Topic)> {
    let prompt = crate::prompt::parse(Utf8Path::new(file), text.as_bytes()).unwrap();
    prompt
        .scenarios
        .iter()
        .map(|s| {
            let (d, t, _) = classify(&prompt.language, &prompt.system, &s.id, &s.title, &s.text);
            (s.id.clone(), d, t)
        })
        .collect()
}

#[test]
fn the_shipped_prompts_keep_their_domains_and_topics() {
    let es = shipped(
        "prompts/call_center_es.md",
        include_str!("../../../prompts/call_center_es.md"),
    );
    let en = shipped(
        "prompts/support_en.md",
        include_str!("../../../prompts/support_en.md"),
    );
    let got: Vec<(&str, Domain, Topic)> = es
        .iter()
        .chain(&en)
        .map(|(id, d, t)| (id.as_str(), *d, *t))
        .collect();
    let want: Vec<(&str, Domain, Topic)> = PINNED.to_vec();
    assert_eq!(got, want);
}

/// What the shipped prompts' scenarios were classified as before insurers
/// were known (the golden test, unchanged, pins the conversations themselves).
const PINNED: [(&str, Domain, Topic); 14] = [
    ("billing_dispute", Domain::Telecom, Topic::Billing),
    ("fiber_outage", Domain::Telecom, Topic::Technical),
    ("cancel_mobile", Domain::Telecom, Topic::Cancel),
    ("plan_upgrade", Domain::Telecom, Topic::Plan),
    ("roaming_charges", Domain::Telecom, Topic::Billing),
    ("tv_channels", Domain::Telecom, Topic::Technical),
    ("sim_fraud", Domain::Telecom, Topic::Account),
    ("address_move", Domain::Telecom, Topic::Billing),
    ("card_declined_abroad", Domain::Bank, Topic::Card),
    ("unrecognised_payment", Domain::Bank, Topic::Card),
    ("locked_out_app", Domain::Bank, Topic::Account),
    ("missing_transfer", Domain::Bank, Topic::Transfer),
    ("overdraft_fee", Domain::Bank, Topic::Billing),
    ("close_savings", Domain::Bank, Topic::Cancel),
];

#[test]
fn an_insurer_call_takes_no_phrase_of_another_domain() {
    let (bank, _) = load::for_language("pt-BR");
    let roles = [String::from("atendente"), String::from("segurado")];
    let (attrs, vars) = (BTreeMap::<String, Value>::new(), BTreeMap::new());
    let input = MockInput {
        language: "pt-BR",
        roles: &roles,
        turns: 40,
        scenario_id: "colisao",
        scenario_title: "Colisão de veículo",
        scenario_text: "O segurado bateu o carro e quer abrir um sinistro na seguradora.",
        attrs: &attrs,
        variables: &vars,
        system: "",
        title: "",
        start: super::calendar::test_start(600),
    };
    for seed in 0..200 {
        let (conv, bad) = super::write(
            &input,
            &roles,
            bank,
            None,
            &mut crate::rng::ConvRng::new(seed),
        );
        assert!(!bad);
        let text: String = conv
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        for never in [
            "cartão",
            "router",
            "fibra",
            "encomenda",
            "fatura de",
            "estou a ver",
            "registado",
        ] {
            assert!(!text.contains(never), "seed {seed}: {never:?} in {text}");
        }
        let insurance = ["sinistro", "seguro", "apólice", "franquia", "vistoria"];
        assert!(
            insurance.iter().any(|w| text.contains(w)),
            "seed {seed}: {text}"
        );
    }
}

#[test]
fn a_bank_leaving_a_domain_without_a_phrase_is_refused_at_load() {
    let (file, text) = load::files()[0];
    let mut table: toml::Table = toml::from_str(text).unwrap();
    let claim = table["call"]["problem"]["claim"].as_array_mut().unwrap();
    for entry in claim.iter_mut() {
        entry["fits"] = toml::Value::from("s0 bank");
    }
    let Err(e) = load::parse(file, &toml::to_string(&table).unwrap()) else {
        panic!("claims written for banks only were accepted");
    };
    assert!(
        e.contains("lang/es.toml") && e.contains("call.problem.claim: no entry fits insurance"),
        "{e}"
    );
    let Err(e) = super::bank::Fits::try_from(String::from("s0 insurer")) else {
        panic!("an unknown domain was accepted");
    };
    assert!(e.contains("\"insurer\"") && e.contains("insurance"), "{e}");
}
