//! `uniffi-bindgen generate --library <libdynoshift_ruby.so> --language ruby --out-dir <dir>`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
