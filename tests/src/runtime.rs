//! A local implementation of the Lambda Runtime API (the part a custom runtime talks to), so
//! the real `bootstrap` binary can be driven exactly as Lambda drives it: the binary long-polls
//! `GET /2018-06-01/runtime/invocation/next`, gets an event with its request id and deadline
//! in headers, and posts the result to `.../invocation/{id}/response` or `.../error`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use serde_json::Value;
use tokio::sync::{Mutex, mpsc};

/// How an invocation ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The handler's return value.
    Response(Value),
    /// `{"errorType", "errorMessage"}` of a failed invocation.
    Error(Value),
    /// The runtime reported an initialisation error.
    InitError(Value),
}

impl Outcome {
    /// The response; panics on any other outcome.
    pub fn response(self) -> Value {
        match self {
            Outcome::Response(v) => v,
            other => panic!("expected a response, got {other:?}"),
        }
    }

    /// The invocation error; panics on any other outcome.
    pub fn error(self) -> Value {
        match self {
            Outcome::Error(v) => v,
            other => panic!("expected an invocation error, got {other:?}"),
        }
    }
}

struct State {
    pending: Mutex<mpsc::UnboundedReceiver<(String, Value, Duration)>>,
    results: mpsc::UnboundedSender<(String, Outcome)>,
    first_poll: OnceLock<Instant>,
}

/// The runtime API server and the `bootstrap` process it serves.
pub struct Lambda {
    child: Child,
    started: Instant,
    state: Arc<State>,
    events: mpsc::UnboundedSender<(String, Value, Duration)>,
    results: mpsc::UnboundedReceiver<(String, Outcome)>,
    invocations: u32,
}

impl std::fmt::Debug for Lambda {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lambda")
            .field("pid", &self.child.id())
            .field("invocations", &self.invocations)
            .finish_non_exhaustive()
    }
}

impl Lambda {
    /// Starts the runtime API on a free loopback port and `binary` against it, with exactly the
    /// environment `env` (plus what Lambda itself sets). Its output goes to `log`.
    pub async fn start(binary: &Path, env: &[(&str, String)], log: &Path) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let (events, pending) = mpsc::unbounded_channel();
        let (results_tx, results) = mpsc::unbounded_channel();
        let state = Arc::new(State {
            pending: Mutex::new(pending),
            results: results_tx,
            first_poll: OnceLock::new(),
        });
        let served = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let state = served.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| handle(state.clone(), request));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        let log = std::fs::File::create(log).unwrap();
        let mut command = crate::bootstrap_command(binary);
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "sift-e2e")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/sift-e2e")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/26/[$LATEST]e2e")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for (name, value) in env {
            command.env(name, value);
        }
        let started = Instant::now();
        let child = command.spawn().unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        Self { child, started, state, events, results, invocations: 0 }
    }

    /// Delivers `payload` as the next invocation, with Lambda's longest timeout (15 minutes),
    /// and waits for its outcome.
    pub async fn invoke(&mut self, payload: Value) -> Outcome {
        self.invoke_with_timeout(payload, Duration::from_secs(900)).await
    }

    /// Delivers `payload` with a deadline `timeout` from its delivery, and waits for its
    /// outcome.
    pub async fn invoke_with_timeout(&mut self, payload: Value, timeout: Duration) -> Outcome {
        self.invocations += 1;
        let id = format!("e2e-{:04}", self.invocations);
        self.events.send((id.clone(), payload, timeout)).unwrap();
        loop {
            let next = tokio::time::timeout(Duration::from_secs(300), self.results.recv()).await;
            let (got, outcome) = next
                .unwrap_or_else(|_| panic!("no answer to invocation {id} within 300 s"))
                .expect("the runtime API server stopped");
            if let Outcome::InitError(error) = outcome {
                panic!("bootstrap reported an init error: {error}");
            }
            if got == id {
                return outcome;
            }
        }
    }

    /// The process's peak resident set so far, in KiB (`VmHWM` in /proc; Linux only).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// Time from starting the process to its first poll for an event: the cold start's init.
    pub async fn init_duration(&self) -> Duration {
        for _ in 0..600 {
            if let Some(at) = self.state.first_poll.get() {
                return *at - self.started;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("bootstrap never polled for an event within 30 s");
    }
}

impl Drop for Lambda {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    if request.method() == Method::GET && path == "/2018-06-01/runtime/invocation/next" {
        state.first_poll.get_or_init(Instant::now);
        let next = state.pending.lock().await.recv().await;
        let Some((id, payload, timeout)) = next else {
            return Ok(Response::builder().status(500).body(Full::new(Bytes::new())).unwrap());
        };
        let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + timeout;
        return Ok(Response::builder()
            .header("lambda-runtime-aws-request-id", id)
            .header("lambda-runtime-deadline-ms", deadline.as_millis().to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:sift-e2e",
            )
            .header("lambda-runtime-trace-id", "Root=1-67891233-abcdef012345678912345678;Sampled=0")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(payload.to_string())))
            .unwrap());
    }
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let value: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let result = match parts.as_slice() {
        ["2018-06-01", "runtime", "invocation", id, "response"] => {
            Some((id.to_string(), Outcome::Response(value)))
        }
        ["2018-06-01", "runtime", "invocation", id, "error"] => Some((id.to_string(), Outcome::Error(value))),
        ["2018-06-01", "runtime", "init", "error"] => Some((String::new(), Outcome::InitError(value))),
        _ => None,
    };
    let status = match result {
        Some(result) => {
            let _ = state.results.send(result);
            202
        }
        None => 404,
    };
    Ok(Response::builder()
        .status(status)
        .body(Full::new(Bytes::from_static(b"{\"status\":\"OK\"}")))
        .unwrap())
}
