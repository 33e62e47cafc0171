//! The readable name of a guest function in a crash report.

use std::cell::RefCell;
use std::collections::HashMap;

use foldhash::fast::RandomState;

/// How many names each thread remembers before it forgets them all.
const NAMES_KEPT: usize = 1024;

/// The most of a readable name a crash report keeps (then `…`): a build's
/// name section is its own to write, and a report, the crash log and this
/// memory stay bounded whatever the names.
const LONGEST_NAME: usize = 512;

/// The longest mangled name a thread remembers (longer ones are demangled
/// every time): with [`NAMES_KEPT`], what one thread keeps stays under
/// about 3 MiB.
const LONGEST_KEPT: usize = 4 * LONGEST_NAME;

thread_local! {
    /// The names this thread has demangled, by mangled name. Hashed with
    /// foldhash (seeded): SipHash over a mangled name cost about 400
    /// instructions a frame, 2,000 a restart. A guest picks its names, but
    /// the map is cleared at [`NAMES_KEPT`], which bounds any collisions.
    static NAMES: RefCell<HashMap<Box<str>, Box<str>, RandomState>> = RefCell::new(HashMap::default());
}

/// `mangled` demangled, without the hash (`faulty::boom`, not
/// `_ZN6faulty4boom17h…E`); names that are not Rust's come back as they
/// are. A process that crashes over and over crashes at the same frames,
/// so each thread remembers the names it has demangled: demangling and
/// formatting a crash report's frames cost about 10 % of a restart
/// (`perf`, 20,000 restarts after a panic).
pub(super) fn readable_name(mangled: &str) -> String {
    NAMES.with_borrow_mut(|names| {
        if let Some(name) = names.get(mangled) {
            return name.to_string();
        }
        let mut name = format!("{:#}", rustc_demangle::demangle(mangled));
        if name.len() > LONGEST_NAME {
            name.truncate(name.floor_char_boundary(LONGEST_NAME));
            name.push('…');
        }
        if mangled.len() > LONGEST_KEPT {
            return name;
        }
        if names.len() >= NAMES_KEPT {
            names.clear();
        }
        names.insert(mangled.into(), name.as_str().into());
        name
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_names_lose_their_hash_and_others_stay_as_they_are() {
        let mangled = "_ZN6faulty4boom17h0123456789abcdefE";
        assert_eq!(readable_name(mangled), "faulty::boom");
        // Remembered: the same answer the second time.
        assert_eq!(readable_name(mangled), "faulty::boom");
        assert_eq!(readable_name("handle_call"), "handle_call");
    }

    #[test]
    fn a_long_name_is_cut_and_a_very_long_one_not_remembered() {
        let long = format!("é{}", "x".repeat(LONGEST_NAME));
        let cut = readable_name(&long);
        assert!(cut.len() <= LONGEST_NAME + '…'.len_utf8(), "{}", cut.len());
        assert!(cut.starts_with("éxxx") && cut.ends_with("x…"), "{cut}");
        assert!(NAMES.with_borrow(|names| names.contains_key(long.as_str())));
        let very_long = "y".repeat(LONGEST_KEPT + 1);
        assert!(readable_name(&very_long).ends_with('…'));
        assert!(!NAMES.with_borrow(|names| names.contains_key(very_long.as_str())));
    }

    #[test]
    fn a_full_memory_starts_again_and_still_names_right() {
        for i in 0..NAMES_KEPT + 10 {
            assert_eq!(readable_name(&format!("f{i}")), format!("f{i}"));
        }
        assert!(NAMES.with_borrow(HashMap::len) <= NAMES_KEPT);
        assert_eq!(
            readable_name("_ZN6faulty4boom17h0123456789abcdefE"),
            "faulty::boom"
        );
    }
}
