use std::time::Duration;

use aspk_gate::{OutputError, OutputSpec, PassInfo, Turnstile};

#[tokio::test]
async fn a_missing_chip_is_a_clear_error() {
    let spec: OutputSpec = "gpio:/dev/gpiochip-nope:17:active_low".parse().unwrap();
    let t = Turnstile::new(spec, Duration::from_millis(10));
    let err = t.open(&PassInfo::default()).await.unwrap_err();
    assert!(matches!(err, OutputError::Gpio { line: 17, .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("/dev/gpiochip-nope") && msg.contains("no such GPIO chip"),
        "{msg}"
    );

    let err = t.hold_open(true).await.unwrap_err();
    assert!(err.to_string().contains("no such GPIO chip"), "{err}");
}

#[tokio::test]
async fn a_chip_that_is_not_a_gpio_device_is_a_clear_error() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let t = Turnstile::new(
        OutputSpec::Gpio {
            chip: file.path().to_owned(),
            line: 3,
            active_low: false,
        },
        Duration::from_millis(10),
    );
    let err = t.open(&PassInfo::default()).await.unwrap_err();
    assert!(matches!(err, OutputError::Gpio { line: 3, .. }), "{err:?}");
    assert!(err.to_string().contains("cannot request the line"), "{err}");
}
