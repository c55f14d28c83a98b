//! Issue 13: the shipped `scripts/call_center_es.lua` validators and the
//! shipped `scripts/audits/call_center_es_qa.lua` audit catch every rule
//! they state, and only that rule.
//!
//! Each test crafts one 12-turn call that breaks exactly one rule, serves it
//! from a loopback OpenAI-compatible server, generates it for real (a
//! registered conversation, its checksum intact), then audits the run with
//! the QA script. The validator's verdict is read from the conversation file
//! (`status`, `issues`), the QA verdict from `audit --json`; both are
//! compared whole, so a rule that fires too often shows up as well as one
//! that never fires. One call breaks nothing and passes both.

use serde_json::{Value, json};

use crate::common::{Env, Run, each_str, read_json};
use crate::llm_server::{Reply, TestServer, completion};

const QA: &str = "scripts/audits/call_center_es_qa.lua";

/// The variables the shipped `variables` hook gives a seed.
struct Vars {
    agent: String,
    customer: String,
    dni: String,
    importe: String,
}

impl Vars {
    fn from(variables: &Value) -> Self {
        let get = |k: &str| {
            variables[k]
                .as_str()
                .unwrap_or_else(|| panic!("variable {k} missing: {variables}"))
                .to_string()
        };
        Self {
            agent: get("agent"),
            customer: get("customer"),
            dni: get("dni"),
            importe: get("importe"),
        }
    }
}

/// A billing-dispute call that keeps every rule: the agent greets and says
/// their name, asks for the DNI in turn 3, makes the change in turn 7 and
/// closes in turn 11. Traps for over-eager rules: the customer uses «tú»
/// (only the agent must not), the agent says «tiene» (not «tienes») and
/// «email» (English, but allowed).
fn clean_call(v: &Vars) -> Vec<String> {
    vec![
        format!(
            "Buenos días, le atiende {} de Telvento, ¿en qué puedo ayudarle?",
            v.agent
        ),
        format!(
            "Buenos días, soy {}. Me han cobrado dos veces el recibo de la fibra, ¿me lo puedes mirar?",
            v.customer
        ),
        "Lamento las molestias. Para verificar su identidad, ¿me indica su DNI, por favor?".into(),
        format!("Sí, es el {}.", v.dni),
        "Gracias. Un momento, que consulto su factura.".into(),
        "Vale, espero.".into(),
        format!(
            "Efectivamente, el recibo de {} está cargado dos veces. Le tramito ahora mismo la devolución del cargo duplicado.",
            v.importe
        ),
        "¿Y cuándo me llega el dinero?".into(),
        "Lo tendrá en su cuenta en un plazo de cinco a diez días laborables, y le enviaré un email con el justificante, que tiene validez ante su banco.".into(),
        "Perfecto, muchas gracias.".into(),
        "¿Hay algo más en lo que pueda ayudarle? Gracias por llamar a Telvento, que tenga un buen día.".into(),
        "No, eso es todo. Adiós.".into(),
    ]
}

/// What the shipped validators and the QA audit made of one generated call.
struct Outcome {
    conversation_id: String,
    /// `status` of the conversation file: "valid" or "failed".
    status: String,
    /// `issues` of the conversation file: the validators' reasons.
    issues: Vec<String>,
    /// The QA script's result for this conversation.
    qa_ok: bool,
    qa_reasons: Vec<String>,
}

impl Outcome {
    /// Generates `clean_call` with `edits` (turn number from 1, new text)
    /// for `scenario` and `seed`, then audits it with the QA script.
    fn of(scenario: &str, seed: u64, edits: impl Fn(&Vars) -> Vec<(usize, String)>) -> Self {
        Self::with(scenario, seed, |v| {
            let mut turns = clean_call(v);
            for (n, text) in edits(v) {
                turns[n - 1] = text;
            }
            turns
        })
    }

    /// Generates the call `turns` gives for `scenario` and `seed`, then
    /// audits it with the QA script.
    fn with(scenario: &str, seed: u64, turns: impl Fn(&Vars) -> Vec<String>) -> Self {
        Self::served(scenario, seed, ["agent", "client"], turns)
    }

    /// Like [`Outcome::with`], the turns' roles alternating over `roles`.
    fn served(
        scenario: &str,
        seed: u64,
        roles: [&str; 2],
        turns: impl Fn(&Vars) -> Vec<String>,
    ) -> Self {
        let env = Env::with_shipped_prompts();
        let seed = seed.to_string();

        // The variables this seed gives conversation 1, to write the turns with.
        let preview = env.run_json(&[
            "preview",
            "--prompt",
            "call_center_es",
            "--scenario",
            scenario,
            "--seed",
            &seed,
            "--json",
        ]);
        let variables = preview["variables"].clone();
        let texts = turns(&Vars::from(&variables));
        assert_eq!(texts.len(), 12, "call_center_es has 12 turns");
        let reply = json!({
            "turns": texts
                .iter()
                .enumerate()
                .map(|(i, t)| json!({"role": roles[i % 2], "text": t}))
                .collect::<Vec<_>>()
        })
        .to_string();
        let body = completion(&reply, "stop", 900, 400);
        let server = TestServer::start(move |_, _| Reply::ok(body.clone()));

        let generated = Run::from(
            env.command(&[
                "generate",
                "--prompt",
                "call_center_es",
                "--scenario",
                scenario,
                "--total",
                "1",
                "--max-attempts",
                "1",
                "--seed",
                &seed,
                "--json",
            ])
            .env("OPENAI_BASE_URL", format!("{}/v1", server.url()))
            .env("OPENAI_API_KEY", "sk-test")
            .env("CONVGEN_MODEL", "test-model")
            .output()
            .expect("run convgen generate"),
        );
        assert_eq!(server.count(), 1, "one attempt, one request");
        let files = env.conversation_files();
        assert_eq!(files.len(), 1, "{files:?}");
        let conv = read_json(&files[0]);
        assert_eq!(
            conv["variables"], variables,
            "preview and generate give seed {seed} the same variables"
        );
        assert_eq!(conv["scenario"]["id"], scenario);
        assert_eq!(conv["generator"]["provider"], "openai");
        let sent = each_str(&conv["turns"], "text");
        assert_eq!(sent, texts, "the conversation holds the served turns");
        let status = conv["status"].as_str().unwrap().to_string();
        generated.expect(if status == "valid" { 0 } else { 1 });

        let audit = env.run(&["audit", "--run", "run-000001", "--script", QA, "--json"]);
        let report = audit.json();
        // The file is the one registered: the integrity audit finds nothing,
        // so whatever fails below, the QA script found.
        assert_eq!(report["findings"], 0, "{report:#}");
        assert_eq!(report["conversations"], 1, "{report:#}");
        let conversation_id = conv["conversation_id"].as_str().unwrap().to_string();
        let results = report["qa"]["results"].as_array().unwrap();
        assert_eq!(results.len(), 1, "{report:#}");
        assert_eq!(results[0]["conversation_id"], conversation_id.as_str());
        let qa_ok = results[0]["ok"].as_bool().unwrap();
        audit.expect(if qa_ok { 0 } else { 1 });
        Self {
            conversation_id,
            status,
            issues: strings(&conv["issues"]),
            qa_ok,
            qa_reasons: strings(&results[0]["reasons"]),
        }
    }

    /// The validators accepted the call.
    fn validators_pass(&self) -> &Self {
        assert_eq!(
            (self.status.as_str(), self.issues.as_slice()),
            ("valid", &[] as &[String]),
            "{}: the validators should accept it",
            self.conversation_id
        );
        self
    }

    /// The validators rejected the call with exactly these reasons.
    fn validators_fail(&self, reasons: &[&str]) -> &Self {
        assert_eq!(
            (self.status.as_str(), self.issues.as_slice()),
            ("failed", reasons_of(reasons).as_slice()),
            "{}: the validators' reasons",
            self.conversation_id
        );
        self
    }

    /// The QA audit accepted the call.
    fn qa_passes(&self) -> &Self {
        assert!(
            self.qa_ok && self.qa_reasons.is_empty(),
            "{}: QA should pass it, said {:?}",
            self.conversation_id,
            self.qa_reasons
        );
        self
    }

    /// The QA audit flagged the call with exactly these reasons.
    fn qa_fails(&self, reasons: &[&str]) -> &Self {
        assert_eq!(
            (self.qa_ok, self.qa_reasons.as_slice()),
            (false, reasons_of(reasons).as_slice()),
            "{}: the QA reasons",
            self.conversation_id
        );
        self
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn reasons_of(reasons: &[&str]) -> Vec<String> {
    reasons.iter().map(|r| r.to_string()).collect()
}

/// Exactly `n` characters of Spanish text with accents and «ñ», so its
/// length in bytes is well over `n`: a rule counting bytes would misfire.
fn spoken_text(n: usize) -> String {
    let text: String = "Sí, mire, la señal se cae cada mañana y el técnico no vino, qué desastre. "
        .chars()
        .cycle()
        .take(n)
        .collect();
    assert!(text.len() > n + 20, "multi-byte characters");
    text
}

#[test]
fn a_call_that_keeps_every_rule_passes_both() {
    Outcome::of("billing_dispute", 3, |_| vec![])
        .validators_pass()
        .qa_passes();
}

#[test]
fn an_empty_turn_is_rejected_by_the_validator() {
    Outcome::of("billing_dispute", 3, |_| vec![(8, "   ".into())])
        .validators_fail(&["turn 8: empty text", "turn 8: turno vacío"])
        // The QA script has no rule about empty turns.
        .qa_passes();
}

#[test]
fn a_turn_over_600_characters_is_rejected_by_the_validator() {
    // 600 characters pass, 601 do not; characters, not bytes.
    Outcome::of("billing_dispute", 3, |_| {
        vec![(6, spoken_text(600)), (8, spoken_text(601))]
    })
    .validators_fail(&["turn 8: turno demasiado largo (601 caracteres; máximo 600)"])
    .qa_passes();
}

#[test]
fn an_agent_using_tu_is_caught_by_both() {
    Outcome::of("billing_dispute", 3, |_| {
        vec![(
            9,
            "Lo tienes en tu cuenta en un plazo de cinco a diez días laborables.".into(),
        )]
    })
    .validators_fail(&["turn 9: el agente tutea al cliente («tienes»); debe tratarle de usted"])
    .qa_fails(&["tuteo: «tienes» en el turno 9"]);
}

#[test]
fn a_first_agent_turn_without_a_greeting_is_caught_by_both() {
    Outcome::of("billing_dispute", 3, |v| {
        vec![(
            1,
            format!(
                "Le atiende {} de Telvento, ¿en qué puedo ayudarle?",
                v.agent
            ),
        )]
    })
    .validators_fail(&["el agente no saluda en su primer turno (buenos días, buenas tardes…)"])
    .qa_fails(&["saludo: el primer turno del agente (turno 1) no saluda"]);
}

#[test]
fn an_agent_who_does_not_say_their_name_is_rejected_by_the_validator() {
    let out = Outcome::of("billing_dispute", 3, |_| {
        vec![(
            1,
            "Buenos días, servicio de atención al cliente de Telvento, ¿en qué puedo ayudarle?"
                .into(),
        )]
    });
    // Seed 3 gives the agent Laura (the preview says so; `of` checks generate agrees).
    out.validators_fail(&["el agente no dice su nombre («Laura») al saludar"])
        // The QA script has no rule about the agent's name.
        .qa_passes();
}

#[test]
fn a_closing_formula_only_before_the_last_two_agent_turns_is_caught_by_both() {
    Outcome::of("billing_dispute", 3, |v| {
        vec![
            // Turn 7 is the third agent turn from the end: too early to count.
            (
                7,
                format!(
                    "Efectivamente, el recibo de {} está cargado dos veces. Le tramito ahora mismo la devolución. ¿Desea revisar algo más?",
                    v.importe
                ),
            ),
            (11, "Le confirmo que la devolución está en marcha.".into()),
        ]
    })
    .validators_fail(&["falta la fórmula de cierre (¿algo más…? / gracias por llamar…) al final"])
    .qa_fails(&["cierre: falta la fórmula de cierre en los últimos turnos del agente"]);
}

#[test]
fn an_identity_check_after_turn_6_is_rejected_by_the_validator() {
    Outcome::of("billing_dispute", 3, |v| {
        vec![
            (3, "Lamento las molestias. Un momento, que consulto su factura.".into()),
            (4, "Vale, espero.".into()),
            (5, format!("Ya veo el recibo de {} cargado dos veces.", v.importe)),
            (6, "¿Y me lo puede devolver?".into()),
            (7, "Sí. Antes, para verificar su identidad, ¿me indica su DNI, por favor?".into()),
            (8, format!("Es el {}.", v.dni)),
            (
                9,
                "Gracias. Le tramito ahora mismo la devolución; la tendrá en cinco a diez días laborables."
                    .into(),
            ),
        ]
    })
    .validators_fail(&[
        "el agente no verifica la identidad (DNI, fecha de nacimiento o dígitos) antes del turno 6",
    ])
    // The QA rule is another one: verified (turn 7) before the change (turn 9).
    .qa_passes();
}

#[test]
fn an_account_change_before_the_identity_check_is_caught_by_the_qa_audit() {
    Outcome::of("billing_dispute", 3, |v| {
        vec![
            (
                3,
                "Lamento las molestias. Le tramito ahora mismo la devolución del cargo duplicado."
                    .into(),
            ),
            (4, "Muy bien.".into()),
            (5, "Para verificar su identidad, ¿me indica su DNI, por favor?".into()),
            (6, format!("Es el {}.", v.dni)),
            (
                7,
                format!(
                    "Gracias. El recibo de {} se le devolverá en cinco a diez días laborables.",
                    v.importe
                ),
            ),
        ]
    })
    // Verified in turn 5, before turn 6: the validator's rule is kept.
    .validators_pass()
    .qa_fails(&[
        "verificación: el agente cambia la cuenta en el turno 3 («tramito») sin haber verificado antes la identidad",
    ]);
}

#[test]
fn english_from_the_agent_is_caught_by_the_qa_audit() {
    Outcome::of("billing_dispute", 3, |_| {
        vec![(5, "Okay, un momento, que consulto su factura.".into())]
    })
    .validators_pass()
    .qa_fails(&["inglés: «okay» en el turno 5"]);
}

#[test]
fn a_scenario_that_only_consults_needs_no_identity_check() {
    // tv_channels is `false` in CAMBIA_LA_CUENTA: no DNI, no change, both pass.
    Outcome::of("tv_channels", 3, |_| {
        vec![
            (
                2,
                "Buenas, desde que actualizaron el descodificador no veo los deportes.".into(),
            ),
            (
                3,
                "Lamento las molestias. Un momento, que compruebo su paquete.".into(),
            ),
            (4, "Vale, espero.".into()),
            (
                5,
                "Su paquete deportivo está activo. ¿Puede reiniciar el descodificador?".into(),
            ),
            (6, "Ya está, pero sigue igual.".into()),
            (
                7,
                "Entonces un técnico especialista le llamará esta misma tarde.".into(),
            ),
            (8, "¿A qué hora, más o menos?".into()),
            (9, "Entre las cuatro y las seis.".into()),
        ]
    })
    .validators_pass()
    .qa_passes();
}
/// The identity check must be asked for: an agent called Daniel («nie» is
/// inside «Daniel») who never asks for it has not verified anything.
#[test]
fn the_agents_name_is_not_an_identity_check() {
    // Seed 8 gives the agent Daniel.
    Outcome::of("billing_dispute", 8, |v| {
        assert_eq!(v.agent, "Daniel", "seed 8's agent");
        vec![
            (3, "Lamento las molestias. Un momento, que consulto su factura.".into()),
            (4, "Vale, espero.".into()),
        ]
    })
    .validators_fail(&[
        "el agente no verifica la identidad (DNI, fecha de nacimiento o dígitos) antes del turno 6",
    ])
    .qa_fails(&[
        "verificación: el agente cambia la cuenta en el turno 7 («tramito») sin haber verificado antes la identidad",
    ]);
}

#[test]
fn a_call_where_the_agent_never_speaks_is_caught_by_both() {
    // Every turn the client's: the built-in checks reject the alternation,
    // and the scripts, which still see the conversation, say why it matters.
    let out = Outcome::served("billing_dispute", 3, ["client", "client"], clean_call);
    let mut reasons: Vec<String> = (1..=11)
        .step_by(2)
        .map(|n| format!("turn {n}: role `client` breaks the alternation (expected `agent`)"))
        .collect();
    reasons.push("el agente no habla en toda la llamada".into());
    out.validators_fail(&reasons.iter().map(String::as_str).collect::<Vec<_>>())
        .qa_fails(&["saludo: el agente no habla en toda la llamada"]);
}
