// A small renderer for exactly the kustomize features deploy/k8s uses.
//
// Why not kustomize itself: Debian 12 packages neither kustomize nor kubectl,
// and npm has no implementation of it. Where a kubectl happens to be
// installed, deploy.test.mjs also renders every overlay with
// `kubectl kustomize` and requires the same objects, so this file is checked
// against the real thing whenever that is possible.
//
// Supported, with kustomize's semantics:
//   resources           files (multi-document YAML) and directories holding a
//                       kustomization.yaml (rendered recursively)
//   namespace           set on every (namespaced) object
//   images              name -> newName / newTag / digest, in containers and
//                       initContainers
//   configMapGenerator  literals, files ([key=]path), behavior create|merge|
//                       replace; the name gets kustomize's content hash suffix
//                       and every reference in pod specs follows it
//   patches             JSON 6902 operations (inline `patch` or `path`) with a
//                       target selected by kind / name / group / version
// Anything else in a kustomization is an error, never silently ignored.

import { readFileSync, statSync, existsSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import YAML from "yaml";

const KNOWN_FIELDS = new Set([
  "apiVersion", "kind", "resources", "namespace", "images", "configMapGenerator", "patches",
]);
const CLUSTER_SCOPED = new Set([
  "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
  "PersistentVolume", "StorageClass", "PriorityClass", "IngressClass",
]);

export function parseYamlDocuments(text, source) {
  const docs = YAML.parseAllDocuments(text);
  const out = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors[0].message}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

const id = (o) => `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;

// Renders the kustomization in `dir`; returns the list of objects.
export function render(dir) {
  const state = build(path.resolve(dir));
  finishGenerated(state);
  return state.objects;
}

function readKustomization(dir) {
  for (const name of ["kustomization.yaml", "kustomization.yml", "Kustomization"]) {
    const file = path.join(dir, name);
    if (existsSync(file)) {
      const [k] = parseYamlDocuments(readFileSync(file, "utf8"), file);
      return { k, file };
    }
  }
  throw new Error(`${dir}: no kustomization.yaml`);
}

function build(dir) {
  const { k, file } = readKustomization(dir);
  for (const field of Object.keys(k)) {
    if (!KNOWN_FIELDS.has(field)) {
      throw new Error(`${file}: field "${field}" is not supported by tests/deploy/kustomize.mjs`);
    }
  }
  if (k.kind !== "Kustomization") throw new Error(`${file}: kind must be Kustomization`);

  // generated: name -> true for ConfigMaps that still need the hash suffix.
  const state = { objects: [], generated: new Set() };
  for (const res of k.resources ?? []) {
    const target = path.resolve(dir, res);
    if (statSync(target).isDirectory()) {
      const sub = build(target);
      state.objects.push(...sub.objects);
      for (const g of sub.generated) state.generated.add(g);
    } else {
      state.objects.push(...parseYamlDocuments(readFileSync(target, "utf8"), target));
    }
  }
  const seen = new Set();
  for (const o of state.objects) {
    if (seen.has(id(o))) throw new Error(`${file}: duplicate object ${id(o)}`);
    seen.add(id(o));
  }

  for (const gen of k.configMapGenerator ?? []) generateConfigMap(state, gen, dir, file);
  for (const p of k.patches ?? []) applyPatch(state, p, dir, file);
  if (k.namespace) {
    for (const o of state.objects) {
      if (!CLUSTER_SCOPED.has(o.kind)) (o.metadata ??= {}).namespace = k.namespace;
    }
  }
  for (const image of k.images ?? []) applyImage(state, image, file);
  return state;
}

function generateConfigMap(state, gen, dir, file) {
  for (const field of Object.keys(gen)) {
    if (!["name", "literals", "files", "behavior"].includes(field)) {
      throw new Error(`${file}: configMapGenerator field "${field}" is not supported`);
    }
  }
  const data = {};
  for (const literal of gen.literals ?? []) {
    const eq = literal.indexOf("=");
    if (eq <= 0) throw new Error(`${file}: literal "${literal}" is not KEY=VALUE`);
    data[literal.slice(0, eq)] = literal.slice(eq + 1);
  }
  for (const entry of gen.files ?? []) {
    const eq = entry.indexOf("=");
    const key = eq > 0 ? entry.slice(0, eq) : path.basename(entry);
    data[key] = readFileSync(path.resolve(dir, eq > 0 ? entry.slice(eq + 1) : entry), "utf8");
  }
  const behavior = gen.behavior ?? "create";
  const existing = state.objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === gen.name);
  if (behavior === "create") {
    if (existing) throw new Error(`${file}: ConfigMap ${gen.name} exists; use behavior merge`);
    state.objects.push({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: gen.name }, data });
    state.generated.add(gen.name);
  } else if (behavior === "merge" || behavior === "replace") {
    if (!existing) throw new Error(`${file}: behavior ${behavior} but no ConfigMap ${gen.name}`);
    existing.data = behavior === "merge" ? { ...existing.data, ...data } : data;
  } else {
    throw new Error(`${file}: unknown behavior ${behavior}`);
  }
}

function matchesTarget(o, target) {
  const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
  for (const field of Object.keys(target)) {
    if (!["kind", "name", "group", "version"].includes(field)) {
      throw new Error(`patch target field "${field}" is not supported`);
    }
  }
  return (target.kind === undefined || target.kind === o.kind) &&
    (target.name === undefined || target.name === o.metadata?.name) &&
    (target.group === undefined || target.group === group) &&
    (target.version === undefined || target.version === version);
}

function applyPatch(state, p, dir, file) {
  for (const field of Object.keys(p)) {
    if (!["target", "patch", "path"].includes(field)) {
      throw new Error(`${file}: patch field "${field}" is not supported`);
    }
  }
  const text = p.patch ?? readFileSync(path.resolve(dir, p.path), "utf8");
  const ops = YAML.parse(text);
  if (!Array.isArray(ops)) {
    throw new Error(`${file}: only JSON 6902 patches (a list of operations) are supported`);
  }
  if (!p.target) throw new Error(`${file}: a JSON 6902 patch needs a target`);
  const targets = state.objects.filter((o) => matchesTarget(o, p.target));
  if (targets.length === 0) throw new Error(`${file}: patch target matches nothing`);
  for (const o of targets) {
    for (const op of ops) applyOperation(o, op, `${file}: ${id(o)}`);
  }
}

function parsePointer(pointer) {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new Error(`bad JSON pointer ${pointer}`);
  return pointer.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function isDeepEqual(a, b) {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

// RFC 6902: add, remove, replace, test (move and copy are not used here).
function applyOperation(doc, op, where) {
  const tokens = parsePointer(op.path);
  const last = tokens.pop();
  let parent = doc;
  for (const t of tokens) {
    parent = Array.isArray(parent) ? parent[Number(t)] : parent?.[t];
    if (parent === undefined) throw new Error(`${where}: path ${op.path} does not exist`);
  }
  const clone = (v) => structuredClone(v);
  const has = Array.isArray(parent) ? Number(last) < parent.length : Object.hasOwn(parent, last);
  switch (op.op) {
    case "add":
      if (Array.isArray(parent)) {
        parent.splice(last === "-" ? parent.length : Number(last), 0, clone(op.value));
      } else {
        parent[last] = clone(op.value);
      }
      break;
    case "remove":
    case "replace":
      if (!has) throw new Error(`${where}: ${op.op} ${op.path}: no such member`);
      if (op.op === "replace") {
        parent[last] = clone(op.value);
      } else if (Array.isArray(parent)) {
        parent.splice(Number(last), 1);
      } else {
        delete parent[last];
      }
      break;
    case "test":
      if (!has || !isDeepEqual(parent[last], op.value)) {
        throw new Error(`${where}: test ${op.path} failed`);
      }
      break;
    default:
      throw new Error(`${where}: operation ${op.op} is not supported`);
  }
}

function splitImage(image) {
  const at = image.indexOf("@");
  if (at >= 0) return { name: image.slice(0, at), tag: "", digest: image.slice(at + 1) };
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  if (colon > slash) return { name: image.slice(0, colon), tag: image.slice(colon + 1), digest: "" };
  return { name: image, tag: "", digest: "" };
}

function containersOf(o) {
  const out = [];
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if ((key === "containers" || key === "initContainers") && Array.isArray(value)) {
        out.push(...value);
      } else {
        walk(value);
      }
    }
  };
  walk(o.spec);
  return out;
}

function applyImage(state, image, file) {
  for (const field of Object.keys(image)) {
    if (!["name", "newName", "newTag", "digest"].includes(field)) {
      throw new Error(`${file}: images field "${field}" is not supported`);
    }
  }
  for (const o of state.objects) {
    for (const c of containersOf(o)) {
      if (typeof c.image !== "string") continue;
      const parts = splitImage(c.image);
      if (parts.name !== image.name) continue;
      const name = image.newName ?? parts.name;
      if (image.digest) c.image = `${name}@${image.digest}`;
      else if (image.newTag !== undefined) c.image = `${name}:${image.newTag}`;
      else c.image = parts.digest ? `${name}@${parts.digest}` : parts.tag ? `${name}:${parts.tag}` : name;
    }
  }
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
}

// Go's encoding/json escapes <, > and & (and U+2028/9) in strings.
function goJson(value) {
  return JSON.stringify(sortKeys(value))
    .replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

// kustomize's ConfigMap name suffix (api/hasher): sha256 over the JSON of
// {kind, name, data}, first 10 hex digits with 0 1 3 a e mapped to g h k m t.
// kustomize 5 looks the name up as one field called "metadata/name", finds
// nothing and hashes "" instead: the suffix depends on the data only. Checked
// against `kubectl kustomize` (kustomize v5.5.0).
export function configMapHash(data) {
  const hex = createHash("sha256").update(goJson({ data, kind: "ConfigMap", name: "" })).digest("hex");
  const map = { 0: "g", 1: "h", 3: "k", a: "m", e: "t" };
  return [...hex.slice(0, 10)].map((c) => map[c] ?? c).join("");
}

function finishGenerated(state) {
  const renamed = new Map();
  for (const o of state.objects) {
    if (o.kind === "ConfigMap" && state.generated.has(o.metadata.name)) {
      const hashed = `${o.metadata.name}-${configMapHash(o.data ?? {})}`;
      renamed.set(o.metadata.name, hashed);
      o.metadata.name = hashed;
    }
  }
  const rename = (ref) => {
    if (ref && renamed.has(ref.name)) ref.name = renamed.get(ref.name);
  };
  for (const o of state.objects) {
    const podSpecs = [];
    const walk = (node) => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (node === null || typeof node !== "object") return;
      if (Array.isArray(node.containers)) podSpecs.push(node);
      Object.values(node).forEach(walk);
    };
    walk(o.spec);
    for (const spec of podSpecs) {
      for (const v of spec.volumes ?? []) {
        rename(v.configMap);
        for (const s of v.projected?.sources ?? []) rename(s.configMap);
      }
      for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
        for (const e of c.envFrom ?? []) rename(e.configMapRef);
        for (const e of c.env ?? []) rename(e.valueFrom?.configMapKeyRef);
      }
    }
  }
}

export { sortKeys, isDeepEqual };
