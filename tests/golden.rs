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
    let mut rows = [0u64; 5];
    let mut first_costs = Vec::new();
    for i in 0..generator.n_blocks() {
        let block = generator.block(i);
        if i == 0 {
            first_costs = block.chat_days.cost_dialog[..3].to_vec();
        }
        hashes.add(&block.digests());
        for (r, n) in rows.iter_mut().zip(block.row_counts()) {
            *r += n;
        }
    }
    assert_eq!(rows, [500, 1035, 312, 51357, 7620]);
    assert_eq!(first_costs, [0.04216, 0.014936, 0.023103]);
    assert_eq!(
        hashes.finish(),
        [
            "e5dbe43c89e9162fecaa760aa5a95e27a42cd267f076bdc5437a6886f56d7dfe",
            "95af3231b08b735e9955a0da3e62b5fa34c26b5af63d2416ed976083b3cf60cb",
            "7221787d72120251782d19378d4bd8148583af0726254d6384efdabd4cdf81ac",
            "11826117ddecefbafef4beb4c3f78dd717b8b7ea805f044dcb3bcef8dd2c4320",
            "c820a5d92f025ad31984caa0e6d04d4684bf71f8d6fcea5da15327777eff81d4",
        ]
    );
}
