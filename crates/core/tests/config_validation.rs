//! Bad configuration is a typed error that names the field, never a panic or a silent wrap: each
//! case feeds one bad value to `ExchangeConfig::validate`, `Exchange::new` and `rules_of` and
//! asserts the error. (Also run with `--release` by scripts/test.sh: no case panics there either.)

use bourse_core::*;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The default configuration with one change.
fn with(change: impl FnOnce(&mut ExchangeConfig)) -> ExchangeConfig {
    let mut c = ExchangeConfig::default_spot();
    change(&mut c);
    c
}

/// The error of `c`, the same from `validate`, `Exchange::new` and (for instrument errors)
/// `rules_of`.
fn error(c: &ExchangeConfig) -> ConfigError {
    let e = c.validate().expect_err("invalid");
    assert_eq!(Exchange::new(c.clone()).err(), Some(e.clone()));
    e
}

#[test]
fn the_default_configuration_is_valid() {
    ExchangeConfig::default_spot().validate().unwrap();
}

#[test]
fn asset_precision_beyond_what_the_grid_holds() {
    // 29 decimals: `rust_decimal` (scale ≤ 28) would panic in `Decimal::new`.
    for decimals in [19, 29, u32::MAX] {
        let c = with(|c| c.assets[2].decimals = decimals);
        assert_eq!(
            error(&c),
            ConfigError::TooPrecise {
                field: "assets[2].decimals".into(),
                scale: decimals,
                max: MAX_ASSET_DECIMALS
            }
        );
        // The page's per-instrument conversion says so too (it must not panic either).
        let e = rules_of(&c, &c.instruments[0]).unwrap_err();
        assert!(matches!(e, ConfigError::TooPrecise { .. }), "{e}");
    }
}

#[test]
fn instrument_decimals_beyond_what_rust_decimal_holds() {
    // 15 + 14 = 29 decimals for one tick × one lot: the product would be rounded silently.
    let c = with(|c| {
        c.instruments[0].tick_size = d("0.00000000000001");
        c.instruments[0].lot_size = d("0.000000000000001");
    });
    assert_eq!(
        error(&c),
        ConfigError::TooPrecise {
            field: "instruments[0].tick_size × lot_size".into(),
            scale: 29,
            max: 28
        }
    );
}

#[test]
fn fee_rates_at_or_above_100_percent() {
    for (field, ppm) in [("maker_fee_ppm", 1_000_000), ("taker_fee_ppm", u32::MAX)] {
        let c = with(|c| {
            if field == "maker_fee_ppm" {
                c.instruments[1].maker_fee_ppm = ppm
            } else {
                c.instruments[1].taker_fee_ppm = ppm
            }
        });
        assert_eq!(
            error(&c),
            ConfigError::FeeRate {
                field: format!("instruments[1].{field}"),
                ppm
            }
        );
    }
    // Just under 100 % is allowed.
    with(|c| c.instruments[0].taker_fee_ppm = MAX_FEE_PPM)
        .validate()
        .unwrap();
    // A negative rate cannot even be written: the field is unsigned, and JSON with one is refused.
    let mut json = serde_json::to_value(ExchangeConfig::default_spot()).unwrap();
    json["instruments"][0]["maker_fee_ppm"] = serde_json::json!(-800);
    let e = serde_json::from_value::<ExchangeConfig>(json).unwrap_err();
    assert!(e.to_string().contains("invalid value"), "{e}");
}

#[test]
fn price_band_and_reference_price_beyond_the_fast_paths() {
    for band in [0, MAX_PRICE_BAND_BPS + 1, u32::MAX] {
        let c = with(|c| c.instruments[0].price_band_bps = band);
        assert!(
            matches!(error(&c), ConfigError::OutOfRange { ref field, .. } if field == "instruments[0].price_band_bps"),
            "band {band}"
        );
    }
    // 2 × 10^10 USDT is 2 × 10^12 ticks of 0.01, above 2^40 − 1.
    let c = with(|c| c.instruments[0].reference_price = d("20000000000"));
    assert!(matches!(
        error(&c),
        ConfigError::OutOfRange { ref field, .. } if field == "instruments[0].reference_price"
    ));
    // The widest band with the highest reference still applies without overflow.
    let c = with(|c| {
        c.instruments[0].price_band_bps = MAX_PRICE_BAND_BPS;
        c.instruments[0].reference_price = d("10995116277.75");
    });
    let ex = Exchange::new(c).unwrap();
    let r = ex.rules(0).unwrap();
    assert_eq!(r.reference_ticks, MAX_REFERENCE_TICKS);
    assert!(r.in_band(1, r.reference_ticks));
}

#[test]
fn zero_sizes_inverted_limits_and_unknown_assets() {
    for (field, change) in [
        (
            "tick_size",
            (|c: &mut ExchangeConfig| c.instruments[0].tick_size = Decimal::ZERO)
                as fn(&mut ExchangeConfig),
        ),
        ("lot_size", |c| c.instruments[0].lot_size = Decimal::ZERO),
        ("lot_size", |c| c.instruments[0].lot_size = d("-0.001")),
    ] {
        let e = error(&with(change));
        assert!(
            matches!(&e, ConfigError::OffGrid { field: f, detail } if *f == format!("instruments[0].{field}") && detail.contains("must be greater than 0")),
            "{e}"
        );
    }
    let c = with(|c| c.instruments[0].min_qty = d("10000"));
    assert_eq!(
        error(&c),
        ConfigError::Inconsistent {
            field: "instruments[0].min_qty".into(),
            detail: "10000 is above max_qty 9000".into()
        }
    );
    let c = with(|c| c.instruments[1].base = 7);
    assert_eq!(
        error(&c),
        ConfigError::UnknownAsset {
            field: "instruments[1].base".into(),
            asset: 7,
            assets: 3
        }
    );
    let c = with(|c| c.instruments[0].quote = c.instruments[0].base);
    assert!(
        matches!(error(&c), ConfigError::Inconsistent { ref field, .. } if field == "instruments[0].quote")
    );
}

#[test]
fn symbols_are_unique_and_not_empty() {
    let c = with(|c| c.instruments[1].symbol = "BTC-USDT".into());
    assert_eq!(
        error(&c),
        ConfigError::Duplicate {
            field: "instruments[1].symbol".into(),
            symbol: "BTC-USDT".into()
        }
    );
    let c = with(|c| c.assets[1].symbol = "BTC".into());
    assert!(matches!(error(&c), ConfigError::Duplicate { .. }));
    let c = with(|c| c.instruments[0].symbol = " ".into());
    assert!(matches!(error(&c), ConfigError::Inconsistent { .. }));
}

#[test]
fn messages_name_the_field_and_the_limit() {
    let c = with(|c| c.instruments[0].taker_fee_ppm = 1_000_000);
    assert_eq!(
        error(&c).to_string(),
        "instruments[0].taker_fee_ppm: 1000000 ppm is a fee of 100 % or more; at most 999999 ppm"
    );
}
