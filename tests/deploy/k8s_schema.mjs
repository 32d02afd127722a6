// Offline validation of Kubernetes objects against the API's schemas, in two
// complementary passes, both generated from the Kubernetes OpenAPI document
// by the kubernetes-models package:
//
//  1. schemaErrors(): kubernetes-models' JSON-schema validators (ajv):
//     types, required fields, enums, formats such as int32 and quantity.
//     They do NOT reject unknown fields (no additionalProperties: false in
//     the generated schemas), so `replica: 3` next to a missing optional
//     `replicas` would pass. Hence:
//  2. unknownFieldErrors(): every object is written as a TypeScript object
//     literal typed with kubernetes-models' interface for its kind, and the
//     TypeScript compiler's excess-property check reports every field the
//     API does not define, at any depth — what `kubectl --validate=strict`
//     reports against a live API server.

import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

// "apps/v1" + "Deployment" -> "kubernetes-models/apps/v1/Deployment";
// cert-manager's kinds (deploy/examples/cert-manager) come from
// @kubernetes-models/cert-manager, generated from cert-manager's CRDs.
function modelModule(obj) {
  const { apiVersion, kind } = obj ?? {};
  if (typeof apiVersion !== "string" || !/^[a-z0-9.-]+(\/[a-z0-9]+)?$/.test(apiVersion) ||
      typeof kind !== "string" || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    return null;
  }
  if (apiVersion.startsWith("cert-manager.io/")) return `@kubernetes-models/cert-manager/${apiVersion}/${kind}`;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

function hasModel(obj) {
  const name = modelModule(obj);
  if (!name) return false;
  try {
    return typeof require(name)[obj.kind] === "function";
  } catch {
    return false;
  }
}

export function schemaErrors(obj) {
  if (!hasModel(obj)) return [`no Kubernetes schema for apiVersion ${obj?.apiVersion} kind ${obj?.kind}`];
  const Model = require(modelModule(obj))[obj.kind];
  try {
    new Model(structuredClone(obj)).validate();
    return [];
  } catch (e) {
    if (!Array.isArray(e.errors)) return [String(e.message ?? e)];
    return e.errors.map((x) => `${x.instancePath || "/"}: ${x.message}`);
  }
}

// Returns, for each object, the list of unknown-field (and type) errors the
// TypeScript compiler finds, with a path such as
// spec.template.spec.containers[0].readinessProbe.
export function unknownFieldErrors(objects) {
  const fileName = path.join(here, "__rendered_objects__.ts");
  const imports = new Map();
  const ranges = [];
  let body = "";
  const header = () => [...imports].map(([mod, alias]) =>
    `import type { I${mod.split("/").pop()} as ${alias} } from "${mod}";\n`).join("");
  objects.forEach((obj, i) => {
    const mod = hasModel(obj) ? modelModule(obj) : null;
    if (!mod) return;
    if (!imports.has(mod)) imports.set(mod, `T${imports.size}`);
    const start = body.length;
    body += `export const o${i}: ${imports.get(mod)} = ${JSON.stringify(obj, null, 2)};\n`;
    ranges.push({ i, start, end: body.length });
  });
  const head = header();
  const source = head + body;

  const options = {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === fileName ? ts.createSourceFile(name, source, language, true) : getSourceFile(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === fileName ? source : readFile(name));

  const program = ts.createProgram([fileName], options, host);
  const sourceFile = program.getSourceFile(fileName);
  const result = objects.map(() => []);
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
    if (!d.file || d.file.fileName !== fileName || d.start === undefined) {
      throw new Error(`TypeScript could not load the Kubernetes types: ${message}`);
    }
    const offset = d.start - head.length;
    const range = ranges.find((r) => offset >= r.start && offset < r.end);
    if (!range) throw new Error(`TypeScript: ${message}`);
    result[range.i].push(`${pathAt(sourceFile, d.start)}: ${message}`);
  }
  return result;
}

// The property path of the object-literal member at `pos`.
function pathAt(sourceFile, pos) {
  const chain = [];
  const visit = (node) => {
    if (pos < node.getStart(sourceFile) || pos >= node.getEnd()) return;
    chain.push(node);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  const parts = [];
  for (let k = 0; k < chain.length; k++) {
    const node = chain[k];
    if (ts.isPropertyAssignment(node)) {
      const name = node.name;
      parts.push(ts.isStringLiteral(name) || ts.isIdentifier(name) ? name.text : name.getText(sourceFile));
    } else if (ts.isArrayLiteralExpression(node) && chain[k + 1]) {
      parts.push(`[${node.elements.indexOf(chain[k + 1])}]`);
    }
  }
  return parts.join(".").replace(/\.\[/g, "[") || "(object)";
}

// Both passes for one list of objects: errors[i] lists object i's problems.
export function validateAll(objects) {
  const strict = unknownFieldErrors(objects);
  return objects.map((o, i) => [...schemaErrors(o), ...strict[i]]);
}
