//! [`Derived`]: work that depends only on a loaded table (and on what a key names), computed
//! once and shared by every run on that table — the runs of a sweep share one load, and with it
//! what the layers above derive from the data (a rating's ranking of each decision day, …).

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A cache of values derived from one loaded table, each under a key that names everything
/// else it depends on; shared by the threads that run on the table. Entries are computed once
/// (by the first caller of a key) and handed out as `Arc`s. A clone of a [`Loaded`](super::Loaded)
/// starts with an empty cache, and so does a [`Default`] one: an entry is only ever read
/// beside the table it was computed from.
///
/// ```
/// let cache = folio::data::Derived::default();
/// let a = cache.get_or_insert_with("squares", || vec![1, 4, 9]);
/// let b = cache.get_or_insert_with("squares", || Vec::<i32>::new());
/// assert!(std::sync::Arc::ptr_eq(&a, &b));
/// assert_eq!(cache.len(), 1);
/// ```
#[derive(Default)]
pub struct Derived {
    entries: Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>,
}

impl Derived {
    /// The entry under `key`, made by `make` if there is none yet. `make` runs outside the
    /// lock (another thread may make the same entry at the same time; the first stored wins
    /// and both callers get it). An entry of another type under the same key is replaced.
    pub fn get_or_insert_with<T: Any + Send + Sync>(
        &self,
        key: &str,
        make: impl FnOnce() -> T,
    ) -> Arc<T> {
        if let Some(found) = self.get::<T>(key) {
            return found;
        }
        let made: Arc<T> = Arc::new(make());
        let mut entries = self.lock();
        match entries.get(key).cloned().map(Arc::downcast::<T>) {
            Some(Ok(found)) => found,
            _ => {
                entries.insert(key.to_string(), made.clone());
                made
            }
        }
    }

    /// The entry under `key`, if there is one of type `T`.
    fn get<T: Any + Send + Sync>(&self, key: &str) -> Option<Arc<T>> {
        self.lock().get(key).cloned()?.downcast::<T>().ok()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<dyn Any + Send + Sync>>> {
        // A panic while holding the lock leaves the map itself intact.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clone for Derived {
    /// An empty cache: a clone's table may be changed, and an entry must not outlive its table.
    fn clone(&self) -> Self {
        Derived::default()
    }
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Derived")
            .field("entries", &self.len())
            .finish()
    }
}
