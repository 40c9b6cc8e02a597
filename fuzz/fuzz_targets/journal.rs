//! Any bytes as a journal file through the loader: `invalid_input`, or a journal that passes
//! its own validation and loads again after a save.
#![no_main]
use std::path::PathBuf;
use std::sync::OnceLock;

use dynoshift::ErrorKind;
use dynoshift::cutover::{JournalFile, read_journal};
use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("dynoshift-fuzz-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch().join("cutover.journal.json");
    std::fs::write(&path, data).unwrap();
    match read_journal(&path) {
        Ok(journal) => {
            journal.validate().expect("a loaded journal is valid");
            let copy = scratch().join("copy.journal.json");
            JournalFile::new(&copy).save(&journal).unwrap();
            read_journal(&copy).expect("a saved journal loads again");
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}"),
    }
});
