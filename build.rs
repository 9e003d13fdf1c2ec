//! Rebuilds when migrations change: they are embedded in the binary.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
