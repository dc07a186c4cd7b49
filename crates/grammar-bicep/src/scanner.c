// The external scanner of our Bicep grammar: multi-line strings.
//
// A multi-line string is `'''...'''` or, interpolated, `$'''...${x}...'''`; with n dollars
// before the quotes, an interpolation opens with exactly n dollars and `{` (so `$$'''`
// strings can hold `${` as text). Its end is the last three quotes of the first run of
// three or more: `''''a'''''` holds `'a''`. Nothing here is a regular language the
// generated lexer could match, hence the scanner. Nested strings (a `$'''` inside an
// interpolation) keep their dollar counts on a small stack.

#include "tree_sitter/alloc.h"
#include "tree_sitter/parser.h"

#include <string.h>
#include <wctype.h>

enum TokenType {
    MULTILINE_STRING_START,
    MULTILINE_STRING_CONTENT,
    MULTILINE_INTERPOLATION_START,
    MULTILINE_STRING_END,
};

// Deeper nesting than this is not Bicep anyone writes; past it, the scanner declines and
// the parser reports a syntax error rather than misreading.
#define MAX_DEPTH 64

typedef struct {
    // dollars[i]: the dollar count of the i-th open multi-line string (0: not interpolated).
    uint8_t dollars[MAX_DEPTH];
    uint8_t depth;
} Scanner;

static void advance(TSLexer *lexer) { lexer->advance(lexer, false); }

static void skip(TSLexer *lexer) { lexer->advance(lexer, true); }

void *tree_sitter_mtlsguard_bicep_external_scanner_create(void) {
    return ts_calloc(1, sizeof(Scanner));
}

void tree_sitter_mtlsguard_bicep_external_scanner_destroy(void *payload) { ts_free(payload); }

unsigned tree_sitter_mtlsguard_bicep_external_scanner_serialize(void *payload, char *buffer) {
    Scanner *s = (Scanner *)payload;
    buffer[0] = (char)s->depth;
    memcpy(buffer + 1, s->dollars, s->depth);
    return 1 + s->depth;
}

void tree_sitter_mtlsguard_bicep_external_scanner_deserialize(void *payload, const char *buffer,
                                                              unsigned length) {
    Scanner *s = (Scanner *)payload;
    s->depth = 0;
    if (length == 0) {
        return;
    }
    uint8_t depth = (uint8_t)buffer[0];
    if (depth > MAX_DEPTH || length != 1u + depth) {
        return;
    }
    s->depth = depth;
    memcpy(s->dollars, buffer + 1, depth);
}

// At `$...$'''` or `'''`: consumes it and opens a string.
static bool scan_start(Scanner *s, TSLexer *lexer) {
    unsigned dollars = 0;
    while (lexer->lookahead == '$') {
        dollars++;
        advance(lexer);
    }
    for (int i = 0; i < 3; i++) {
        if (lexer->lookahead != '\'') {
            return false;
        }
        advance(lexer);
    }
    if (s->depth >= MAX_DEPTH || dollars > 255) {
        return false;
    }
    s->dollars[s->depth++] = (uint8_t)dollars;
    lexer->result_symbol = MULTILINE_STRING_START;
    return true;
}

bool tree_sitter_mtlsguard_bicep_external_scanner_scan(void *payload, TSLexer *lexer,
                                                       const bool *valid_symbols) {
    Scanner *s = (Scanner *)payload;
    // In normal parsing a string can start only where none is open at this point, and
    // its end is valid only inside one; during error recovery everything is valid, and
    // the stack says which of the two we are more likely in.
    bool recovering = valid_symbols[MULTILINE_STRING_START] && valid_symbols[MULTILINE_STRING_END];
    if (valid_symbols[MULTILINE_STRING_START] && !(recovering && s->depth > 0)) {
        while (iswspace(lexer->lookahead)) {
            skip(lexer);
        }
        return scan_start(s, lexer);
    }
    if (!(valid_symbols[MULTILINE_STRING_CONTENT] || valid_symbols[MULTILINE_STRING_END]) ||
        s->depth == 0) {
        return false;
    }

    // The lexer only moves forward: mark_end records where the token ends so far, and the
    // scan may look past it (at a run of quotes or dollars) before deciding.
    unsigned dollars = s->dollars[s->depth - 1];
    bool content = false;
    lexer->result_symbol = MULTILINE_STRING_CONTENT;
    for (;;) {
        if (lexer->eof(lexer)) {
            // Unterminated: what was read is content; the parser reports the missing end.
            lexer->mark_end(lexer);
            return content;
        }
        if (lexer->lookahead == '\'') {
            unsigned quotes = 0;
            if (content) {
                lexer->mark_end(lexer);
            } else {
                // Tentatively one quote of content, in case the run is longer than three.
                advance(lexer);
                quotes = 1;
                lexer->mark_end(lexer);
            }
            while (lexer->lookahead == '\'') {
                quotes++;
                advance(lexer);
            }
            if (quotes >= 3 && content) {
                return true;  // content up to the run
            }
            if (quotes > 3) {
                return true;  // one quote of content; the run shrinks by one per call
            }
            if (quotes == 3) {
                lexer->mark_end(lexer);
                lexer->result_symbol = MULTILINE_STRING_END;
                s->depth--;
                return true;
            }
            content = true;
            lexer->mark_end(lexer);
            continue;
        }
        if (dollars > 0 && lexer->lookahead == '$') {
            unsigned run = 0;
            if (content) {
                lexer->mark_end(lexer);
            } else {
                advance(lexer);
                run = 1;
                lexer->mark_end(lexer);
            }
            while (lexer->lookahead == '$') {
                run++;
                advance(lexer);
            }
            bool opens = run >= dollars && lexer->lookahead == '{';
            if (opens && content) {
                return true;  // content up to the run
            }
            if (opens && run > dollars) {
                return true;  // one dollar of content
            }
            if (opens) {
                advance(lexer);
                lexer->mark_end(lexer);
                lexer->result_symbol = MULTILINE_INTERPOLATION_START;
                return true;
            }
            content = true;
            lexer->mark_end(lexer);
            continue;
        }
        advance(lexer);
        content = true;
    }
}
