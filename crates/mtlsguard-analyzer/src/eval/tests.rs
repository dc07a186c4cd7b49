//! Evaluator tests: Bicep expressions through the real lowering.

use crate::eval::{Eval, Kind, Val};
use crate::lower::lower;
use crate::syntax::{Document, Language, parse};

/// Evaluates the var `out` of a Bicep text: its value as Bicep would write it.
fn bicep(src: &str) -> String {
    let tree = parse(Language::Bicep, src, None)
        .into_tree()
        .expect("parsed");
    let doc = Document::new(Language::Bicep, src, &tree);
    let model = lower(&doc);
    let def = &model.scopes[0]
        .vars
        .iter()
        .rev()
        .find(|(n, _)| n == "out")
        .expect("a var named out")
        .1;
    let ev = Eval::new(&model);
    render(&ev.eval(&def.value, 0, &[]))
}

fn render(v: &Val<'_>) -> String {
    match &v.kind {
        Kind::Unknown(w) => format!("unknown: {w}"),
        Kind::Null => "null".into(),
        Kind::Bool(b) => b.to_string(),
        Kind::Int(i) => i.to_string(),
        Kind::Number => "number".into(),
        Kind::Str(s) => format!("'{s}'"),
        Kind::NonEmptyStr => "non-empty string".into(),
        Kind::Array(a) => format!("[{}]", a.iter().map(render).collect::<Vec<_>>().join(", ")),
        Kind::Object(o) => {
            let mut parts: Vec<String> = o
                .entries
                .iter()
                .map(|e| format!("{}: {}", e.key, render(&e.val)))
                .collect();
            if let Some(w) = &o.open {
                parts.push(format!("...unknown ({w})"));
            }
            format!("{{{}}}", parts.join(", "))
        }
    }
}

#[test]
fn operators() {
    for (expr, want) in [
        ("true && false", "false"),
        ("false || true", "true"),
        ("!true", "false"),
        ("1 == 1", "true"),
        ("'a' == 'A'", "false"),
        ("'a' =~ 'A'", "true"),
        ("'a' !~ 'A'", "false"),
        ("'a' != 'b'", "true"),
        ("null ?? 'x'", "'x'"),
        ("'y' ?? 'x'", "'y'"),
        ("1 < 2", "true"),
        ("2 + 3 * 4", "14"),
        ("-5 % 3", "-2"),
        ("true ? 'a' : 'b'", "'a'"),
        ("false ? 'a' : 'b'", "'b'"),
        ("'x${1}y${'z'}'", "'x1yz'"),
        ("[1, ...[2, 3]]", "[1, 2, 3]"),
        ("{ a: 1, ...{ b: 2, a: 3 } }", "{a: 3, b: 2}"),
        ("{ a: 1 }.a", "1"),
        ("{ a: 1 }.?b", "null"),
        ("{ a: 1 }['a']", "1"),
        ("[4, 5][1]", "5"),
        ("[4, 5][?7]", "null"),
        ("{ a: { b: 'c' } }.a.b", "'c'"),
        ("(1 + 1)!", "2"),
    ] {
        assert_eq!(bicep(&format!("var out = {expr}\n")), want, "{expr}");
    }
}

#[test]
fn functions() {
    for (expr, want) in [
        ("empty('')", "true"),
        ("empty([])", "true"),
        ("empty({})", "true"),
        ("empty(null)", "true"),
        ("empty('a')", "false"),
        ("contains('abc', 'b')", "true"),
        ("contains('abc', 'B')", "false"),
        ("contains([1, 2], 2)", "true"),
        ("contains({ Key: 1 }, 'key')", "true"),
        ("coalesce(null, null, 'c')", "'c'"),
        (
            "union({ a: 1, n: { x: 1 } }, { b: 2, n: { y: 2 } })",
            "{a: 1, n: {x: 1, y: 2}, b: 2}",
        ),
        ("union([1, 2], [2, 3])", "[1, 2, 3]"),
        ("concat('a', 'b')", "'ab'"),
        ("concat([1], [2])", "[1, 2]"),
        ("toLower('AB')", "'ab'"),
        ("toUpper('ab')", "'AB'"),
        ("string(12)", "'12'"),
        ("bool('True')", "true"),
        ("int('42')", "42"),
        ("json('{\"a\": [true]}')", "{a: [true]}"),
        ("length('abc')", "3"),
        ("length([1, 2])", "2"),
        ("first([7, 8])", "7"),
        ("last('xyz')", "'z'"),
        ("sys.createObject('k', 'v')", "{k: 'v'}"),
        ("createArray(1, 'a')", "[1, 'a']"),
        (
            "items({ b: 2, a: 1 })",
            "[{key: 'a', value: 1}, {key: 'b', value: 2}]",
        ),
        ("not(true)", "false"),
        ("and(true, true, false)", "false"),
        ("or(false, true)", "true"),
        ("equals('a', 'a')", "true"),
        ("resourceId('A/b', 'n')", "non-empty string"),
        ("empty(resourceId('A/b', 'n'))", "false"),
    ] {
        assert_eq!(bicep(&format!("var out = {expr}\n")), want, "{expr}");
    }
}

#[test]
fn names() {
    assert_eq!(bicep("param p string = 'x'\nvar out = p\n"), "'x'");
    assert_eq!(bicep("param p string?\nvar out = p\n"), "null");
    assert_eq!(
        bicep("param p string\nvar out = p\n"),
        "unknown: value from a param without default"
    );
    assert_eq!(bicep("var a = { b: [1, 2] }\nvar out = a.b[1]\n"), "2");
    assert_eq!(
        bicep("resource r 'A.B/c@1' = {\n  name: 'r'\n}\nvar out = empty(r.id)\n"),
        "false"
    );
    assert_eq!(
        bicep("resource r 'A.B/c@1' = {\n  name: 'r'\n}\nvar out = r.properties.x\n"),
        "unknown: a resource's runtime property"
    );
    assert_eq!(
        bicep("var out = m.outputs.x\n"),
        "unknown: a name defined outside the file"
    );
}

#[test]
fn never_guesses() {
    for (expr, want) in [
        (
            "resourceGroup().location",
            "unknown: function resourcegroup() is not evaluated",
        ),
        (
            "uniqueString('a')",
            "unknown: function uniquestring() is not evaluated",
        ),
        (
            "p ? 'a' : 'b'",
            "unknown: value from a param without default",
        ),
        ("p == 'x'", "unknown: value from a param without default"),
        ("'${p}'", "unknown: value from a param without default"),
        (
            "{ a: 1 }.b",
            "unknown: an expression that fails or has the wrong type",
        ),
        (
            "map([1], x => x)",
            "unknown: function map() is not evaluated",
        ),
        (
            "[for x in [1]: x]",
            "unknown: a for expression is not evaluated",
        ),
        (
            "string(true)",
            "unknown: an expression that fails or has the wrong type",
        ),
    ] {
        assert_eq!(
            bicep(&format!("param p string\nvar out = {expr}\n")),
            want,
            "{expr}"
        );
    }
    // Short circuits decide without the unknown side.
    assert_eq!(bicep("param p bool\nvar out = false && p\n"), "false");
    assert_eq!(bicep("param p bool\nvar out = p || true\n"), "true");
}

#[test]
fn objects_are_known_key_by_key() {
    // Keys an unknown spread could set are unknown; keys after it are known.
    assert_eq!(
        bicep("param p object\nvar out = { a: 1, ...p, b: 2 }\n"),
        "{a: unknown: value from a param without default, b: 2, ...unknown (value from a param without default)}"
    );
    assert_eq!(
        bicep("param p object\nvar out = union({ a: 1 }, p, { b: 2 })\n"),
        "{a: unknown: value from a param without default, b: 2, ...unknown (value from a param without default)}"
    );
}

#[test]
fn self_reference_and_blow_up_are_bounded() {
    assert_eq!(
        bicep("var out = out\n"),
        "unknown: a self-reference or an evaluation limit"
    );
    assert_eq!(
        bicep("var a = b\nvar b = a\nvar out = a\n"),
        "unknown: a self-reference or an evaluation limit"
    );
    // 2^40 elements if expanded: the budget stops it.
    let mut src = String::from("var v0 = [1, 1]\n");
    for i in 1..40 {
        src.push_str(&format!("var v{i} = concat(v{}, v{})\n", i - 1, i - 1));
    }
    src.push_str("var out = length(v39)\n");
    let got = bicep(&src);
    assert!(
        got.starts_with("unknown") || got.parse::<i64>().is_ok(),
        "{got}"
    );
}

#[test]
fn values_remember_where_they_were_written() {
    let src = "param mode string = 'Optional'\nvar m = mode\nvar out = m\n";
    let tree = parse(Language::Bicep, src, None).into_tree().unwrap();
    let doc = Document::new(Language::Bicep, src, &tree);
    let model = lower(&doc);
    let ev = Eval::new(&model);
    let def = &model.scopes[0]
        .vars
        .iter()
        .find(|(n, _)| n == "out")
        .unwrap()
        .1;
    let v = ev.eval(&def.value, 0, &[]);
    let written = v.written.clone().unwrap();
    assert_eq!(&src[written], "'Optional'");
    let names: Vec<String> = v
        .via
        .iter()
        .map(|s| format!("{} {}", s.what, s.name))
        .collect();
    assert_eq!(names, ["var m", "param mode"]);
    // Computed values are written nowhere: no fix can edit them.
    let src = "param on bool = false\nvar out = on ? 'a' : 'b'\n";
    let tree = parse(Language::Bicep, src, None).into_tree().unwrap();
    let doc = Document::new(Language::Bicep, src, &tree);
    let model = lower(&doc);
    let ev = Eval::new(&model);
    let def = &model.scopes[0]
        .vars
        .iter()
        .find(|(n, _)| n == "out")
        .unwrap()
        .1;
    let v = ev.eval(&def.value, 0, &[]);
    assert!(v.written.is_none());
    assert_eq!(v.via.len(), 1);
}
