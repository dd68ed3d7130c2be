//! What every property test of the workspace runs with (`proptest`; see `fuzz/run`).
//! Built for this crate's tests and, through the `property-tests` feature, for the other
//! crates' tests; never part of a normal build.

use proptest::prelude::ProptestConfig;

/// `cases` in the test suite, which writes no files and shrinks a failure briefly;
/// `AUGER_FUZZ_CASES` for long runs (`fuzz/run`), which keep failing inputs in
/// `proptest-regressions/` and replay them first.
pub fn config(cases: u32) -> ProptestConfig {
    match std::env::var("AUGER_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        Some(cases) => ProptestConfig {
            cases,
            ..ProptestConfig::default()
        },
        None => ProptestConfig {
            cases,
            failure_persistence: None,
            max_shrink_iters: 2048,
            ..ProptestConfig::default()
        },
    }
}
