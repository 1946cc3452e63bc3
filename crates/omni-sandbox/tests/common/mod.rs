//! Shared helpers: sign through omni-sign, send with reqwest over loopback.
#![allow(dead_code)]

use omni_sandbox::{Sandbox, SandboxConfig, demo};
use omni_sign::{SignedHeaders, Signer, Timestamp};
use serde_json::Value;

pub(crate) async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).await.unwrap()
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// One Omni request to sign: everything a test may want to get wrong.
pub(crate) struct Call<'a> {
    pub method: &'a str,
    /// Path and query after `base_url()`, e.g. `/api/v1/partner/x?y=1`.
    pub target: &'a str,
    pub body: &'a [u8],
    pub partner: &'a str,
    pub secret: &'a str,
    pub store: Option<(&'a str, &'a str)>,
    pub timestamp: u64,
    /// The URL that is signed, when it differs from the one sent.
    pub signed_target: Option<&'a str>,
    /// The body that is signed, when it differs from the one sent.
    pub signed_body: Option<&'a [u8]>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(method: &'a str, target: &'a str, body: &'a [u8], timestamp: u64) -> Self {
        Call {
            method,
            target,
            body,
            partner: demo::PARTNER_CLIENT_ID,
            secret: demo::PARTNER_SECRET,
            store: None,
            timestamp,
            signed_target: None,
            signed_body: None,
        }
    }

    pub(crate) fn demo_store(mut self) -> Self {
        self.store = Some((demo::STORE_CLIENT_ID, demo::STORE_TOKEN));
        self
    }

    /// The headers to send, `x-signature` last.
    pub(crate) fn headers(&self) -> Vec<(String, String)> {
        let (store_id, token) = self.store.unzip();
        let headers = SignedHeaders::from_parts(
            self.partner,
            store_id,
            token,
            Timestamp::from_millis(self.timestamp),
        )
        .unwrap();
        let signed_url = self.signed_target.unwrap_or(self.target);
        let signature = Signer::new(self.secret.as_bytes())
            .unwrap()
            .sign_request(
                self.method,
                signed_url,
                &headers,
                self.signed_body.unwrap_or(self.body),
            )
            .unwrap();
        let mut out = Vec::new();
        headers.for_each(|name, value| out.push((name.to_owned(), value.to_owned())));
        out.push(("x-signature".to_owned(), signature.to_string()));
        out
    }

    pub(crate) async fn send(&self, sandbox: &Sandbox) -> Answer {
        let headers = self.headers();
        send(sandbox, self.method, self.target, &headers, self.body).await
    }
}

pub(crate) struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    pub(crate) fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The requestId of the body, checked against the `x-request-id` header.
    pub(crate) fn request_id(&self) -> String {
        let id = self.json()["requestId"].as_str().unwrap().to_owned();
        assert_eq!(self.headers["x-request-id"].to_str().unwrap(), id);
        uuid::Uuid::parse_str(&id).unwrap();
        id
    }
}

pub(crate) async fn send(
    sandbox: &Sandbox,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Answer {
    let url = format!("{}{target}", sandbox.base_url());
    let mut request = client().request(method.parse().unwrap(), url);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if !body.is_empty() {
        request = request
            .header("content-type", "application/json")
            .body(body.to_vec());
    }
    let response = request.send().await.unwrap();
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: response.text().await.unwrap(),
    }
}

/// A GET with plain headers.
pub(crate) async fn get(sandbox: &Sandbox, target: &str, headers: &[(&str, &str)]) -> Answer {
    let owned: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    send(sandbox, "GET", target, &owned, b"").await
}
