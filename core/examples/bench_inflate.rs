//! The gzip benchmark's floor (`tests/bench/gzip_bench.sh`, run by `make bench`): inflates each
//! file given with the crate's own flate2 backend (the same `MultiGzDecoder` over a 256 KiB
//! buffered file the ingest uses), discards the output and prints the decompressed byte count.
//! What `dynoshift ingest` of a `.gz` would cost if parsing were free.

use std::io::{BufReader, Read};

fn main() {
    let mut total = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    for path in std::env::args().skip(1) {
        let file = std::fs::File::open(&path).expect("open the file");
        let mut dec =
            flate2::bufread::MultiGzDecoder::new(BufReader::with_capacity(256 * 1024, file));
        loop {
            match dec.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => total += n as u64,
                Err(e) => panic!("{path}: {e}"),
            }
        }
    }
    println!("{total}");
}
