fn main() {
    let src = std::path::Path::new("src");
    let mut build = cc::Build::new();
    build.std("c11").include(src);
    // Generated code: its unused-parameter and similar warnings are not ours to fix.
    build.warnings(false);
    for file in ["parser.c", "scanner.c"] {
        let path = src.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        build.file(path);
    }
    build.compile("mtlsguard-grammar-bicep");
}
