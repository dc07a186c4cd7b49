// The external scanner of our Bicep grammar: the text of multi-line strings, and the
// binary `-` and the `(` of a call.
//
// A multi-line string is `'''...'''` or, interpolated, `$'''...${x}...'''`: with n dollars
// before the quotes, an interpolation opens with exactly n dollars and `{` (so a `$$'''`
// string holds `${` as text). The string ends at the last three quotes of the first run
// of three or more: `''''a'''''` holds `'a''`. The grammar lexes the opening and closing
// quotes and the interpolations; this scanner reads the text between them, with one token
// kind per dollar count, which tells it n. (These tokens are valid only inside such a
// string: see `externals` in grammar.js for why that matters.)
//
// The binary `-` and the call's `(` are here because Bicep ends an array item or an
// argument at a line break: `a - 1` and `a -1` subtract and `f (x)` calls, but in
// `[\n  a\n  -1\n  (b)\n]` the `-1` and the `(b)` are items of their own. The generated
// lexer cannot see line breaks (they are blanks to it), so wherever an operand may go on,
// this scanner looks first: a `-` or `(` on the same line continues the operand.

#include "tree_sitter/parser.h"

#include <wctype.h>

// The order of `externals` in grammar.js: the content kinds for 0..MAX_DOLLARS dollars,
// then the two operators.
#define MAX_DOLLARS 4
enum { BINARY_MINUS = MAX_DOLLARS + 1, CALL_OPEN };

static void advance(TSLexer *lexer) { lexer->advance(lexer, false); }

static void skip(TSLexer *lexer) { lexer->advance(lexer, true); }

// No state: everything the scanner needs is in the valid symbols.
void *tree_sitter_mtlsguard_bicep_external_scanner_create(void) { return NULL; }
void tree_sitter_mtlsguard_bicep_external_scanner_destroy(void *payload) { (void)payload; }
unsigned tree_sitter_mtlsguard_bicep_external_scanner_serialize(void *payload, char *buffer) {
    (void)payload;
    (void)buffer;
    return 0;
}
void tree_sitter_mtlsguard_bicep_external_scanner_deserialize(void *payload, const char *buffer,
                                                              unsigned length) {
    (void)payload;
    (void)buffer;
    (void)length;
}

// A `-` or `(` after blanks on the same line; at a line break, the generated lexer reads
// what follows (`-1`, a unary `-`, a `(`) as the start of a new operand.
static bool scan_operator(TSLexer *lexer, const bool *valid_symbols) {
    while (lexer->lookahead != '\n' && lexer->lookahead != '\r' && iswspace(lexer->lookahead)) {
        skip(lexer);
    }
    if (lexer->lookahead == '-' && valid_symbols[BINARY_MINUS]) {
        advance(lexer);
        lexer->result_symbol = BINARY_MINUS;
        return true;
    }
    if (lexer->lookahead == '(' && valid_symbols[CALL_OPEN]) {
        advance(lexer);
        lexer->result_symbol = CALL_OPEN;
        return true;
    }
    return false;
}

// The text of a multi-line string with `dollars` dollars, up to its end or (interpolated)
// its next interpolation.
static bool scan_content(TSLexer *lexer, int dollars) {
    lexer->result_symbol = (TSSymbol)dollars;
    // The lexer only moves forward: mark_end records where the text ends so far, and the
    // scan may look past it (at a run of quotes or dollars) before deciding.
    bool content = false;
    for (;;) {
        if (lexer->eof(lexer)) {
            // Unterminated: what was read is text; the parser reports the missing end.
            lexer->mark_end(lexer);
            return content;
        }
        if (lexer->lookahead == '\'') {
            if (content) {
                lexer->mark_end(lexer);
            }
            unsigned quotes = 0;
            while (lexer->lookahead == '\'') {
                quotes++;
                advance(lexer);
                if (quotes == 1 && !content) {
                    // Tentatively one quote of text, in case the run is longer than three.
                    lexer->mark_end(lexer);
                }
            }
            if (quotes >= 3) {
                // Text up to the run; or, at its start, one quote of a run longer than
                // three (the run shrinks by one a token). The last three end the string.
                return content || quotes > 3;
            }
            content = true;
            lexer->mark_end(lexer);
            continue;
        }
        if (dollars > 0 && lexer->lookahead == '$') {
            if (content) {
                lexer->mark_end(lexer);
            }
            int run = 0;
            while (lexer->lookahead == '$') {
                run++;
                advance(lexer);
                if (run == 1 && !content) {
                    lexer->mark_end(lexer);
                }
            }
            if (run >= dollars && lexer->lookahead == '{') {
                // Text up to the run, or one dollar of a run longer than the opening one;
                // exactly n dollars and `{` are the grammar's interpolation.
                return content || run > dollars;
            }
            content = true;
            lexer->mark_end(lexer);
            continue;
        }
        advance(lexer);
        content = true;
    }
}

bool tree_sitter_mtlsguard_bicep_external_scanner_scan(void *payload, TSLexer *lexer,
                                                       const bool *valid_symbols) {
    (void)payload;
    // Inside a string exactly one content kind is valid, outside none; during error
    // recovery all are, and the dollar count is unknown: then nothing here applies.
    int dollars = -1;
    for (int n = 0; n <= MAX_DOLLARS; n++) {
        if (valid_symbols[n]) {
            if (dollars >= 0) {
                return false;
            }
            dollars = n;
        }
    }
    if (dollars >= 0) {
        return scan_content(lexer, dollars);
    }
    if (valid_symbols[BINARY_MINUS] || valid_symbols[CALL_OPEN]) {
        return scan_operator(lexer, valid_symbols);
    }
    return false;
}
