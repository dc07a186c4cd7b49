fn main() {
    let src = std::path::Path::new("src");
    let parser = src.join("parser.c");
    let mut build = cc::Build::new();
    build.std("c11").include(src).file(&parser);
    // Generated code: its unused-parameter and similar warnings are not ours to fix.
    build.warnings(false);
    println!("cargo:rerun-if-changed={}", parser.display());
    for header in ["parser.h", "array.h", "alloc.h"] {
        let path = src.join("tree_sitter").join(header);
        println!("cargo:rerun-if-changed={}", path.display());
    }
    build.compile("mtlsguard-grammar-json");
}
