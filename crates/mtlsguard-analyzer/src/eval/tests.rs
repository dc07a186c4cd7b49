//! Evaluator tests: Bicep expressions through the real lowering.

use crate::eval::{Eval, Kind, Val};
use crate::lower::lower;
use crate::syntax::{Document, Language, parse};

/// Calls `f` with the value of the var `out` of a Bicep text.
fn with_out<T>(src: &str, f: impl FnOnce(&Val<'_>) -> T) -> T {
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
    f(&Eval::new(&model).eval(&def.value, 0, &[]))
}

/// Evaluates the var `out` of a Bicep text: its value as Bicep would write it.
fn bicep(src: &str) -> String {
    with_out(src, render)
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
        ("tryGet({ a: { b: 1 } }, 'a', 'b')", "1"),
        ("tryGet({ a: 1 }, 'x')", "null"),
        ("tryGet([1], 3)", "null"),
        ("any('x')", "'x'"),
        ("empty(resourceId('A/b', 'n'))", "false"),
    ] {
        assert_eq!(bicep(&format!("var out = {expr}\n")), want, "{expr}");
    }
}

#[test]
fn names() {
    assert_eq!(bicep("param p string = 'x'\nvar out = p\n"), "'x'");
    assert_eq!(bicep("param p string?\nvar out = p\n"), "null");
    // A user-defined type that is nullable makes it nullable too, wherever declared.
    assert_eq!(
        bicep("param p pe\nvar out = p\ntype pe = { name: string }[]?\n"),
        "null"
    );
    assert_eq!(
        bicep("type pe = { name: string }[]\nparam p pe\nvar out = p\n"),
        "unknown: value from a param without default"
    );
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
    with_out(src, |v| {
        let written = v.written.clone().unwrap();
        assert_eq!(&src[written], "'Optional'");
        let names: Vec<String> = v
            .via
            .iter()
            .map(|s| format!("{} {}", s.what, s.name))
            .collect();
        assert_eq!(names, ["var m", "param mode"]);
    });
    // Computed values are written nowhere: no fix can edit them.
    with_out("param on bool = false\nvar out = on ? 'a' : 'b'\n", |v| {
        assert!(v.written.is_none());
        assert_eq!(v.via.len(), 1);
    });
}

/// Evaluates the variable `out` of an ARM template with `params` (JSON members).
fn arm(params: &str, expr: &str) -> String {
    let src = format!(
        "{{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", \"parameters\": {{{params}}}, \"variables\": {{\"out\": \"[{expr}]\"}}, \"resources\": []}}"
    );
    let tree = parse(Language::Json, &src, None)
        .into_tree()
        .expect("parsed");
    let doc = Document::new(Language::Json, &src, &tree);
    let model = lower(&doc);
    let def = &model.scopes[0]
        .vars
        .iter()
        .find(|(n, _)| n == "out")
        .expect("a variable named out")
        .1;
    render(&Eval::new(&model).eval(&def.value, 0, &[]))
}

#[test]
fn arm_functions() {
    let params = r#""on": {"type": "bool", "defaultValue": true}, "o": {"type": "object", "defaultValue": {"a": {"b": "c"}}}, "none": {"type": "string"}, "maybe": {"type": "string", "nullable": true}"#;
    for (expr, want) in [
        ("if(parameters('on'), 'a', 'b')", "'a'"),
        ("If(not(parameters('ON')), 'a', 'b')", "'b'"),
        ("and(true(), false())", "false"),
        ("or(false(), true())", "true"),
        ("equals(parameters('o').a.b, 'c')", "true"),
        ("parameters('o')['a']['b']", "'c'"),
        ("parameters('o').?x", "null"),
        ("empty(parameters('o'))", "false"),
        ("contains(parameters('o'), 'A')", "true"),
        ("coalesce(null(), 1)", "1"),
        (
            "union(parameters('o'), createObject('z', 1))",
            "{a: {b: 'c'}, z: 1}",
        ),
        ("concat('a', 'b', 'c')", "'abc'"),
        ("toLower('X')", "'x'"),
        ("toUpper('x')", "'X'"),
        ("string(5)", "'5'"),
        ("bool('false')", "false"),
        ("int('7')", "7"),
        ("json('[1, \\\"x\\\"]')", "[1, 'x']"),
        ("length(createArray(1, 2, 3))", "3"),
        ("first(createArray('p', 'q'))", "'p'"),
        ("last(createArray('p', 'q'))", "'q'"),
        ("items(createObject('k', 'v'))", "[{key: 'k', value: 'v'}]"),
        ("tryGet(parameters('o'), 'a', 'b')", "'c'"),
        (
            "variables('missing')",
            "unknown: a name defined outside the file",
        ),
        (
            "parameters('none')",
            "unknown: value from a param without default",
        ),
        ("parameters('maybe')", "null"),
        (
            "reference('x').y",
            "unknown: function reference() is not evaluated",
        ),
        ("not(empty(resourceId('A/b', 'n')))", "true"),
        ("'it''s'", "'it's'"),
    ] {
        assert_eq!(arm(params, expr), want, "{expr}");
    }
}

/// An expression in both languages' syntax.
#[derive(Debug, Clone)]
struct Both {
    bicep: String,
    arm: String,
}

fn both(bicep: String, arm: String) -> Both {
    Both { bicep, arm }
}

fn expr_strategy() -> impl proptest::strategy::Strategy<Value = Both> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        (-50i64..50).prop_map(|i| both(i.to_string(), i.to_string())),
        "[a-cA-C]{0,3}".prop_map(|s| both(format!("'{s}'"), format!("'{s}'"))),
        any::<bool>().prop_map(|b| both(b.to_string(), format!("{b}()"))),
        Just(both("null".into(), "null()".into())),
        Just(both("p".into(), "parameters('p')".into())),
    ];
    leaf.prop_recursive(4, 32, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, a, b)| both(
                format!("({} ? {} : {})", c.bicep, a.bicep, b.bicep),
                format!("if({}, {}, {})", c.arm, a.arm, b.arm)
            )),
            inner
                .clone()
                .prop_map(|a| both(format!("!({})", a.bicep), format!("not({})", a.arm))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| both(
                format!("({} && {})", a.bicep, b.bicep),
                format!("and({}, {})", a.arm, b.arm)
            )),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| both(
                format!("({} == {})", a.bicep, b.bicep),
                format!("equals({}, {})", a.arm, b.arm)
            )),
            inner
                .clone()
                .prop_map(|a| both(format!("empty({})", a.bicep), format!("empty({})", a.arm))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| both(
                format!("concat({}, {})", a.bicep, b.bicep),
                format!("concat({}, {})", a.arm, b.arm)
            )),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| both(
                format!("[{}, {}]", a.bicep, b.bicep),
                format!("createArray({}, {})", a.arm, b.arm)
            )),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| both(
                format!("union({{ k: {} }}, {{ j: {} }})", a.bicep, b.bicep),
                format!(
                    "union(createObject('k', {}), createObject('j', {}))",
                    a.arm, b.arm
                )
            )),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| both(
                format!("coalesce({}, {})", a.bicep, b.bicep),
                format!("coalesce({}, {})", a.arm, b.arm)
            )),
            inner
                .clone()
                .prop_map(|a| both(format!("length({})", a.bicep), format!("length({})", a.arm))),
            inner.prop_map(|a| both(
                format!("toLower({})", a.bicep),
                format!("toLower({})", a.arm)
            )),
        ]
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, .. Default::default() })]

    /// Bicep and ARM evaluate the same expression alike, known or unknown: one
    /// evaluator behind two syntaxes.
    #[test]
    fn bicep_and_arm_agree(e in expr_strategy(), p in proptest::option::of(proptest::bool::ANY)) {
        let (bicep_param, arm_param) = match p {
            Some(b) => (format!("param p bool = {b}\n"), format!(r#""p": {{"type": "bool", "defaultValue": {b}}}"#)),
            None => ("param p bool\n".to_owned(), r#""p": {"type": "bool"}"#.to_owned()),
        };
        let b = bicep(&format!("{bicep_param}var out = {}\n", e.bicep));
        let a = arm(&arm_param, &e.arm);
        proptest::prop_assert_eq!(b, a, "bicep: {}\narm: {}", e.bicep, e.arm);
    }
}
