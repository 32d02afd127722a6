// deploy.examples: checks deploy/examples (API gateways in front of oauthd).
//
//   node --test tests/deploy/examples.test.mjs
// Environment (CTest sets them; otherwise build/ of the checkout is used):
//   BIN_OAUTHD, BIN_OAUTH_GATEWAY, BIN_OAUTHCTL   the built binaries
//   NGINX_BIN                                     default: nginx in PATH, else /usr/sbin/nginx
// Needs `npm ci` in tests/deploy (scripts/deps test does it).
//
// Offline, always: every YAML file parses; the Envoy bootstrap uses only
// fields of the Envoy v3 API (a typed subset below, written from Envoy's API
// reference) and has ext_authz with V3 transport, fail-closed 503, calling an
// HTTP/2 cluster that exists, before the router; Istio's provider names match;
// every address names a Service and port of deploy/k8s/overlays/prod.
// With the binaries: the example policy loads into oauthd (and a misspelt
// copy is refused). With nginx too: nginx.conf passes `nginx -t`, then runs
// against a real oauthd + oauth-gateway + a recording upstream, and the
// answers are checked (401/403 with WWW-Authenticate, identity headers that a
// client cannot forge, 503 when oauthd is down). The Traefik settings are
// checked against the real gateway with Traefik's forwardAuth header handling
// reproduced here (Traefik itself is not packaged for Debian).

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { randomBytes } from "node:crypto";
import { connect, createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
if (!existsSync(path.join(here, "node_modules", "yaml"))) {
  console.error(`tests/deploy/node_modules is missing: run scripts/deps test (npm ci in ${here})`);
  process.exit(1);
}
const YAML = await import("yaml");
const { render } = await import("./kustomize.mjs");

const EXAMPLES = path.join(root, "deploy/examples");
const BIN = {
  oauthd: process.env.BIN_OAUTHD ?? path.join(root, "build/server/oauthd/oauthd"),
  gateway: process.env.BIN_OAUTH_GATEWAY ?? path.join(root, "build/server/gateway/oauth-gateway"),
  oauthctl: process.env.BIN_OAUTHCTL ?? path.join(root, "build/client/oauthctl/oauthctl"),
};
const haveBinaries = Object.values(BIN).every((b) => existsSync(b));
const NGINX = (() => {
  for (const c of [process.env.NGINX_BIN, "nginx", "/usr/sbin/nginx"].filter(Boolean)) {
    if (spawnSync(c, ["-v"]).status === 0) return c;
  }
  return null;
})();

const read = (rel) => readFileSync(path.join(EXAMPLES, rel), "utf8");
function parseDocs(rel) {
  const docs = YAML.parseAllDocuments(read(rel), { uniqueKeys: true, prettyErrors: true });
  const problems = docs.flatMap((d) => [...d.errors, ...d.warnings].map((e) => `${rel}: ${e.message}`));
  assert.deepEqual(problems, []);
  return docs.map((d) => d.toJS()).filter((d) => d != null);
}
const one = (rel) => {
  const docs = parseDocs(rel);
  assert.equal(docs.length, 1, `${rel}: one document`);
  return docs[0];
};

// What the examples must agree with: the prod overlay (Services, ports, the
// namespace) and the example policy.
const prod = render(path.join(root, "deploy/k8s/overlays/prod"));
const ns = prod.find((o) => o.kind === "Deployment").metadata.namespace;
const pod = prod.find((o) => o.kind === "Deployment" && o.metadata.name === "oauthd").spec.template.spec;
const containerOf = (name) => pod.containers.find((c) => c.name === name);
const policy = one("policy.yaml");
const IDENTITY = Object.values({
  subject: "x-auth-subject", client_id: "x-auth-client-id", scope: "x-auth-scope", grant_id: "x-auth-grant-id",
  ...policy.identity_headers,
});

// The Service port that reaches `container` of the oauthd pod at a cluster
// DNS name <service>.<namespace>.svc.cluster.local and `port`.
function serviceTarget(host, port) {
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/.exec(host);
  assert.ok(m, `${host} is not <service>.<namespace>.svc.cluster.local`);
  const [, name, namespace] = m;
  assert.equal(namespace, ns, `${host}: the prod overlay's namespace is ${ns}`);
  const svc = prod.find((o) => o.kind === "Service" && o.metadata.name === name);
  assert.ok(svc, `${host}: deploy/k8s has no Service ${name}`);
  const sp = svc.spec.ports.find((p) => p.port === Number(port));
  assert.ok(sp, `${host}:${port}: Service ${name} has ports ${svc.spec.ports.map((p) => p.port).join(", ")}`);
  for (const c of pod.containers) {
    const cp = c.ports.find((p) => p.name === sp.targetPort || p.containerPort === sp.targetPort);
    if (cp) return { service: svc, servicePort: sp, container: c.name, containerPort: cp.containerPort };
  }
  assert.fail(`${host}:${port}: targetPort ${sp.targetPort} is no container port`);
}

test("every YAML file in deploy/examples parses (one document per file, no duplicate keys)", () => {
  const files = [];
  const walk = (d) => readdirSync(d, { withFileTypes: true }).forEach((e) => {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.ya?ml$/.test(e.name)) files.push(path.relative(EXAMPLES, p));
  });
  walk(EXAMPLES);
  assert.deepEqual(files.sort(), ["cert-manager/certificates.yaml", "cert-manager/kustomization.yaml",
    "envoy/envoy.yaml", "envoy/sds/oauthd-ca.yaml", "envoy/sds/oauthd-client.yaml",
    "istio/authorization-policy.yaml", "istio/mesh-config.yaml",
    "policy.yaml", "traefik/forward-auth.yaml"]);
  for (const f of files) assert.ok(parseDocs(f).length >= 1, f);
  // A duplicate key is an error, not a silent override.
  assert.ok(YAML.parseAllDocuments("a: 1\na: 2\n", { uniqueKeys: true })[0].errors.length > 0);
});

// ------------------------------------------------------------------ Envoy

// The Envoy v3 messages the bootstrap may use: field -> type. A subset of
// each message, from Envoy's API reference (envoyproxy.io/docs, api-v3); a
// field outside it fails, so a misspelt field cannot be silently ignored
// here (Envoy itself rejects unknown fields at startup). Add fields after
// checking the reference. Types: a message name, ["list", T], ["map", T],
// {enum: [...]}, "string", "bool", "uint", "duration", "struct" (contents
// not checked) and "any" (a typed_config: checked as the message its @type
// names, which must be in ANY_TYPES).
const DURATION = /^\d+(\.\d{1,9})?s$/;
const ENVOY = {
  Bootstrap: { node: "struct", admin: "Admin", static_resources: "StaticResources", layered_runtime: "struct",
    stats_sinks: "struct", overload_manager: "struct" },
  Admin: { address: "Address", access_log: "struct", profile_path: "string" },
  Address: { socket_address: "SocketAddress", pipe: "struct" },
  SocketAddress: { address: "string", port_value: "uint", protocol: { enum: ["TCP", "UDP"] },
    ipv4_compat: "bool", resolver_name: "string", named_port: "string" },
  StaticResources: { listeners: ["list", "Listener"], clusters: ["list", "Cluster"], secrets: "struct" },
  Listener: { name: "string", address: "Address", filter_chains: ["list", "FilterChain"],
    listener_filters: "struct", per_connection_buffer_limit_bytes: "uint", drain_type: "string" },
  FilterChain: { name: "string", filters: ["list", "NetworkFilter"], filter_chain_match: "struct",
    transport_socket: "struct" },
  NetworkFilter: { name: "string", typed_config: "any" },
  HttpConnectionManager: { stat_prefix: "string", codec_type: { enum: ["AUTO", "HTTP1", "HTTP2", "HTTP3"] },
    route_config: "RouteConfiguration", http_filters: ["list", "HttpFilter"], use_remote_address: "bool",
    xff_num_trusted_hops: "uint", normalize_path: "bool", merge_slashes: "bool",
    path_with_escaped_slashes_action: { enum: ["IMPLEMENTATION_SPECIFIC_DEFAULT", "KEEP_UNCHANGED",
      "REJECT_REQUEST", "UNESCAPE_AND_REDIRECT", "UNESCAPE_AND_FORWARD"] },
    access_log: "struct", stream_idle_timeout: "duration", request_timeout: "duration",
    request_headers_timeout: "duration", drain_timeout: "duration", common_http_protocol_options: "struct",
    http_protocol_options: "struct", http2_protocol_options: "struct", server_name: "string",
    generate_request_id: "bool", skip_xff_append: "bool", via: "string", strip_any_host_port: "bool",
    strip_matching_host_port: "bool", max_request_headers_kb: "uint" },
  RouteConfiguration: { name: "string", virtual_hosts: ["list", "VirtualHost"],
    request_headers_to_remove: ["list", "string"], response_headers_to_add: "struct" },
  VirtualHost: { name: "string", domains: ["list", "string"], routes: ["list", "Route"],
    typed_per_filter_config: "struct", require_tls: { enum: ["NONE", "EXTERNAL_ONLY", "ALL"] } },
  Route: { name: "string", match: "RouteMatch", route: "RouteAction", direct_response: "struct",
    redirect: "struct", typed_per_filter_config: "struct" },
  RouteMatch: { prefix: "string", path: "string", path_separated_prefix: "string", safe_regex: "struct",
    headers: "struct", query_parameters: "struct", case_sensitive: "bool", grpc: "struct" },
  RouteAction: { cluster: "string", timeout: "duration", idle_timeout: "duration", prefix_rewrite: "string",
    host_rewrite_literal: "string", auto_host_rewrite: "bool", retry_policy: "struct" },
  HttpFilter: { name: "string", typed_config: "any", is_optional: "bool", disabled: "bool" },
  ExtAuthz: { grpc_service: "GrpcService", http_service: "struct", transport_api_version: { enum: ["AUTO", "V2", "V3"] },
    failure_mode_allow: "bool", failure_mode_allow_header_add: "bool", with_request_body: "struct",
    clear_route_cache: "bool", status_on_error: "HttpStatus", validate_mutations: "bool",
    metadata_context_namespaces: ["list", "string"], filter_enabled: "struct", filter_enabled_metadata: "struct",
    deny_at_disable: "struct", include_peer_certificate: "bool", stat_prefix: "string",
    allowed_headers: "struct", disallowed_headers: "struct", include_tls_session: "bool",
    encode_raw_headers: "bool", decoder_header_mutation_rules: "struct", emit_filter_state_stats: "bool" },
  GrpcService: { envoy_grpc: "EnvoyGrpc", google_grpc: "struct", timeout: "duration", initial_metadata: "struct",
    retry_policy: "struct" },
  EnvoyGrpc: { cluster_name: "string", authority: "string", retry_policy: "struct",
    max_receive_message_length: "uint", skip_envoy_headers: "bool" },
  HttpStatus: { code: "StatusCode" },
  Router: { dynamic_stats: "bool", start_child_span: "bool", upstream_log: "struct", suppress_envoy_headers: "bool",
    strict_check_headers: ["list", "string"], respect_expected_rq_timeout: "bool" },
  Cluster: { name: "string", type: { enum: ["STATIC", "STRICT_DNS", "LOGICAL_DNS", "EDS", "ORIGINAL_DST"] },
    connect_timeout: "duration", lb_policy: { enum: ["ROUND_ROBIN", "LEAST_REQUEST", "RING_HASH", "RANDOM",
      "MAGLEV", "CLUSTER_PROVIDED", "LOAD_BALANCING_POLICY_CONFIG"] },
    dns_lookup_family: { enum: ["AUTO", "V4_ONLY", "V6_ONLY", "V4_PREFERRED", "ALL"] },
    dns_refresh_rate: "duration", load_assignment: "ClusterLoadAssignment",
    typed_extension_protocol_options: ["map", "any"], health_checks: ["list", "HealthCheck"],
    transport_socket: "TransportSocket", circuit_breakers: "struct", outlier_detection: "struct",
    per_connection_buffer_limit_bytes: "uint", respect_dns_ttl: "bool" },
  HttpProtocolOptions: { explicit_http_config: "ExplicitHttpConfig", use_downstream_protocol_config: "struct",
    auto_config: "struct", common_http_protocol_options: "struct", upstream_http_protocol_options: "struct" },
  ExplicitHttpConfig: { http_protocol_options: "struct", http2_protocol_options: "struct",
    http3_protocol_options: "struct" },
  HealthCheck: { timeout: "duration", interval: "duration", unhealthy_threshold: "uint", healthy_threshold: "uint",
    no_traffic_interval: "duration", interval_jitter: "duration", grpc_health_check: "GrpcHealthCheck",
    http_health_check: "struct", tcp_health_check: "struct" },
  GrpcHealthCheck: { service_name: "string", authority: "string", initial_metadata: "struct" },
  ClusterLoadAssignment: { cluster_name: "string", endpoints: ["list", "LocalityLbEndpoints"], policy: "struct" },
  LocalityLbEndpoints: { lb_endpoints: ["list", "LbEndpoint"], locality: "struct", load_balancing_weight: "uint",
    priority: "uint" },
  LbEndpoint: { endpoint: "Endpoint", health_status: "string", load_balancing_weight: "uint", metadata: "struct" },
  Endpoint: { address: "Address", health_check_config: "struct", hostname: "string" },
  // Upstream TLS and file-based SDS (envoy.extensions.transport_sockets.tls.v3,
  // envoy.config.core.v3.ConfigSource).
  TransportSocket: { name: "string", typed_config: "any" },
  UpstreamTlsContext: { common_tls_context: "CommonTlsContext", sni: "string", allow_renegotiation: "bool",
    max_session_keys: "uint", auto_host_sni: "bool", auto_sni_san_validation: "bool" },
  CommonTlsContext: { tls_params: "TlsParameters", tls_certificates: ["list", "TlsCertificate"],
    tls_certificate_sds_secret_configs: ["list", "SdsSecretConfig"], validation_context: "CertificateValidationContext",
    validation_context_sds_secret_config: "SdsSecretConfig", combined_validation_context: "struct",
    alpn_protocols: ["list", "string"] },
  TlsParameters: {
    tls_minimum_protocol_version: { enum: ["TLS_AUTO", "TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3"] },
    tls_maximum_protocol_version: { enum: ["TLS_AUTO", "TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3"] },
    cipher_suites: ["list", "string"], ecdh_curves: ["list", "string"] },
  SdsSecretConfig: { name: "string", sds_config: "ConfigSource" },
  ConfigSource: { path_config_source: "PathConfigSource", resource_api_version: { enum: ["AUTO", "V2", "V3"] },
    initial_fetch_timeout: "duration", api_config_source: "struct", ads: "struct" },
  PathConfigSource: { path: "string", watched_directory: "WatchedDirectory" },
  WatchedDirectory: { path: "string" },
  SdsFile: { resources: ["list", "any"] },
  TlsSecret: { name: "string", tls_certificate: "TlsCertificate", validation_context: "CertificateValidationContext",
    session_ticket_keys: "struct", generic_secret: "struct" },
  TlsCertificate: { certificate_chain: "DataSource", private_key: "DataSource", watched_directory: "WatchedDirectory",
    password: "DataSource", ocsp_staple: "DataSource" },
  DataSource: { filename: "string", inline_string: "string", inline_bytes: "string", environment_variable: "string" },
  CertificateValidationContext: { trusted_ca: "DataSource", watched_directory: "WatchedDirectory",
    match_typed_subject_alt_names: ["list", "SubjectAltNameMatcher"], verify_certificate_spki: ["list", "string"],
    verify_certificate_hash: ["list", "string"], crl: "DataSource", only_verify_leaf_cert_crl: "bool" },
  SubjectAltNameMatcher: { san_type: { enum: ["SAN_TYPE_UNSPECIFIED", "EMAIL", "DNS", "URI", "IP_ADDRESS", "OTHER_NAME"] },
    matcher: "StringMatcher", oid: "string" },
  StringMatcher: { exact: "string", prefix: "string", suffix: "string", contains: "string", safe_regex: "struct",
    ignore_case: "bool" },
};
const ANY_TYPES = {
  "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager": "HttpConnectionManager",
  "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz": "ExtAuthz",
  "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router": "Router",
  "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions": "HttpProtocolOptions",
  "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext": "UpstreamTlsContext",
  "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret": "TlsSecret",
};
// envoy.type.v3.StatusCode names, from the proto this repository builds
// oauthd's ext_authz service from.
const STATUS_CODES = new Map([...readFileSync(path.join(root, "proto/envoy/type/v3/http_status.proto"), "utf8")
  .matchAll(/^\s*([A-Za-z]+)\s*=\s*(\d+);/gm)].map((m) => [m[1], Number(m[2])]));

function envoyErrors(value, type, where = "") {
  const errs = [];
  const check = (v, t, at) => {
    if (Array.isArray(t)) {
      const [kind, inner] = t;
      if (kind === "list") {
        if (!Array.isArray(v)) return errs.push(`${at}: must be a list`);
        v.forEach((x, i) => check(x, inner, `${at}[${i}]`));
      } else {
        if (typeof v !== "object" || v === null || Array.isArray(v)) return errs.push(`${at}: must be a map`);
        for (const [k, x] of Object.entries(v)) check(x, inner, `${at}.${k}`);
      }
      return;
    }
    if (t.enum) return t.enum.includes(v) || errs.push(`${at}: ${JSON.stringify(v)} is not one of ${t.enum.join(", ")}`);
    switch (t) {
      case "string": return typeof v === "string" || errs.push(`${at}: must be a string`);
      case "bool": return typeof v === "boolean" || errs.push(`${at}: must be true or false`);
      case "uint": return (Number.isInteger(v) && v >= 0) || errs.push(`${at}: must be an unsigned integer`);
      case "duration": return (typeof v === "string" && DURATION.test(v)) || errs.push(`${at}: ${v} is not a duration like 0.25s`);
      case "struct": return (typeof v === "object" && v !== null) || errs.push(`${at}: must be a map`);
      case "StatusCode": return STATUS_CODES.has(v) || errs.push(`${at}: ${v} is no envoy.type.v3.StatusCode`);
      case "any": {
        if (typeof v !== "object" || v === null) return errs.push(`${at}: must be a map`);
        const msg = ANY_TYPES[v["@type"]];
        if (!msg) return errs.push(`${at}: @type ${v["@type"]} is not one this test knows`);
        const { "@type": _, ...rest } = v;
        return check(rest, msg, at);
      }
      default: {
        const fields = ENVOY[t];
        assert.ok(fields, `no schema for ${t}`);
        if (typeof v !== "object" || v === null || Array.isArray(v)) return errs.push(`${at}: must be a map (${t})`);
        for (const [k, x] of Object.entries(v)) {
          if (!(k in fields)) errs.push(`${at}.${k}: ${t} has no field ${k} (or it is outside this test's subset)`);
          else check(x, fields[k], `${at}.${k}`);
        }
      }
    }
  };
  check(value, type, where || type);
  return errs;
}

const envoy = one("envoy/envoy.yaml");
const hcmOf = (listener) => listener.filter_chains[0].filters
  .find((f) => f.name === "envoy.filters.network.http_connection_manager").typed_config;

test("envoy.yaml: every field is one of the Envoy v3 API, with the right type", () => {
  assert.deepEqual(envoyErrors(envoy, "Bootstrap"), []);
  // And the check works: misspelt, mistyped, unknown @type, unknown status.
  const bad = structuredClone(envoy);
  const authz = hcmOf(bad.static_resources.listeners[0]).http_filters[0].typed_config;
  authz.failure_mode_alow = false;
  authz.grpc_service.timeout = "1000ms";
  authz.status_on_error.code = "Unavailable";
  bad.static_resources.clusters[0].typed_extension_protocol_options["x"] = { "@type": "type.googleapis.com/foo.Bar" };
  const errs = envoyErrors(bad, "Bootstrap");
  for (const re of [/failure_mode_alow: ExtAuthz has no field/, /timeout: 1000ms is not a duration/,
    /code: Unavailable is no envoy.type.v3.StatusCode/, /@type type.googleapis.com\/foo.Bar/]) {
    assert.ok(errs.some((e) => re.test(e)), `${re} in ${JSON.stringify(errs)}`);
  }
});

test("envoy.yaml: listener 0.0.0.0:8000, ext_authz (gRPC, V3, fail closed with 503, no peer certificate) before the router", () => {
  const [listener] = envoy.static_resources.listeners;
  assert.deepEqual(listener.address.socket_address, { address: "0.0.0.0", port_value: 8000 });
  const hcm = hcmOf(listener);
  const names = hcm.http_filters.map((f) => f.name);
  assert.deepEqual(names, ["envoy.filters.http.ext_authz", "envoy.filters.http.router"], "ext_authz first, router last");
  const authz = hcm.http_filters[0].typed_config;
  assert.equal(authz.transport_api_version, "V3");
  assert.equal(authz.failure_mode_allow, false);
  assert.equal(STATUS_CODES.get(authz.status_on_error.code), 503);
  assert.equal(authz.include_peer_certificate, false);
  assert.equal(authz.http_service, undefined, "gRPC, not the HTTP service");
  // A timeout longer than Envoy's 200 ms default, above oauthd's Redis timeout.
  const redisTimeout = Number(/^(\d+)ms$/.exec(prod.find((o) => o.kind === "ConfigMap").data.OAUTHD_REDIS_TIMEOUT)[1]) / 1000;
  assert.ok(parseFloat(authz.grpc_service.timeout) > redisTimeout, `timeout ${authz.grpc_service.timeout}`);
});

test("envoy.yaml: the ext_authz cluster exists, speaks HTTP/2 and is oauthd's gRPC port; routes name existing clusters", () => {
  const clusters = new Map(envoy.static_resources.clusters.map((c) => [c.name, c]));
  for (const [name, c] of clusters) assert.equal(c.load_assignment.cluster_name, name);
  const hcm = hcmOf(envoy.static_resources.listeners[0]);
  const target = hcm.http_filters[0].typed_config.grpc_service.envoy_grpc.cluster_name;
  const oauthd = clusters.get(target);
  assert.ok(oauthd, `ext_authz names cluster ${target}, which does not exist`);
  const key = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
  const opts = oauthd.typed_extension_protocol_options?.[key];
  assert.ok(opts, `cluster ${target}: no typed_extension_protocol_options.${key}`);
  assert.equal(opts["@type"], `type.googleapis.com/${key}`);
  assert.equal(typeof opts.explicit_http_config?.http2_protocol_options, "object", "HTTP/2 (gRPC)");
  assert.equal(oauthd.http2_protocol_options, undefined, "the deprecated cluster-level field is not used");
  assert.ok(oauthd.health_checks?.every((h) => h.grpc_health_check), "oauthd's health is grpc.health.v1");

  const addrs = oauthd.load_assignment.endpoints.flatMap((e) => e.lb_endpoints.map((l) => l.endpoint.address.socket_address));
  assert.ok(addrs.length > 0);
  for (const a of addrs) {
    const t = serviceTarget(a.address, a.port_value);
    assert.equal(t.container, "oauthd", `${a.address}:${a.port_value} reaches ${t.container}`);
    assert.equal(t.servicePort.appProtocol, "grpc");
    // STRICT_DNS on the headless Service: every pod, balanced per request.
    if (oauthd.type === "STRICT_DNS") assert.equal(t.service.spec.clusterIP, "None", "per-pod addresses need oauthd-headless");
  }
  for (const vh of hcm.route_config.virtual_hosts) {
    for (const r of vh.routes) {
      if (r.route) assert.ok(clusters.has(r.route.cluster), `route to unknown cluster ${r.route.cluster}`);
      assert.notEqual(r.route?.cluster, target, "no route sends clients to oauthd itself");
    }
  }
  assert.ok(clusters.has("orders"));
});

// ----------------------------------------------------------- cert-manager

const certManager = render(path.join(EXAMPLES, "cert-manager"));
const { validateAll } = await import("./k8s_schema.mjs");

test("cert-manager: every object is a valid cert-manager.io/v1 object with no unknown field, and a typo fails", () => {
  assert.deepEqual(certManager.map((o) => `${o.kind}/${o.metadata.name}`).sort(),
    ["Certificate/oauthd-ca", "Certificate/oauthd-tls", "Issuer/oauthd-ca", "Issuer/oauthd-selfsigned"]);
  const errors = validateAll(certManager);
  assert.deepEqual(certManager.flatMap((o, i) => errors[i].map((e) => `${o.kind}/${o.metadata.name}: ${e}`)), []);
  const bad = structuredClone(certManager);
  const cert = bad.find((o) => o.metadata.name === "oauthd-tls");
  cert.spec.usages = ["server-auth"];
  bad.find((o) => o.metadata.name === "oauthd-selfsigned").spec = { selfsigned: {} };
  const badErrors = validateAll(bad).flat().join("\n");
  assert.match(badErrors, /usages\[0\]/);
  assert.match(badErrors, /selfsigned/);
});

test("cert-manager: oauthd-tls is the Secret prod mounts, for server and client auth, with every name of oauthd's Services, from a CA chain", () => {
  const byName = (kind, name) => certManager.find((o) => o.kind === kind && o.metadata.name === name);
  const tlsVolume = pod.volumes.find((v) => v.secret && containerOf("oauthd").volumeMounts
    .some((m) => m.name === v.name && m.mountPath === "/etc/oauthd/tls"));
  assert.ok(tlsVolume, "the prod Deployment mounts its TLS Secret at /etc/oauthd/tls");
  const cert = certManager.find((o) => o.kind === "Certificate" && o.spec.secretName === tlsVolume.secret.secretName);
  assert.ok(cert, `no Certificate writes Secret ${tlsVolume.secret.secretName}`);
  assert.equal(cert.metadata.namespace, ns, "the Secret must be in oauthd's namespace");
  for (const u of ["server auth", "client auth"]) assert.ok(cert.spec.usages.includes(u), `usage ${u}`);
  // The Secret's keys the Deployment projects: a CA Issuer writes ca.crt
  // next to tls.crt and tls.key; a self-signed one would not give a CA.
  assert.deepEqual(tlsVolume.secret.items.map((i) => i.key).sort(), ["ca.crt", "tls.crt", "tls.key"]);
  const hours = (d) => Number(/^(\d+)h$/.exec(d)[1]);
  assert.ok(hours(cert.spec.renewBefore) < hours(cert.spec.duration));
  assert.equal(cert.spec.privateKey.rotationPolicy, "Always", "a new key at every renewal");

  // Every name a client can dial for the gRPC port.
  const grpcServices = prod.filter((o) => o.kind === "Service" && o.spec.ports.some((p) => p.appProtocol === "grpc"));
  assert.ok(grpcServices.length >= 2);
  for (const s of grpcServices) {
    const n = s.metadata.name;
    for (const name of [n, `${n}.${ns}`, `${n}.${ns}.svc`, `${n}.${ns}.svc.cluster.local`]) {
      assert.ok(cert.spec.dnsNames.includes(name), `dnsNames lacks ${name}`);
    }
  }

  // The chain: the leaf's Issuer is a CA Issuer whose Secret comes from an
  // isCA Certificate issued by a self-signed Issuer, all in this namespace.
  const issuerOf = (c) => {
    assert.equal(c.spec.issuerRef.kind ?? "Issuer", "Issuer");
    const issuer = byName("Issuer", c.spec.issuerRef.name);
    assert.ok(issuer, `Issuer ${c.spec.issuerRef.name} is not in the example`);
    assert.equal(issuer.metadata.namespace, c.metadata.namespace);
    return issuer;
  };
  const caIssuer = issuerOf(cert);
  assert.ok(caIssuer.spec.ca?.secretName, "oauthd-tls comes from a CA Issuer (ca.crt is its CA)");
  const caCert = certManager.find((o) => o.kind === "Certificate" && o.spec.secretName === caIssuer.spec.ca.secretName);
  assert.ok(caCert?.spec.isCA, `no isCA Certificate writes ${caIssuer.spec.ca.secretName}`);
  assert.deepEqual(issuerOf(caCert).spec, { selfSigned: {} });
});

test("envoy.yaml: oauthd is called over mutual TLS, certificates from file-based SDS that follows a mounted Secret", () => {
  const sds = (rel) => one(`envoy/${rel}`);
  const cluster = envoy.static_resources.clusters.find((c) => c.name === "oauthd");
  const ts = cluster.transport_socket;
  assert.ok(ts, "cluster oauthd has no transport_socket: oauthd's gRPC port takes only mTLS");
  assert.equal(ts.typed_config["@type"], "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext");
  const ctx = ts.typed_config.common_tls_context;
  assert.equal(ctx.tls_params.tls_minimum_protocol_version, "TLSv1_2");
  assert.deepEqual(ctx.alpn_protocols, ["h2"], "gRPC over TLS negotiates h2");
  assert.equal(ctx.tls_certificates, undefined, "static certificates are read once: use SDS");
  assert.equal(ctx.validation_context, undefined, "static trust is read once: use SDS");

  // Each SDS config names a file of the example that holds a secret of that name.
  const secretOf = (cfg) => {
    const file = cfg.sds_config.path_config_source.path;
    const rel = /^\/etc\/envoy\/(sds\/[a-z-]+\.yaml)$/.exec(file)?.[1];
    assert.ok(rel, `${file} is not one of deploy/examples/envoy/sds/`);
    const doc = sds(rel);
    assert.deepEqual(envoyErrors(doc, "SdsFile"), [], rel);
    const secret = doc.resources.find((r) => r.name === cfg.name);
    assert.ok(secret, `${rel} has no secret ${cfg.name}`);
    return secret;
  };
  assert.equal(ctx.tls_certificate_sds_secret_configs.length, 1);
  const client = secretOf(ctx.tls_certificate_sds_secret_configs[0]).tls_certificate;
  const trust = secretOf(ctx.validation_context_sds_secret_config).validation_context;
  // One mounted kubernetes.io/tls Secret: tls.crt, tls.key, ca.crt in the
  // watched directory (kubelet swaps it by a symlink move there).
  const dir = client.watched_directory.path;
  assert.equal(client.certificate_chain.filename, `${dir}/tls.crt`);
  assert.equal(client.private_key.filename, `${dir}/tls.key`);
  assert.equal(trust.trusted_ca.filename, `${dir}/ca.crt`);
  assert.equal(trust.watched_directory.path, dir);

  // oauthd's name is checked (Envoy checks only the chain without a SAN
  // matcher), it is the host Envoy dials and the SNI, and the cert-manager
  // example's certificate carries it.
  const hosts = cluster.load_assignment.endpoints.flatMap((e) => e.lb_endpoints.map((l) => l.endpoint.address.socket_address.address));
  const sans = trust.match_typed_subject_alt_names.map((m) => (assert.equal(m.san_type, "DNS"), m.matcher.exact));
  assert.deepEqual([...new Set(hosts)], sans);
  assert.equal(ts.typed_config.sni, sans[0]);
  const cert = certManager.find((o) => o.kind === "Certificate" && o.metadata.name === "oauthd-tls");
  for (const name of sans) assert.ok(cert.spec.dnsNames.includes(name), `oauthd-tls does not name ${name}`);

  // And the checks bite: a misspelt TLS field, an unknown SAN type.
  const bad = structuredClone(sds("sds/oauthd-ca.yaml"));
  bad.resources[0].validation_context.trusted_cas = bad.resources[0].validation_context.trusted_ca;
  bad.resources[0].validation_context.match_typed_subject_alt_names[0].san_type = "DNS_NAME";
  const errs = envoyErrors(bad, "SdsFile");
  assert.ok(errs.some((e) => /trusted_cas: CertificateValidationContext has no field/.test(e)), JSON.stringify(errs));
  assert.ok(errs.some((e) => /"DNS_NAME" is not one of/.test(e)), JSON.stringify(errs));
});

// ------------------------------------------------------------------ Istio

test("Istio: the CUSTOM AuthorizationPolicy names the mesh's envoyExtAuthzGrpc provider, which is oauthd's gRPC Service", () => {
  const mesh = one("istio/mesh-config.yaml");
  assert.equal(mesh.apiVersion, "install.istio.io/v1alpha1");
  assert.equal(mesh.kind, "IstioOperator");
  const providers = mesh.spec.meshConfig.extensionProviders;
  const fields = ["service", "port", "timeout", "failOpen", "statusOnError", "includeRequestBodyInCheck"];
  for (const p of providers) {
    assert.deepEqual(Object.keys(p).sort(), ["envoyExtAuthzGrpc", "name"], `provider ${p.name}`);
    const g = p.envoyExtAuthzGrpc;
    for (const k of Object.keys(g)) assert.ok(fields.includes(k), `envoyExtAuthzGrpc has no field ${k}`);
    const t = serviceTarget(g.service, g.port);
    assert.equal(t.container, "oauthd");
    assert.equal(t.servicePort.appProtocol, "grpc", "Istio must know the port is gRPC (HTTP/2)");
    assert.equal(g.failOpen, false);
    assert.equal(g.statusOnError, "503");
    assert.match(g.timeout, DURATION);
  }

  const ap = one("istio/authorization-policy.yaml");
  assert.equal(ap.apiVersion, "security.istio.io/v1");
  assert.equal(ap.kind, "AuthorizationPolicy");
  assert.equal(ap.spec.action, "CUSTOM");
  assert.deepEqual(Object.keys(ap.spec).sort(), ["action", "provider", "rules", "selector"]);
  assert.ok(providers.some((p) => p.name === ap.spec.provider.name),
    `provider ${ap.spec.provider.name} is not in meshConfig.extensionProviders (${providers.map((p) => p.name)})`);
  assert.ok(Object.keys(ap.spec.selector.matchLabels ?? {}).length > 0, "a selector: not every workload of the namespace");
  assert.ok(ap.spec.rules.length > 0, "CUSTOM without rules checks nothing");
  const paths = ap.spec.rules.flatMap((r) => r.to.flatMap((x) => x.operation.paths ?? []));
  // Every path of the policy's rules is sent to oauthd (a path no rule of the
  // AuthorizationPolicy matches would reach the app unchecked).
  const covered = (p) => paths.some((q) => (q.endsWith("*") ? p.startsWith(q.slice(0, -1)) : p === q));
  for (const r of policy.rules) {
    for (const p of [r.path_prefix, `${r.path_prefix}/x`]) assert.ok(covered(p), `${p} is not sent to oauthd`);
  }
  assert.ok(covered("/admin"), "paths the policy does not name are sent too (oauthd denies them)");
});

// ---------------------------------------------------------------- Traefik

const traefikDocs = parseDocs("traefik/forward-auth.yaml");
const middleware = traefikDocs.find((d) => d.kind === "Middleware");

test("Traefik: a forwardAuth Middleware to the gateway's /authz that forwards the identity headers", () => {
  assert.equal(middleware.apiVersion, "traefik.io/v1alpha1");
  const fa = middleware.spec.forwardAuth;
  const known = ["address", "trustForwardHeader", "authResponseHeaders", "authResponseHeadersRegex",
    "authRequestHeaders", "tls", "addAuthCookiesToResponse", "headerField", "forwardBody", "maxBodySize",
    "preserveLocationHeader", "preserveRequestMethod"];
  for (const k of Object.keys(fa)) assert.ok(known.includes(k), `forwardAuth has no field ${k}`);
  const url = new URL(fa.address);
  assert.equal(url.protocol, "http:");
  assert.equal(url.pathname, "/authz");
  const t = serviceTarget(url.hostname, url.port || 80);
  assert.equal(t.container, "oauth-gateway");
  assert.equal(t.containerPort, Number(/:(\d+)$/.exec(prod.find((o) => o.kind === "ConfigMap").data.OAUTH_GATEWAY_LISTEN)[1]));
  assert.deepEqual(fa.authResponseHeaders.map((h) => h.toLowerCase()), IDENTITY);
  assert.equal(fa.trustForwardHeader, false);
  assert.deepEqual(fa.authRequestHeaders, ["Authorization"], "only the credential: no client X-Original-*");
  for (const route of traefikDocs.filter((d) => d.kind === "IngressRoute")) {
    assert.equal(route.metadata.namespace, middleware.metadata.namespace);
    for (const r of route.spec.routes) assert.ok(r.middlewares.some((m) => m.name === middleware.metadata.name));
  }
});

// ------------------------------------------------------------------ nginx

// nginx's configuration syntax as nested {name, args, block} (enough for
// these files: words, quoted strings, comments, blocks).
function parseNginx(text) {
  const tokens = [...text.matchAll(/#[^\n]*|"((?:\\.|[^"\\])*)"|'((?:\\.|[^'\\])*)'|([{};])|([^\s{};"'#]+)/g)]
    .filter((m) => !m[0].startsWith("#"))
    .map((m) => (m[3] ? { punct: m[3] } : { word: m[1] ?? m[2] ?? m[4] }));
  let i = 0;
  const block = () => {
    const out = [];
    while (i < tokens.length) {
      const t = tokens[i++];
      if (t.punct === "}") return out;
      assert.ok(t.word !== undefined, `nginx: unexpected ${t.punct}`);
      const d = { name: t.word, args: [] };
      while (tokens[i] && tokens[i].word !== undefined) d.args.push(tokens[i++].word);
      const end = tokens[i++];
      if (end?.punct === "{") d.block = block();
      else assert.equal(end?.punct, ";", `nginx: ${d.name} is not terminated`);
      out.push(d);
    }
    return out;
  };
  return block();
}
const nginxText = read("nginx/nginx.conf");
const nginxConf = parseNginx(nginxText);
const all = (blk, name) => blk.filter((d) => d.name === name);
const args = (blk, name) => all(blk, name).map((d) => d.args);
const headersSet = (blk) => Object.fromEntries(args(blk, "proxy_set_header").map(([k, v]) => [k.toLowerCase(), v]));

test("nginx.conf: auth_request to an internal location that asks the gateway's /authz about the original request", () => {
  const httpBlk = all(nginxConf, "http")[0].block;
  const upstreams = Object.fromEntries(all(httpBlk, "upstream").map((u) => [u.args[0], u.block]));
  const [server] = all(httpBlk, "server");
  const locations = all(server.block, "location");
  const protectedLoc = locations.find((l) => l.args.join(" ") === "/").block;
  const [[authUri]] = args(protectedLoc, "auth_request");
  const authLoc = locations.find((l) => l.args[0] === "=" && l.args[1] === authUri);
  assert.ok(authLoc, `no "location = ${authUri}"`);
  const a = authLoc.block;
  assert.ok(all(a, "internal").length === 1, "the /authz location is internal");
  assert.deepEqual(args(a, "proxy_pass_request_body"), [["off"]]);
  const set = headersSet(a);
  assert.equal(set["content-length"], "");
  assert.equal(set["x-original-uri"], "$request_uri");
  assert.equal(set["x-original-method"], "$request_method");
  assert.equal(set["x-original-host"], "$host");
  const gw = new URL(args(a, "proxy_pass")[0][0]);
  assert.equal(gw.pathname, "/authz");
  for (const [host, port] of args(upstreams[gw.hostname], "server").map(([s]) => s.split(":"))) {
    assert.equal(serviceTarget(host, port).container, "oauth-gateway");
  }

  // Identity headers: from the /authz answer, set toward the API (replacing
  // the client's); WWW-Authenticate captured for the 403 page.
  const fromAnswer = Object.fromEntries(args(protectedLoc, "auth_request_set").map(([v, src]) => [src, v]));
  const toApi = headersSet(protectedLoc);
  for (const h of [...IDENTITY]) {
    const v = fromAnswer[`$upstream_http_${h.replace(/-/g, "_")}`];
    assert.ok(v, `auth_request_set of ${h}`);
    assert.equal(toApi[h], v, `proxy_set_header ${h} ${v}`);
  }
  const wwwVar = fromAnswer.$upstream_http_www_authenticate;
  assert.ok(wwwVar);
  const pages = Object.fromEntries(args(protectedLoc, "error_page").map((x) => [x[0], x.at(-1)]));
  const forbidden = locations.find((l) => l.args[0] === pages["403"]).block;
  assert.deepEqual(args(forbidden, "add_header").find((x) => x[0] === "WWW-Authenticate"), ["WWW-Authenticate", wwwVar, "always"]);
  const apiUrl = new URL(args(protectedLoc, "proxy_pass")[0][0]);
  assert.equal(apiUrl.pathname, "/", "no URI part: the API gets the URI as checked");
});

// nginx.conf with the cluster names replaced by loopback ports and every
// path nginx writes moved under `dir`.
function renderNginx(dir, { listen, upstreams, globals = "" }) {
  let text = nginxText.replace(/^(\s*)listen\s+80;/m, `$1listen 127.0.0.1:${listen};`);
  text = text.replace(/upstream\s+(\w+)\s*\{([^}]*)\}/g, (whole, name, body) => {
    assert.ok(name in upstreams, `upstream ${name} has no test address`);
    return `upstream ${name} {${body.replace(/server\s+\S+;/, `server 127.0.0.1:${upstreams[name]};`)}}`;
  });
  const tmp = path.join(dir, "tmp");
  mkdirSync(tmp, { recursive: true });
  text = text.replace(/^http\s*\{/m, `http {
  access_log ${dir}/access.log;
  client_body_temp_path ${tmp}/body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;`);
  assert.doesNotMatch(text, /svc\.cluster\.local/);
  const conf = path.join(dir, "nginx.conf");
  writeFileSync(conf, text);
  return ["-e", path.join(dir, "error.log"), "-p", dir, "-c", conf,
    "-g", `pid ${dir}/nginx.pid; error_log ${dir}/error.log; ${globals}`];
}

const cleanups = [];
const sanitizerReports = [];
after(async () => {
  for (const f of cleanups.reverse()) await f();
  if (sanitizerReports.length) throw new Error(`sanitizer report:\n${sanitizerReports.join("\n")}`);
});
const tmpDir = (prefix) => {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
};

test("nginx.conf passes nginx -t (cluster names replaced by loopback ports)", (t) => {
  if (!NGINX) return t.skip("no nginx on this machine (apt-get install nginx)");
  const dir = tmpDir("examples-nginx-t-");
  const r = spawnSync(NGINX, ["-t", ...renderNginx(dir, { listen: 8000, upstreams: { oauth_gateway: 8080, orders: 8081 } })],
    { encoding: "utf8" });
  assert.equal(r.status, 0, `nginx -t:\n${r.stderr}`);
  assert.match(r.stderr, /syntax is ok/);
});

// ------------------------------------------------- oauthd and the gateway

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function startProcess(name, file, argv, dir) {
  const child = spawn(file, argv, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => { out += d; });
  child.stderr.on("data", (d) => { out += d; });
  child.output = () => `${name}: ${out}`;
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
    // A sanitizer build (OAUTHD_SANITIZE): a report fails the file even
    // though the process was killed (docs/operations.md#sanitizers).
    const at = out.search(/ThreadSanitizer:|AddressSanitizer:|LeakSanitizer:|UndefinedBehaviorSanitizer:|: runtime error: /);
    if (at >= 0) sanitizerReports.push(`${name}:\n${out.slice(out.lastIndexOf("\n", at) + 1, at + 16000)}`);
  });
  return child;
}

async function waitForPort(port, child) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${child.output()}`);
    const ok = await new Promise((resolve) => {
      const c = connect(port, "127.0.0.1", () => { c.destroy(); resolve(true); });
      c.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} never opened:\n${child.output()}`);
}

// The admin listener of the oauthd on each public port (oauthd --admin_listen).
const adminPortOf = new Map();
const ctl = (grpcPort, argv, dir) => {
  const r = spawnSync(BIN.oauthctl, [`--address=127.0.0.1:${grpcPort}`,
    `--admin_address=127.0.0.1:${adminPortOf.get(grpcPort)}`, `--admin_token_file=${dir}/admin.token`, "--json", ...argv],
    { encoding: "utf8" });
  assert.equal(r.status, 0, `oauthctl ${argv.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

// oauthd (memory store, the example policy) + oauth-gateway, once per file.
let stackPromise;
function stack() {
  stackPromise ??= (async () => {
    const dir = tmpDir("examples-stack-");
    execOk(BIN.oauthctl, ["keys", "generate", "--alg=ES256", `--out=${dir}/key.pem`]);
    writeFileSync(`${dir}/admin.token`, `${randomBytes(32).toString("base64")}\n`);
    const grpcPort = await freePort();
    const adminPort = await freePort();
    adminPortOf.set(grpcPort, adminPort);
    const httpPort = await freePort();
    const issuer = `http://127.0.0.1:${httpPort}`;
    const oauthd = startProcess("oauthd", BIN.oauthd, ["--store=memory", `--listen=127.0.0.1:${grpcPort}`,
      `--admin_listen=127.0.0.1:${adminPort}`,
      `--issuer=${issuer}`, `--signing_keys=${dir}/key.pem`, `--admin_token_file=${dir}/admin.token`,
      `--authz_policy=${path.join(EXAMPLES, "policy.yaml")}`, "--scrypt_log2_n=10"], dir);
    await waitForPort(grpcPort, oauthd);
    await waitForPort(adminPort, oauthd);
    const gateway = startProcess("oauth-gateway", BIN.gateway, [`--listen=127.0.0.1:${httpPort}`,
      `--upstream=127.0.0.1:${grpcPort}`, `--issuer=${issuer}`, "--threads=2", "--rpc_timeout=2s"], dir);
    await waitForPort(httpPort, gateway);
    // Behind Traefik the gateway reads only X-Forwarded-* (--authz_proxy).
    const traefikPort = await freePort();
    const traefikGateway = startProcess("oauth-gateway", BIN.gateway, [`--listen=127.0.0.1:${traefikPort}`,
      `--upstream=127.0.0.1:${grpcPort}`, `--issuer=${issuer}`, "--threads=2", "--rpc_timeout=2s",
      "--authz_proxy=traefik"], dir);
    await waitForPort(traefikPort, traefikGateway);
    const { client, client_secret: secret } = ctl(grpcPort, ["client", "create", "--grant_types=client_credentials",
      "--scopes=orders.read,orders.write", "--audiences=orders-api"], dir);
    const token = (scope, resource = "orders-api") => ctl(grpcPort, ["token", `--client_id=${client.client_id}`,
      `--client_secret=${secret}`, `--scope=${scope}`, `--resource=${resource}`], dir).access_token;
    return {
      dir, oauthd, gateway, traefikGateway, grpcPort, httpPort, traefikPort, clientId: client.client_id,
      read: token("orders.read"), write: token("orders.write"),
    };
  })();
  return stackPromise;
}

function execOk(file, argv) {
  const r = spawnSync(file, argv, { encoding: "utf8" });
  assert.equal(r.status, 0, `${path.basename(file)} ${argv.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

test("policy.yaml loads into oauthd; a misspelt copy is refused with its line", async (t) => {
  if (!haveBinaries) return t.skip(`binaries not built (${Object.values(BIN).join(", ")})`);
  await stack();  // oauthd started with --authz_policy=deploy/examples/policy.yaml
  const dir = tmpDir("examples-badpolicy-");
  const bad = read("policy.yaml").replace("scopes: [orders.write]", "scope: [orders.write]");
  assert.notEqual(bad, read("policy.yaml"));
  writeFileSync(`${dir}/policy.yaml`, bad);
  writeFileSync(`${dir}/admin.token`, `${randomBytes(32).toString("base64")}\n`);
  execOk(BIN.oauthctl, ["keys", "generate", "--alg=ES256", `--out=${dir}/key.pem`]);
  const r = spawnSync(BIN.oauthd, ["--store=memory", `--listen=127.0.0.1:${await freePort()}`,
    `--admin_listen=127.0.0.1:${await freePort()}`, "--issuer=http://127.0.0.1:1",
    `--signing_keys=${dir}/key.pem`, `--admin_token_file=${dir}/admin.token`, `--authz_policy=${dir}/policy.yaml`],
  { encoding: "utf8", timeout: 10000 });
  assert.notEqual(r.status, 0);
  const line = bad.split("\n").findIndex((l) => l.includes("scope: [orders.write]")) + 1;
  assert.match(r.stderr, new RegExp(`line ${line}: unknown key 'scope'`));
});

// A plain HTTP request (no normalization of the path, any Host).
function request(port, { method = "GET", path: p = "/", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path: p, headers, agent: false }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (d) => { data += d; });
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

// The protected API: records what reached it.
async function recordingUpstream() {
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => { body += d; });
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("from orders\n");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { port: server.address().port, seen };
}

const FORGED = { "X-Auth-Subject": "admin", "X-Auth-Client-Id": "admin-client", "X-Auth-Scope": "orders.write admin",
  "X-Auth-Grant-Id": "g_forged" };

test("nginx.conf end to end: 401/403 with WWW-Authenticate, identity headers from oauthd only, 503 when oauthd is down", async (t) => {
  if (!NGINX) return t.skip("no nginx on this machine (apt-get install nginx)");
  if (!haveBinaries) return t.skip("binaries not built");
  const s = await stack();
  const api = await recordingUpstream();
  const dir = tmpDir("examples-nginx-");
  const port = await freePort();
  const nginx = startProcess("nginx", NGINX, [...renderNginx(dir, { listen: port, upstreams: {
    oauth_gateway: s.httpPort, orders: api.port }, globals: "daemon off; master_process off;" })], dir);
  await waitForPort(port, nginx);
  const host = { Host: "api.example.com" };
  const bearer = (tok) => ({ ...host, Authorization: `Bearer ${tok}` });
  const reached = (before) => api.seen.slice(before);

  // Anonymous rule: passes without a token; forged identity headers removed.
  let n = api.seen.length;
  let r = await request(port, { path: "/healthz", headers: { ...host, ...FORGED } });
  assert.equal(r.status, 200, r.body);
  assert.equal(reached(n).length, 1);
  for (const h of IDENTITY) assert.equal(reached(n)[0].headers[h], undefined, `${h} forged by the client reached the API`);

  // No token: 401 with the bare challenge; the API is not called.
  n = api.seen.length;
  r = await request(port, { path: "/orders/7", headers: host });
  assert.equal(r.status, 401);
  assert.equal(r.headers["www-authenticate"], "Bearer");
  // A token that is no token of this issuer: 401 invalid_token.
  r = await request(port, { path: "/orders/7", headers: bearer("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.") });
  assert.equal(r.status, 401);
  assert.match(r.headers["www-authenticate"], /^Bearer error="invalid_token"/);
  assert.equal(reached(n).length, 0);

  // Allowed: the API gets oauthd's identity, not the forged one, and the URI
  // as the client sent it.
  r = await request(port, { path: "/orders/7?expand=lines", headers: { ...bearer(s.read), ...FORGED } });
  assert.equal(r.status, 200, r.body);
  const got = reached(n);
  assert.equal(got.length, 1);
  assert.equal(got[0].url, "/orders/7?expand=lines");
  assert.equal(got[0].headers["x-auth-subject"], s.clientId);
  assert.equal(got[0].headers["x-auth-client-id"], s.clientId);
  assert.equal(got[0].headers["x-auth-scope"], "orders.read");
  assert.equal(got[0].headers["x-auth-grant-id"], undefined, "client_credentials has no grant: the forged one is gone");
  assert.equal(got[0].headers.authorization, `Bearer ${s.read}`, "remove_authorization is false");

  // Insufficient scope: 403 with oauthd's challenge naming the scope.
  n = api.seen.length;
  r = await request(port, { method: "POST", path: "/orders", headers: { ...bearer(s.read), "Content-Type": "application/json" },
    body: '{"item":1}' });
  assert.equal(r.status, 403);
  assert.match(r.headers["www-authenticate"], /^Bearer error="insufficient_scope"/);
  assert.match(r.headers["www-authenticate"], /scope="orders.write"/);
  assert.equal(reached(n).length, 0);
  // With the scope: the body reaches the API (only the /authz call goes without it).
  r = await request(port, { method: "POST", path: "/orders", headers: { ...bearer(s.write), "Content-Type": "application/json" },
    body: '{"item":1}' });
  assert.equal(r.status, 200, r.body);
  assert.equal(reached(n).at(-1).body, '{"item":1}');
  r = await request(port, { method: "POST", path: "/orders", headers: { ...bearer(s.write), "Transfer-Encoding": "chunked" },
    body: "chunked body" });
  assert.equal(r.status, 200, r.body);
  assert.equal(reached(n).at(-1).body, "chunked body");

  // No rule for the path, another host, a token for another audience, a
  // non-canonical path (oauthd's 400, answered 403): all refused.
  n = api.seen.length;
  for (const [p, headers, status] of [
    ["/admin", bearer(s.read), 403],
    ["/orders/7", { ...bearer(s.read), Host: "other.example.com" }, 403],
    ["/orders/%2e%2e/admin", bearer(s.read), 403],
    ["/orders//7", bearer(s.read), 403],
  ]) {
    r = await request(port, { path: p, headers });
    assert.equal(r.status, status, `${headers.Host} ${p}: ${r.status}`);
  }
  assert.equal(reached(n).length, 0);

  // oauthd down: the gateway answers 503, nginx would make it 500; the
  // example keeps 503 (fail closed).
  stackPromise = undefined;  // the next user starts a fresh stack
  s.oauthd.kill("SIGKILL");
  await once(s.oauthd, "exit");
  r = await request(port, { path: "/orders/7", headers: bearer(s.read) });
  assert.equal(r.status, 503);
  assert.equal(reached(n).length, 0);
});

// Traefik's forwardAuth (pkg/middlewares/auth/forward.go, Traefik v3),
// reduced to its header handling: which headers reach the auth server, and
// how the answer's headers are set on the request to the API.
async function traefikForwardAuth(fa, gatewayPort, incoming) {
  const canon = (h) => h.toLowerCase();
  let headers = Object.fromEntries(Object.entries(incoming.headers).map(([k, v]) => [canon(k), v]));
  if (fa.authRequestHeaders?.length) {
    const allowed = new Set(fa.authRequestHeaders.map(canon));
    headers = Object.fromEntries(Object.entries(headers).filter(([k]) => allowed.has(k)));
  }
  const trusted = (k, own) => (fa.trustForwardHeader && incoming.headers[k] ? incoming.headers[k] : own);
  headers["x-forwarded-method"] = trusted("x-forwarded-method", incoming.method);
  headers["x-forwarded-proto"] = trusted("x-forwarded-proto", "http");
  headers["x-forwarded-host"] = trusted("x-forwarded-host", incoming.headers.host);
  headers["x-forwarded-uri"] = trusted("x-forwarded-uri", incoming.path);
  delete headers.host;
  const answer = await request(gatewayPort, { method: "GET", path: new URL(fa.address).pathname, headers });
  if (answer.status < 200 || answer.status >= 300) return { denied: answer };
  const upstream = { ...incoming.headers };
  for (const h of fa.authResponseHeaders) {
    delete upstream[canon(h)];
    if (answer.headers[canon(h)] !== undefined) upstream[canon(h)] = answer.headers[canon(h)];
  }
  return { upstream };
}

test("Traefik forwardAuth settings against the real gateway: the checked request is the real one, identity from oauthd only", async (t) => {
  if (!haveBinaries) return t.skip("binaries not built");
  const s = await stack();
  const fa = middleware.spec.forwardAuth;
  const lower = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
  const host = "api.example.com";

  // Allowed: identity headers replaced/removed.
  let r = await traefikForwardAuth(fa, s.traefikPort, { method: "GET", path: "/orders/7",
    headers: { host, authorization: `Bearer ${s.read}`, ...lower(FORGED) } });
  assert.ok(r.upstream, JSON.stringify(r.denied));
  assert.equal(r.upstream["x-auth-subject"], s.clientId);
  assert.equal(r.upstream["x-auth-scope"], "orders.read");
  assert.equal(r.upstream["x-auth-grant-id"], undefined);

  // Denied: 403 with the challenge Traefik passes back to the client.
  r = await traefikForwardAuth(fa, s.traefikPort, { method: "DELETE", path: "/orders/7",
    headers: { host, authorization: `Bearer ${s.read}` } });
  assert.equal(r.denied?.status, 403);
  assert.match(r.denied.headers["www-authenticate"], /insufficient_scope/);

  // A client naming another request in X-Original-* or X-Forwarded-* (the
  // anonymous /healthz) is still checked for what it asks: /orders/7.
  const spoof = { "x-original-uri": "/healthz", "x-original-method": "GET", "x-original-host": host,
    "x-forwarded-uri": "/healthz", "x-forwarded-method": "GET" };
  r = await traefikForwardAuth(fa, s.traefikPort, { method: "GET", path: "/orders/7", headers: { host, ...spoof } });
  assert.equal(r.denied?.status, 401, "a spoofed X-Original-*/X-Forwarded-* decided the check");
  // Even without authRequestHeaders (every client header forwarded), a
  // gateway run with --authz_proxy=traefik ignores nginx's X-Original-*.
  const open = await traefikForwardAuth({ ...fa, authRequestHeaders: [] }, s.traefikPort,
    { method: "GET", path: "/orders/7", headers: { host, ...spoof } });
  assert.equal(open.denied?.status, 401, "a client-sent X-Original-URI decided the check");
});
