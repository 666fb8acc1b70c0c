//! Cross-check with an independent reader: zbarimg reads the same synthesized photo.

use std::process::Command;

use aspk_photo::read_photo;
use aspk_photo::synth::{phone_photo, Shot};

use crate::support::{code, one_code};

#[test]
fn zbarimg_reads_the_same_code_from_a_synthesized_photo() {
    let code = code(210, 71);
    let shot = Shot {
        angle_deg: 17.0,
        blur: 0.8,
        glare: true,
        ..Shot::default()
    };
    let photo = phone_photo(&code, &shot);
    assert_eq!(read_photo(&photo), one_code(&code));

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("photo.jpg");
    std::fs::write(&path, &photo).expect("write photo");
    match Command::new("zbarimg")
        .args(["--raw", "-q", "-Sdisable", "-Sqrcode.enable"])
        .arg(&path)
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "zbarimg found no code: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8(out.stdout).expect("zbarimg output is UTF-8");
            assert_eq!(text.trim_end(), code);
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => aspk_testkit::skip(
            "zbar cross-check of a synthesized photo",
            "zbarimg is not installed",
            "apt-get install -y zbar-tools",
        ),
        Err(e) => panic!("running zbarimg: {e}"),
    }
}
