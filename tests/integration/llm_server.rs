//! A small scripted HTTP/1.1 server standing in for an OpenAI-compatible or
//! Azure OpenAI chat-completions endpoint. A test starts it on 127.0.0.1,
//! points the real binary at `url()`, and a handler closure decides each
//! reply. Every request is recorded for later assertions.
//!
//! One thread per connection, keep-alive, `Content-Length` and chunked request
//! bodies, `Expect: 100-continue`. Everything is bounded: sockets time out,
//! and dropping the server stops it within about a second.
#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::json;

/// How long a kept-alive connection may sit idle between requests. Longer
/// than ureq 3's default pool idle age (15 s), so the server never closes a
/// connection that a client still believes is reusable.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Read/write timeout once a request has started, and for writing replies.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `Drop` waits for threads in total.
const STOP_GRACE: Duration = Duration::from_secs(1);
const MAX_LINE: u64 = 64 * 1024;
const MAX_HEADERS: usize = 256;
const MAX_BODY: usize = 64 * 1024 * 1024;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, e.g. "/openai/deployments/gpt/chat/completions?api-version=2024-10-21".
    pub path: String,
    /// Header names lowercased, in order received.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "request body of {} {} is not JSON ({e}): {:?}",
                self.method, self.path, self.body
            )
        })
    }
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A response with this status, extra headers and body (Content-Type: application/json unless given).
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Close the connection without answering (a dropped connection).
    Drop,
    /// Wait, then reply.
    Delay(Duration, Box<Reply>),
}

impl Reply {
    /// 200 with this body.
    pub fn ok(body: String) -> Reply {
        Reply::Status {
            status: 200,
            headers: Vec::new(),
            body,
        }
    }

    pub fn status(status: u16, body: &str) -> Reply {
        Reply::Status {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    /// Adds a header to a `Status` reply (also to one inside a `Delay`);
    /// `Drop` is left as it is.
    pub fn with_header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Status {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.to_string(), value.to_string()));
                Reply::Status {
                    status,
                    headers,
                    body,
                }
            }
            Reply::Delay(d, inner) => Reply::Delay(d, Box::new(inner.with_header(name, value))),
            Reply::Drop => Reply::Drop,
        }
    }
}

type Handler = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

struct Conn {
    /// A clone of the connection's socket, so `Drop` can shut it down.
    stream: TcpStream,
    thread: JoinHandle<()>,
}

struct Shared {
    handler: Box<Handler>,
    stop: AtomicBool,
    requests: Mutex<Vec<Recorded>>,
    connections: AtomicUsize,
    conns: Mutex<Vec<Conn>>,
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts on 127.0.0.1 port 0; `handler(request, n)` decides each reply,
    /// `n` counts requests from 0 across all connections.
    pub fn start(
        handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> TestServer {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind test server on 127.0.0.1");
        let addr = listener.local_addr().expect("test server address");
        let shared = Arc::new(Shared {
            handler: Box::new(handler),
            stop: AtomicBool::new(false),
            requests: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            conns: Mutex::new(Vec::new()),
        });
        let for_thread = Arc::clone(&shared);
        let accept = thread::Builder::new()
            .name("test-server-accept".to_string())
            .spawn(move || accept_loop(listener, for_thread))
            .expect("spawn test server thread");
        TestServer {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// "http://127.0.0.1:PORT"
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// "http://127.0.0.1:PORT/v1", what OPENAI_BASE_URL names.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.url())
    }

    /// All requests so far, in arrival order (including ones answered with
    /// `Drop` or whose handler panicked).
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.requests).clone()
    }

    pub fn count(&self) -> usize {
        lock(&self.shared.requests).len()
    }

    /// How many TCP connections clients have opened so far (to check pooling).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + STOP_GRACE;
        // Unblock `accept` by connecting to ourselves.
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_millis(500)).is_ok();
        if let Some(accept) = self.accept.take()
            && woke
        {
            join_until(accept, deadline);
        }
        let conns = std::mem::take(&mut *lock(&self.shared.conns));
        for conn in &conns {
            let _ = conn.stream.shutdown(Shutdown::Both);
        }
        for conn in conns {
            join_until(conn.thread, deadline);
        }
    }
}

/// Joins `thread` if it ends before `deadline`; otherwise leaves it detached.
fn join_until(thread: JoinHandle<()>, deadline: Instant) {
    while !thread.is_finished() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(2));
    }
    if thread.is_finished() {
        let _ = thread.join();
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopped() {
            break;
        }
        let Ok(stream) = stream else {
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let Ok(clone) = stream.try_clone() else {
            continue;
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let for_thread = Arc::clone(&shared);
        let mut conns = lock(&shared.conns);
        conns.retain(|c| !c.thread.is_finished());
        let spawned = thread::Builder::new()
            .name("test-server-conn".to_string())
            .spawn(move || {
                serve_connection(&stream, &for_thread);
                // Other handles to this socket exist (`Conn::stream`), so
                // dropping ours would not close it: shut it down explicitly.
                let _ = stream.shutdown(Shutdown::Both);
            });
        if let Ok(thread) = spawned {
            conns.push(Conn {
                stream: clone,
                thread,
            });
        } else {
            let _ = clone.shutdown(Shutdown::Both);
        }
    }
}

fn serve_connection(stream: &TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let mut reader = BufReader::new(stream);
    let mut writer = stream;
    loop {
        if shared.stopped() {
            return;
        }
        let Ok(Some(incoming)) = read_request(&mut reader, &mut writer) else {
            return;
        };
        if shared.stopped() {
            return;
        }
        let n = {
            let mut requests = lock(&shared.requests);
            requests.push(incoming.recorded.clone());
            requests.len() - 1
        };
        let handler = &shared.handler;
        let Ok(reply) = catch_unwind(AssertUnwindSafe(|| handler(&incoming.recorded, n))) else {
            return; // the handler panicked: close the connection
        };
        match respond(&mut writer, reply, incoming.keep_alive, shared) {
            Ok(true) => {}
            _ => return,
        }
    }
}

struct Incoming {
    recorded: Recorded,
    keep_alive: bool,
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// One line without its CRLF; `None` at end of stream.
fn read_line(reader: &mut impl BufRead) -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = Read::take(&mut *reader, MAX_LINE).read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.pop() != Some(b'\n') {
        return Err(invalid("line too long or cut off"));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

/// Reads one request; `Ok(None)` when the client closed the connection
/// between requests.
fn read_request(
    reader: &mut BufReader<&TcpStream>,
    writer: &mut &TcpStream,
) -> io::Result<Option<Incoming>> {
    reader.get_ref().set_read_timeout(Some(IDLE_TIMEOUT))?;
    let request_line = loop {
        match read_line(reader)? {
            None => return Ok(None),
            Some(line) if line.trim().is_empty() => continue,
            Some(line) => break line,
        }
    };
    reader.get_ref().set_read_timeout(Some(IO_TIMEOUT))?;

    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return Err(invalid("bad request line"));
    };
    let version = parts.next().unwrap_or("HTTP/1.0").to_ascii_uppercase();

    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or_else(|| invalid("end of stream in headers"))?;
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(invalid("too many headers"));
        }
        let (name, value) = line.split_once(':').ok_or_else(|| invalid("bad header"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let recorded = Recorded {
        method: method.to_string(),
        path: path.to_string(),
        headers,
        body: String::new(),
    };

    let has_token = |name: &str, token: &str| {
        recorded
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    let chunked = has_token("transfer-encoding", "chunked");
    let keep_alive = if has_token("connection", "close") {
        false
    } else {
        version != "HTTP/1.0" || has_token("connection", "keep-alive")
    };
    let content_length = match recorded.header("content-length") {
        Some(v) if !chunked => {
            let len: usize = v.parse().map_err(|_| invalid("bad content-length"))?;
            if len > MAX_BODY {
                return Err(invalid("body too large"));
            }
            len
        }
        _ => 0,
    };

    if recorded
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
        && (chunked || content_length > 0)
    {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        writer.flush()?;
    }

    let body = if chunked {
        read_chunked(reader)?
    } else {
        let mut body = vec![0; content_length];
        reader.read_exact(&mut body)?;
        body
    };
    Ok(Some(Incoming {
        recorded: Recorded {
            body: String::from_utf8_lossy(&body).into_owned(),
            ..recorded
        },
        keep_alive,
    }))
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or_else(|| invalid("end of stream in chunk size"))?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size =
            usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size line"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                match read_line(reader)? {
                    None => return Ok(body),
                    Some(l) if l.is_empty() => return Ok(body),
                    Some(_) => {}
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return Err(invalid("body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        if read_line(reader)?.is_none_or(|l| !l.is_empty()) {
            return Err(invalid("chunk not followed by CRLF"));
        }
    }
}

/// Sleeps for `d` unless the server stops first; true if the full time passed.
fn sleep_unless_stopped(d: Duration, shared: &Shared) -> bool {
    let end = Instant::now() + d;
    loop {
        if shared.stopped() {
            return false;
        }
        let now = Instant::now();
        if now >= end {
            return true;
        }
        thread::sleep((end - now).min(Duration::from_millis(10)));
    }
}

/// Writes the reply; `Ok(true)` if the connection stays open.
fn respond(
    writer: &mut impl Write,
    reply: Reply,
    keep_alive: bool,
    shared: &Shared,
) -> io::Result<bool> {
    match reply {
        Reply::Drop => Ok(false),
        Reply::Delay(d, inner) => {
            if !sleep_unless_stopped(d, shared) {
                return Ok(false);
            }
            respond(writer, *inner, keep_alive, shared)
        }
        Reply::Status {
            status,
            headers,
            body,
        } => {
            let mut close = !keep_alive;
            let mut has_content_type = false;
            let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
            for (name, value) in &headers {
                if name.eq_ignore_ascii_case("content-length") {
                    continue; // always computed
                }
                if name.eq_ignore_ascii_case("connection") {
                    close |= value.to_ascii_lowercase().contains("close");
                    continue;
                }
                has_content_type |= name.eq_ignore_ascii_case("content-type");
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            if !has_content_type {
                head.push_str("Content-Type: application/json\r\n");
            }
            let connection = if close { "close" } else { "keep-alive" };
            head.push_str(&format!(
                "Content-Length: {}\r\nConnection: {connection}\r\n\r\n",
                body.len()
            ));
            let mut out = head.into_bytes();
            out.extend_from_slice(body.as_bytes());
            writer.write_all(&out)?;
            writer.flush()?;
            Ok(!close)
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// An OpenAI chat-completions response JSON whose message content is `content`.
pub fn completion(
    content: &str,
    finish_reason: &str,
    prompt_tokens: u64,
    completion_tokens: u64,
) -> String {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000u64,
        "model": "gpt-test",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": finish_reason,
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    })
    .to_string()
}

/// An OpenAI-style error body: {"error":{"message":…, "type":…, "code":…}}.
pub fn error_body(message: &str, code: &str) -> String {
    let kind = if code.contains("rate_limit") {
        "requests"
    } else if code == "insufficient_quota" {
        "insufficient_quota"
    } else if code.contains("server_error") || code.contains("internal") {
        "server_error"
    } else {
        "invalid_request_error"
    };
    json!({
        "error": {"message": message, "type": kind, "param": null, "code": code}
    })
    .to_string()
}

const GREETING: &str = "Buenos días, le atiende Marta de Telvento, ¿en qué puedo ayudarle?";
const CLOSING: &str =
    "¿Hay algo más en lo que pueda ayudarle? Gracias por llamar a Telvento, que tenga un buen día.";

/// Middle agent lines; agent line k answers customer line k.
const AGENT_LINES: &[&str] = &[
    "Lamento las molestias. ¿Me podría indicar su número de documento para localizar su cuenta?",
    "Gracias. Un momento, por favor, que consulto los datos de su contrato.",
    "Ya lo veo. El cargo corresponde a la cuota del servicio de televisión que se activó el mes pasado.",
    "Comprendo su situación. Voy a comprobar si esa activación se hizo con su consentimiento.",
    "Efectivamente, no consta ninguna solicitud firmada por usted, así que tramitaré la anulación del cargo.",
    "El importe se le devolverá en su cuenta bancaria en un plazo de siete a diez días hábiles.",
    "Le enviaré un mensaje de texto con el número de la incidencia para que pueda consultarla cuando quiera.",
    "¿Desea que revisemos también su tarifa por si existe alguna opción más económica para usted?",
    "Con su consumo actual, podría ahorrar unos cinco euros al mes cambiando a la tarifa básica.",
    "No, ese cambio no tiene permanencia ni ninguna penalización.",
    "De acuerdo, dejo anotado el cambio de tarifa, que se aplicará a partir de la próxima factura.",
    "Le confirmo que todo queda registrado correctamente en su expediente.",
];

/// Customer lines, the first one giving the reason for the call.
const CUSTOMER_LINES: &[&str] = &[
    "Buenos días. Le llamo porque en la última factura me han cobrado un importe que no reconozco.",
    "Sí, claro. Es el doce, treinta y cuatro, cincuenta y seis, setenta y ocho, letra zeta.",
    "De acuerdo, espero.",
    "Pues yo no he pedido ese servicio en ningún momento, se lo aseguro.",
    "Gracias, quedo a la espera.",
    "Me parece bien. ¿Cuánto tardarán en devolverme el dinero?",
    "Muy bien. ¿Me enviará usted algún justificante de la reclamación?",
    "Perfecto, se lo agradezco mucho.",
    "Sí, por favor, si puedo pagar menos, me interesa.",
    "¿Y ese cambio tiene algún tipo de permanencia o penalización?",
    "Entonces adelante, hágame el cambio, por favor.",
    "Estupendo, muchas gracias por su ayuda.",
    "Muy amable, de verdad.",
];

const FAREWELLS: &[&str] = &[
    "No, eso es todo. Muchas gracias, igualmente.",
    "Nada más, gracias. Adiós.",
    "Muchas gracias a usted. Hasta luego.",
];

/// Openers that keep lines distinct once a list has been used up.
const VARIANTS: &[&str] = &[
    "Muy bien.",
    "Entendido.",
    "Perfecto.",
    "De acuerdo.",
    "Claro.",
    "Bien.",
];

/// Line `k` of `lines`, prefixed with an opener once the list wraps around.
fn varied(lines: &[&str], k: usize) -> String {
    let line = lines[k % lines.len()];
    match k / lines.len() {
        0 => line.to_string(),
        round => format!("{} {line}", VARIANTS[(round - 1) % VARIANTS.len()]),
    }
}

/// A `{"turns":[{"role","text"}]}` JSON string with `turns` turns alternating
/// the roles (`roles[0]` is the agent). The agent greets first and its last
/// line is the closing one (with a single agent turn, that turn is the
/// greeting); turns after the closing are farewells.
pub fn conversation_json(roles: &[&str], turns: usize) -> String {
    assert!(
        !roles.is_empty(),
        "conversation_json needs at least one role"
    );
    let n = roles.len();
    let last_agent = (turns.saturating_sub(1) / n) * n;
    let (mut agent_k, mut customer_k, mut farewell_k) = (0, 0, 0);
    let mut out = Vec::with_capacity(turns);
    for i in 0..turns {
        let role = roles[i % n];
        let text = if i % n == 0 {
            if i == 0 {
                GREETING.to_string()
            } else if i == last_agent {
                CLOSING.to_string()
            } else {
                agent_k += 1;
                varied(AGENT_LINES, agent_k - 1)
            }
        } else if i > last_agent && last_agent > 0 {
            farewell_k += 1;
            varied(FAREWELLS, farewell_k - 1)
        } else {
            customer_k += 1;
            varied(CUSTOMER_LINES, customer_k - 1)
        };
        out.push(json!({"role": role, "text": text}));
    }
    json!({ "turns": out }).to_string()
}
