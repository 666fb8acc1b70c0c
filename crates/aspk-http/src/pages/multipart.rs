//! Just enough of `multipart/form-data` (RFC 7578) for the staff forms that carry files (the
//! shop's logo, the paper imports): text fields and uploaded files, read from a body already
//! in memory (at most the route's body limit), so the form's anti-forgery token is checked
//! before anything is done.

/// One part of a form: a field, or a file when it has a file name.
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

/// The parts of `body` whose `Content-Type` is `content_type`; none when it is not a
/// well-formed multipart form.
pub fn parse(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    if !content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return None;
    }
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))?
        .trim_matches('"');
    if boundary.is_empty() {
        return None;
    }
    let delimiter = format!("--{boundary}");
    let next = format!("\r\n{delimiter}");
    let mut parts = Vec::new();
    let mut rest = &body[find(body, delimiter.as_bytes())? + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let content = &rest[head_end + 4..];
        let end = find(content, next.as_bytes())?;
        parts.push(part(head, &content[..end])?);
        rest = &content[end + next.len()..];
    }
}

/// The text of field `name` (trimmed), empty when absent.
pub fn text(parts: &[Part], name: &str) -> String {
    parts
        .iter()
        .find(|p| p.name == name && p.filename.is_none())
        .map(|p| String::from_utf8_lossy(&p.data).trim().to_owned())
        .unwrap_or_default()
}

/// The files uploaded in field `name` (a file input left empty sends one nameless, empty
/// part: left out).
pub fn files<'a>(parts: &'a [Part], name: &'a str) -> impl Iterator<Item = &'a Part> {
    parts
        .iter()
        .filter(move |p| p.name == name && p.filename.as_deref().is_some_and(|f| !f.is_empty()))
}

fn part(head: &str, data: &[u8]) -> Option<Part> {
    let disposition = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
    let param = |key: &str| {
        disposition.split(';').map(str::trim).find_map(|p| {
            p.strip_prefix(key)
                .and_then(|v| v.strip_prefix('='))
                .map(|v| v.trim_matches('"').to_owned())
        })
    };
    Some(Part {
        name: param("name")?,
        filename: param("filename"),
        data: data.to_vec(),
    })
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, tail) = needle.split_first()?;
    let mut from = 0;
    while let Some(i) = haystack[from..].iter().position(|&b| b == first) {
        let at = from + i;
        if haystack[at + 1..].starts_with(tail) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_field_and_a_binary_file_with_line_breaks_in_it() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"l.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\r\n--XyZ--\r\n";
        let parts = parse("multipart/form-data; boundary=XyZ", body).expect("parsed");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "csrf");
        assert_eq!(parts[0].data, b"abc");
        assert_eq!(parts[1].filename.as_deref(), Some("l.png"));
        assert_eq!(parts[1].data, b"\x89PNG\r\n\x1a\n");
        assert!(parse("application/x-www-form-urlencoded", body).is_none());
    }

    #[test]
    fn reads_fields_and_several_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n abc \r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\r\n--\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"b.txt\"\r\n\r\nhello\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"\"\r\n\r\n\r\n--XyZ--\r\n";
        let parts = parse("multipart/form-data; boundary=XyZ", body).expect("parsed");
        assert_eq!(parts.len(), 4);
        assert_eq!(text(&parts, "csrf"), "abc");
        let photos: Vec<&Part> = files(&parts, "photos").collect();
        assert_eq!(photos.len(), 2);
        assert_eq!(photos[0].data, b"\xff\xd8\xff\r\n--");
        assert_eq!(photos[1].filename.as_deref(), Some("b.txt"));
        assert_eq!(files(&parts, "csv").count(), 0);
        assert_eq!(text(&parts, "missing"), "");
    }

    #[test]
    fn refuses_what_is_not_a_multipart_form() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--XyZ--";
        assert!(parse("application/x-www-form-urlencoded", body).is_none());
        assert!(parse("multipart/form-data; boundary=XyZ", b"no parts").is_none());
        let cut = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb";
        assert!(parse("multipart/form-data; boundary=XyZ", cut).is_none());
    }
}
