//! Compile-time behaviour of the derives: what compiles, and the errors for what
//! does not. Refresh the `.stderr` files with `TRYBUILD=overwrite`.

#[test]
fn derives_accept_valid_models_and_reject_mistakes_with_spanned_errors() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
