//! The boundary with third-party readers: a panic inside polars on a damaged file is caught
//! here and turned into an error, without the panic's message on standard error.

use std::any::Any;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

thread_local! {
    /// Whether this thread is inside [`catch_quietly`].
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// How many [`catch_quietly`] calls are running, in any thread.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// Runs `f`, returning the panic's payload if it panics.
///
/// The default panic message is not printed for a panic caught here: the first call installs a
/// process-wide panic hook that stays quiet for panics of the calling thread while inside this
/// function (and for panics of polars' worker threads while such a call runs, since polars hands
/// them back to the caller) and defers to the previous hook for every other panic.
///
/// ```ignore
/// let r = catch_quietly(|| -> u8 { panic!("bad file") });
/// assert_eq!(panic_message(&r.unwrap_err()), "bad file");
/// ```
pub(super) fn catch_quietly<T>(f: impl FnOnce() -> T) -> Result<T, Box<dyn Any + Send>> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !is_quiet() {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    ACTIVE.fetch_add(1, Ordering::SeqCst);
    let result = catch_unwind(AssertUnwindSafe(f));
    ACTIVE.fetch_sub(1, Ordering::SeqCst);
    QUIET.with(|q| q.set(was));
    result
}

/// Whether a panic on the current thread is one [`catch_quietly`] will report.
fn is_quiet() -> bool {
    if QUIET.with(Cell::get) {
        return true;
    }
    let polars_worker = std::thread::current()
        .name()
        .is_some_and(|n| n.starts_with("polars"));
    polars_worker && ACTIVE.load(Ordering::SeqCst) > 0
}

/// The text of a panic's payload (first line), or a generic phrase.
pub(super) fn panic_message(payload: &(dyn Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "it stopped on an internal error".to_string());
    text.lines().next().unwrap_or("").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message_and_the_hook_is_restored_for_others() {
        let r = catch_quietly(|| -> u8 { panic!("bad file\nsecond line") });
        assert_eq!(panic_message(&*r.unwrap_err()), "bad file");
        assert!(!QUIET.with(Cell::get));
        let r = catch_quietly(|| std::panic::panic_any(7_u32));
        assert_eq!(
            panic_message(&*r.unwrap_err()),
            "it stopped on an internal error"
        );
        assert_eq!(catch_quietly(|| 5).unwrap(), 5);
        assert!(!is_quiet());
    }
}
