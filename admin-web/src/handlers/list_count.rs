//! A list's count in words, in the reader's language.

use admin_core::ModelMeta;

use crate::session::Ctx;

/// "1 account", "6,155 accounts", "about 450,000 accounts", "more than 10,000
/// accounts", in the reader's language (the noun is the application's word).
pub(super) fn count_phrase(ctx: &Ctx, meta: &ModelMeta, count: admin_core::list::count::Count) -> String {
    use admin_core::list::count::Count;
    let noun_args = |n: u64| -> Vec<(&'static str, crate::i18n::Arg)> {
        vec![
            ("n", crate::i18n::Arg::from(i64::try_from(n).unwrap_or(i64::MAX))),
            ("count", ctx.number(n).into()),
            ("one", meta.label.to_lowercase().into()),
            ("nouns", meta.noun_plural().into()),
        ]
    };
    match count {
        Count::Exact(n) => ctx.t("list-count", &noun_args(n)),
        Count::About(n) if n >= 1_000_000 => {
            let tenths = (n + 50_000) / 100_000;
            let millions =
                crate::i18n::format::decimal(&ctx.locale.lang, &format!("{}.{}", tenths / 10, tenths % 10));
            let mut args = noun_args(n);
            args.push(("millions", millions.into()));
            ctx.t("list-count-about-millions", &args)
        }
        Count::About(n) => {
            let digits = n.checked_ilog10().unwrap_or(0);
            let unit = 10u64.pow(digits.saturating_sub(1));
            ctx.t("list-count-about", &noun_args((n + unit / 2) / unit * unit))
        }
        Count::MoreThan(n) => ctx.t("list-count-more", &noun_args(n)),
    }
}
