//! A fault-injecting HTTP proxy between the `bootstrap` binary and the AWS emulator: every
//! request is forwarded to moto unchanged, except those a rule matches, which get the rule's
//! fault instead. The binary is pointed at the proxy with `AWS_ENDPOINT_URL`, so it meets the
//! faults exactly where production would: in the SDK's HTTP layer, retries included.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Method, Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

type Body = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// What a matched request gets.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// This HTTP status with an AWS-shaped error body, without reaching the emulator (for
    /// example 503: the SDK retries it, then gives up).
    Status(u16),
    /// The emulator's real response, cut after this many bytes of its body: the connection
    /// drops mid-download.
    CutBody(usize),
    /// The emulator's real response, after this long: a slow store.
    Delay(std::time::Duration),
}

/// Which requests a fault applies to.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The SigV4 service name: `s3`, `ses`, `sns`, `ssm`.
    pub service: &'static str,
    /// Only this method, if given.
    pub method: Option<Method>,
    /// Only paths containing this, if given (an S3 bucket or key).
    pub path_contains: Option<String>,
    /// The fault.
    pub fault: Fault,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    /// `service method path -> fault` of every fault served, in order.
    served: Vec<String>,
}

/// The running proxy.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`: give this to the binary as `AWS_ENDPOINT_URL`.
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy").field("endpoint", &self.endpoint).finish_non_exhaustive()
    }
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (`http://host:port`) on a free loopback port.
    pub async fn start(upstream: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream: hyper::Uri = upstream.parse().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let client: Client<HttpConnector, Incoming> = Client::builder(TokioExecutor::new()).build_http();
        let served = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (state, client, upstream) = (served.clone(), client.clone(), upstream.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        forward(state.clone(), client.clone(), upstream.clone(), request)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { endpoint, state }
    }

    /// Adds a rule; it stays until [`FaultProxy::clear`].
    pub fn inject(&self, rule: Rule) {
        self.state.lock().unwrap().rules.push(rule);
    }

    /// Removes every rule: the emulator answers everything again.
    pub fn clear(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    /// The faults served so far (`service METHOD path`), oldest first.
    pub fn served(&self) -> Vec<String> {
        self.state.lock().unwrap().served.clone()
    }
}

/// The SigV4 service of a request: the fourth part of `Credential=KEY/DATE/REGION/SERVICE/...`.
fn service(request: &Request<Incoming>) -> Option<String> {
    let auth = request.headers().get(hyper::header::AUTHORIZATION)?.to_str().ok()?;
    let credential = auth.split("Credential=").nth(1)?;
    credential.split('/').nth(3).map(str::to_owned)
}

async fn forward(
    state: Arc<Mutex<State>>,
    client: Client<HttpConnector, Incoming>,
    upstream: hyper::Uri,
    mut request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let service = service(&request).unwrap_or_default();
    let path = request.uri().path().to_owned();
    let fault = {
        let mut state = state.lock().unwrap();
        let fault = state
            .rules
            .iter()
            .find(|r| {
                r.service == service
                    && r.method.as_ref().is_none_or(|m| m == request.method())
                    && r.path_contains.as_ref().is_none_or(|p| path.contains(p.as_str()))
            })
            .map(|r| r.fault);
        if fault.is_some() {
            state.served.push(format!("{service} {} {path}", request.method()));
        }
        fault
    };
    match fault {
        Some(Fault::Status(status)) => return Ok(error_response(&service, status)),
        Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
        _ => {}
    }
    let path_and_query = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    *request.uri_mut() = format!("{upstream}{}", path_and_query.trim_start_matches('/')).parse().unwrap();
    let response = match client.request(request).await {
        Ok(response) => response,
        Err(e) => return Ok(error_response(&format!("proxy: {e}"), 502)),
    };
    let (parts, body) = response.into_parts();
    let body: Body = match fault {
        Some(Fault::CutBody(keep)) => {
            let data = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            let first = data.slice(..keep.min(data.len()));
            let frames: Vec<Result<Frame<Bytes>, Box<dyn std::error::Error + Send + Sync>>> =
                vec![Ok(Frame::data(first)), Err("injected fault: connection cut mid-body".into())];
            StreamBody::new(futures::stream::iter(frames)).boxed()
        }
        _ => body.map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>).boxed(),
    };
    Ok(Response::from_parts(parts, body))
}

/// An error as the service would send it: S3's REST XML or the query protocol's (SES, SNS).
fn error_response(service: &str, status: u16) -> Response<Body> {
    let body = if service == "s3" {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>ServiceUnavailable</Code>\
         <Message>injected fault</Message><RequestId>fault</RequestId></Error>"
            .to_owned()
    } else {
        "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>\
         <Message>injected fault</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
            .to_owned()
    };
    Response::builder()
        .status(status)
        .header("content-type", "text/xml")
        .body(Full::new(Bytes::from(body)).map_err(|never| match never {}).boxed())
        .unwrap()
}
