//! `POST /partner/onboard/sessions` (omni-init-onboard-session.md).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::{Clock, Error, OmniClient};

/// The page's stated lifetime of an onboard session token: 3 minutes after issue.
pub const ONBOARD_SESSION_LIFETIME: Duration = Duration::from_secs(180);

/// The path of the endpoint, below the base URL.
pub const ONBOARD_SESSIONS_PATH: &str = "/partner/onboard/sessions";

/// A created onboard session: send the seller to [`OnboardSession::onboard_url`] before
/// [`OnboardSession::expires_at`].
#[derive(Clone)]
#[non_exhaustive]
pub struct OnboardSession {
    /// `onboardUrl`: the seller page, with the session token in its `token` parameter.
    pub onboard_url: String,
    /// `sid`: the session id.
    pub sid: String,
    /// `requestId`, for support requests (`request-id-kept`).
    pub request_id: Option<String>,
    /// When the session stops being usable, on the client's clock: the earlier of receipt +
    /// 180 s and the token's own `exp` claim (`onboard-expiry`).
    pub expires_at: SystemTime,
    clock: Arc<dyn Clock>,
}

impl OnboardSession {
    /// Whether [`OnboardSession::expires_at`] has passed on the client's clock.
    pub fn is_expired(&self) -> bool {
        let now = UNIX_EPOCH + self.clock.wall();
        now >= self.expires_at
    }

    /// Time left before expiry; zero once expired.
    pub fn remaining(&self) -> Duration {
        let now = UNIX_EPOCH + self.clock.wall();
        self.expires_at
            .duration_since(now)
            .unwrap_or(Duration::ZERO)
    }
}

impl fmt::Debug for OnboardSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL's token lets a seller start onboarding as this partner: not for logs.
        let url = match self.onboard_url.split_once("token=") {
            Some((head, tail)) => {
                let rest = tail.find('&').map_or("", |i| &tail[i..]);
                format!("{head}token={}{rest}", omni_sign::REDACTED)
            }
            None => self.onboard_url.clone(),
        };
        f.debug_struct("OnboardSession")
            .field("onboard_url", &url)
            .field("sid", &self.sid)
            .field("request_id", &self.request_id)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Serialize)]
struct OnboardRequest<'a> {
    #[serde(rename = "redirectUri")]
    redirect_uri: &'a str,
}

#[derive(Deserialize)]
struct OnboardAnswer {
    #[serde(rename = "onboardUrl")]
    onboard_url: String,
    sid: String,
    #[serde(rename = "requestId")]
    request_id: Option<String>,
}

impl OmniClient {
    /// Creates an onboard session (`POST /partner/onboard/sessions` with
    /// `{"redirectUri": redirect_uri}`), where the seller is sent back to `redirect_uri` once
    /// onboarded. The server validates the URI (`VAL_001` when it is not an absolute http(s)
    /// URL).
    pub async fn onboard_session(&self, redirect_uri: &str) -> Result<OnboardSession, Error> {
        let response = self
            .post(ONBOARD_SESSIONS_PATH)
            .json(&OnboardRequest { redirect_uri })
            .send()
            .await?;
        let received_ms = crate::clock::millis(self.clock().wall());
        let answer: OnboardAnswer = response.json()?;
        let expires_ms = session_expiry_ms(received_ms, self.skew_offset_ms(), &answer.onboard_url);
        Ok(OnboardSession {
            onboard_url: answer.onboard_url,
            sid: answer.sid,
            request_id: answer
                .request_id
                .or_else(|| response.request_id().map(str::to_owned)),
            expires_at: UNIX_EPOCH + Duration::from_millis(expires_ms),
            clock: self.clock().clone(),
        })
    }
}

/// `onboard-expiry`: the earlier of receipt + 180 s and the token's `exp`, both on the
/// local clock. `exp` is the server's clock, so the learnt offset (server minus local) is taken
/// off it. The token is read without verification: the client has no key.
fn session_expiry_ms(received_ms: u64, offset_ms: i64, onboard_url: &str) -> u64 {
    let by_page = received_ms.saturating_add(ONBOARD_SESSION_LIFETIME.as_millis() as u64);
    match token_exp_seconds(onboard_url) {
        Some(exp) => {
            let exp_local = exp.saturating_mul(1000).saturating_add_signed(-offset_ms);
            by_page.min(exp_local)
        }
        None => {
            tracing::debug!("onboardUrl carries no readable token exp; using receipt + 180 s");
            by_page
        }
    }
}

/// The `exp` claim of the JWT in the `token` query parameter of `onboard_url`.
fn token_exp_seconds(onboard_url: &str) -> Option<u64> {
    let url = url::Url::parse(onboard_url).ok()?;
    let token = url
        .query_pairs()
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())?;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    #[derive(Deserialize)]
    struct Claims {
        exp: Option<serde_json::Number>,
    }
    let exp = serde_json::from_slice::<Claims>(&bytes).ok()?.exp?;
    exp.as_u64().or_else(|| exp.as_f64().map(|f| f as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The onboard-session page's sample: iat 1763649222, exp 1763649522 (exp - iat = 300 s).
    const SAMPLE_URL: &str = "https://seller-staging.tocobagus.com/auth/partner?clientId=ptnr_1s4UqMnO64&token=eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJvbW5pLWF1dGgiLCJhdWQiOiJvbW5pLW9uYm9hcmQiLCJzaWQiOiIxZmVjZTI5ZS1mOWI0LTQ4NDItYWIzNC1lYjFmNjg5OWU1MjkiLCJwaWQiOiI0Y2MxNWIxOC1mZGJhLTRkMTctOTBmMy0xZWZiMDc1YjFmYWEiLCJyZWRpcmVjdFVyaSI6Imh0dHBzOi8vYWRtaW4uZGVzdHkub25lL2xvZ2luL2VtYWlsLWxvZ2luP3JlZGlyZWN0PS9zaG9wc2V0L3RvY28iLCJqdGkiOiI5YWUxZTk0ZS0zNGJhLTQ5YjctOGU3ZC04M2I2M2E2ZjQ3MDkiLCJpYXQiOjE3NjM2NDkyMjIsImV4cCI6MTc2MzY0OTUyMn0.qYH63zl9SsQTsojwRprst7PonB4ajzTVHPSBYrGAKrE&requestId=4b0007c7-d471-445d-909a-35e58ded2c95";

    #[test]
    fn reads_exp_from_the_sample_token() {
        assert_eq!(token_exp_seconds(SAMPLE_URL), Some(1763649522));
        assert_eq!(token_exp_seconds("https://h/p?token=abc"), None);
        assert_eq!(token_exp_seconds("https://h/p"), None);
        assert_eq!(token_exp_seconds("not a url"), None);
    }

    #[test]
    fn onboard_expiry_page_lifetime_wins_over_a_later_exp() {
        // Received at iat: receipt + 180 s is earlier than exp = iat + 300 s.
        let received = 1_763_649_222_000;
        assert_eq!(
            session_expiry_ms(received, 0, SAMPLE_URL),
            received + 180_000
        );
    }

    #[test]
    fn onboard_expiry_exp_wins_when_earlier() {
        // Received 200 s after iat: exp (iat + 300) is before receipt + 180 s.
        let received = 1_763_649_422_000;
        assert_eq!(
            session_expiry_ms(received, 0, SAMPLE_URL),
            1_763_649_522_000
        );
    }

    #[test]
    fn onboard_expiry_exp_is_moved_onto_the_local_clock() {
        // The server is 10 min ahead: its exp is 10 min earlier on the local clock.
        let offset = 600_000;
        let received = 1_763_649_222_000 - offset as u64;
        assert_eq!(
            session_expiry_ms(received, offset, SAMPLE_URL),
            received + 180_000
        );
        let late = received + 200_000;
        assert_eq!(
            session_expiry_ms(late, offset, SAMPLE_URL),
            1_763_649_522_000 - offset as u64
        );
    }

    #[test]
    fn without_a_token_receipt_plus_180_s() {
        assert_eq!(session_expiry_ms(5_000, 0, "https://h/p"), 185_000);
    }

    #[test]
    fn debug_masks_the_token() {
        let s = OnboardSession {
            onboard_url: SAMPLE_URL.into(),
            sid: "sid".into(),
            request_id: None,
            expires_at: UNIX_EPOCH,
            clock: Arc::new(crate::SystemClock::new()),
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("eyJ"), "{shown}");
        assert!(shown.contains("token=REDACTED&requestId="), "{shown}");
        assert!(s.is_expired());
        assert_eq!(s.remaining(), Duration::ZERO);
    }
}
