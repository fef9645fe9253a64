//! Golden values: the exact rows a fixed config and seed produce. `rand`, `rand_chacha` and
//! `rand_distr` are pinned because their outputs may change between minor versions; if an upgrade
//! (or a model change) alters the random streams, this test fails instead of the data silently
//! changing. Update the constants only on purpose, saying why in the commit.

use usage_gen::config::{Source, load};
use usage_gen::model::account::Generator;
use usage_gen::model::block::TableHashes;
use usage_gen::model::calendar::Calendar;
use usage_gen::model::plan::Plan;

#[test]
fn sample_config_seed_42_is_pinned() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/configs/sample.yaml")).unwrap();
    let cfg = load(
        &Source {
            name: "sample.yaml".into(),
            text,
        },
        None,
        &[],
    )
    .unwrap();
    let cal = Calendar::new(&cfg);
    let plan = Plan::new(&cfg, &cal);
    let generator = Generator::new(&cfg, &cal, &plan);
    let mut hashes = TableHashes::default();
    let mut rows = [0u64; 7];
    let mut first = (Vec::new(), Vec::new());
    for i in 0..generator.n_blocks() {
        let block = generator.block(i).unwrap();
        if i == 0 {
            first = (
                block.chat_days.chat_id[..3].to_vec(),
                block.service_days.cost[..3].to_vec(),
            );
        }
        hashes.add(&block.digests());
        for (r, n) in rows.iter_mut().zip(block.row_counts()) {
            *r += n;
        }
    }
    assert_eq!(rows, [300, 29974, 30179, 109500, 456, 264319, 24676]);
    assert_eq!(first, (vec![35172393937, 68711918480, 4701386502], vec![2.0, 2.0, 2.0]));
    assert_eq!(
        hashes.finish(),
        [
            "7052525d8975a59df3a7aead3e3ad7ae8612c5c2dc3f0d8a549f887fb0cf8a9b",
            "a881ee46ab81435d33b824db290fe60db104e5bb15a7d276e7a7385b7a8fefbf",
            "08a002ccdc8960aaed3046d33bdb62b713fc26377b6a5f97577d38a8a3b1193a",
            "fa58bfb776798912990ebe2bed615f56c60ebaf5e72e4494dda8dd35bd814118",
            "6152602360139ca781a17afc2daab0321c0c285d635444918cfe01bf964860f3",
            "aa5a4ac5e1c612d291261270a00f661c1cef370cdf6d02252672c22b2ab4f91d",
            "cbb1d3a1b827f5634f0a57b4be9895d749665e721e96f96288a38cf3a98c8944",
        ]
    );
}
