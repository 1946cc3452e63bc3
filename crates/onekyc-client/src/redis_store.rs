//! [`RedisStore`]: the [`SharedStore`] of a fleet on Redis (feature `redis`).

use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ErrorKind, RedisError, RedisResult, Script};

use crate::error::Error;
use crate::shared::{SharedEntry, SharedStore, SharedStoreFuture};

/// Deletes KEYS[1] if its value starts with ARGV[1]; returns 1 if it did. One script releases a
/// lock (the prefix is the whole owner value) and removes a rejected token (version and
/// fingerprint), atomically.
const DELETE_IF_PREFIX: &str = r"
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, string.len(ARGV[1])) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// Bounds one connection attempt of the manager; the fleet's per-operation timeout usually
/// cuts in first.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// A [`SharedStore`] on Redis (`redis://` or `rediss://` URLs, with an optional password and
/// database: `redis://:PASSWORD@HOST:PORT/DB`), through the `redis` crate's connection manager,
/// which reconnects by itself after a restart of the server.
///
/// The connection is made on first use, inside the cache's fetch task, so building a client
/// needs neither a running runtime nor a reachable Redis. The password is never shown: `Debug`
/// prints the URL with `REDACTED` in its place.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    manager: OnceLock<ConnectionManager>,
    shown: String,
    delete_if_prefix: Script,
}

impl RedisStore {
    /// A store on the Redis at `url`. Checks the URL only: nothing is connected yet.
    pub fn open(url: &str) -> Result<Self, Error> {
        let invalid =
            || Error::InvalidSetting("Redis URL must be redis://HOST[:PORT][/DB] or rediss://...");
        let mut parsed = url::Url::parse(url).map_err(|_| invalid())?;
        if !matches!(parsed.scheme(), "redis" | "rediss") || parsed.host_str().is_none() {
            return Err(invalid());
        }
        let client = redis::Client::open(url).map_err(|_| invalid())?;
        if parsed.password().is_some() {
            // Plain letters: the bracketed marker would be percent-encoded inside a URL.
            parsed
                .set_password(Some("REDACTED"))
                .map_err(|()| invalid())?;
        }
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                manager: OnceLock::new(),
                shown: parsed.to_string(),
                delete_if_prefix: Script::new(DELETE_IF_PREFIX),
            }),
        })
    }

    fn manager(&self) -> Result<ConnectionManager, Error> {
        if let Some(manager) = self.inner.manager.get() {
            return Ok(manager.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(CONNECT_TIMEOUT))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(10))
            .set_max_delay(Duration::from_millis(200));
        let manager = ConnectionManager::new_lazy_with_config(self.inner.client.clone(), config)
            .map_err(|_| Error::SharedStore("cannot set up the Redis connection"))?;
        Ok(self.inner.manager.get_or_init(|| manager).clone())
    }

    /// Runs `command` once more if the connection turned out to be broken: the manager has then
    /// started a new one, which the second attempt waits for (a restarted server is used at once).
    async fn run<T, F, Fut>(&self, command: F) -> Result<T, Error>
    where
        F: Fn(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let manager = self.manager()?;
        match command(manager.clone()).await {
            Err(error) if error.is_unrecoverable_error() || error.is_io_error() => {
                command(manager).await.map_err(|e| classify(&e))
            }
            other => other.map_err(|e| classify(&e)),
        }
    }
}

/// What failed, in words that never include a value, a key or the URL.
fn classify(error: &RedisError) -> Error {
    Error::SharedStore(if error.is_timeout() {
        "Redis timed out"
    } else if error.is_connection_refusal() {
        "Redis refused the connection"
    } else if error.is_io_error() || error.is_connection_dropped() {
        "Redis connection failed"
    } else if matches!(error.kind(), ErrorKind::AuthenticationFailed) {
        "Redis authentication failed"
    } else if matches!(
        error.kind(),
        ErrorKind::UnexpectedReturnType | ErrorKind::Parse
    ) {
        "Redis gave an unexpected reply"
    } else {
        "Redis command failed"
    })
}

fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.inner.shown)
            .finish_non_exhaustive()
    }
}

impl SharedStore for RedisStore {
    fn read<'a>(&'a self, key: &'a str) -> SharedStoreFuture<'a, Option<SharedEntry>> {
        Box::pin(async move {
            let (value, pttl): (Option<Vec<u8>>, i64) = self
                .run(|mut conn| async move {
                    redis::pipe()
                        .atomic()
                        .get(key)
                        .pttl(key)
                        .query_async(&mut conn)
                        .await
                })
                .await?;
            Ok(value.map(|value| SharedEntry {
                value,
                // -1: no expiry; -2: gone between GET and PTTL (cannot happen in MULTI).
                ttl: u64::try_from(pttl).ok().map(Duration::from_millis),
            }))
        })
    }

    fn write<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Duration,
    ) -> SharedStoreFuture<'a, ()> {
        Box::pin(async move {
            let value = &value;
            self.run(|mut conn| async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(value)
                    .arg("PX")
                    .arg(millis(ttl))
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await
        })
    }

    fn acquire<'a>(
        &'a self,
        key: &'a str,
        owner: &'a [u8],
        ttl: Duration,
    ) -> SharedStoreFuture<'a, bool> {
        Box::pin(async move {
            let set: Option<String> = self
                .run(|mut conn| async move {
                    redis::cmd("SET")
                        .arg(key)
                        .arg(owner)
                        .arg("NX")
                        .arg("PX")
                        .arg(millis(ttl))
                        .query_async(&mut conn)
                        .await
                })
                .await?;
            Ok(set.is_some())
        })
    }

    fn delete_if_prefix<'a>(
        &'a self,
        key: &'a str,
        prefix: &'a [u8],
    ) -> SharedStoreFuture<'a, bool> {
        Box::pin(async move {
            let deleted: i64 = self
                .run(|mut conn| async move {
                    // EVALSHA, falling back to EVAL after a restart emptied the script cache.
                    self.inner
                        .delete_if_prefix
                        .key(key)
                        .arg(prefix)
                        .invoke_async(&mut conn)
                        .await
                })
                .await?;
            Ok(deleted == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_passwords_never_shown() {
        let store = RedisStore::open("redis://:hunter2-secret@127.0.0.1:6390/3").unwrap();
        let shown = format!("{store:?}");
        assert!(!shown.contains("hunter2-secret"), "{shown}");
        assert!(shown.contains(":REDACTED@127.0.0.1:6390/3"), "{shown}");
        assert!(RedisStore::open("rediss://127.0.0.1:6390").is_ok());
        for bad in ["http://127.0.0.1:6379", "127.0.0.1:6379", "redis://", ""] {
            let err = RedisStore::open(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidSetting(_)), "{bad}: {err:?}");
        }
        let err = RedisStore::open("redis://:hunter2-secret@").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("hunter2"));
    }
}
