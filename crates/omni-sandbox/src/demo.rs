//! Demo credentials, registered by [`SandboxConfig::default`](crate::SandboxConfig::default).
//!
//! They are public on purpose (the partner, store and OneKYC ids are the providers' own
//! documentation examples) so that the quickstart and `curl` examples work against a fresh
//! sandbox. Never use them anywhere else.

use crate::Sandbox;

/// The demo partner's client id (the authentication guide's example).
pub const PARTNER_CLIENT_ID: &str = "ptnr_1s4UqMnO64";
/// The demo partner's secret key.
pub const PARTNER_SECRET: &str = "sandbox-demo-partner-secret";
/// The demo store's client id, delegated to the demo partner.
pub const STORE_CLIENT_ID: &str = "str_TGIxyboe7-Rz";
/// The demo store's token.
pub const STORE_TOKEN: &str = "stkn_1G_R3r_5QTvwr_0O";
/// The demo OneKYC client id (a UUID, the OneKYC page's example).
pub const ONEKYC_CLIENT_ID: &str = "b31fa508-331c-4e9e-9a60-b0f28c3f7e13";
/// The demo OneKYC pass key (a UUID, the OneKYC page's example).
pub const ONEKYC_PASS_KEY: &str = "2c7b2893-e49f-4cf3-89e6-1b9c5bf0500b";
/// A catalog id for `GET /api/v1/partner/stores/catalog/{id}` (the guide's example).
pub const CATALOG_ID: &str = "02b65657-bfcd-47ba-9f91-ec67e7b5913e";

/// A text listing the sandbox's URLs and the demo credentials, for `omni sandbox` to print.
///
/// It shows the demo secrets: that is its purpose (`secrets-never-shown`'s exception), and
/// they are public constants.
pub fn summary(sandbox: &Sandbox) -> String {
    format!(
        "Omni sandbox listening on {base}\n\
         \n\
         Omni Partner API base URL: {omni}\n\
         OneKYC token base URL:     {token}\n\
         Esign base URL:            {esign}\n\
         Admin API:                 {base}/_sandbox/\n\
         \n\
         Demo partner client id:    {PARTNER_CLIENT_ID}\n\
         Demo partner secret:       {PARTNER_SECRET}\n\
         Demo store client id:      {STORE_CLIENT_ID}\n\
         Demo store token:          {STORE_TOKEN}\n\
         Demo OneKYC client id:     {ONEKYC_CLIENT_ID}\n\
         Demo OneKYC pass key:      {ONEKYC_PASS_KEY}\n",
        base = sandbox.base_url(),
        omni = sandbox.omni_base_url(),
        token = sandbox.onekyc_token_base_url(),
        esign = sandbox.esign_base_url(),
    )
}
