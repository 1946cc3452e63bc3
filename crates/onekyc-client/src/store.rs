//! Where the current token lives in this process: in memory by default, behind a trait. A fleet
//! shares its token through a [`SharedStore`](crate::SharedStore) behind this one.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwapOption;

use crate::token::Token;

/// Holds the current token of one credential set.
///
/// `load` is on every caller's path and must not take an exclusive lock: the in-memory store
/// reads through an [`ArcSwapOption`]. Tokens read from a fleet's shared store are mirrored
/// here (with [`Token::expires`] converted to this process's monotonic clock), so warm reads
/// never leave the process.
pub trait TokenStore: Send + Sync + fmt::Debug + 'static {
    /// The current token, if any (possibly expired: the cache checks).
    fn load(&self) -> Option<Token>;
    /// Replaces the current token.
    fn store(&self, token: Token);
    /// Removes the current token only if it is still `rejected` (same value); returns whether it did.
    fn invalidate(&self, rejected: &Token) -> bool;
}

/// The default store: one lock-free slot.
#[derive(Default)]
pub struct MemoryStore {
    slot: ArcSwapOption<Token>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Token's own Debug redacts the value.
        f.debug_struct("MemoryStore")
            .field("token", &self.slot.load().as_deref())
            .finish()
    }
}

impl TokenStore for MemoryStore {
    fn load(&self) -> Option<Token> {
        self.slot.load().as_deref().cloned()
    }

    fn store(&self, token: Token) {
        self.slot.store(Some(Arc::new(token)));
    }

    fn invalidate(&self, rejected: &Token) -> bool {
        let current = self.slot.load();
        match current.as_deref() {
            Some(token) if token.same_value(rejected) => {
                let previous = self.slot.compare_and_swap(&current, None);
                // Only if nobody replaced it between our load and the swap.
                matches!((previous.as_ref(), current.as_ref()), (Some(p), Some(c)) if Arc::ptr_eq(p, c))
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;
    use std::time::Duration;

    fn token(value: &str) -> Token {
        Token::new(
            SecretString::from(value.to_owned()),
            Duration::from_secs(60),
            Duration::from_secs(30),
            None,
        )
    }

    #[test]
    fn invalidates_only_the_rejected_token() {
        let store = MemoryStore::new();
        assert!(store.load().is_none());
        let a = token("a");
        store.store(a.clone());
        assert!(!store.invalidate(&token("b")));
        assert!(store.load().is_some());
        assert!(store.invalidate(&token("a")));
        assert!(store.load().is_none());
        assert!(!store.invalidate(&a));
        assert!(!format!("{store:?}").contains("\"a\""));
    }
}
