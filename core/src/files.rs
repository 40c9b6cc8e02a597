//! Reading caller-named files with errors that say which file and what to do.

use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

/// Maps an I/O error on `path` to `not_found` (missing) or `invalid_input` (anything else that
/// makes it unreadable: permissions, a directory, bad bytes), naming the file.
pub fn io_error(err: &std::io::Error, path: &Path) -> Error {
    let kind = match err.kind() {
        std::io::ErrorKind::NotFound => ErrorKind::NotFound,
        _ => ErrorKind::InvalidInput,
    };
    Error::new(
        kind,
        format!(
            "cannot read {}: {err}; check the path and permissions",
            path.display()
        ),
    )
}

/// The whole file as UTF-8 text.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| io_error(&e, path))
}

/// The JSON text of a command-line argument that is either inline JSON (`{"web": ...}`,
/// `[...]`) or the path of a file holding it: an existing file is read; otherwise an argument
/// that starts with `{` or `[` is the JSON itself; anything else is read as a path (so a missing
/// file is `not_found`, naming it).
pub fn read_json_arg(arg: &Path) -> Result<String> {
    if !arg.is_file()
        && let Some(text) = arg.to_str()
        && text.trim_start().starts_with(['{', '['])
    {
        return Ok(text.to_owned());
    }
    read_text(arg)
}

/// Opens a log file for reading line by line: gzip archives (detected by their content, several
/// members read one after the other, as `gzip -dc` does) decompressed, anything else as it is.
pub(crate) fn open_maybe_gzip(path: &Path) -> Result<Box<dyn std::io::BufRead>> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).map_err(|e| io_error(&e, path))?;
    let mut reader = std::io::BufReader::with_capacity(256 * 1024, file);
    let gzip = reader
        .fill_buf()
        .map(|h| h.starts_with(&crate::telemetry::GZIP_MAGIC))
        .unwrap_or(false);
    Ok(if gzip {
        Box::new(std::io::BufReader::new(
            flate2::bufread::MultiGzDecoder::new(reader),
        ))
    } else {
        Box::new(reader)
    })
}

/// Whether a read error is an archive cut short or corrupt (what was read before it is good).
pub(crate) fn is_truncated_archive(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidData
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_arguments_are_inline_or_a_file() {
        let inline = r#" {"private-m": 600}"#;
        assert_eq!(read_json_arg(Path::new(inline)).unwrap(), inline);
        assert_eq!(read_json_arg(Path::new("[1]")).unwrap(), "[1]");
        let path =
            std::env::temp_dir().join(format!("dynoshift-json-arg-{}.json", std::process::id()));
        std::fs::write(&path, "{}").unwrap();
        assert_eq!(read_json_arg(&path).unwrap(), "{}");
        std::fs::remove_file(&path).unwrap();
        let missing = read_json_arg(&path).unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
    }

    #[test]
    fn missing_files_are_not_found_and_named() {
        let err = read_text(Path::new("/nonexistent/dynoshift/formation.json")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(
            err.message()
                .contains("/nonexistent/dynoshift/formation.json")
        );
    }

    #[test]
    fn non_utf8_is_invalid_input() {
        let path = std::env::temp_dir().join(format!("dynoshift-files-{}.bin", std::process::id()));
        std::fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
        let err = read_text(&path).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}
