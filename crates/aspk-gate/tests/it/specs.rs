//! The CLI forms of every spec.

use std::path::PathBuf;

use aspk_gate::{ConfirmSpec, Direction, InputSpec, OutputSpec};

#[test]
fn input_forms() {
    assert_eq!("stdin".parse::<InputSpec>().unwrap(), InputSpec::Stdin);
    assert_eq!(
        "tcp:127.0.0.1:9000".parse::<InputSpec>().unwrap(),
        InputSpec::Tcp("127.0.0.1:9000".parse().unwrap())
    );
    assert_eq!(
        "tcp:[::1]:9000".parse::<InputSpec>().unwrap(),
        InputSpec::Tcp("[::1]:9000".parse().unwrap())
    );
    assert_eq!(
        "serial:/dev/ttyACM0".parse::<InputSpec>().unwrap(),
        InputSpec::Serial {
            path: PathBuf::from("/dev/ttyACM0"),
            baud: 9600
        }
    );
    assert_eq!(
        "serial:/dev/ttyUSB1@115200".parse::<InputSpec>().unwrap(),
        InputSpec::Serial {
            path: PathBuf::from("/dev/ttyUSB1"),
            baud: 115_200
        }
    );
    assert_eq!(
        "evdev:/dev/input/event3".parse::<InputSpec>().unwrap(),
        InputSpec::Evdev(PathBuf::from("/dev/input/event3"))
    );
    for spec in [
        "stdin",
        "tcp:127.0.0.1:9000",
        "serial:/dev/ttyACM0@9600",
        "evdev:/dev/input/event3",
    ] {
        assert_eq!(spec.parse::<InputSpec>().unwrap().to_string(), spec);
    }
}

#[test]
fn bad_input_forms_say_what_is_wrong() {
    for (spec, says) in [
        ("keyboard", "unknown input kind"),
        ("udp:127.0.0.1:9000", "unknown input kind"),
        ("tcp:localhost:9000", "IP address and port"),
        ("tcp:127.0.0.1", "IP address and port"),
        ("serial:", "device path"),
        ("serial:/dev/ttyACM0@fast", "baud"),
        ("serial:/dev/ttyACM0@0", "baud"),
        ("evdev:", "device path"),
        ("", "unknown input kind"),
    ] {
        let err = spec.parse::<InputSpec>().unwrap_err().to_string();
        assert!(err.contains(says), "{spec:?}: {err}");
        assert!(
            err.contains("serial:/dev/ttyACM0[@BAUD]"),
            "lists the forms: {err}"
        );
    }
}

#[test]
fn output_forms() {
    assert_eq!("none".parse::<OutputSpec>().unwrap(), OutputSpec::None);
    assert_eq!(
        "cmd:gpioset gpiochip0 17=1".parse::<OutputSpec>().unwrap(),
        OutputSpec::Command("gpioset gpiochip0 17=1".to_owned())
    );
    assert_eq!(
        "http://10.0.0.5/open".parse::<OutputSpec>().unwrap(),
        OutputSpec::Http {
            url: "http://10.0.0.5/open".to_owned()
        }
    );
    assert_eq!(
        "gpio:/dev/gpiochip0:17".parse::<OutputSpec>().unwrap(),
        OutputSpec::Gpio {
            chip: PathBuf::from("/dev/gpiochip0"),
            line: 17,
            active_low: false
        }
    );
    assert_eq!(
        "gpio:gpiochip1:4:active_low".parse::<OutputSpec>().unwrap(),
        OutputSpec::Gpio {
            chip: PathBuf::from("/dev/gpiochip1"),
            line: 4,
            active_low: true
        }
    );
    for bad in [
        "relay",
        "cmd:",
        "gpio:/dev/gpiochip0",
        "gpio:/dev/gpiochip0:x",
        "gpio::3",
    ] {
        assert!(bad.parse::<OutputSpec>().is_err(), "{bad}");
    }
}

#[test]
fn confirm_and_direction_forms() {
    assert_eq!("none".parse::<ConfirmSpec>().unwrap(), ConfirmSpec::None);
    assert_eq!(
        "tcp:0.0.0.0:9100".parse::<ConfirmSpec>().unwrap(),
        ConfirmSpec::Tcp("0.0.0.0:9100".parse().unwrap())
    );
    assert_eq!(
        "cmd:wait-for-rotation".parse::<ConfirmSpec>().unwrap(),
        ConfirmSpec::Command("wait-for-rotation".to_owned())
    );
    assert!("beam".parse::<ConfirmSpec>().is_err());
    assert_eq!("exit".parse::<Direction>().unwrap(), Direction::Exit);
    assert_eq!("entry".parse::<Direction>().unwrap(), Direction::Entry);
    assert!("sideways".parse::<Direction>().is_err());
}
