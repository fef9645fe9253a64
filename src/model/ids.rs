//! Identifiers. Account ids are `n_accounts` distinct integers drawn uniformly from
//! `[account_id_min, account_id_max]` and given to the accounts in increasing order (so the
//! stored order by account is also the order by id). Chat ids are unique across the whole
//! dataset and look random: each account owns a slice of `⌊10^digits / n_accounts⌋` ordinals,
//! and a keyed permutation of `[0, 10^digits)` turns (account, ordinal) into the id, so any block
//! of accounts finds its chats' ids without knowing any other block.

use rand::Rng;

use super::rng::global_stream;

/// Global stream id of the account-id sample (0–15 are the plan's other global streams).
const ACCOUNT_IDS: u64 = 16;
/// Global stream id of the chat-id permutation's keys.
const CHAT_ID_KEYS: u64 = 17;

/// `n` distinct ids from `[min, max]`, sorted: uniform over the `n`-subsets (draws with
/// replacement, sorted and deduplicated, topped up until there are `n`).
pub fn account_ids(seed: u64, n: u64, min: u64, max: u64) -> Vec<i64> {
    let span = max - min + 1;
    let mut rng = global_stream(seed, ACCOUNT_IDS);
    if n.saturating_mul(2) > span {
        // Dense: selection sampling over the whole span (Knuth's Algorithm S).
        let mut out = Vec::with_capacity(n as usize);
        let mut left = n;
        for (i, id) in (min..=max).enumerate() {
            if left == 0 {
                break;
            }
            let remaining = span - i as u64;
            if rng.random_range(0..remaining) < left {
                out.push(id as i64);
                left -= 1;
            }
        }
        return out;
    }
    let mut out: Vec<i64> = Vec::with_capacity(n as usize);
    while (out.len() as u64) < n {
        let missing = n - out.len() as u64;
        out.extend((0..missing).map(|_| (min + rng.random_range(0..span)) as i64));
        out.sort_unstable();
        out.dedup();
    }
    out
}

/// A keyed bijection of `[0, n)`: a four-round Feistel network on the smallest even number of
/// bits covering `n`, with cycle walking back into range.
#[derive(Debug, Clone)]
pub struct Permutation {
    n: u64,
    half: u32,
    keys: [u64; 4],
}

impl Permutation {
    pub fn new(seed: u64, n: u64) -> Permutation {
        let bits = 64 - n.saturating_sub(1).leading_zeros().min(63);
        let half = bits.div_ceil(2).max(1);
        let mut rng = global_stream(seed, CHAT_ID_KEYS);
        Permutation {
            n,
            half,
            keys: [rng.random(), rng.random(), rng.random(), rng.random()],
        }
    }

    pub fn apply(&self, x: u64) -> u64 {
        debug_assert!(x < self.n);
        let mut y = x;
        loop {
            y = self.round_trip(y);
            if y < self.n {
                return y;
            }
        }
    }

    fn round_trip(&self, y: u64) -> u64 {
        let mask = (1u64 << self.half) - 1;
        let (mut l, mut r) = (y >> self.half, y & mask);
        for k in self.keys {
            let f = mix(r ^ k) & mask;
            (l, r) = (r, l ^ f);
        }
        (l << self.half) | r
    }
}

/// SplitMix64's finaliser: a fast, well-mixing 64-bit function.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Chat ids of a dataset: account `a`'s `k`-th chat gets `perm(a × slots + k)`.
#[derive(Debug, Clone)]
pub struct ChatIds {
    perm: Permutation,
    /// Ordinals each account owns.
    pub slots: u64,
}

impl ChatIds {
    pub fn new(seed: u64, digits: u32, n_accounts: u64) -> ChatIds {
        let space = 10u64.pow(digits);
        ChatIds {
            perm: Permutation::new(seed, space),
            slots: space / n_accounts.max(1),
        }
    }

    /// The id of account `account`'s chat number `ordinal`, or `None` when the account has used
    /// up its slice of the id space.
    pub fn id(&self, account: u64, ordinal: u64) -> Option<i64> {
        (ordinal < self.slots).then(|| self.perm.apply(account * self.slots + ordinal) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_distinct_sorted_and_in_range() {
        for (n, min, max) in [(3000, 10_000_000, 28_000_000), (90, 1, 100), (100, 5, 104), (1, 7, 7)] {
            let ids = account_ids(42, n, min, max);
            assert_eq!(ids.len() as u64, n);
            assert!(ids.windows(2).all(|w| w[0] < w[1]));
            assert!(ids.iter().all(|&i| i >= min as i64 && i <= max as i64));
        }
        assert_eq!(account_ids(1, 50, 0, 999), account_ids(1, 50, 0, 999));
        assert_ne!(account_ids(1, 50, 0, 999), account_ids(2, 50, 0, 999));
    }

    #[test]
    fn permutation_is_a_bijection() {
        for n in [1u64, 2, 10, 1000, 12345] {
            let p = Permutation::new(7, n);
            let mut seen: Vec<u64> = (0..n).map(|x| p.apply(x)).collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..n).collect::<Vec<_>>(), "n = {n}");
        }
    }

    #[test]
    fn chat_ids_fit_their_digits_and_look_random() {
        let ids = ChatIds::new(42, 11, 3000);
        let a: Vec<i64> = (0..5).map(|k| ids.id(0, k).unwrap()).collect();
        assert!(a.iter().all(|&i| (0..100_000_000_000).contains(&i)));
        assert!(a.windows(2).any(|w| (w[0] - w[1]).abs() > 1_000_000), "{a:?}");
        assert_eq!(ids.id(0, ids.slots), None);
    }
}
