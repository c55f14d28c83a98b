//! The offline mock dates what it mentions around the call: the real binary,
//! started on fixed days (one late in December), in es, en, pt and fr, with
//! scenarios that bring up deliveries, cancellations, visits, transfers and
//! bills. Every «12 de marzo» / «March 12» / «12 mars» in the text is read
//! at its occurrence nearest the call: what was sent lies at most a fortnight
//! back, everything else (deliveries, effective dates, visits) on or after
//! the call and within six weeks; a birth date's year is decades back.

use crate::common::{Env, read_json};

struct Lang {
    code: &'static str,
    roles: [&'static str; 2],
    /// January to December, lower-case.
    months: [&'static str; 12],
    /// How a date is written: the day before the month, with "de" between, ...
    order: Order,
    /// The scenarios, `id: Title` and a line of text.
    scenarios: &'static str,
    timestamps: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Order {
    DayDeMonth,
    MonthDay,
    DayMonth,
}

const LANGS: [Lang; 4] = [
    Lang {
        code: "es",
        roles: ["agente", "cliente"],
        months: [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ],
        order: Order::DayDeMonth,
        scenarios: "### cancel_contract: Baja del contrato\nEl cliente quiere darse de baja de la fibra.\n\n### no_internet: Avería de fibra\nEl cliente no tiene conexión a internet desde hace días.\n\n### late_order: Pedido retrasado\nEl pedido del cliente no ha llegado.\n\n### billing_dispute: Factura\nEl cliente no reconoce un cargo en su factura.\n",
        timestamps: true,
    },
    Lang {
        code: "en",
        roles: ["agent", "customer"],
        months: [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        order: Order::MonthDay,
        scenarios: "### cancel_contract: Cancellation\nThe customer wants to cancel the broadband contract.\n\n### no_internet: Broadband fault\nThe customer has had no internet for days.\n\n### late_order: Late order\nThe customer's order has not arrived.\n\n### transfer_missing: Transfer not received\nA bank transfer the customer sent has not arrived.\n",
        timestamps: true,
    },
    Lang {
        code: "pt-PT",
        roles: ["atendente", "cliente"],
        months: [
            "janeiro",
            "fevereiro",
            "março",
            "abril",
            "maio",
            "junho",
            "julho",
            "agosto",
            "setembro",
            "outubro",
            "novembro",
            "dezembro",
        ],
        order: Order::DayDeMonth,
        scenarios: "### cancel_contract: Cancelamento do contrato\nO cliente quer cancelar o contrato de fibra.\n\n### change_plan: Mudança de tarifário\nO cliente quer mudar para um tarifário mais barato.\n\n### late_order: Encomenda atrasada\nA encomenda do cliente não chegou.\n",
        timestamps: false,
    },
    Lang {
        code: "fr-FR",
        roles: ["conseiller", "client"],
        months: [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        order: Order::DayMonth,
        scenarios: "### cancel_contract: Résiliation\nLe client veut résilier son abonnement fibre.\n\n### change_plan: Changement d'offre\nLe client veut passer à une offre moins chère.\n\n### late_order: Commande en retard\nLa commande du client n'est pas arrivée.\n",
        timestamps: true,
    },
];

/// A date the text mentions: day, month (1 to 12), and the year written after it.
type Mention = (u32, u32, Option<i32>);

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn mentions(lang: &Lang, text: &str) -> Vec<Mention> {
    let w = words(text);
    let month = |s: &str| {
        lang.months
            .iter()
            .position(|m| *m == s)
            .map(|i| i as u32 + 1)
    };
    let day = |s: &str| s.parse::<u32>().ok().filter(|d| (1..=31).contains(d));
    let year = |i: usize, skip_de: bool| {
        let i = if skip_de && w.get(i).is_some_and(|x| x == "de") {
            i + 1
        } else {
            i
        };
        w.get(i)
            .filter(|y| y.len() == 4)
            .and_then(|y| y.parse::<i32>().ok())
    };
    let mut out = Vec::new();
    for i in 0..w.len() {
        let found = match lang.order {
            Order::DayDeMonth if i + 2 < w.len() && w[i + 1] == "de" => day(&w[i])
                .zip(month(&w[i + 2]))
                .map(|(d, m)| (d, m, year(i + 3, true))),
            Order::DayMonth if i + 1 < w.len() => day(&w[i])
                .zip(month(&w[i + 1]))
                .map(|(d, m)| (d, m, year(i + 2, false))),
            Order::MonthDay if i + 1 < w.len() => month(&w[i])
                .zip(day(&w[i + 1]))
                .map(|(m, d)| (d, m, year(i + 2, false))),
            _ => None,
        };
        out.extend(found);
    }
    out
}

/// Days from the call (`year`, `month`, `day`) to the nearest (`d`, `m`):
/// negative before it; a January date seen from December is next year's.
fn offset(call: (i32, u32, u32), d: u32, m: u32) -> i64 {
    let n = |y: i32, m: u32, d: u32| days_from_civil(y, m, d);
    let at = n(call.0, call.1, call.2);
    [call.0 - 1, call.0, call.0 + 1]
        .iter()
        .map(|y| n(*y, m, d) - at)
        .min_by_key(|x| x.abs())
        .unwrap_or(i64::MAX)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Generates 60 calls from `start` (09:00 UTC: every call starts that day)
/// and checks every date they mention; returns how many lie ahead.
fn check(lang: &Lang, start: &str) -> usize {
    let env = Env::new();
    let [agent, client] = lang.roles;
    env.write(
        "prompts/dates.md",
        format!(
            "+++\ntitle = \"t\"\nlanguage = \"{}\"\nroles = [\"{agent}\", \"{client}\"]\nturns = 16\ntimestamps = {}\n+++\nTelco.\n\n## Scenarios\n\n{}",
            lang.code, lang.timestamps, lang.scenarios
        ),
    );
    env.run(&[
        "generate",
        "--prompt",
        "dates",
        "--total",
        "60",
        "--batch-size",
        "60",
        "--seed",
        "5",
        "--start",
        start,
        "--json",
    ])
    .expect(0);
    let call: Vec<u32> = start[..10].split('-').map(|x| x.parse().unwrap()).collect();
    let call = (call[0] as i32, call[1], call[2]);
    let files = env.conversation_files();
    assert_eq!(files.len(), 60);
    let (mut seen, mut ahead) = (0, 0);
    for f in &files {
        let conv = read_json(f);
        for turn in conv["turns"].as_array().unwrap() {
            let text = turn["text"].as_str().unwrap();
            for (d, m, year) in mentions(lang, text) {
                seen += 1;
                if let Some(y) = year {
                    assert!(
                        call.0 - y >= 18,
                        "{} from {start}: a birth date in {y}: {text:?}",
                        lang.code
                    );
                    continue;
                }
                let off = offset(call, d, m);
                assert!(
                    (-14..=45).contains(&off),
                    "{} from {start}: {d}/{m} is {off} days from the call: {text:?}",
                    lang.code
                );
                ahead += usize::from(off >= 0);
            }
        }
    }
    assert!(seen >= 20, "{} from {start}: only {seen} dates", lang.code);
    ahead
}

#[test]
fn dates_follow_the_call_in_march() {
    for lang in &LANGS {
        let ahead = check(lang, "2026-03-10T09:00:00Z");
        assert!(ahead >= 5, "{}: only {ahead} dates ahead", lang.code);
    }
}

#[test]
fn dates_roll_over_into_january_after_a_late_december_call() {
    for lang in &LANGS {
        check(lang, "2026-12-28T09:00:00Z");
    }
}
