//! Which process to call next: a fixed-seed xorshift, so that runs pick
//! the same sequence and need no random-number crate.

/// Picks indexes in `0..n`, the same sequence for the same seed.
pub struct Picker(u64);

impl Picker {
    /// A picker starting from `seed` (not zero).
    pub fn new(seed: u64) -> Picker {
        Picker(seed)
    }

    /// The next index below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}
