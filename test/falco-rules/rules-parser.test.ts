import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseCondition, ConditionSyntaxError, type Expr } from "../../src/falco-rules/index.ts";

function rejects(source: string): ConditionSyntaxError {
  try {
    parseCondition(source);
  } catch (error) {
    assert.ok(error instanceof ConditionSyntaxError, `expected a syntax error for ${JSON.stringify(source)}`);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(source)} to be rejected`);
}

/** A compact rendering of the tree, to compare shapes without positions. */
function show(expr: Expr): string {
  switch (expr.kind) {
    case "and":
    case "or":
      return `${expr.kind}(${expr.children.map(show).join(", ")})`;
    case "not":
      return `not(${show(expr.child)})`;
    case "macro":
      return `macro:${expr.name}`;
    case "unary":
      return `${JSON.stringify(expr.left)} exists`.replace(/"start":\d+,"end":\d+/g, "");
    case "binary": {
      const left =
        expr.left.kind === "field"
          ? `${expr.left.name}${expr.left.arg === undefined ? "" : `[${expr.left.arg}]`}`
          : `${expr.left.name}(…)`;
      const right = expr.right;
      const value =
        right.kind === "string"
          ? JSON.stringify(right.value)
          : right.kind === "list"
            ? `(${right.values.map((v) => JSON.stringify(v.value)).join(",")})`
            : right.kind === "val"
              ? `val(${right.field.name})`
              : `${right.name}(…)`;
      return `${left} ${expr.operator}${expr.modifier ? ` ${expr.modifier}` : ""} ${value}`;
    }
  }
}

describe("parseCondition: boolean structure", () => {
  it("gives not precedence over and over or, left to right", () => {
    assert.equal(
      show(parseCondition("a or b and not c or d")),
      "or(macro:a, and(macro:b, not(macro:c)), macro:d)",
    );
  });

  it("toggles on each not, and accepts not( without a blank", () => {
    assert.equal(show(parseCondition("not not a")), "macro:a");
    assert.equal(show(parseCondition("not(a)")), "not(macro:a)");
    assert.equal(show(parseCondition("not not not a")), "not(macro:a)");
  });

  it("accepts and/or followed directly by a parenthesis", () => {
    assert.equal(show(parseCondition("a and(b)or(c)")), "or(and(macro:a, macro:b), macro:c)");
  });

  it("rejects and/or/not glued to a word, and reads notb as a macro name", () => {
    assert.match(rejects("a andb").message, /expected blank or '\(' after 'and'/);
    assert.match(rejects("a orb").message, /after 'or'/);
    rejects("aand b");
    assert.equal(show(parseCondition("a and notb")), "and(macro:a, macro:notb)");
    assert.equal(
      show(parseCondition("not_macro and and_macro or or_macro")),
      "or(and(macro:not_macro, macro:and_macro), macro:or_macro)",
    );
  });

  it("treats newlines, tabs and carriage returns as blanks (block scalars)", () => {
    assert.equal(show(parseCondition("\n  a.b = 1\n\tand\r\n c.d = 2\n")), 'and(a.b = "1", c.d = "2")');
  });

  it("rejects comments, C-style operators and wrong keyword case", () => {
    rejects("a.b = c\n# a comment\n");
    rejects("a && b");
    rejects("a || b");
    rejects("!a");
    rejects("test.op ExIsTs");
    rejects("a AND b");
  });

  it("rejects empty input and reports where parsing stopped", () => {
    assert.match(rejects("").message, /empty/);
    const error = rejects("a and b c");
    assert.equal(error.offset, 8);
    assert.match(error.message, /unexpected token after 'b'/);
  });

  it("nests deeply without a limit below ours", () => {
    const depth = 1000;
    const source = `${"(".repeat(depth)}a.b = 1${")".repeat(depth)}`;
    assert.equal(show(parseCondition(source)), 'a.b = "1"');
    assert.match(rejects(`${"(".repeat(5000)}a${")".repeat(5000)}`).message, /max depth/);
  });
});

describe("parseCondition: operators", () => {
  it("lets symbol and list operators touch their value, but word operators need a blank", () => {
    assert.equal(show(parseCondition("a.b =value")), 'a.b = "value"');
    assert.equal(show(parseCondition("a.b in(x, y)")), 'a.b in ("x","y")');
    assert.equal(show(parseCondition("proc.name inbash")), 'proc.name in "bash"');
    assert.equal(show(parseCondition("a.b==1")), 'a.b == "1"');
    rejects("a.b containsx");
    rejects("a.b startswith/tmp");
  });

  it("accepts exists glued to the next keyword", () => {
    assert.equal(parseCondition("test.op existsand macro").kind, "and");
  });

  it("takes a BareStr after string operators, including globs and colons", () => {
    assert.equal(show(parseCondition("fd.name=*.log")), 'fd.name = "*.log"');
    assert.equal(
      show(parseCondition("proc.pname in (runc:[0:PARENT], runc:[1:CHILD])")),
      'proc.pname in ("runc:[0:PARENT]","runc:[1:CHILD]")',
    );
    rejects("a.b = a=");
  });

  it("takes only numbers after numeric operators", () => {
    assert.equal(show(parseCondition("proc.pid > 10")), 'proc.pid > "10"');
    assert.equal(show(parseCondition("x.y >= -0.1e+10")), 'x.y >= "-0.1e+10"');
    assert.equal(show(parseCondition("x.y < 0x1F")), 'x.y < "0x1F"');
    assert.equal(show(parseCondition("x.y <= 1.5")), 'x.y <= "1.5"');
    rejects("proc.pid > abc");
  });

  it("reads a right-hand field name as a literal string unless wrapped in val()", () => {
    assert.equal(show(parseCondition("a.b = c.d")), 'a.b = "c.d"');
    assert.equal(show(parseCondition("a.b = val(c.d)")), "a.b = val(c.d)");
    rejects("a.b = val(tolower(c.d))");
  });

  it("parses modifiers only before a list or identifier that is not a keyword", () => {
    assert.equal(show(parseCondition("a.b startswith oneof (x, y)")), 'a.b startswith oneof ("x","y")');
    assert.equal(show(parseCondition("a.b != allof my_list")), 'a.b != allof "my_list"');
    assert.equal(show(parseCondition("a.b = oneof")), 'a.b = "oneof"');
    assert.equal(show(parseCondition("a.b = oneof and c")), 'and(a.b = "oneof", macro:c)');
  });
});

describe("parseCondition: lists", () => {
  it("accepts the empty list and nested parentheses around a list check", () => {
    assert.equal(show(parseCondition("a.b in ()")), "a.b in ()");
    assert.equal(show(parseCondition("(evt.type in (open,openat))")), 'evt.type in ("open","openat")');
  });

  it("rejects empty elements between commas", () => {
    rejects("a.b in (a,)");
    rejects("a.b in (,)");
    rejects("a.b in (a,,b)");
  });

  it("rejects transformers and val() inside a list", () => {
    rejects("a.b in (val(x.y))");
    rejects("a.b in (b64(x.y))");
  });

  it("reads quoted items with spaces and keeps identifiers as strings", () => {
    assert.equal(show(parseCondition(`a.b in ("x y", 'z', w)`)), 'a.b in ("x y","z","w")');
  });
});

describe("parseCondition: quoted strings and escapes", () => {
  it("unescapes the supported escapes and the own quote", () => {
    assert.equal(
      show(parseCondition(String.raw`a.b = "t\tn\nb\\s\/q\""`)),
      String.raw`a.b = "t\tn\nb\\s/q\""`,
    );
    assert.equal(show(parseCondition(String.raw`a.b = 'it\'s'`)), `a.b = "it's"`);
    assert.equal(show(parseCondition(`a.b = 'mixed "'`)), 'a.b = "mixed \\""');
  });

  it("turns the legacy backslash-space into a single backslash", () => {
    assert.equal(show(parseCondition(String.raw`a.b = "x\ y"`)), String.raw`a.b = "x\\y"`);
  });

  it("rejects unsupported escapes and the other quote's escape, at the string", () => {
    const error = rejects(String.raw`a.b = "a\qb"`);
    assert.match(error.message, /unsupported string escape sequence: \\q/);
    assert.equal(error.offset, 6);
    rejects(String.raw`a.b = 'a\"b'`);
    rejects(String.raw`a.b = "a\'b"`);
  });

  it("does not end a string at a quote preceded by a backslash", () => {
    rejects(String.raw`a.b = "abc\\"`);
  });
});

describe("parseCondition: fields and transformers", () => {
  it("parses bracket arguments, quoted ones unescaped, and dot arguments as part of the name", () => {
    assert.equal(show(parseCondition("proc.aname[2] = bash")), 'proc.aname[2] = "bash"');
    assert.equal(show(parseCondition(`evt.arg["key with space"] = x`)), 'evt.arg[key with space] = "x"');
    assert.equal(
      show(parseCondition(`k8s.pod.label[app.kubernetes.io/name] = x`)),
      'k8s.pod.label[app.kubernetes.io/name] = "x"',
    );
    assert.equal(show(parseCondition(`proc.env[""] = x`)), 'proc.env[] = "x"');
    assert.equal(show(parseCondition("evt.arg.flags contains O_CREAT")), 'evt.arg.flags contains "O_CREAT"');
    rejects("proc.aname [2] = bash");
    rejects("proc.aname[] = bash");
  });

  it("needs the parenthesis right after a transformer name", () => {
    assert.equal(show(parseCondition("tolower(proc.name) = bash")), 'tolower(…) = "bash"');
    rejects("b64 (x.y) = a");
    rejects("b64\n(x.y) = a");
  });

  it("nests transformers and takes transformer lists with fields, strings and numbers", () => {
    const expr = parseCondition(`join(",", (proc.name, "x", 3, toupper(a.b))) = v and b64(toupper(x.y)) = z`);
    assert.equal(expr.kind, "and");
    const first = expr.kind === "and" ? expr.children[0] : undefined;
    assert.ok(first?.kind === "binary" && first.left.kind === "transformer");
    assert.equal(first.left.name, "join");
    assert.deepEqual(
      first.left.args.map((arg) => arg.kind),
      ["string", "transformer-list"],
    );
  });

  it("parses getopt with a selector argument", () => {
    const expr = parseCondition(`getopt(proc.args, "n:")[n] = 3`);
    assert.ok(expr.kind === "binary" && expr.left.kind === "transformer");
    assert.equal(expr.left.arg, "n");
  });
});
