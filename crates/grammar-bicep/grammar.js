/**
 * Today's Bicep (and .bicepparam), as the Bicep compiler accepts it in 2026, on top of
 * the published tree-sitter-bicep 1.1.0 grammar (December 2024).
 *
 * Why a grammar of our own: 1.1.0 cannot read spread, typed `var`, `extension`, postfix
 * `!`, `resourceInput<>` types, `$'''` strings or `.bicepparam` files, and takes `//`
 * inside a string for a comment. Every error it reports on valid code costs error
 * recovery on each keystroke and hides the resources after it.
 *
 * What we keep from the base: its node names (the analyzer's lowering reads them), its
 * comments, numbers and escapes. What we replace: statements gain the newer declarations,
 * expressions are rebuilt around one postfix chain (member, index, call, `::`, `!`) so
 * that every operator can follow any operand, and types get a grammar of their own
 * instead of being parsed as expressions (which the base needed six conflicts for).
 *
 * Regenerate with `bash scripts/regenerate-grammars.sh bicep`.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

const base = require('tree-sitter-bicep/grammar');

const PREC = {
  LAMBDA: -3,
  TERNARY: 0,
  COALESCE: 1,
  OR: 2,
  AND: 3,
  EQUAL: 6,
  RELATIONAL: 7,
  ADD: 10,
  MULTIPLY: 11,
  UNARY: 13,
  POSTFIX: 14,
};

// Words the grammar uses as keywords. Wherever a name is expected (object keys, member
// names, decorator and function names) they are names again.
// Multi-line strings with up to this many dollars (`$$$$'''`) are read; the Bicep
// compiler's own tests go up to three.
const DOLLARS = [0, 1, 2, 3, 4];

const KEYWORDS = [
  'as', 'assert', 'existing', 'extends', 'extension', 'for', 'from', 'func', 'if',
  'import', 'in', 'metadata', 'module', 'none', 'output', 'param', 'provider',
  'resource', 'targetScope', 'test', 'type', 'using', 'var', 'with',
  'true', 'false', 'null',
];

module.exports = grammar(base, {
  name: 'mtlsguard_bicep',

  // The text of a multi-line string: where it ends (the last three quotes of a run) and,
  // in a `$'''` string, where an interpolation opens are beyond a regular lexer. One token
  // per dollar count, valid only inside such a string: an external token valid where an
  // expression may start keeps tree-sitter from reusing the tokens there (an edit in a
  // 3.9 MB array re-parsed in 53 ms instead of 22). A binary `-` and the `(` of a call
  // must not follow a line break, which the lexer cannot see either (see
  // binary_expression and call_expression); the order is the scanner's.
  externals: $ => [
    ...DOLLARS.map(n => $[`_multiline_content_${n}`]),
    $._binary_minus,
    $._call_open,
  ],

  // `(a)` is a parenthesized expression or the parameters of `(a) => ...`: the arrow decides.
  conflicts: $ => [
    [$.primary_expression, $.lambda_parameters],
    // `ns.` starts `ns.resourceInput<...>` or a member type `ns.name`: `<` decides.
    [$._type_primary, $.parameterized_type],
  ],

  precedences: _ => [],

  supertypes: $ => [
    $.statement,
    $.declaration,
    $.expression,
    $.primary_expression,
  ],

  inline: $ => [
    $.keyword_identifier,
    $._property_name,
    $._import_name,
  ],

  rules: {
    statement: $ => choice(
      $.decorators,
      $.declaration,
      $.import_statement,
      $.import_with_statement,
      $.import_functionality,
      $.extension_statement,
      $.extension_config,
      $.using_statement,
      $.extends_statement,
      $.target_scope_assignment,
    ),

    declaration: $ => choice(
      $.module_declaration,
      $.metadata_declaration,
      $.output_declaration,
      $.parameter_declaration,
      $.resource_declaration,
      $.type_declaration,
      $.variable_declaration,
      $.user_defined_function,
      $.test_block,
      $.assert_statement,
    ),

    // --- statements -------------------------------------------------------------------

    // `extension az`, `extension kubernetes with { ... } as k8s`, `extension 'br:...' as x`.
    extension_statement: $ => seq(
      'extension',
      field('specification', choice($.identifier, $.string)),
      optional(seq('with', field('config', $.expression))),
      optional(seq('as', field('alias', $.identifier))),
    ),

    // .bicepparam: `extensionConfig k8s with { ... }`.
    extension_config: $ => seq(
      'extensionConfig',
      field('name', $.identifier),
      'with',
      field('config', $.expression),
    ),

    import_statement: $ => seq(
      choice('import', 'provider'),
      $.string,
      optional(seq('as', $.identifier)),
    ),

    import_with_statement: $ => seq(
      choice('import', 'provider'),
      $.string,
      'with',
      $.expression,
      optional(seq('as', $.identifier)),
    ),

    // `import {a, b as c} from 'x'` (newlines may separate the names), `import * as ns from 'x'`.
    // A name standing alone is never `as`: with the commas optional, `b as c` would also
    // read as three names, and did.
    import_functionality: $ => seq(
      'import',
      choice(
        seq('{', optionalCommaSep(choice(
          seq(choice($._import_name, $.string), 'as', $.identifier),
          $._import_name,
        )), '}'),
        seq('*', 'as', $.identifier),
      ),
      'from',
      $.string,
    ),

    // .bicepparam: `using 'main.bicep'`, `using none`, `using 'x' with { mode: 'stack' }`.
    using_statement: $ => seq(
      'using',
      choice($.string, alias('none', $.none)),
      optional(seq('with', field('config', $.expression))),
    ),

    // .bicepparam: `extends 'base.bicepparam'`.
    extends_statement: $ => seq('extends', $.string),

    target_scope_assignment: $ => seq('targetScope', '=', $.expression),

    metadata_declaration: $ => seq(
      'metadata',
      $.identifier,
      '=',
      $.expression,
    ),

    output_declaration: $ => seq(
      'output',
      $.identifier,
      choice($.type, seq('resource', $.string)),
      '=',
      $.expression,
    ),

    // In .bicepparam a param has no type: `param name = value`.
    parameter_declaration: $ => seq(
      'param',
      $.identifier,
      choice(
        seq($.type, optional(seq('=', $.expression))),
        seq('=', $.expression),
      ),
    ),

    variable_declaration: $ => seq(
      'var',
      $.identifier,
      optional($.type),
      '=',
      $.expression,
    ),

    resource_declaration: $ => seq(
      'resource',
      $.identifier,
      $.string,
      optional('existing'),
      '=',
      choice($.if_statement, $.object, $.for_statement),
    ),

    module_declaration: $ => seq(
      'module',
      $.identifier,
      $.string,
      '=',
      choice($.if_statement, $.object, $.for_statement),
    ),

    type_declaration: $ => seq('type', $.identifier, '=', $.type),

    user_defined_function: $ => seq(
      'func',
      field('name', $.identifier),
      $.parameters,
      field('returns', $.type),
      '=>',
      $.expression,
    ),

    parameters: $ => seq('(', commaSep($.parameter), ')'),

    parameter: $ => seq($.identifier, $.type),

    test_block: $ => seq('test', $.identifier, $.string, '=', $.object),

    assert_statement: $ => seq(
      'assert',
      field('name', $.identifier),
      '=',
      $.expression,
    ),

    // `@description('x')`, `@sys.export()`: a call that no postfix may follow (in an
    // array, `@d() (x)` is a decorated `(x)`).
    decorator: $ => seq('@', alias($._decorator_call, $.call_expression)),

    _decorator_call: $ => seq(
      field('function', choice(
        $.identifier,
        alias($._decorator_namespace, $.member_expression),
      )),
      field('arguments', $.arguments),
    ),

    _decorator_namespace: $ => seq(
      field('object', $.identifier),
      '.',
      field('property', alias($._property_name, $.property_identifier)),
    ),
    decorators: $ => prec.right(repeat1($.decorator)),

    // --- expressions ------------------------------------------------------------------

    expression: $ => choice(
      $.primary_expression,
      $.unary_expression,
      $.binary_expression,
      $.ternary_expression,
      $.lambda_expression,
    ),

    // Operands and the postfix chain that may follow any of them.
    primary_expression: $ => choice(
      $.identifier,
      $.number,
      $.boolean,
      $.null,
      $.string,
      $.object,
      $.array,
      $.for_statement,
      $.parenthesized_expression,
      $.member_expression,
      $.subscript_expression,
      $.call_expression,
      $.resource_expression,
      $.non_null_expression,
    ),

    // `a.b`, `a.?b` (safe access); the member may be any word, keywords included.
    member_expression: $ => prec(PREC.POSTFIX, seq(
      field('object', $.primary_expression),
      choice('.', '.?'),
      field('property', alias($._property_name, $.property_identifier)),
    )),

    // `a[0]`, `a[?'k']` (safe access), `a[^1]` (from the end). The `[` must touch its
    // operand: Bicep ends an array item at a line break, so `[\n  a\n  [1]\n]` holds two
    // items, not `a[1]`.
    subscript_expression: $ => prec(PREC.POSTFIX, seq(
      field('object', $.primary_expression),
      token.immediate(prec(1, '[')),
      optional('?'),
      optional('^'),
      field('index', $.expression),
      ']',
    )),

    // Unlike `[`, the `(` may stand apart from the function (`replace (x, 'a', 'b')` is
    // written), but not on the next line: there it starts the next array item, as in
    // `[\n  i * 3\n  (i * 3) + 1\n]` (three items, not `3(i * 3)`). The scanner tells.
    call_expression: $ => prec(PREC.POSTFIX, seq(
      field('function', $.primary_expression),
      field('arguments', $.arguments),
    )),

    // `parent::child`.
    resource_expression: $ => prec(PREC.POSTFIX, seq(
      field('object', $.primary_expression),
      '::',
      field('resource', $.identifier),
    )),

    // `a!`: asserts that a nullable value is not null.
    non_null_expression: $ => prec(PREC.POSTFIX, seq(
      field('argument', $.primary_expression),
      token.immediate('!'),
    )),

    arguments: $ => seq(alias($._call_open, '('), optionalCommaSep($.expression), ')'),

    parenthesized_expression: $ => seq('(', $.expression, ')'),

    unary_expression: $ => prec(PREC.UNARY, seq(
      field('operator', choice('!', '-')),
      field('argument', $.expression),
    )),

    binary_expression: $ => {
      const table = [
        ['??', PREC.COALESCE],
        ['||', PREC.OR],
        ['&&', PREC.AND],
        ['==', PREC.EQUAL],
        ['!=', PREC.EQUAL],
        ['=~', PREC.EQUAL],
        ['!~', PREC.EQUAL],
        ['<', PREC.RELATIONAL],
        ['<=', PREC.RELATIONAL],
        ['>', PREC.RELATIONAL],
        ['>=', PREC.RELATIONAL],
        ['+', PREC.ADD],
        // `a -1` and `a-1` subtract (the lexer alone would take `-1` for a second array
        // item or argument), but after a line break `-1` starts the next item: Bicep
        // never continues an expression over a line break with a binary operator.
        [alias($._binary_minus, '-'), PREC.ADD],
        // Above names: the base's identifier may start with `*` (Bicep's may not), and a
        // longer match would read `[a*b]` as two items, `a` and `*b`. (Taking the `*` out
        // of the identifier instead reshuffles the parse table, and with it how an
        // `[ ?? ]` recovers.)
        [token(prec(1, '*')), PREC.MULTIPLY],
        ['/', PREC.MULTIPLY],
        ['%', PREC.MULTIPLY],
      ];
      return choice(...table.map(([operator, precedence]) => prec.left(
        /** @type {number} */ (precedence),
        seq(
          field('left', $.expression),
          field('operator', /** @type {RuleOrLiteral} */ (operator)),
          field('right', $.expression),
        ),
      )));
    },

    ternary_expression: $ => prec.right(PREC.TERNARY, seq(
      field('condition', $.expression),
      '?',
      field('consequence', $.expression),
      ':',
      field('alternative', $.expression),
    )),

    // `x => x.name`, `(a, b) => a + b`, `() => 1`.
    lambda_expression: $ => prec.right(PREC.LAMBDA, seq(
      field('parameters', choice($.identifier, $.lambda_parameters)),
      '=>',
      field('body', $.expression),
    )),

    lambda_parameters: $ => seq('(', commaSep($.identifier), ')'),

    // `...expr` in an object or an array.
    spread_expression: $ => seq('...', $.expression),

    array: $ => seq(
      '[',
      optionalCommaSep(choice(
        seq(optional($.decorators), $.expression),
        $.spread_expression,
      )),
      ']',
    ),

    object: $ => seq(
      '{',
      optionalCommaSep(choice(
        seq(optional($.decorators), $.object_property),
        $.spread_expression,
      )),
      '}',
    ),

    object_property: $ => choice(
      seq(
        choice($._property_name, $.string),
        ':',
        $.expression,
      ),
      $.resource_declaration,
    ),

    if_statement: $ => seq('if', $.parenthesized_expression, $.object),

    for_statement: $ => seq(
      '[',
      'for',
      choice($.for_loop_parameters, field('initializer', $.identifier)),
      'in',
      $.expression,
      ':',
      field('body', choice($.expression, $.if_statement)),
      ']',
    ),

    for_loop_parameters: $ => seq(
      '(',
      alias($.identifier, $.loop_variable),
      ',',
      alias($.identifier, $.loop_enumerator),
      ')',
    ),

    // --- types ------------------------------------------------------------------------
    // A grammar of their own: in Bicep a type is always in a known position (after a
    // param, typed var or output name, `type x =`, a func's parameters and result).

    type: $ => choice($.union_type, $._type_postfix),

    // `'a' | 'b'`, and a leading `|` for unions written one member a line.
    union_type: $ => prec.left(choice(
      seq($._type_postfix, repeat1(seq('|', $._type_postfix))),
      seq('|', $._type_postfix, repeat(seq('|', $._type_postfix))),
    )),

    // In a tuple, `[A\n| B]` would also read as two items: no leading `|` there.
    _tuple_item: $ => choice(
      alias($._union_without_lead, $.union_type),
      $._type_postfix,
    ),

    _union_without_lead: $ => prec.left(seq(
      $._type_postfix,
      repeat1(seq('|', $._type_postfix)),
    )),

    _type_postfix: $ => choice(
      $._type_primary,
      $.array_type,
      $.nullable_type,
      $.non_nullable_type,
      $.type_member,
      $.type_index,
    ),

    array_type: $ => prec(PREC.POSTFIX, seq($._type_postfix, '[', ']')),

    nullable_type: $ => prec(PREC.POSTFIX, seq($._type_postfix, '?')),

    // `nullableType!`
    non_nullable_type: $ => prec(PREC.POSTFIX, seq($._type_postfix, token.immediate('!'))),

    // `resourceInput<'T@v'>.properties.siteConfig`, `ns.myType`, `T.*` (additional properties).
    type_member: $ => prec(PREC.POSTFIX, seq(
      $._type_postfix,
      '.',
      choice(alias($._property_name, $.property_identifier), '*'),
    )),

    // `T[*]` (array items), `T[0]` (tuple item).
    type_index: $ => prec(PREC.POSTFIX, seq(
      $._type_postfix,
      '[',
      choice('*', $.number),
      ']',
    )),

    _type_primary: $ => choice(
      $.identifier,
      $.string,
      $.number,
      $.negated_type,
      $.boolean,
      $.null,
      $.object_type,
      $.tuple_type,
      $.parenthesized_type,
      $.parameterized_type,
    ),

    // `-1` and `!true` as literal types.
    negated_type: $ => choice(seq('-', $.number), seq('!', $.boolean)),

    // `resource<'T@v'>`, `resourceInput<'T@v'>`, `resourceOutput<'T@v'>`, `sys.resourceInput<'T@v'>`.
    parameterized_type: $ => seq(
      optional(seq(field('namespace', $.identifier), '.')),
      field('name', choice(alias('resource', $.identifier), $.identifier)),
      $.type_arguments,
    ),

    type_arguments: $ => seq('<', commaSep1($.string), '>'),

    parenthesized_type: $ => seq('(', $.type, ')'),

    tuple_type: $ => seq(
      '[',
      optionalCommaSep(seq(optional($.decorators), alias($._tuple_item, $.type))),
      ']',
    ),

    object_type: $ => seq(
      '{',
      optionalCommaSep(seq(optional($.decorators), $.object_type_property)),
      '}',
    ),

    // `name: type`, `'quoted name': type`, `*: type` (additional properties).
    object_type_property: $ => seq(
      choice($._property_name, $.string, alias('*', $.additional_properties)),
      ':',
      $.type,
    ),

    // --- words and strings ------------------------------------------------------------

    // A `//` comment ends at the line break; the base let a trailing backslash continue it
    // onto the next line, which hid the declaration there.
    comment: _ => token(choice(
      seq('//', /[^\r\n]*/),
      seq('/*', /[^*]*\*+([^/*][^*]*\*+)*/, '/'),
    )),

    _property_name: $ => choice($.identifier, $.keyword_identifier),

    _import_name: $ => choice(
      $.identifier,
      alias(choice(...KEYWORDS.filter(k => k !== 'as')), $.identifier),
    ),

    keyword_identifier: $ => alias(choice(...KEYWORDS), $.identifier),

    string: $ => choice($._string_literal, $._multiline_string_literal),

    _string_literal: $ => seq(
      '\'',
      repeat(choice(
        $.interpolation,
        alias('$', $.string_content),
        $.string_content,
        $._escape_sequence,
      )),
      '\'',
    ),

    // `\$` is one of Bicep's escapes (with `\\`, `\'`, `\n`, `\r`, `\t` and `\u{...}`), but
    // the base reads it with the escapes it does not know, into a hidden token: a string's
    // value lost its `$`. The others stay as the base has them.
    _escape_sequence: ($, original) => choice(
      alias(token.immediate(prec(1, '\\$')), $.escape_sequence),
      original,
    ),

    // Immediate, and above comments: `'//'` and `'/*'` are strings, not comment starts,
    // and leading spaces belong to the string.
    string_content: _ => token.immediate(prec(1, /[^'$\\\r\n]+/)),

    // `'''...'''`, and `$'''...${x}...'''` (with as many `$` before `{` as before `'''`).
    _multiline_string_literal: $ => choice(...DOLLARS.map(n => $[`_multiline_string_${n}`])),

    ...Object.fromEntries(DOLLARS.map(n => [`_multiline_string_${n}`, $ => seq(
      token(prec(2, '$'.repeat(n) + "'''")),
      repeat(n === 0
        ? alias($[`_multiline_content_${n}`], $.string_content)
        : choice(
          alias($[`_multiline_content_${n}`], $.string_content),
          alias($[`_multiline_interpolation_${n}`], $.interpolation),
        )),
      token.immediate("'''"),
    )])),

    ...Object.fromEntries(DOLLARS.slice(1).map(n => [`_multiline_interpolation_${n}`, $ => seq(
      token.immediate('$'.repeat(n) + '{'),
      $.expression,
      '}',
    )])),

    interpolation: $ => seq('${', $.expression, '}'),
  },
});

/**
 * One or more `rule`s separated by commas.
 * @param {RuleOrLiteral} rule
 * @returns {SeqRule}
 */
function commaSep1(rule) {
  return seq(rule, repeat(seq(',', rule)));
}

/**
 * Zero or more `rule`s separated by commas.
 * @param {RuleOrLiteral} rule
 * @returns {ChoiceRule}
 */
function commaSep(rule) {
  return optional(commaSep1(rule));
}

/**
 * Zero or more `rule`s, each optionally followed by a comma: Bicep separates object and
 * array items by line breaks or commas, and the grammar treats line breaks as blanks.
 * @param {RuleOrLiteral} rule
 * @returns {RepeatRule}
 */
function optionalCommaSep(rule) {
  return repeat(seq(rule, optional(',')));
}
