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
    assert_eq!(rows, [300, 619, 312, 52486, 6914]);
    assert_eq!(first_costs, [0.04216, 0.014936, 0.023103]);
    assert_eq!(
        hashes.finish(),
        [
            "a4847ba293cf67e768e44737016ef73d984f56af24a0015fe4b91c9f1c05433a",
            "8e84128078f91ddbd4d467af9b827ca0a0aa5c0a3b8c87f3833f8753add0dc6d",
            "61494f3b065f191801d39569eaf8324b70438a0a33f6bb454913021da4423f83",
            "a78bb0df2b1b4929e98d0b5e8a060e0bb4b0037a899f98ff47d1cba3d6f81934",
            "098b2a116fb4d7a524bf9b66ed7ebe384d92247f8d8f9aede3e72f8f6c1c62a5",
        ]
    );
}
