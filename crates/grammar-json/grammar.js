/**
 * @file ARM JSON templates: tree-sitter-json, widened to what Azure Resource Manager accepts.
 * @license MIT
 *
 * Azure reads templates with a Newtonsoft.Json reader, which is more lenient than RFC 8259.
 * Templates that deploy fine must parse here without ERROR or MISSING nodes, or the linter
 * would report syntax errors in files that Azure takes as they are. Everything that
 * tree-sitter-json already does right is inherited unchanged, so the node kinds and field
 * names stay the base grammar's: document, object, pair (key, value), array, string,
 * string_content, escape_sequence, number, true, false, null, comment.
 */

const base = require('tree-sitter-json/grammar');

// What .NET's char.IsWhiteSpace accepts beyond ASCII (the same set as Unicode's White_Space
// property). ASCII whitespace stays the base's separator; these are a hidden extra token of
// their own, so trees have no node for them, just as for a space. Folding them into the
// separator instead makes the lexer test every indentation space against a binary-searched
// table of ranges, which costs several percent of parse time on large templates; as a token
// of its own the set is only tried after the cheap ASCII test has failed.
// A byte order mark is not whitespace to .NET: the tree-sitter runtime already skips one at
// byte 0, the only place where the template reader takes it.
const WIDE_WHITESPACE = /[\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]/;

module.exports = grammar(base, {
  name: 'arm_json',

  extras: ($, original) => [
    ...original,
    $._wide_whitespace,
  ],

  rules: {
    _wide_whitespace: _ => token(repeat1(WIDE_WHITESPACE)),

    // One trailing comma may follow the last member; an empty object takes none.
    object: $ => seq(
      '{',
      optional(seq(commaSep1($.pair), optional(','))),
      '}',
    ),

    // Same for elements: `[1, 2,]` is fine, `[,]` and `[1,,2]` are not.
    array: $ => seq(
      '[',
      optional(seq(commaSep1($._value), optional(','))),
      ']',
    ),

    // Line breaks may appear raw inside a string: long expressions and inline scripts are
    // often written over several lines. The precedence keeps `//` and `/*` inside a string
    // from being lexed as the start of a comment, as in the base.
    string_content: _ => token.immediate(prec(1, /[^\\"]+/)),
  },
});

/**
 * One or more `rule`, separated by commas.
 *
 * @param {RuleOrLiteral} rule
 *
 * @returns {SeqRule}
 */
function commaSep1(rule) {
  return seq(rule, repeat(seq(',', rule)));
}
