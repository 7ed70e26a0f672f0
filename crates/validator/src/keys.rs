//! Uniqueness keys: how a row's key is built and hashed, and the table of the keys a file has
//! shown so far.

/// One part of a uniqueness key.
#[derive(Debug)]
pub(crate) struct KeyColumn {
    /// Index of the bound column the part reads.
    pub column: usize,
    pub lowercase: bool,
    pub collapse: bool,
}

/// The keys a uniqueness rule has seen, as 128-bit hashes: 16 bytes per slot of an
/// open-addressing table at most 3/4 full (21 to 43 bytes per distinct key), whatever the
/// key's length, so a 20,000,000-row file keeps well under 1 GiB of state.
///
/// The hash is XXH3-128 with a random seed per file. Two different keys would have to collide
/// in 126 bits (the lowest is set to mark a used slot, the next one marks a key seen twice) to
/// be taken for one another: about 10^-23 for 20,000,000 distinct keys, and no file can be
/// crafted for it without knowing the seed. The keys seen more than once are counted as they
/// repeat for the first time: the report's duplicate groups.
///
/// The table is an array of cache-line buckets of four hashes, linear-probed bucket by bucket
/// from the bucket the hash's top bits pick: one cache line per lookup in nearly every case.
/// Its memory is zeroed anonymous pages advised as huge pages (2 MiB), so that lookups spread
/// over a table far larger than the cache do not also miss the TLB at every step. Keys are
/// hashed and inserted in blocks whose home buckets are touched first, so that the cache
/// misses overlap instead of queueing. When the file's size is known the table is sized once
/// ([`SeenKeys::reserve`]); otherwise it doubles, and since the top bits pick the bucket,
/// bucket `b` goes to `2b` and `2b + 1`: growing writes the new table front to back.
#[derive(Debug)]
pub(crate) struct SeenKeys {
    seed: u64,
    slots: Slots,
    len: usize,
    /// Distinct keys seen more than once.
    groups: u64,
}

/// The bit of a stored hash that marks a key seen more than once (bit 0 marks a used slot).
const REPEATED: u128 = 2;

/// Slots per bucket: 4 x 16 bytes, one cache line. A bucket fills from the front and nothing
/// is ever removed, so its used slots are the non-zero ones and they come first.
const BUCKET: usize = 4;

type Bucket = [u128; BUCKET];

/// Keys per block: hashed, their home buckets touched in one pass, then inserted in order.
/// 4,096 buckets are 256 KiB: they stay in the core's cache between the two passes.
const BLOCK: usize = 4096;

/// Buckets of a new table (64 KiB).
const FIRST_BUCKETS: usize = 1 << 10;

/// The largest table [`SeenKeys::reserve`] makes (256 MiB, room for 12.5 million keys): what
/// a wrong estimate can cost. A file with more keys grows the table as they come.
const MAX_RESERVED_BUCKETS: usize = 1 << 22;

/// The table's memory: `buckets` cache-line buckets of zeroed, page-aligned slots.
#[derive(Debug)]
struct Slots {
    map: memmap2::MmapMut,
    /// A power of two.
    buckets: usize,
}

impl Slots {
    fn zeroed(buckets: usize) -> Self {
        let bytes = buckets * size_of::<Bucket>();
        let map = memmap2::MmapMut::map_anon(bytes).unwrap_or_else(|_| {
            // Out of memory, as a failed Vec allocation would be.
            let layout = std::alloc::Layout::from_size_align(bytes, 4096)
                .unwrap_or(std::alloc::Layout::new::<Bucket>());
            std::alloc::handle_alloc_error(layout)
        });
        // A hint: where huge pages are off, the table works on ordinary pages.
        #[cfg(target_os = "linux")]
        let _ = map.advise(memmap2::Advice::HugePage);
        Self { map, buckets }
    }

    fn get(&self) -> &[Bucket] {
        bytemuck::cast_slice(&self.map)
    }

    fn get_mut(&mut self) -> &mut [Bucket] {
        bytemuck::cast_slice_mut(&mut self.map)
    }

    /// How far right a hash shifts to leave the bits that pick its bucket.
    fn shift(&self) -> u32 {
        128 - self.buckets.trailing_zeros()
    }
}

/// Where `hash` (its [`REPEATED`] bit clear) is: `Err` with its bucket and slot when it is in
/// the table already, else `Ok` with the first empty slot from `home` on (the table always has
/// one: it is at most 3/4 full).
#[inline]
fn probe(buckets: &[Bucket], home: usize, hash: u128) -> Result<(usize, usize), (usize, usize)> {
    let mut b = home;
    loop {
        for (i, &slot) in buckets[b].iter().enumerate() {
            if slot & !REPEATED == hash {
                return Err((b, i));
            }
            if slot == 0 {
                return Ok((b, i));
            }
        }
        b = (b + 1) & (buckets.len() - 1);
    }
}

impl SeenKeys {
    pub(crate) fn new() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let seed = std::collections::hash_map::RandomState::new().build_hasher().finish();
        Self { seed, slots: Slots::zeroed(FIRST_BUCKETS), len: 0, groups: 0 }
    }

    /// Distinct keys seen more than once so far.
    pub(crate) fn groups(&self) -> u64 {
        self.groups
    }

    /// Distinct keys seen.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }

    /// The key's hash; never 0 (the lowest bit is set), so 0 can stand for "no key"; its
    /// [`REPEATED`] bit is clear.
    fn hash(&self, key: &[u8]) -> u128 {
        (xxhash_rust::xxh3::xxh3_128_with_seed(key, self.seed) | 1) & !REPEATED
    }

    /// Checks the key of every row of a chunk, in order, and records the new ones: `dup[i]` is
    /// set when row `i`'s key was seen before (earlier in the file or earlier in the chunk).
    /// A row has no key, and is never a duplicate, when a part is null or a precondition of the
    /// rule failed (`guards`). Each part ends with 0xFF, a byte no UTF-8 text holds, so
    /// ("ab", "c") and ("a", "bc") differ.
    pub(crate) fn check(
        &mut self,
        parts: &[KeyColumn],
        values: &[Vec<Option<&str>>],
        guards: &[&[bool]],
        dup: &mut [bool],
    ) {
        let mut key = Vec::with_capacity(64);
        let mut hashes: Vec<u128> = Vec::with_capacity(BLOCK.min(dup.len()));
        let columns: Vec<(&[Option<&str>], &KeyColumn)> =
            parts.iter().map(|part| (values[part.column].as_slice(), part)).collect();
        for (start, dup) in (0..).step_by(BLOCK).zip(dup.chunks_mut(BLOCK)) {
            hashes.clear();
            hashes.extend((start..start + dup.len()).map(|i| {
                if guards.iter().any(|g| g[i]) {
                    return 0;
                }
                key.clear();
                for &(column, part) in &columns {
                    let Some(value) = column[i] else { return 0 };
                    push_key_part(&mut key, value, part.lowercase, part.collapse);
                    // Each part ends with a byte UTF-8 never has: no two parts run together.
                    key.push(0xFF);
                }
                self.hash(&key)
            }));
            self.insert_block(&hashes, dup);
        }
    }

    /// Records every hash of a block in order (0 is no key); `dup[i]` is set when `hashes[i]`
    /// was seen before.
    ///
    /// In a table far larger than the cache nearly every lookup misses. One tight pass reads
    /// each key's home bucket first: those loads are independent, so the CPU overlaps their
    /// misses; the in-order inserts that follow find the lines in cache.
    fn insert_block(&mut self, hashes: &[u128], dup: &mut [bool]) {
        let shift = self.slots.shift();
        let buckets = self.slots.get();
        let touched = hashes.iter().fold(0u128, |acc, &hash| acc ^ buckets[(hash >> shift) as usize][0]);
        std::hint::black_box(touched);
        for (&hash, dup) in hashes.iter().zip(dup) {
            *dup = hash != 0 && !self.insert(hash);
        }
    }

    /// Records `hash` (non-zero, [`REPEATED`] clear); `false` when it was seen before.
    #[inline]
    fn insert(&mut self, hash: u128) -> bool {
        let shift = self.slots.shift();
        match probe(self.slots.get(), (hash >> shift) as usize, hash) {
            Err((b, slot)) => {
                let stored = &mut self.slots.get_mut()[b][slot];
                if *stored & REPEATED == 0 {
                    *stored |= REPEATED;
                    self.groups += 1;
                }
                false
            }
            Ok((b, slot)) => {
                self.slots.get_mut()[b][slot] = hash;
                self.len += 1;
                // At most 3/4 full.
                if self.len * 4 > self.slots.buckets * BUCKET * 3 {
                    self.grow();
                }
                true
            }
        }
    }

    /// Makes room for `keys` distinct keys in all (those seen included) without growing: the
    /// table is sized once when the file's row count can be estimated. The memory is only
    /// committed as keys land in it, but keys land all over it, so a table sized for far more
    /// keys than come costs its full size: the reservation is capped at [`MAX_RESERVED_BUCKETS`].
    pub(crate) fn reserve(&mut self, keys: usize) {
        let slots = keys.min(MAX_RESERVED_BUCKETS * BUCKET).div_ceil(3).saturating_mul(4);
        let buckets = slots.div_ceil(BUCKET).next_power_of_two().min(MAX_RESERVED_BUCKETS);
        if buckets > self.slots.buckets {
            self.resize(buckets);
        }
    }

    /// Doubles the table.
    fn grow(&mut self) {
        self.resize(self.slots.buckets * 2);
    }

    /// Moves every hash to a new table of `buckets` (a larger power of two). The old buckets
    /// are read in order and, their homes being the top bits, land in order in the new one.
    fn resize(&mut self, buckets: usize) {
        let old = std::mem::replace(&mut self.slots, Slots::zeroed(buckets));
        let shift = self.slots.shift();
        let buckets = self.slots.get_mut();
        for &hash in old.get().iter().flatten() {
            if hash != 0
                && let Ok((b, slot)) = probe(buckets, (hash >> shift) as usize, hash & !REPEATED)
            {
                buckets[b][slot] = hash;
            }
        }
    }
}

/// Appends `value` to a key: lower-cased (Unicode, as `str::to_lowercase`) with `lowercase`;
/// with `collapse`, each run of spaces becomes one space (only the space character: SPEC
/// section 3's duplicate keys).
fn push_key_part(key: &mut Vec<u8>, value: &str, lowercase: bool, collapse: bool) {
    if !lowercase && !collapse {
        key.extend_from_slice(value.as_bytes());
        return;
    }
    if push_ascii_words(key, value.as_bytes(), lowercase, collapse) {
        return;
    }
    let start = key.len();
    if lowercase && !value.is_ascii() {
        key.extend_from_slice(value.to_lowercase().as_bytes());
    } else {
        key.extend_from_slice(value.as_bytes());
        if lowercase {
            key[start..].make_ascii_lowercase();
        }
    }
    let part = &key[start..];
    if collapse && part.iter().zip(&part[1.min(part.len())..]).any(|(&a, &b)| a == b' ' && b == b' ') {
        let mut write = start;
        for read in start..key.len() {
            let b = key[read];
            if !(b == b' ' && write > start && key[write - 1] == b' ') {
                key[write] = b;
                write += 1;
            }
        }
        key.truncate(write);
    }
}

/// A byte of 1 in every lane of a word.
const LANES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every lane.
const HIGH: u64 = 0x8080_8080_8080_8080;

/// [`push_key_part`] eight bytes at a time for the common case, an ASCII value without a run of
/// spaces: `false` (nothing appended) for any other value.
///
/// Per word of ASCII bytes (each below 0x80, so no lane carries into the next): adding 0x3F
/// sets a lane's high bit from `A` up and adding 0x25 from past `Z`, which marks the capitals
/// (OR 0x20 lower-cases them); XOR with spaces zeroes the space lanes, which adding 0x7F then
/// leaves without their high bit. The value is read in whole words (the last one zero-padded:
/// a zero is neither a capital nor a space) and written back the same way.
fn push_ascii_words(key: &mut Vec<u8>, bytes: &[u8], lowercase: bool, collapse: bool) -> bool {
    let start = key.len();
    key.reserve(bytes.len() + 8);
    let mut after_space = false;
    let words = bytes.chunks_exact(8);
    let tail = words.remainder();
    for word in words {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(word).unwrap_or_default());
        let Some(folded) = fold_word(w, lowercase, collapse, &mut after_space) else {
            key.truncate(start);
            return false;
        };
        key.extend_from_slice(&folded.to_le_bytes());
    }
    if !tail.is_empty() {
        let w = tail.iter().rev().fold(0u64, |w, &b| (w << 8) | u64::from(b));
        let Some(folded) = fold_word(w, lowercase, collapse, &mut after_space) else {
            key.truncate(start);
            return false;
        };
        // Whole words are cheaper to write; the padding is cut off after.
        key.extend_from_slice(&folded.to_le_bytes());
        key.truncate(start + bytes.len());
    }
    true
}

/// One word of [`push_ascii_words`]: `None` for a non-ASCII byte or a run of spaces (within
/// the word, or across from the word before when `after_space`).
#[inline]
fn fold_word(w: u64, lowercase: bool, collapse: bool, after_space: &mut bool) -> Option<u64> {
    if w & HIGH != 0 {
        return None;
    }
    if collapse {
        let spaces = !((w ^ (LANES * u64::from(b' '))).wrapping_add(LANES * 0x7F)) & HIGH;
        if spaces & (spaces << 8) != 0 || (*after_space && spaces & 0x80 != 0) {
            return None;
        }
        *after_space = spaces >> 63 != 0;
    }
    Some(if lowercase {
        let capitals = w.wrapping_add(LANES * 0x3F) & !w.wrapping_add(LANES * 0x25) & HIGH;
        w | (capitals >> 2)
    } else {
        w
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_at_a_time_path_folds_as_the_byte_path_does() {
        // Every value from a small alphabet around the edge cases (`@` and `[` border the
        // capitals, `` ` `` and `{` the small letters), at every length up to 19 bytes.
        let alphabet = [b'A', b'Z', b'a', b'z', b'@', b'[', b'`', b'{', b' ', b'0', 0x7F];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 20) as usize;
            let value: String = (0..len)
                .map(|i| char::from(alphabet[((state >> (i * 3)) % alphabet.len() as u64) as usize]))
                .collect();
            for (lowercase, collapse) in [(true, true), (true, false), (false, true)] {
                let mut fast = b"prefix".to_vec();
                let mut reference = b"prefix".to_vec();
                let taken = push_ascii_words(&mut fast, value.as_bytes(), lowercase, collapse);
                let mut folded = if lowercase { value.to_lowercase() } else { value.clone() };
                if collapse {
                    while folded.contains("  ") {
                        folded = folded.replace("  ", " ");
                    }
                }
                reference.extend_from_slice(folded.as_bytes());
                if taken {
                    assert_eq!(fast, reference, "{value:?} lowercase {lowercase} collapse {collapse}");
                } else {
                    assert!(
                        collapse && value.contains("  "),
                        "{value:?}: only runs of spaces leave the fast path"
                    );
                    assert_eq!(fast, b"prefix", "nothing appended when not taken");
                }
                let mut general = b"prefix".to_vec();
                push_key_part(&mut general, &value, lowercase, collapse);
                assert_eq!(general, reference, "{value:?} lowercase {lowercase} collapse {collapse}");
            }
        }
        let mut key = Vec::new();
        assert!(!push_ascii_words(&mut key, "Zoë".as_bytes(), true, true), "not ASCII");
        assert!(key.is_empty());
    }

    /// Inserts `hashes` as one chunk would, block by block.
    fn insert_all(seen: &mut SeenKeys, hashes: &[u128]) -> Vec<bool> {
        let mut dup = vec![false; hashes.len()];
        for (h, d) in hashes.chunks(BLOCK).zip(dup.chunks_mut(BLOCK)) {
            seen.insert_block(h, d);
        }
        dup
    }

    #[test]
    fn seen_keys_find_every_earlier_key_across_growth() {
        let mut seen = SeenKeys::new();
        let keys: Vec<Vec<u8>> = (0..100_000u32).map(|i| format!("key {i}").into_bytes()).collect();
        let mut hashes: Vec<u128> = keys.iter().map(|k| seen.hash(k)).collect();
        hashes.insert(3, 0); // no key is never a duplicate
        hashes.insert(5, 0);
        let dup = insert_all(&mut seen, &hashes);
        assert!(dup.iter().all(|d| !d), "all new");
        assert_eq!(seen.len(), 100_000);
        assert!(
            seen.slots.buckets * BUCKET >= 100_000 * 4 / 3,
            "grown past 3/4 full: {}",
            seen.slots.buckets
        );
        // Every key again, in reverse order: all seen, whichever bucket growth moved them to.
        let reversed: Vec<u128> = hashes.iter().rev().copied().collect();
        let dup = insert_all(&mut seen, &reversed);
        assert_eq!(dup.iter().filter(|&&d| d).count(), 100_000);
        assert_eq!(seen.groups(), 100_000);
        // A new key and a repeat within the batch.
        let again: Vec<u128> = [b"fresh".to_vec(), keys[99_999].clone(), b"fresh".to_vec(), keys[0].clone()]
            .iter()
            .map(|k| seen.hash(k))
            .collect();
        assert_eq!(insert_all(&mut seen, &again), [false, true, true, true]);
        assert_eq!(seen.len(), 100_001);
        assert_eq!(seen.groups(), 100_001, "one new group: fresh");
    }

    #[test]
    fn a_duplicate_group_counts_once_however_often_its_key_repeats_and_survives_growth() {
        let mut seen = SeenKeys::new();
        let hash = |seen: &SeenKeys, k: &str| seen.hash(k.as_bytes());
        let first: Vec<u128> = ["a", "b", "a", "a", "c", "b"].iter().map(|k| hash(&seen, k)).collect();
        assert_eq!(insert_all(&mut seen, &first), [false, false, true, true, false, true]);
        assert_eq!((seen.len(), seen.groups()), (3, 2));
        // Grow the table several times over: the marks move with the hashes.
        let many: Vec<u128> = (0..50_000).map(|i| hash(&seen, &format!("k{i}"))).collect();
        insert_all(&mut seen, &many);
        let again: Vec<u128> = ["a", "b", "c", "k7"].iter().map(|k| hash(&seen, k)).collect();
        assert_eq!(insert_all(&mut seen, &again), [true, true, true, true]);
        assert_eq!(seen.groups(), 4, "a and b again count nothing; c and k7 are new groups");
    }

    #[test]
    fn a_reserved_table_keeps_what_it_had_and_does_not_grow_before_its_size() {
        let mut seen = SeenKeys::new();
        let hashes: Vec<u128> = (0..50_000u32).map(|i| seen.hash(&i.to_le_bytes())).collect();
        insert_all(&mut seen, &hashes[..1_000]);
        seen.reserve(50_000);
        let reserved = seen.slots.buckets;
        assert!(reserved * BUCKET * 3 / 4 >= 50_000, "room for 50,000 keys: {reserved} buckets");
        assert_eq!(insert_all(&mut seen, &hashes[..1_000]), [true; 1_000], "kept across the resize");
        assert!(insert_all(&mut seen, &hashes).iter().skip(1_000).all(|d| !d));
        assert_eq!((seen.len(), seen.slots.buckets), (50_000, reserved), "no growth");
        seen.reserve(10);
        assert_eq!(seen.slots.buckets, reserved, "never shrinks");
        let mut huge = SeenKeys::new();
        huge.reserve(usize::MAX);
        assert_eq!(huge.slots.buckets, MAX_RESERVED_BUCKETS, "a wild estimate costs at most the cap");
    }

    #[test]
    fn full_buckets_overflow_into_the_next_ones_and_wrap_around() {
        let mut seen = SeenKeys::new();
        let last = (FIRST_BUCKETS - 1) as u128;
        let shift = seen.slots.shift();
        // Nine hashes whose home is the last bucket (bit 1 clear, as `hash` makes them): four fill
        // it, the rest wrap to bucket 0.
        let hashes: Vec<u128> = (0..9u128).map(|i| (last << shift) | (i << 2) | 1).collect();
        assert_eq!(insert_all(&mut seen, &hashes), [false; 9]);
        assert_eq!(seen.slots.get()[0][..BUCKET], hashes[4..8]);
        assert_eq!(seen.slots.get()[1][0], hashes[8]);
        assert_eq!(insert_all(&mut seen, &hashes), [true; 9]);
        assert_eq!(seen.groups(), 9);
    }

    #[test]
    fn keys_are_built_from_the_parts_of_rows_with_every_part() {
        let mut seen = SeenKeys::new();
        let parts = [
            KeyColumn { column: 0, lowercase: true, collapse: true },
            KeyColumn { column: 1, lowercase: false, collapse: false },
        ];
        let names = vec![Some("Ann  Lee"), Some("ann lee"), Some("ann lee"), None, Some("ab"), Some("a")];
        let dates = vec![
            Some("1990-01-01"),
            Some("1990-01-01"),
            Some("1990-01-02"),
            Some("x"),
            Some("c"),
            Some("bc"),
        ];
        let values = [names, dates];
        let mut dup = vec![false; 6];
        seen.check(&parts, &values, &[], &mut dup);
        assert_eq!(dup, [false, true, false, false, false, false]);
        // A second chunk: earlier keys are remembered; a guarded row takes no part.
        let guard = [true, false, false, false, false, false];
        seen.check(&parts, &values, &[&guard], &mut dup);
        assert_eq!(dup, [false, true, true, false, true, true]);
    }

    #[test]
    fn key_parts_collapse_only_runs_of_spaces() {
        let mut key = Vec::new();
        push_key_part(&mut key, "ann   lee\t\tx  y ", false, true);
        assert_eq!(key, b"ann lee\t\tx y ");
        key.clear();
        push_key_part(&mut key, "  a  b", false, false);
        assert_eq!(key, b"  a  b");
        // Appending after earlier parts: a run at the part's start is collapsed within the part.
        push_key_part(&mut key, "  Ann  LEE", true, true);
        assert_eq!(key, b"  a  b ann lee");
        key.clear();
        push_key_part(&mut key, "ÀNN  ΣΑΣ", true, true);
        assert_eq!(key, "ànn σας".as_bytes(), "Unicode lower-casing, final sigma included");
    }
}
