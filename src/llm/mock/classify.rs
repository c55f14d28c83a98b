//! What a conversation is about, from the roles, the scenario and the
//! prompt: a call or not, the domain, the topic and its sub-type.
//!
//! The keyword lists are still Rust constants, shared by every language;
//! they are to move into per-language keyword files (issue 17).

use super::MockInput;
use super::bank::ANY;
use super::vars::clip;

const AGENT_WORDS: &[&str] = &[
    "agent",
    "agente",
    "operator",
    "operador",
    "asesor",
    "advisor",
    "adviser",
    "representative",
    "teleoperador",
    "support",
    "soporte",
    "gestor",
];
const CLIENT_WORDS: &[&str] = &[
    "client",
    "cliente",
    "customer",
    "usuario",
    "usuaria",
    "user",
    "caller",
    "llamante",
    "consumer",
    "consumidor",
    "abonado",
    "abonada",
];

pub fn role_is(role: &str, words: &[&str]) -> bool {
    let r = role.trim().to_lowercase();
    let short_agent = matches!(r.as_str(), "rep" | "csr") && words.contains(&"agent");
    short_agent || words.iter().any(|w| r.contains(w))
}

/// `Some(agent_first)` when the roles are exactly an agent and a client.
pub fn call_roles(roles: &[String]) -> Option<bool> {
    if roles.len() != 2 {
        return None;
    }
    let a0 = role_is(&roles[0], AGENT_WORDS) && !role_is(&roles[0], CLIENT_WORDS);
    let c0 = role_is(&roles[0], CLIENT_WORDS) && !role_is(&roles[0], AGENT_WORDS);
    let a1 = role_is(&roles[1], AGENT_WORDS) && !role_is(&roles[1], CLIENT_WORDS);
    let c1 = role_is(&roles[1], CLIENT_WORDS) && !role_is(&roles[1], AGENT_WORDS);
    if a0 && c1 {
        Some(true)
    } else if c0 && a1 {
        Some(false)
    } else {
        None
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Topic {
    Billing = 0,
    Technical = 1,
    Cancel = 2,
    Plan = 3,
    Order = 4,
    Account = 5,
    General = 6,
    /// Bank cards: declined, lost or stolen, unrecognised payments (bank domain only).
    Card = 7,
    /// Bank transfers: not received, sent to the wrong account (bank domain only).
    Transfer = 8,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Domain {
    Telecom = 0,
    Bank = 1,
    Shop = 2,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tone {
    Calm = 0,
    Angry = 1,
    Urgent = 2,
    Confused = 3,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    Resolved,
    Escalated,
    Pending,
    Callback,
}

const TOPIC_WORDS: [&[&str]; 8] = [
    &[
        "factur",
        "cobr",
        "cargo",
        "importe",
        "recibo",
        "bill",
        "charge",
        "invoice",
        "refund",
        "reembols",
        "abono",
        "payment",
        "dispute",
        "disputa",
        "overcharg",
        "duplicad",
        "fee",
        "comisi",
        "overdraft",
        "descubierto",
    ],
    &[
        "averí",
        "averi",
        "sin servicio",
        "conexi",
        "internet",
        "router",
        "wifi",
        "outage",
        "lento",
        "slow",
        "corte",
        "technical",
        "técnic",
        "tecnic",
        "señal",
        "signal",
        "no funciona",
        "not working",
        "fault",
        "connection",
        "no se ven",
        "descodificador",
    ],
    &[
        "baja",
        "cancel",
        "portabil",
        "unsubscrib",
        "cerrar",
        "close",
        "closing",
        "terminat",
        "rescind",
    ],
    &[
        "tarifa",
        "upgrade",
        "downgrade",
        "cambio de plan",
        "change plan",
        "plan",
        "oferta",
        "offer",
        "contratar",
        "promo",
        "mejorar",
        "nueva línea",
        "new line",
        "más rápid",
        "faster",
    ],
    &[
        "pedido",
        "order",
        "envío",
        "envio",
        "entrega",
        "deliver",
        "shipping",
        "paquete",
        "parcel",
        "package",
        "devoluc",
        "return",
        "repartidor",
        "courier",
        "tracking",
        "seguimiento",
    ],
    &[
        "contraseña",
        "password",
        "passcode",
        "acceso",
        "access",
        "login",
        "log in",
        "sign in",
        "bloque",
        "locked",
        "fraud",
        "phishing",
        "hack",
        "seguridad",
        "security",
        "clave",
        "2fa",
        "sim",
    ],
    &[
        "card",
        "tarjeta de",
        "declined",
        "rechaz",
        "lost",
        "stolen",
        "robad",
        "perdid",
        "unrecognis",
        "unrecogniz",
        "no reconozco",
        "cash machine",
        "cajero",
        "atm",
        "contactless",
        "freeze",
        "congel",
        "fraud",
    ],
    &[
        "transfer",
        "transferencia",
        "payee",
        "beneficiari",
        "wrong account",
        "cuenta equivocada",
        "faster payment",
        "bizum",
        "not received",
        "no ha llegado",
        "rent",
    ],
];
const DOMAIN_WORDS: [&[&str]; 3] = [
    &[
        "fibra",
        "móvil",
        "movil",
        "router",
        "broadband",
        "mobile",
        "telecom",
        "roaming",
        "línea",
        "linea",
        "televisi",
        "descodificador",
        "gigas",
        "megas",
    ],
    &[
        "banco",
        "bank",
        "tarjeta",
        "card",
        "transferencia",
        "transfer",
        "hipoteca",
        "mortgage",
        "préstamo",
        "prestamo",
        "loan",
        "iban",
        "cajero",
        "atm",
        "savings",
    ],
    &[
        "pedido", "order", "tienda", "shop", "store", "envío", "envio", "deliver", "compra",
        "purchase", "carrito", "cart", "commerce", "paquete", "parcel",
    ],
];

/// Lower-cased text of the scenario (id and title weigh three times) and prompt.
pub struct Haystack {
    head: String,
    body: String,
    prompt: String,
}

pub fn count_hits(hay: &str, words: &[&str]) -> usize {
    words.iter().filter(|w| hay.contains(*w)).count()
}

impl Haystack {
    pub fn new(input: &MockInput) -> Self {
        let mut head = input.scenario_id.replace(['_', '-'], " ");
        head.push(' ');
        head.push_str(input.scenario_title);
        Self {
            head: head.to_lowercase(),
            body: clip(input.scenario_text, 2000).to_lowercase(),
            prompt: format!("{} {}", input.title, clip(input.system, 3000)).to_lowercase(),
        }
    }

    pub fn topic(&self, domain: Domain) -> Topic {
        const ORDER: [Topic; 8] = [
            Topic::Billing,
            Topic::Technical,
            Topic::Cancel,
            Topic::Plan,
            Topic::Order,
            Topic::Account,
            Topic::Card,
            Topic::Transfer,
        ];
        let mut best = (0, Topic::General);
        for (i, words) in TOPIC_WORDS.iter().enumerate() {
            // cards and transfers have pools written for banks only
            if matches!(ORDER[i], Topic::Card | Topic::Transfer) && domain != Domain::Bank {
                continue;
            }
            let score = 3 * count_hits(&self.head, words) + count_hits(&self.body, words);
            if score > best.0 {
                best = (score, ORDER[i]);
            }
        }
        best.1
    }

    /// The sub-type of the topic that the scenario's words point at (all when none).
    pub fn subtype_hint(&self, topic: Topic) -> u8 {
        const BILLING: [&[&str]; 3] = [
            &[
                "no reconozco",
                "unrecognis",
                "unrecogniz",
                "no he contratado",
                "never signed",
            ],
            &["dos veces", "duplicad", "twice", "double", "doble"],
            &[
                "más alta",
                "higher",
                "más de lo habitual",
                "more than usual",
                "subido",
            ],
        ];
        const ORDER: [&[&str]; 3] = [
            &[
                "no ha llegado",
                "not arrived",
                "not delivered",
                "no recibid",
                "retras",
                "late",
                "delay",
            ],
            &[
                "defect",
                "roto",
                "rota",
                "broken",
                "faulty",
                "damaged",
                "wrong item",
                "equivocad",
            ],
            &["devol", "return"],
        ];
        const ACCOUNT: [&[&str]; 3] = [
            &[
                "contraseña",
                "password",
                "passcode",
                "bloquead",
                "locked",
                "olvid",
                "forgot",
            ],
            &[
                "fraud",
                "sospech",
                "suspicious",
                "phishing",
                "sim",
                "hack",
                "suplant",
            ],
            &[
                "código",
                "codigo",
                "verification code",
                "no llega el sms",
                "otp",
            ],
        ];
        const PLAN: [&[&str]; 3] = [
            &[
                "más rápid",
                "faster",
                "upgrade",
                "ampliar",
                "más velocidad",
                "más datos",
                "corta",
            ],
            &[
                "más barat",
                "cheaper",
                "downgrade",
                "bajar",
                "ahorrar",
                "save money",
            ],
            &[],
        ];
        const CARD: [&[&str]; 3] = [
            &["declined", "rechaz", "bloque", "block"],
            &[
                "lost",
                "stolen",
                "perdid",
                "robad",
                "cash machine",
                "cajero",
            ],
            &[
                "unrecognis",
                "unrecogniz",
                "no reconozco",
                "fraud",
                "didn't make",
                "no he hecho",
            ],
        ];
        const TRANSFER: [&[&str]; 3] = [
            &[
                "not received",
                "not arrived",
                "no ha llegado",
                "no le ha llegado",
                "delay",
                "retras",
                "rent",
                "alquiler",
            ],
            &["wrong account", "equivocad", "mistake", "por error", "typo"],
            &[],
        ];
        let words = match topic {
            Topic::Billing => &BILLING,
            Topic::Order => &ORDER,
            Topic::Account => &ACCOUNT,
            Topic::Plan => &PLAN,
            Topic::Card => &CARD,
            Topic::Transfer => &TRANSFER,
            _ => return ANY,
        };
        let mut best = (0, ANY);
        for (i, list) in words.iter().enumerate() {
            let score = 3 * count_hits(&self.head, list) + count_hits(&self.body, list);
            if score > best.0 {
                best = (score, 1 << i);
            }
        }
        best.1
    }

    pub fn domain(&self) -> Domain {
        const ORDER: [Domain; 3] = [Domain::Telecom, Domain::Bank, Domain::Shop];
        let mut best = (0, Domain::Telecom);
        for (i, words) in DOMAIN_WORDS.iter().enumerate() {
            let score = 2 * count_hits(&self.head, words)
                + count_hits(&self.body, words)
                + count_hits(&self.prompt, words);
            if score > best.0 {
                best = (score, ORDER[i]);
            }
        }
        best.1
    }
}
