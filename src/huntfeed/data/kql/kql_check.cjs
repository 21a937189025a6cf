// Parse and analyse KQL with Microsoft's Kusto.Language (npm @kusto/language-service-next).
// Protocol: one JSON request per stdin line, one JSON answer per stdout line, so a caller can
// batch thousands of queries through a single process.
//   {"tables": {"T": {"col": "string", ...}}}            -> {"ok": true, "tables": N}   (sets the schema)
//   {"id": "x", "query": "...", "shape": false}         -> {"id": "x", "diagnostics": [...], "shape": [...]?}
"use strict";
const path = require("path");
const readline = require("readline");

function requireKusto() {
  const dirs = (process.env.HUNTFEED_KUSTO_MODULES || "").split(path.delimiter).filter(Boolean);
  for (const base of dirs.concat([""])) {
    try {
      const prefix = base ? path.resolve(base, "@kusto/language-service-next") + "/" : "@kusto/language-service-next/";
      require(prefix + "bridge.min.js");
      require(prefix + "Kusto.Language.Bridge.min.js");
      return;
    } catch (e) {
      if (e.code !== "MODULE_NOT_FOUND") throw e;
    }
  }
  process.stdout.write(JSON.stringify({ fatal: "@kusto/language-service-next not found" }) + "\n");
  process.exit(3);
}
requireKusto();

const K = Kusto.Language;
const S = K.Symbols;
let globals = K.GlobalState.Default;

function setSchema(tables) {
  const symbols = [];
  for (const [name, cols] of Object.entries(tables)) {
    const schema = "(" + Object.entries(cols).map(([c, t]) => "['" + c + "']:" + t).join(", ") + ")";
    symbols.push(new S.TableSymbol.$ctor7(name, schema, ""));
  }
  globals = K.GlobalState.Default.WithDatabase(new S.DatabaseSymbol.$ctor1("huntfeed", symbols, false));
  return symbols.length;
}

function kindName(kind) {
  return System.Enum.toString(K.Syntax.SyntaxKind, kind);
}

// Shape: the syntax tree's node and token kinds in pre-order, with the text of every token that is
// not a literal; a value that escapes its string literal adds tokens or nodes and so changes the shape.
function shape(node, out) {
  const kind = kindName(node.Kind);
  if (node.IsToken) {
    const literal = /Literal/.test(kind);
    out.push(literal ? kind : kind + ":" + node.Text);
    if (node.Trivia && node.Trivia.indexOf("//") >= 0) out.push("comment");
    return out;
  }
  out.push("(" + kind);
  for (let i = 0; i < node.ChildCount; i++) {
    const child = node.GetChild(i);
    if (child) shape(child, out);
  }
  out.push(")");
  return out;
}

function analyse(req) {
  const code = K.KustoCode.ParseAndAnalyze(req.query, globals);
  const diags = code.GetDiagnostics();
  const out = [];
  for (let i = 0; i < diags.Count; i++) {
    const d = diags.getItem(i);
    out.push({ severity: String(d.Severity), message: d.Message, start: d.Start, length: d.Length });
  }
  const answer = { id: req.id, diagnostics: out };
  if (req.shape) answer.shape = shape(code.Syntax, []);
  return answer;
}

const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on("line", (line) => {
  if (!line.trim()) return;
  let answer;
  try {
    const req = JSON.parse(line);
    answer = req.tables ? { ok: true, tables: setSchema(req.tables) } : analyse(req);
  } catch (e) {
    answer = { error: String(e && e.message ? e.message : e) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
