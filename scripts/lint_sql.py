#!/usr/bin/env python3
"""Lint clv's extension scripts for names that PostgreSQL resolves through
search_path.

clv is a trusted extension: CREATE EXTENSION and ALTER EXTENSION UPDATE run
its scripts as the bootstrap superuser on behalf of an unprivileged role.
Any function, operator or relation looked up through search_path while a
script runs (or while an installed SQL / PL/pgSQL body runs) can be captured
by an exact-match object planted in a schema the caller controls (the
CVE-2022-2625 class).  House rule: name every function and operator with its
schema -- pg_catalog.format(...), a OPERATOR(pg_catalog.=) b -- and let
search_path decide nothing.

Usage
  lint_sql.py [--frozen FILE ...] FILE...    extension scripts (script mode)
  lint_sql.py --body sql|plpgsql FILE...     function bodies, as pg_proc.prosrc

Prints one line per finding, "path:line: rule: message", and exits 0 when
clean, 1 with findings, 2 on a usage error or an unreadable file.

Rules
  unqualified-function   f(...) called without a schema (grammar such as
                         COALESCE, EXTRACT(x FROM y), EXISTS, CAST is not a
                         call; substring(a, b) with commas is)
  unqualified-operator   an operator token outside OPERATOR(schema.op); not
                         SELECT * / t.* / count(*), a minus sign folded into
                         a numeric constant (-1; "+1" is a real operator
                         call), nor the "=" of SET lists, RAISE ... USING,
                         GET DIAGNOSTICS, PL/pgSQL assignment, definition
                         lists (SFUNC = ...), WITH (...) and argument defaults
  implicit-operator      syntax that looks an operator up without showing it:
                         IN (...), BETWEEN, LIKE/ILIKE/SIMILAR TO,
                         IS [NOT] DISTINCT FROM, NULLIF(, CASE x WHEN,
                         ORDER BY ... USING op, JOIN ... USING (...), NATURAL JOIN
  unqualified-relation   FROM/JOIN items, INSERT/MERGE INTO, UPDATE, DELETE
                         ... USING, TABLE, TRUNCATE, LOCK, REFERENCES without
                         a schema (pg_temp is searched first for relations),
                         where search_path is not pinned: DO blocks,
                         top-level statements, BEGIN ATOMIC / RETURN bodies
  unpinned-search-path   a LANGUAGE sql/plpgsql routine without
                         SET search_path = pg_catalog, pg_temp (or TO)
  security-definer       SECURITY DEFINER anywhere in a script
  create-or-replace-in-install
                         CREATE OR REPLACE / IF NOT EXISTS in a base install
                         script (name--version.sql, or a part of one in a
                         folder install/; upgrades may replace)
  allow-without-reason, allow-unknown-rule, lex-error

Regions
  Script mode splits a file into statements.  DO bodies are PL/pgSQL; routine
  bodies are checked in their LANGUAGE (sql, plpgsql; C has no body); other
  statements with expressions (DML, CREATE TABLE/VIEW/INDEX, ...) are checked
  as they stand; COMMENT, GRANT, DROP, ALTER FUNCTION and the like only name
  objects and are not.  Inside a checked region every dollar-quoted string is
  dynamic SQL, checked in turn after format() placeholders (%s, %I, %L,
  %1$I, ...) become a neutral name and %% the "%" that format() outputs.
  Single-quoted strings are data and are not checked.
  A --frozen file's routine bodies are historical: the qualification rules
  skip them (the installed bodies are linted with --body instead).

Silencing
  "-- lint: allow <rule> (<reason>)" on the finding's line or the line above.
  "-- lint: allow non-sql-string (<reason>)" above a dollar-quoted string in a
  checked body says that it is not SQL (an HTML template, say).

Python 3.11, standard library only.
"""

import argparse
import os
import re
import sys
from dataclasses import dataclass


# ---------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------

def words(text):
    return frozenset(text.split())


# PostgreSQL's keyword categories (src/include/parser/kwlist.h of
# PostgreSQL 15, plus the words later releases added).
RESERVED = words("""
    all analyse analyze and any array as asc asymmetric both case cast check
    collate column constraint create current_catalog current_date current_role
    current_time current_timestamp current_user default deferrable desc
    distinct do else end except false fetch for foreign from grant group
    having in initially intersect into lateral leading limit localtime
    localtimestamp not null offset on only or order placing primary
    references returning select session_user some symmetric system_user
    table then to trailing true union unique user using variadic when where
    window with
""")
COL_NAME = words("""
    between bigint bit boolean char character coalesce dec decimal exists
    extract float greatest grouping inout int integer interval least national
    nchar none normalize nullif numeric out overlay position precision real
    row setof smallint substring time timestamp treat trim values varchar
    xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces
    xmlparse xmlpi xmlroot xmlserialize xmltable
    json_array json_arrayagg json_object json_objectagg json_exists
    json_query json_scalar json_serialize json_table json_value merge_action
""")
TYPE_FUNC_NAME = words("""
    authorization binary collation concurrently cross current_schema freeze
    full ilike inner is isnull join left like natural notnull outer overlaps
    right similar tablesample verbose
""")

# A word here followed by "(" is grammar, not a function call: EXISTS (,
# FILTER (, PRIMARY KEY (, numeric(10,2), IF (.  Reserved and column-name
# keywords can never name a function.  left(), right(), overlaps() and
# current_schema() are ordinary functions and so are missing here.
GRAMMAR_PAREN = (
    RESERVED | COL_NAME
    | (TYPE_FUNC_NAME - words("left right overlaps current_schema"))
    | words("""
        key filter over include exclude range list hash enum identity conflict
        materialized columns options sets cube rollup second varying zone
        explain vacuum reindex cluster copy repeatable set reset first next
        if elsif while return perform assert query execute raise exit continue
        loop begin declare exception strict reverse slice
    """))

# Grammar "functions" whose parentheses hold FROM / IN / FOR as syntax.  The
# SQL-syntax forms are turned into pg_catalog calls by the parser itself.
GRAMMAR_FUNCS = words("extract substring trim overlay position normalize")

# Reserved words that end an operand: CASE ... END - 1, NULL::int, TRUE.
OPERAND_KEYWORDS = words("""
    end null true false current_date current_time current_timestamp localtime
    localtimestamp current_user current_role current_catalog session_user
    user system_user current_schema
""")

# Words that are keywords wherever they stand: a column so named has to be
# quoted.  After them an expression starts (SELECT f(, THEN -1), so "f(" is
# a call and "-1" a signed constant; after a name, "(" opens an alias column
# list or a type modifier (FROM t alias(a, b); col timestamptz(3)).
ALWAYS_KEYWORDS = ((RESERVED | TYPE_FUNC_NAME) - OPERAND_KEYWORDS) | words("between escape passing")

# PL/pgSQL statement words: keywords at the start of a statement only.
STATEMENT_WORDS = words("""
    return perform execute call if elsif while exit continue assert raise
    open fetch move close loop begin declare exception foreach get
""")

# Clause words that end a FROM list (so a later comma is not a FROM item).
FROM_LIST_END = words("""
    where group having window order limit offset fetch for union intersect
    except returning into set loop then select values
""")

# Statements that only name objects (signatures, privileges, comments): they
# evaluate no expression, so the expression rules do not apply.
DECLARATIVE_VERBS = words("""
    comment grant revoke drop security reassign reset discard load listen
    notify unlisten checkpoint deallocate show begin commit rollback
    savepoint release start end abort
""")
DECLARATIVE_CREATE = words("""
    cast schema extension language transform conversion access text
    collation publication subscription server user role tablespace database
    sequence group
""")
# ALTER forms that can carry expressions (defaults, CHECK, USING).
ALTER_WITH_EXPRESSIONS = words("table domain view materialized foreign index")

KNOWN_RULES = words("""
    unqualified-function unqualified-operator implicit-operator
    unqualified-relation unpinned-search-path security-definer
    create-or-replace-in-install allow-without-reason allow-unknown-rule
    lex-error non-sql-string
""")
# Findings about the allow comments themselves cannot be allowed away.
UNSILENCEABLE = words("allow-without-reason allow-unknown-rule")

# The name format() placeholders become in dynamic SQL before it is lexed.
PLACEHOLDER = "__lint_fmt__"
# %s %I %L, with an optional position (%2$I), flag (-) and width (10, *,
# *3$); %% is a literal percent sign, which is what format() outputs.
FORMAT_SPEC = re.compile(r"%(?:%|(?:\d+\$)?-?(?:\d+|\*(?:\d+\$)?)?[sIL])")


# ---------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------

@dataclass
class Token:
    kind: str    # ident qident placeholder number string dollar param op punct other
    value: str   # ident: lower case; qident: the name; string/dollar: content
    text: str    # as written
    line: int


NAME_KINDS = ("ident", "qident", "placeholder")


def is_kw(tok, *names):
    """An unquoted identifier (keywords are unquoted identifiers here)."""
    return tok is not None and tok.kind == "ident" and tok.value in names


def is_punct(tok, *values):
    return tok is not None and tok.kind == "punct" and tok.value in values


def is_op(tok, *values):
    return tok is not None and tok.kind == "op" and (not values or tok.value in values)


def is_name(tok):
    return tok is not None and tok.kind in NAME_KINDS


# ---------------------------------------------------------------------------
# Lexer
# ---------------------------------------------------------------------------

OP_CHARS = frozenset("+-*/<>=~!@#%^&|`?")
# PostgreSQL trims a trailing + or - off a multi-character operator unless
# the operator holds one of these (so "=-1" is "=" then "-1").
NON_SQL_OP_CHARS = frozenset("~!@#^&|`?%")
# CREATE EXTENSION substitutes these before parsing; they stand for a schema
# or role name.
EXT_SUBSTITUTION = re.compile(r"@ext(?:schema(?::[A-Za-z_][A-Za-z0-9_]*)?|owner)@")
TYPE_SUFFIX = re.compile(r"[A-Za-z_]+")


def is_ident_start(c):
    return c.isalpha() or c == "_" or ord(c) >= 0x80


def is_ident_char(c):
    return c.isalnum() or c in "_$" or ord(c) >= 0x80


def is_tag_char(c):
    """Dollar-quote tags are identifiers without '$'."""
    return c.isalnum() or c == "_" or ord(c) >= 0x80


class Lexer:
    """Tokenises SQL and PL/pgSQL text the way PostgreSQL's scanner does,
    closely enough for the lint: comments, every string and identifier form,
    numbers, parameters and operators.  Lines are counted from first_line,
    so a body cut out of a file keeps the file's line numbers."""

    def __init__(self, text, first_line=1):
        self.text = text
        self.n = len(text)
        self.pos = 0
        self.line = first_line
        self.line_start = True   # only blanks since the last newline
        self.tokens = []
        self.comments = []       # (line, text without the delimiters)
        self.errors = []         # (line, message)

    def run(self):
        while self.pos < self.n:
            self.step()
        return self

    # -- helpers ----------------------------------------------------------

    def peek(self, k=0):
        p = self.pos + k
        return self.text[p] if p < self.n else ""

    def advance_to(self, end):
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def emit(self, kind, value, start, line):
        self.tokens.append(Token(kind, value, self.text[start:self.pos], line))

    # -- dispatch ---------------------------------------------------------

    def step(self):
        c = self.peek()
        if c == "\n":
            self.line += 1
            self.pos += 1
            self.line_start = True
            return
        if c in " \t\r\f\v":
            self.pos += 1
            return
        at_line_start, self.line_start = self.line_start, False
        start, line, nxt = self.pos, self.line, self.peek(1)

        if c == "\\" and at_line_start:
            self.meta_command()
        elif c == "-" and nxt == "-":
            self.line_comment(line)
        elif c == "/" and nxt == "*":
            self.block_comment(line)
        elif c == "'":
            self.quoted_string(start, line, prefix=0, escapes=False)
        elif c in "eE" and nxt == "'":
            self.quoted_string(start, line, prefix=1, escapes=True)
        elif c in "bBxXnN" and nxt == "'":
            self.quoted_string(start, line, prefix=1, escapes=False)
        elif c in "uU" and nxt == "&" and self.peek(2) == "'":
            self.quoted_string(start, line, prefix=2, escapes=False)
        elif c in "uU" and nxt == "&" and self.peek(2) == '"':
            self.quoted_identifier(start, line, prefix=2)
        elif c == '"':
            self.quoted_identifier(start, line, prefix=0)
        elif c == "$":
            self.dollar(start, line)
        elif c == "@" and EXT_SUBSTITUTION.match(self.text, self.pos):
            m = EXT_SUBSTITUTION.match(self.text, self.pos)
            self.pos = m.end()
            self.emit("qident", m.group(0), start, line)
        elif is_ident_start(c):
            self.identifier(start, line)
        elif c.isdigit() or (c == "." and nxt.isdigit()):
            self.number(start, line)
        elif c == ".":
            self.pos += 2 if nxt == "." else 1
            self.emit("punct", self.text[start:self.pos], start, line)
        elif c == ":":
            self.pos += 2 if nxt in ":=" else 1
            self.emit("punct", self.text[start:self.pos], start, line)
        elif c in "(),;[]":
            self.pos += 1
            self.emit("punct", c, start, line)
        elif c in OP_CHARS:
            self.operator(start, line)
        else:
            self.pos += 1
            self.emit("other", c, start, line)

    # -- comments ---------------------------------------------------------

    def meta_command(self):
        """A psql meta-command (\\echo ... \\quit) runs to the end of the line."""
        end = self.text.find("\n", self.pos)
        self.pos = self.n if end < 0 else end

    def line_comment(self, line):
        end = self.text.find("\n", self.pos)
        end = self.n if end < 0 else end
        self.comments.append((line, self.text[self.pos + 2:end]))
        self.pos = end

    def block_comment(self, line):
        """/* ... */ comments nest in PostgreSQL."""
        depth, i = 0, self.pos
        while i < self.n:
            if self.text.startswith("/*", i):
                depth += 1
                i += 2
            elif self.text.startswith("*/", i):
                depth -= 1
                i += 2
                if depth == 0:
                    self.comments.append((line, self.text[self.pos + 2:i - 2]))
                    self.advance_to(i)
                    return
            else:
                i += 1
        self.errors.append((line, "unterminated /* comment"))
        self.comments.append((line, self.text[self.pos + 2:]))
        self.advance_to(self.n)

    # -- strings and quoted names ----------------------------------------

    def quoted_string(self, start, line, prefix, escapes):
        """'...' with '' for a quote; E'...' also takes backslash escapes.
        The value is the content with the quote escapes undone, so that a
        single-quoted routine body can be lexed in turn."""
        i, out = self.pos + prefix + 1, []
        while i < self.n:
            ch = self.text[i]
            if ch == "'":
                if self.text.startswith("''", i):
                    out.append("'")
                    i += 2
                    continue
                self.advance_to(i + 1)
                self.emit("string", "".join(out), start, line)
                return
            if escapes and ch == "\\" and i + 1 < self.n:
                nxt = self.text[i + 1]
                out.append(nxt if nxt in "\\'" else self.text[i:i + 2])
                i += 2
                continue
            out.append(ch)
            i += 1
        self.errors.append((line, "unterminated quoted string"))
        self.advance_to(self.n)
        self.emit("string", "".join(out), start, line)

    def quoted_identifier(self, start, line, prefix):
        i, out = self.pos + prefix + 1, []
        while i < self.n:
            ch = self.text[i]
            if ch == '"':
                if self.text.startswith('""', i):
                    out.append('"')
                    i += 2
                    continue
                self.advance_to(i + 1)
                self.emit("qident", "".join(out), start, line)
                return
            out.append(ch)
            i += 1
        self.errors.append((line, "unterminated quoted identifier"))
        self.advance_to(self.n)
        self.emit("qident", "".join(out), start, line)

    def dollar(self, start, line):
        """$1 is a parameter; $$...$$ and $tag$...$tag$ are strings."""
        if self.peek(1).isdigit():
            i = self.pos + 1
            while i < self.n and self.text[i].isdigit():
                i += 1
            self.pos = i
            self.emit("param", self.text[start:i], start, line)
            return
        i = self.pos + 1
        if i < self.n and is_ident_start(self.text[i]):
            while i < self.n and is_tag_char(self.text[i]):
                i += 1
        if i < self.n and self.text[i] == "$":
            delimiter = self.text[self.pos:i + 1]
            end = self.text.find(delimiter, i + 1)
            if end < 0:
                self.errors.append((line, f"unterminated dollar-quoted string {delimiter}"))
                content, stop = self.text[i + 1:], self.n
            else:
                content, stop = self.text[i + 1:end], end + len(delimiter)
            self.advance_to(stop)
            self.emit("dollar", content, start, line)
            return
        self.pos += 1
        self.emit("other", "$", start, line)

    # -- names, numbers, operators ----------------------------------------

    def identifier(self, start, line):
        i = self.pos + 1
        while i < self.n and is_ident_char(self.text[i]):
            i += 1
        self.pos = i
        word = self.text[start:i]
        kind = "placeholder" if PLACEHOLDER in word else "ident"
        self.emit(kind, word.lower(), start, line)

    def number(self, start, line):
        """1, 1.5, 1., .5, 1e-9, 0x1F, 1_000; "1..3" is 1 then "..". """
        t, i = self.text, self.pos

        def digits(j, ok=str.isdigit):
            while j < self.n and (ok(t[j]) or t[j] == "_"):
                j += 1
            return j

        if t.startswith(("0x", "0X", "0o", "0O", "0b", "0B"), i) and i + 2 < self.n \
                and t[i + 2].isalnum():
            i = digits(i + 2, str.isalnum)
        else:
            i = digits(i)
            if i < self.n and t[i] == "." and not t.startswith("..", i):
                i = digits(i + 1)
            if i < self.n and t[i] in "eE":
                j = i + 1
                if j < self.n and t[j] in "+-":
                    j += 1
                if j < self.n and t[j].isdigit():
                    i = digits(j)
        self.pos = i
        self.emit("number", t[start:i], start, line)

    def operator(self, start, line):
        """The longest run of operator characters, cut before a comment
        start, and trimmed of a trailing + or - as PostgreSQL does."""
        i = self.pos
        while i < self.n and self.text[i] in OP_CHARS:
            if i > self.pos and self.text.startswith(("--", "/*"), i):
                break
            i += 1
        op = self.text[self.pos:i]
        if len(op) > 1 and op[-1] in "+-" and not any(c in NON_SQL_OP_CHARS for c in op[:-1]):
            op = op.rstrip("+-") or op[0]
        self.pos += len(op)
        if op == "=>":
            self.emit("punct", op, start, line)
        elif op == "%" and self.is_type_suffix():
            self.emit("punct", op, start, line)   # PL/pgSQL x%TYPE, t%ROWTYPE
        else:
            self.emit("op", op, start, line)

    def is_type_suffix(self):
        m = TYPE_SUFFIX.match(self.text, self.pos)
        return m is not None and m.group(0).lower() in ("type", "rowtype")


# ---------------------------------------------------------------------------
# Findings and allow comments
# ---------------------------------------------------------------------------

ALLOW = re.compile(r"lint:\s*allow\b(?P<rest>.*)", re.S)
ALLOW_RULE = re.compile(r"\s*(?P<rule>[A-Za-z][A-Za-z0-9_-]*)?\s*(?P<tail>.*)", re.S)
REASON = re.compile(r"\(\s*[^)\s][^)]*\)")


class Report:
    """Findings of one file, and the allow comments met while lexing it."""

    def __init__(self, path):
        self.path = path
        self.findings = set()   # (line, rule, message)
        self.allowed = {}       # line -> rules allowed there

    def add(self, line, rule, message):
        self.findings.add((line, rule, message))

    def note_comment(self, line, text):
        m = ALLOW.search(text)
        if not m:
            return
        line += text.count("\n", 0, m.start())
        parts = ALLOW_RULE.match(m.group("rest"))
        rule, tail = parts.group("rule"), parts.group("tail").strip()
        if rule is None or not REASON.match(tail):
            self.add(line, "allow-without-reason",
                     "write -- lint: allow <rule> (<why this is safe>)")
            return
        if rule not in KNOWN_RULES:
            self.add(line, "allow-unknown-rule", f"no rule is called {rule}")
            return
        self.allowed.setdefault(line, set()).add(rule)

    def allows(self, line, rule):
        """An allow comment on the line itself or on the line above."""
        return rule in self.allowed.get(line, ()) or rule in self.allowed.get(line - 1, ())

    def lines(self):
        return [f"{self.path}:{line}: {rule}: {message}"
                for line, rule, message in sorted(self.findings)
                if rule in UNSILENCEABLE or not self.allows(line, rule)]


@dataclass(frozen=True)
class Policy:
    """Which rules apply to a region."""
    qualify: bool = True        # unqualified-function/-operator, implicit-operator
    relations: bool = False     # unqualified-relation (search_path not pinned)
    install_time: bool = False  # runs during CREATE EXTENSION (DO, top level)
    script: bool = False        # script-level rules (security-definer, ...)


@dataclass
class Ctx:
    report: Report
    base_install: bool = False
    frozen: bool = False


def lex_into(ctx, text, first_line):
    lexer = Lexer(text, first_line).run()
    for line, comment in lexer.comments:
        ctx.report.note_comment(line, comment)
    for line, message in lexer.errors:
        ctx.report.add(line, "lex-error", message)
    return lexer.tokens


# ---------------------------------------------------------------------------
# Structure: brackets, statements
# ---------------------------------------------------------------------------

def match_brackets(toks):
    """Index of the partner of every ( ) [ ]."""
    match, stack = {}, []
    for i, tok in enumerate(toks):
        if is_punct(tok, "(", "["):
            stack.append(i)
        elif is_punct(tok, ")", "]") and stack:
            j = stack.pop()
            match[i], match[j] = j, i
    return match


def enclosing_brackets(toks):
    """For each token, the index of the innermost open ( or [ around it."""
    enclosing, stack = [], []
    for tok in toks:
        if is_punct(tok, ")", "]") and stack:
            stack.pop()
        enclosing.append(stack[-1] if stack else -1)
        if is_punct(tok, "(", "["):
            stack.append(len(enclosing) - 1)
    return enclosing


def is_create_routine(toks):
    return is_kw(toks[0], "create") and any(is_kw(t, "function", "procedure") for t in toks[1:5])


def split_statements(toks):
    """Split at ';' outside brackets and outside BEGIN ATOMIC ... END."""
    statements, current = [], []
    depth = atomic = 0
    for tok in toks:
        if is_punct(tok, ";") and depth == 0 and atomic == 0:
            if current:
                statements.append(current)
            current = []
            continue
        current.append(tok)
        if is_punct(tok, "(", "["):
            depth += 1
        elif is_punct(tok, ")", "]"):
            depth = max(0, depth - 1)
        elif is_kw(tok, "atomic") and len(current) > 1 and is_kw(current[-2], "begin") \
                and is_create_routine(current):
            atomic = 1
        elif atomic and is_kw(tok, "case"):
            atomic += 1
        elif atomic and is_kw(tok, "end"):
            atomic -= 1
    if current:
        statements.append(current)
    return statements


def split_top_level(toks, separator):
    """Split at a punctuation token outside brackets (no empty parts)."""
    parts, current, depth = [], [], 0
    for tok in toks:
        if is_punct(tok, separator) and depth == 0:
            parts.append(current)
            current = []
            continue
        if is_punct(tok, "(", "["):
            depth += 1
        elif is_punct(tok, ")", "]"):
            depth = max(0, depth - 1)
        current.append(tok)
    parts.append(current)
    return [p for p in parts if p]


def first_words(toks, count=8):
    out = [t.value if t.kind == "ident" else None for t in toks[:count]]
    return out + [None] * (count - len(out))


def classify_statement(stmt):
    """routine, do, aggregate, type, operator, index, declarative or generic."""
    w = first_words(stmt)
    if w[0] == "create":
        k = 3 if (w[1], w[2]) == ("or", "replace") else 1
        while w[k] in ("temp", "temporary", "unlogged", "global", "local", "trusted",
                       "procedural", "recursive", "materialized", "unique", "constraint",
                       "default", "foreign"):
            k += 1
        obj = w[k] if k < len(w) else None
        if obj in ("function", "procedure"):
            return "routine"
        if obj == "operator":
            return "declarative" if w[k + 1] in ("class", "family") else "operator"
        if obj in ("aggregate", "type", "index"):
            return obj
        if obj in DECLARATIVE_CREATE:
            return "declarative"
        return "generic"
    if w[0] == "do":
        return "do"
    if w[0] == "alter":
        return "generic" if w[1] in ALTER_WITH_EXPRESSIONS else "declarative"
    if w[0] in DECLARATIVE_VERBS:
        return "declarative"
    return "generic"


def main_verb(toks):
    """The statement's verb, looking past a WITH clause."""
    if not toks or toks[0].kind != "ident":
        return None
    if toks[0].value != "with":
        return toks[0].value
    depth = 0
    for tok in toks[1:]:
        if is_punct(tok, "(", "["):
            depth += 1
        elif is_punct(tok, ")", "]"):
            depth -= 1
        elif depth == 0 and is_kw(tok, "select", "insert", "update", "delete", "merge", "values"):
            return tok.value
    return "with"


def starts_query(tok):
    return is_kw(tok, "select", "with", "values", "insert", "update", "delete",
                 "table", "merge") or is_punct(tok, "(")


def collect_cte_names(toks, match):
    """Names defined by WITH name [(cols)] AS [NOT] [MATERIALIZED] (query)."""
    names = set()
    for k, tok in enumerate(toks):
        if not is_kw(tok, "as"):
            continue
        after = toks[k + 1] if k + 1 < len(toks) else None
        if is_kw(after, "not", "materialized"):
            pass
        elif not (is_punct(after, "(") and k + 2 < len(toks) and starts_query(toks[k + 2])):
            continue
        p = k - 1
        if p >= 0 and is_punct(toks[p], ")") and p in match:
            p = match[p] - 1
        if p < 1 or toks[p].kind not in ("ident", "qident"):
            continue
        if is_kw(toks[p - 1], "with", "recursive") or is_punct(toks[p - 1], ","):
            names.add(toks[p].value)
    return names


# ---------------------------------------------------------------------------
# Checking one statement (or one PL/pgSQL statement)
# ---------------------------------------------------------------------------

class PieceChecker:
    """Applies the expression rules to one statement's tokens.

    First the parentheses are classified (call, grammar, alias column list,
    type modifier, definition list, OPERATOR(...), ...) and the tokens that
    are syntax rather than expression are marked: type names, "name = value"
    items of SET lists and definition lists.  Then one pass over the tokens
    reports calls, operators, implicit operators and relations."""

    def __init__(self, ctx, toks, policy, lang="sql", plkind=None, stmt_kind="generic"):
        self.ctx, self.t, self.policy = ctx, toks, policy
        self.lang, self.plkind, self.stmt_kind = lang, plkind, stmt_kind
        self.n = len(toks)
        self.match = match_brackets(toks)
        self.enclosing = enclosing_brackets(toks)
        self.kind_of = {}          # index of "(" -> (kind, word)
        self.skip = [False] * self.n
        self.exempt = set()        # "=" tokens that are syntax
        self.handled = set()       # operator tokens already reported otherwise
        self.loop_in = None        # the IN of a FOR/FOREACH loop header
        self.cte_names = collect_cte_names(toks, self.match)
        self.main = main_verb(toks)
        self.from_active = {}      # bracket scope -> inside a FROM list
        self.join_pending = {}     # bracket scope -> JOIN seen, condition not yet

    def at(self, k):
        return self.t[k] if 0 <= k < self.n else None

    def report(self, tok, rule, message):
        self.ctx.report.add(tok.line, rule, message)

    def run(self):
        self.classify_parens()
        self.mark_syntax()
        for i, tok in enumerate(self.t):
            if self.skip[i]:
                continue
            if tok.kind == "dollar":
                self.check_dynamic_sql(tok)
            elif tok.kind == "op":
                self.check_operator(i)
            elif tok.kind in ("ident", "qident") and is_punct(self.at(i + 1), "("):
                self.check_call(i)
            if tok.kind == "ident":
                self.check_implicit(i)
            self.track_clauses(i)

    # -- what a token is ------------------------------------------------------

    def ends_operand(self, k):
        """Does token k end an operand (so an operator after it is infix)?"""
        tok = self.at(k)
        if tok is None:
            return False
        if tok.kind in ("number", "string", "dollar", "param", "qident", "placeholder"):
            return True
        if tok.kind == "ident":
            return not self.is_keyword_at(k)
        if is_punct(tok, "]"):
            return True
        if is_punct(tok, ")"):
            kind, word = self.kind_of.get(self.match.get(k, -1), ("expr", None))
            # OPERATOR(pg_catalog.=) is itself an operator; DISTINCT ON (...)
            # is followed by the select list
            return not (kind == "operator" or (kind == "grammar" and word == "on"))
        return False

    def is_keyword_at(self, k):
        """Is the unquoted word at k a keyword here rather than a name?
        Reserved words always are.  Others ("row", "rows", "next", "set",
        "value") may also name a column, so they count as keywords only
        where the grammar uses them: 20 + row * 22 multiplies."""
        tok, prev, nxt = self.at(k), self.at(k - 1), self.at(k + 1)
        v = tok.value
        if is_punct(prev, "."):
            return False                      # t.row, r.end: columns
        if v in ALWAYS_KEYWORDS:
            return True
        if v in STATEMENT_WORDS:
            # RETURN QUERY EXECUTE, FOR r IN EXECUTE, OPEN c FOR EXECUTE
            return k == 0 or (v == "execute" and is_kw(prev, "query", "in", "for"))
        if v in ("next", "query"):
            return is_kw(prev, "return")
        if v == "by":
            return is_kw(prev, "order", "group", "partition", "increment") or self.plkind == "for"
        if v in ("rows", "range", "groups"):   # a window frame
            return is_kw(nxt, "between", "unbounded", "current") or (
                nxt is not None and nxt.kind == "number"
                and is_kw(self.at(k + 2), "preceding", "following"))
        if v in ("values", "exists", "row", "filter", "over"):
            return is_punct(nxt, "(") or (v == "over" and is_name(nxt))
        if v in ("function", "procedure", "support"):
            return is_name(nxt)               # EXECUTE FUNCTION f(), SUPPORT f
        if v in ("notice", "warning", "info", "log", "debug", "exception"):
            return is_kw(prev, "raise")
        return (v == "set") or (v == "zone" and is_kw(prev, "time")) \
            or (v == "strict" and is_kw(prev, "into")) \
            or (v == "reverse" and is_kw(prev, "in")) \
            or (v == "slice" and self.plkind == "foreach") \
            or (v == "atomic" and is_kw(prev, "begin"))

    def merge_insert_action(self, j, start):
        """Is the ( at j, after THEN INSERT at start, the column list of a
        MERGE's WHEN NOT MATCHED action?  Only at the MERGE's own level, and
        only after WHEN NOT MATCHED: CASE WHEN c THEN insert(x) calls a
        function named insert."""
        if main_verb(self.t) != "merge" or self.enclosing[j] != -1:
            return False
        # a column list goes on to the action's VALUES (or OVERRIDING, or
        # DEFAULT VALUES); what follows a call's ) in an expression never does
        close = self.match.get(j)
        if close is None or not is_kw(self.at(close + 1), "values", "overriding", "default"):
            return False
        # the WHEN this THEN belongs to: the nearest one at the MERGE's
        # level, passing over whole CASE ... END expressions (a column may be
        # named matched: CASE WHEN NOT matched THEN insert(x) END is a call)
        k, open_cases = start - 2, 0
        while k >= 0:
            tok = self.at(k)
            if self.enclosing[k] == -1:
                if is_kw(tok, "end"):
                    open_cases += 1
                elif is_kw(tok, "case"):
                    open_cases -= 1
                elif is_kw(tok, "when") and open_cases == 0:
                    break
            k -= 1
        return k >= 0 and is_kw(self.at(k + 1), "not") and is_kw(self.at(k + 2), "matched")

    def has_left_operand(self, i):
        k = i - 1
        if is_kw(self.at(k), "not"):
            k -= 1
        return self.ends_operand(k)

    def name_start(self, k):
        """First token of the dotted name that ends at k."""
        while is_punct(self.at(k - 1), ".") and is_name(self.at(k - 2)):
            k -= 2
        return k

    def in_grammar_func(self, i):
        kind, _ = self.kind_of.get(self.enclosing[i], (None, None))
        return kind == "grammarfunc"

    # -- parentheses --------------------------------------------------------

    def classify_parens(self):
        for j, tok in enumerate(self.t):
            if is_punct(tok, "("):
                self.kind_of[j] = self.paren_kind(j)

    def paren_kind(self, j):
        prev = self.at(j - 1)
        if is_kw(prev, "operator"):
            return ("operator", None)
        start = self.name_start(j - 1) if is_name(prev) else j
        before = self.at(start - 1)
        word = prev.value if prev is not None and prev.kind == "ident" and start == j - 1 else None
        special = self.statement_paren_kind(j, before, word)
        if special:
            return special
        if not is_name(prev):
            return ("expr", None)
        if is_punct(before, "::"):
            return ("typmod", None)
        if is_kw(before, "as"):
            kind, _ = self.kind_of.get(self.enclosing[j], (None, None))
            return ("typmod", None) if kind == "cast" else ("alias", None)
        if is_kw(before, "into", "table", "references", "only", "view"):
            return ("alias", None)        # a relation's column list
        if is_kw(before, "with", "recursive") or (is_punct(before, ",") and self.is_cte_head(j)):
            return ("alias", None)        # a CTE's column list
        if is_kw(before, "open") and self.lang == "plpgsql":
            return ("alias", None)        # OPEN cursor(arguments)
        if word == "insert" and is_kw(before, "then") and self.merge_insert_action(j, start):
            return ("alias", None)        # MERGE ... WHEN NOT MATCHED THEN INSERT (columns)
        if is_kw(before, "using") and is_kw(self.at(start - 2), "exclude"):
            return ("alias", None)        # EXCLUDE USING gist (...)
        if word is not None:
            if word in GRAMMAR_FUNCS:
                return ("grammarfunc", word)
            if word in ("cast", "treat"):
                return ("cast", word)
            if word in ("with", "options"):
                return ("deflist", word)  # WITH (fillfactor = 70)
            if word in ("set", "reset"):
                after = self.at(self.match.get(j, j) + 1)
                return ("expr", word) if is_op(after, "=") else ("deflist", word)
            if word in GRAMMAR_PAREN:
                return ("grammar", word)
        if before is not None and self.ends_operand(start - 1):
            return ("alias", None)        # FROM f(x) alias(a, b); col timestamptz(3)
        return ("call", word)

    def statement_paren_kind(self, j, before, word):
        """Definition lists and signatures of CREATE AGGREGATE/TYPE/OPERATOR
        and the column lists of CREATE INDEX."""
        first = next((k for k, t in enumerate(self.t) if is_punct(t, "(")), None)
        if self.stmt_kind == "aggregate":
            if j == first:
                return ("deflist", None) if self.has_definition_items(j) else ("signature", None)
            if first is not None and j == self.match.get(first, -2) + 1:
                return ("deflist", None)
        elif self.stmt_kind == "operator" and j == first:
            return ("deflist", None)
        elif self.stmt_kind == "type":
            if (j == first and is_kw(before, "type")) or (word == "range" and is_kw(before, "as")):
                return ("deflist", None)
        elif self.stmt_kind == "index" and is_kw(before, "on", "only", "using"):
            return ("alias", None)
        return None

    def has_definition_items(self, j):
        close = self.match.get(j, self.n)
        return any(is_op(self.t[k], "=") and self.enclosing[k] == j and is_name(self.t[k - 1])
                   for k in range(j + 1, close))

    def is_cte_head(self, j):
        """name(cols) AS [NOT] [MATERIALIZED] (query) after a comma."""
        close = self.match.get(j)
        if close is None or not is_kw(self.at(close + 1), "as"):
            return False
        after = self.at(close + 2)
        return is_kw(after, "not", "materialized") or \
            (is_punct(after, "(") and starts_query(self.at(close + 3)))

    # -- syntax that is not expression ----------------------------------------

    def mark_skip(self, start, end):
        for k in range(max(start, 0), min(end + 1, self.n)):
            self.skip[k] = True

    def mark_syntax(self):
        for j, (kind, _) in self.kind_of.items():
            close = self.match.get(j)
            if close is None:
                continue
            if kind == "operator":
                self.mark_operator_paren(j, close)
            elif kind in ("typmod", "signature"):
                self.mark_skip(j, close)
            elif kind == "deflist":
                self.mark_definition_list(j, close)
            elif kind == "cast":
                self.mark_cast_type(j, close)
        for k, tok in enumerate(self.t):
            if is_punct(tok, "::"):
                self.mark_type(k + 1)
            elif is_kw(tok, "set") and not self.skip[k] and not is_punct(self.at(k - 1), "."):
                self.assignment_list(k + 1, config=True)    # not the column t.set
        if self.stmt_kind == "operator":
            first = next((k for k, t in enumerate(self.t) if is_punct(t, "(")), self.n)
            self.mark_skip(0, first - 1)      # CREATE OPERATOR schema.=== (
        self.mark_plpgsql_syntax()

    def mark_plpgsql_syntax(self):
        if self.plkind == "assign":
            k = self.skip_target(0)
            if is_op(self.at(k), "="):
                self.exempt.add(k)            # PL/pgSQL assignment: x = 1
        elif self.plkind in ("raise", "get"):
            keyword = "using" if self.plkind == "raise" else "diagnostics"
            for k, tok in enumerate(self.t):
                if is_kw(tok, keyword) and self.enclosing[k] == -1:
                    self.assignment_list(k + 1)
                    break
        elif self.plkind in ("for", "foreach"):
            for k, tok in enumerate(self.t):
                if is_kw(tok, "in") and self.enclosing[k] == -1:
                    self.loop_in = k
                    break

    def mark_operator_paren(self, j, close):
        """OPERATOR(schema.op): the operator is named, if a schema is given."""
        self.mark_skip(j - 1, close)
        inner = self.t[j + 1:close]
        if self.policy.qualify and not any(is_punct(t, ".") for t in inner):
            op = "".join(t.text for t in inner)
            self.report(self.t[j - 1], "unqualified-operator",
                        f"OPERATOR({op}) names no schema and is still resolved through "
                        f"search_path; write OPERATOR(pg_catalog.{op})")

    def mark_definition_list(self, j, close):
        """( name = value, ... ) of CREATE AGGREGATE/TYPE/OPERATOR and WITH
        (...): names, types and function names are syntax; an operator given
        as a value (SORTOP = <) is still checked."""
        k, seen_equals = j + 1, False
        self.skip[j] = self.skip[close] = True
        while k < close:
            tok = self.t[k]
            if is_punct(tok, "(", "["):
                end = self.match.get(k, close)
                if self.kind_of.get(k, (None,))[0] != "operator":
                    self.mark_skip(k, end)
                k = end + 1
                continue
            if is_punct(tok, ","):
                seen_equals = False
            elif is_op(tok, "=") and not seen_equals:
                self.exempt.add(k)
                seen_equals = True
                k += 1
                continue
            if tok.kind != "op":
                self.skip[k] = True
            k += 1

    def mark_cast_type(self, j, close):
        for k in range(j + 1, close):
            if is_kw(self.t[k], "as") and self.enclosing[k] == j:
                self.mark_skip(k + 1, close - 1)
                return

    def mark_type(self, k):
        """The type name after '::' (with its modifiers and array bounds)."""
        start = k
        if not is_name(self.at(k)):
            return
        k += 1
        while is_punct(self.at(k), ".") and is_name(self.at(k + 1)):
            k += 2
        while True:
            tok = self.at(k)
            if is_kw(tok, "precision", "varying"):
                k += 1
            elif is_kw(tok, "with", "without") and is_kw(self.at(k + 1), "time") \
                    and is_kw(self.at(k + 2), "zone"):
                k += 3
            elif is_punct(tok, "(", "[") and k in self.match:
                k = self.match[k] + 1
            else:
                break
        self.mark_skip(start, k - 1)

    def skip_target(self, k):
        """Past an assignment target: name(.name)*([...])* or (a, b)."""
        tok = self.at(k)
        if is_punct(tok, "(") and k in self.match:
            return self.match[k] + 1
        if not is_name(tok):
            return k
        k += 1
        while True:
            if is_punct(self.at(k), ".") and is_name(self.at(k + 1)):
                k += 2
            elif is_punct(self.at(k), "[") and k in self.match:
                k = self.match[k] + 1
            else:
                return k

    def assignment_list(self, k, config=False):
        """target = value, target = value ... after SET (UPDATE, ON CONFLICT,
        configuration), RAISE ... USING and GET DIAGNOSTICS: those '=' are
        syntax.  Only an '=' right after a target is exempt."""
        if config and is_kw(self.at(k), "session", "local") and is_name(self.at(k + 1)) \
                and (is_op(self.at(k + 2), "=") or is_kw(self.at(k + 2), "to")):
            k += 1
        while k < self.n:
            k = self.skip_target(k)
            if is_op(self.at(k), "="):
                self.exempt.add(k)
            while k < self.n:
                tok = self.t[k]
                if is_punct(tok, "(", "[") and k in self.match:
                    k = self.match[k] + 1
                    continue
                if is_punct(tok, ")", "]", ";") or is_kw(tok, "where", "from", "returning"):
                    return
                if is_punct(tok, ","):
                    break
                k += 1
            k += 1

    # -- the rules --------------------------------------------------------

    def check_call(self, i):
        if not self.policy.qualify:
            return
        tok = self.t[i]
        kind, word = self.kind_of.get(i + 1, ("expr", None))
        if kind == "grammarfunc" and word in ("substring", "overlay") and self.plain_call(i + 1):
            self.report(tok, "unqualified-function",
                        f"{word}(a, b, ...) with commas is an ordinary call resolved through "
                        f"search_path; write pg_catalog.{word}(...) or the "
                        f"{word.upper()}(... FROM ...) syntax")
            return
        if kind != "call" or tok.kind == "placeholder" or is_punct(self.at(i - 1), "."):
            return
        self.report(tok, "unqualified-function",
                    f"{tok.text}() is resolved through search_path; "
                    f"write pg_catalog.{tok.text}() or @extschema@.{tok.text}()")

    def plain_call(self, j):
        """substring(a, 1, 2) rather than SUBSTRING(a FROM 1 FOR 2)."""
        close = self.match.get(j, self.n)
        inner = [k for k in range(j + 1, close) if self.enclosing[k] == j]
        return any(is_punct(self.t[k], ",") for k in inner) and \
            not any(is_kw(self.t[k], "from", "for", "placing", "similar") for k in inner)

    def check_operator(self, i):
        if not self.policy.qualify or i in self.exempt or i in self.handled:
            return
        op = self.t[i].value
        prefix = not self.ends_operand(i - 1)
        if op == "*" and prefix:
            return    # SELECT *, t.*, count(*), RETURNING *
        if op == "-" and prefix and self.at(i + 1) is not None and self.at(i + 1).kind == "number":
            return    # -1: the parser folds the sign into the constant
        if is_punct(self.at(i - 1), ".") and is_name(self.at(i - 2)):
            return    # schema.op, where a definition names an operator
        # "- x" applies an operator; "WITH &&)" only names one
        operand_follows = self.at(i + 1) is not None and not is_punct(self.at(i + 1), ")", ",")
        kind = "prefix operator" if prefix and operand_follows else "operator"
        self.report(self.t[i], "unqualified-operator",
                    f"{kind} {op} is resolved through search_path; write OPERATOR(pg_catalog.{op})")

    def check_implicit(self, i):
        if not self.policy.qualify:
            return
        tok, nxt, prev = self.t[i], self.at(i + 1), self.at(i - 1)
        v = tok.value

        def say(message):
            self.report(tok, "implicit-operator", message)

        if v == "in":
            if i == self.loop_in or not is_punct(nxt, "(") or self.in_grammar_func(i) \
                    or not self.has_left_operand(i):
                return
            if is_kw(prev, "tag") and is_kw(self.at(i - 2), "when"):
                return    # CREATE EVENT TRIGGER ... WHEN TAG IN ('...'): a filter, not an operator
            if is_kw(prev, "not"):
                say("x NOT IN (...) compares with an = found through search_path; "
                    "write NOT (x OPERATOR(pg_catalog.=) ANY (...))")
            else:
                say("x IN (...) compares with an = found through search_path; "
                    "write x OPERATOR(pg_catalog.=) ANY (...)")
        elif v == "between" and self.has_left_operand(i):
            say("BETWEEN compares with >= and <= found through search_path; write two "
                "OPERATOR(pg_catalog.>=) / OPERATOR(pg_catalog.<=) comparisons")
        elif v in ("like", "ilike") and self.has_left_operand(i):
            op = "~~" if v == "like" else "~~*"
            say(f"{v.upper()} is the operator {op} found through search_path; "
                f"write OPERATOR(pg_catalog.{op})")
        elif v == "similar" and is_kw(nxt, "to") and self.has_left_operand(i):
            say("SIMILAR TO uses the operator ~ found through search_path; write "
                "OPERATOR(pg_catalog.~) pg_catalog.similar_to_escape(...)")
        elif v == "distinct" and is_kw(nxt, "from") and \
                (is_kw(prev, "is") or (is_kw(prev, "not") and is_kw(self.at(i - 2), "is"))):
            say("IS [NOT] DISTINCT FROM compares with an = found through search_path; "
                "spell it out with OPERATOR(pg_catalog.=) and IS NULL")
        elif v == "nullif" and is_punct(nxt, "(") and not is_punct(prev, "."):
            say("NULLIF compares with an = found through search_path; write "
                "CASE WHEN a OPERATOR(pg_catalog.=) b THEN NULL ELSE a END")
        elif v == "case" and not is_kw(nxt, "when") and not is_kw(prev, "end"):
            say("simple CASE x WHEN compares with an = found through search_path; "
                "write CASE WHEN x OPERATOR(pg_catalog.=) ... THEN")
        elif v == "using" and is_op(nxt):
            self.handled.add(i + 1)
            say(f"ORDER BY ... USING {nxt.value} is resolved through search_path; "
                f"write USING OPERATOR(pg_catalog.{nxt.value})")
        elif v == "using" and is_punct(nxt, "(") and self.join_pending.get(self.enclosing[i]):
            say("JOIN ... USING (...) compares with an = found through search_path; "
                "write ON a.col OPERATOR(pg_catalog.=) b.col")
        elif v == "natural" and (is_kw(nxt, "join", "inner", "left", "right", "full")):
            say("NATURAL JOIN compares with an = found through search_path; "
                "write ON a.col OPERATOR(pg_catalog.=) b.col")

    # -- relations (where search_path is not pinned) --------------------------

    def track_clauses(self, i):
        """Follow FROM lists and JOINs, and report unqualified relations."""
        tok, prev, scope = self.t[i], self.at(i - 1), self.enclosing[i]
        if is_punct(tok, ","):
            if self.from_active.get(scope):
                self.relation_at(i + 1, from_item=True)
            return
        if tok.kind != "ident":
            return
        v = tok.value
        if v in FROM_LIST_END:
            self.from_active[scope] = self.join_pending[scope] = False
        if v == "from":
            if self.from_names_relations(i):
                self.from_active[scope] = True
                self.relation_at(i + 1, from_item=True)
        elif v == "join":
            self.from_active[scope] = self.join_pending[scope] = True
            self.relation_at(i + 1, from_item=True)
        elif v in ("on", "using"):
            self.join_pending[scope] = False
            if v == "using" and self.main in ("delete", "merge") and scope == -1:
                self.from_active[scope] = True
                self.relation_at(i + 1, from_item=True)
        elif v == "into":
            # PL/pgSQL's SELECT ... INTO and RETURNING ... INTO name variables
            if self.lang != "plpgsql" or is_kw(prev, "insert", "merge"):
                k = i + 1
                while is_kw(self.at(k), "temp", "temporary", "unlogged", "table"):
                    k += 1
                self.relation_at(k)
        elif v == "update":
            # not FOR [NO KEY] UPDATE, DO UPDATE SET, trigger events
            if not is_kw(prev, "for", "key", "do", "or", "before", "after", "of", "then") \
                    and not is_kw(self.at(i + 1), "set"):
                self.relation_at(i + 1)
        elif v == "table":
            if not is_kw(prev, "create", "temp", "temporary", "unlogged", "global", "local",
                         "returns", "foreign", "on", "partition"):
                k = i + 1
                if is_kw(self.at(k), "if") and is_kw(self.at(k + 1), "exists"):
                    k += 2
                self.relation_at(k)
        elif v in ("truncate", "lock") and i == 0:
            self.from_active[scope] = True
            self.relation_at(i + 1)
        elif v == "references":
            self.relation_at(i + 1)

    def from_names_relations(self, i):
        prev = self.at(i - 1)
        if is_kw(prev, "distinct", "rows"):
            return False      # IS DISTINCT FROM, ROWS FROM (...)
        if self.in_grammar_func(i):
            return False      # extract(x FROM y), substring(a FROM 2)
        return self.plkind not in ("fetch", "move") and self.main not in ("fetch", "move", "copy")

    def relation_at(self, k, from_item=False):
        if not self.policy.relations:
            return
        while is_kw(self.at(k), "only", "lateral"):
            k += 1
        tok = self.at(k)
        if tok is None or tok.kind not in ("ident", "qident"):
            return            # a subquery, a placeholder of dynamic SQL, ...
        if tok.kind == "ident" and (tok.value in RESERVED or tok.value in ("rows", "set")):
            return
        nxt = self.at(k + 1)
        if is_punct(nxt, "."):
            return            # schema-qualified
        if from_item and is_punct(nxt, "("):
            return            # a function in FROM: the call rule sees it
        if tok.value in self.cte_names:
            return
        self.report(tok, "unqualified-relation",
                    f"relation {tok.text} is looked up through search_path (pg_temp "
                    f"first); write pg_catalog.{tok.text} or @extschema@.{tok.text}")

    # -- dynamic SQL ------------------------------------------------------

    def check_dynamic_sql(self, tok):
        """A dollar-quoted string in a checked body is SQL built at run time."""
        if not (self.policy.qualify or self.policy.relations):
            return
        if self.ctx.report.allows(tok.line, "non-sql-string"):
            return
        check_sql_text(self.ctx, substitute_placeholders(tok.value), tok.line, self.policy)


def substitute_placeholders(text):
    """format() placeholders become a neutral name; %% becomes the '%' that
    format() outputs."""
    return FORMAT_SPEC.sub(lambda m: "%" if m.group(0) == "%%" else PLACEHOLDER, text)


# ---------------------------------------------------------------------------
# Statements, routines, DO blocks
# ---------------------------------------------------------------------------

def check_sql_text(ctx, text, first_line, policy):
    """SQL text: a script, an SQL routine body or dynamic SQL."""
    for stmt in split_statements(lex_into(ctx, text, first_line)):
        check_statement(ctx, stmt, policy, "sql")


def check_plpgsql_text(ctx, text, first_line, policy):
    check_plpgsql_tokens(ctx, lex_into(ctx, text, first_line), policy)


def check_statement(ctx, stmt, policy, lang, plkind=None):
    if policy.script:
        check_security_definer(ctx, stmt)
    if policy.install_time and ctx.base_install:
        check_install_ddl(ctx, stmt)
    kind = classify_statement(stmt)
    if kind == "routine":
        check_routine(ctx, stmt, policy)
    elif kind == "do":
        check_do(ctx, stmt, policy)
    elif kind != "declarative":
        PieceChecker(ctx, stmt, policy, lang, plkind=plkind, stmt_kind=kind).run()


def check_security_definer(ctx, toks):
    for k in range(len(toks) - 1):
        if is_kw(toks[k], "security") and is_kw(toks[k + 1], "definer"):
            ctx.report.add(toks[k].line, "security-definer",
                           "SECURITY DEFINER in an extension script runs code with "
                           "the installing superuser's rights; use SECURITY INVOKER")


def check_install_ddl(ctx, toks):
    """CREATE OR REPLACE or IF NOT EXISTS would adopt an object planted in
    the schema before CREATE EXTENSION; a base install must create afresh."""
    for k in range(1, len(toks) - 1):
        pair = (toks[k - 1], toks[k], toks[k + 1])
        if is_kw(pair[0], "create") and is_kw(pair[1], "or") and is_kw(pair[2], "replace"):
            ctx.report.add(pair[0].line, "create-or-replace-in-install",
                           "CREATE OR REPLACE in a base install script can take over an "
                           "object planted in the schema; use CREATE")
        elif is_kw(pair[0], "if") and is_kw(pair[1], "not") and is_kw(pair[2], "exists"):
            ctx.report.add(pair[0].line, "create-or-replace-in-install",
                           "IF NOT EXISTS in a base install script keeps an object "
                           "planted in the schema; create it unconditionally")


def routine_name(stmt, start, end):
    return "".join(t.text for t in stmt[start:end]) or "?"


def check_routine(ctx, stmt, policy):
    """CREATE [OR REPLACE] FUNCTION|PROCEDURE name (args) options body."""
    words_ = first_words(stmt, 4)
    k = 3 if (words_[1], words_[2]) == ("or", "replace") else 1
    what = stmt[k].value if k < len(stmt) else "function"
    paren = next((i for i in range(k + 1, len(stmt)) if is_punct(stmt[i], "(")), None)
    if paren is None:
        return
    match = match_brackets(stmt)
    close = match.get(paren, len(stmt) - 1)
    name = routine_name(stmt, k + 1, paren)
    check_arguments(ctx, stmt[paren + 1:close], policy)

    opts = stmt[close + 1:]
    o = RoutineOptions(ctx, opts, policy)
    if policy.script and o.has_sql_body_language() and not o.pinned:
        why = f"; found {o.search_path}" if o.search_path else ""
        ctx.report.add(stmt[0].line, "unpinned-search-path",
                       f"{what} {name} (LANGUAGE {o.language or 'sql'}) must carry "
                       f"SET search_path = pg_catalog, pg_temp{why}")

    body_policy = Policy(qualify=policy.qualify and not ctx.frozen, relations=False,
                         install_time=False, script=policy.script)
    if o.body is not None and not o.link_symbol:
        if o.language == "plpgsql":
            check_plpgsql_text(ctx, o.body.value, o.body.line, body_policy)
        elif o.language == "sql":
            check_sql_text(ctx, o.body.value, o.body.line, body_policy)
    # A BEGIN ATOMIC / RETURN body is parsed when the routine is created,
    # under the script's search_path: relations count too.
    atomic_policy = Policy(qualify=body_policy.qualify, relations=True,
                           install_time=False, script=policy.script)
    if o.atomic is not None:
        for part in split_statements(o.atomic):
            check_statement(ctx, part, atomic_policy, "sql")
    if o.return_expr:
        PieceChecker(ctx, o.return_expr, atomic_policy, "sql").run()


def check_arguments(ctx, toks, policy):
    """[mode] [name] type [DEFAULT | = expr]: only the defaults are expressions."""
    for arg in split_top_level(toks, ","):
        for k, tok in enumerate(arg):
            if is_kw(tok, "default") or is_op(tok, "="):
                PieceChecker(ctx, arg[k + 1:], policy, "sql").run()
                break


class RoutineOptions:
    """LANGUAGE, AS, SET, SUPPORT and the SQL-standard body of a routine."""

    def __init__(self, ctx, opts, policy):
        self.language = None
        self.body = None           # the string token after AS
        self.link_symbol = False   # AS 'obj_file', 'link_symbol'
        self.pinned = False
        self.search_path = None    # a non-conforming SET search_path, as written
        self.atomic = None         # tokens inside BEGIN ATOMIC ... END
        self.return_expr = None    # tokens after RETURN
        match = match_brackets(opts)
        k = 0
        while k < len(opts):
            tok, nxt = opts[k], opts[k + 1] if k + 1 < len(opts) else None
            if is_punct(tok, "(") and k in match:
                k = match[k] + 1       # RETURNS TABLE (...)
                continue
            if is_kw(tok, "language") and nxt is not None:
                self.language = nxt.value.lower()
            elif is_kw(tok, "as") and nxt is not None and nxt.kind in ("string", "dollar"):
                self.body = nxt
                self.link_symbol = k + 2 < len(opts) and is_punct(opts[k + 2], ",")
            elif is_kw(tok, "set"):
                self.read_set(opts, k)
            elif is_kw(tok, "support") and nxt is not None and policy.qualify \
                    and not is_punct(opts[k + 2] if k + 2 < len(opts) else None, "."):
                ctx.report.add(nxt.line, "unqualified-function",
                               f"SUPPORT {nxt.text} is resolved through search_path; "
                               f"write SUPPORT @extschema@.{nxt.text}")
            elif is_kw(tok, "begin") and is_kw(nxt, "atomic"):
                end = len(opts) - 1 if is_kw(opts[-1], "end") else len(opts)
                self.atomic = opts[k + 2:end]
                break
            elif is_kw(tok, "return"):
                self.return_expr = opts[k + 1:]
                break
            k += 1

    def read_set(self, opts, k):
        """SET search_path {= | TO} value [, value ...]"""
        if not (k + 2 < len(opts) and is_kw(opts[k + 1], "search_path")):
            return
        if not (is_op(opts[k + 2], "=") or is_kw(opts[k + 2], "to")):
            self.search_path = self.search_path or \
                " ".join(t.text for t in opts[k:k + 4])    # SET search_path FROM CURRENT
            return
        values, v = [], k + 3
        while v < len(opts) and opts[v].kind in ("ident", "qident", "string"):
            values.append(opts[v].value)
            if not is_punct(opts[v + 1] if v + 1 < len(opts) else None, ","):
                break
            v += 2
        if values == ["pg_catalog", "pg_temp"]:
            self.pinned = True
        else:
            self.search_path = " ".join(t.text for t in opts[k:k + 3]) + " " + \
                ", ".join(t.text for t in opts[k + 3:v + 1] if not is_punct(t, ","))

    def has_sql_body_language(self):
        if self.atomic is not None or self.return_expr is not None:
            return True
        return self.language in ("sql", "plpgsql")


def check_do(ctx, stmt, policy):
    """DO [LANGUAGE lang] body [LANGUAGE lang]: PL/pgSQL run at install time,
    under the installer's search_path."""
    language, body = "plpgsql", None
    for k in range(1, len(stmt)):
        tok = stmt[k]
        if is_kw(tok, "language") and k + 1 < len(stmt):
            language = stmt[k + 1].value.lower()
        elif tok.kind in ("string", "dollar") and body is None and not is_kw(stmt[k - 1], "language"):
            body = tok
    if body is not None and language == "plpgsql":
        do_policy = Policy(qualify=policy.qualify, relations=True,
                           install_time=policy.install_time, script=policy.script)
        check_plpgsql_text(ctx, body.value, body.line, do_policy)


# ---------------------------------------------------------------------------
# PL/pgSQL
# ---------------------------------------------------------------------------

PL_STATEMENT_KINDS = words("for foreach raise get return perform execute open fetch move close")
PL_CONDITION_KINDS = words("if elsif while exit continue assert when case")


def plpgsql_pieces(toks):
    """Cut a PL/pgSQL body into (kind, tokens) pieces: a declaration, a
    condition (IF ... THEN, WHILE ... LOOP, WHEN ... THEN), a loop header
    (FOR ... LOOP), a PL/pgSQL statement or an SQL statement.  Block words
    (labels, DECLARE, BEGIN, EXCEPTION, ELSE, LOOP, END ...) are dropped."""
    pieces, declaring = [], False
    for seg in split_top_level(toks, ";"):
        match, i = match_brackets(seg), 0
        while i < len(seg):
            tok = seg[i]
            if is_op(tok, "<<") and i + 2 < len(seg) and is_op(seg[i + 2], ">>"):
                i += 3                                     # <<label>>
                continue
            if is_kw(tok, "begin"):
                declaring = False
                i += 1
                continue
            if is_kw(tok, "declare"):
                declaring = True
                i += 1
                continue
            if is_kw(tok, "exception", "else", "loop"):
                i += 1
                continue
            if is_kw(tok, "end"):
                break                                      # END [IF|LOOP|CASE] [label]
            if declaring:
                pieces.append(("decl", seg[i:]))
                break
            end = piece_end(seg, i, match)
            pieces.append((plpgsql_kind(seg, i, match), seg[i:end]))
            i = end + 1
    return pieces


def piece_end(seg, i, match):
    """THEN and LOOP outside brackets and CASE expressions end a piece."""
    case_depth, k = 0, i
    while k < len(seg):
        tok = seg[k]
        if is_punct(tok, "(", "[") and k in match:
            k = match[k] + 1
            continue
        if is_kw(tok, "case") and k != i:
            case_depth += 1
        elif is_kw(tok, "end") and case_depth:
            case_depth -= 1
        elif case_depth == 0 and is_kw(tok, "then", "loop"):
            return k
        k += 1
    return len(seg)


def plpgsql_kind(seg, i, match):
    tok = seg[i]
    if tok.kind == "ident":
        if tok.value in PL_CONDITION_KINDS:
            return "cond"
        if tok.value in PL_STATEMENT_KINDS:
            return tok.value
    # an assignment: target := value, or target = value
    if is_name(tok):
        k = i + 1
        while k < len(seg):
            if is_punct(seg[k], ".") and k + 1 < len(seg) and is_name(seg[k + 1]):
                k += 2
            elif is_punct(seg[k], "[") and k in match:
                k = match[k] + 1
            else:
                break
        if k < len(seg) and (is_punct(seg[k], ":=") or is_op(seg[k], "=")):
            return "assign"
    return "sql"


def check_plpgsql_tokens(ctx, toks, policy):
    for kind, piece in plpgsql_pieces(toks):
        if kind == "decl":
            check_declaration(ctx, piece, policy)
        elif kind == "sql":
            check_statement(ctx, piece, policy, "plpgsql", plkind="sql")
        else:
            if policy.script:
                check_security_definer(ctx, piece)
            PieceChecker(ctx, piece, policy, "plpgsql", plkind=kind).run()


def check_declaration(ctx, piece, policy):
    """name [CONSTANT] type [NOT NULL] [{DEFAULT | := | =} expr]
    name ALIAS FOR ...;  name [[NO] SCROLL] CURSOR [(args)] {FOR | IS} query.
    The type is not an expression; the default and the query are."""
    if len(piece) > 1 and is_kw(piece[1], "alias"):
        return
    depth, cursor = 0, False
    for k, tok in enumerate(piece):
        if is_punct(tok, "(", "["):
            depth += 1
        elif is_punct(tok, ")", "]"):
            depth -= 1
        elif depth:
            continue
        elif is_kw(tok, "cursor"):
            cursor = True
        elif cursor and is_kw(tok, "for", "is"):
            check_statement(ctx, piece[k + 1:], policy, "plpgsql", plkind="sql")
            return
        elif not cursor and (is_kw(tok, "default") or is_punct(tok, ":=") or is_op(tok, "=")):
            PieceChecker(ctx, piece[k + 1:], policy, "plpgsql", plkind="expr").run()
            return


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------

def is_base_install(path):
    """name--1.2.3.sql installs; name--1.2.2--1.2.3.sql upgrades; the files
    of a folder named install/ are the parts of an install script."""
    if os.path.basename(os.path.dirname(os.path.abspath(path))) == "install":
        return True
    base = os.path.basename(path)
    if not base.endswith(".sql"):
        return False
    parts = base[:-4].split("--")
    return len(parts) == 2 and all(parts)


def lint_script(path, text, frozen):
    ctx = Ctx(Report(path), base_install=is_base_install(path), frozen=frozen)
    policy = Policy(qualify=True, relations=True, install_time=True, script=True)
    for stmt in split_statements(lex_into(ctx, text, 1)):
        check_statement(ctx, stmt, policy, "sql")
    return ctx.report


def lint_body(path, text, language):
    ctx = Ctx(Report(path))
    policy = Policy(qualify=True)
    if language == "plpgsql":
        check_plpgsql_text(ctx, text, 1, policy)
    else:
        check_sql_text(ctx, text, 1, policy)
    return ctx.report


def unique_paths(paths):
    seen, out = set(), []
    for p in paths:
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Lint clv extension scripts for names resolved through search_path.")
    parser.add_argument("--frozen", action="append", default=[], metavar="FILE",
                        help="a released script: its routine bodies are not checked "
                             "for qualification (may repeat)")
    parser.add_argument("--body", choices=("sql", "plpgsql"), metavar="LANG",
                        help="each FILE is a function body (prosrc) in LANG (sql or plpgsql)")
    parser.add_argument("files", nargs="*", metavar="FILE")
    args = parser.parse_args(argv)
    if args.body and args.frozen:
        parser.error("--frozen applies to extension scripts, not to --body")
    files = unique_paths(args.files if args.body else args.files + args.frozen)
    if not files:
        parser.error("no files to lint")
    frozen = {os.path.realpath(p) for p in args.frozen}

    findings = 0
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            print(f"{path}: cannot read: {e}", file=sys.stderr)
            return 2
        if args.body:
            report = lint_body(path, text, args.body)
        else:
            report = lint_script(path, text, os.path.realpath(path) in frozen)
        for line in report.lines():
            print(line)
            findings += 1
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
