/**
 * The fields of the k8smeta plugin 0.4.1 (falcosecurity/plugins, `plugins/k8smeta/src/plugin.cpp`
 * `my_plugin::get_fields()` at tag plugins/k8smeta/v0.4.1, and its README's field table), written by
 * hand in the catalog's row form because the shared `fields.json` holds only libsinsp and the
 * container plugin. Falco knows them only when it loads the plugin (`falco.kubernetesMetadata`).
 *
 * Every field is a string (FTYPE_STRING). `label` fields need a `[key]` argument; `labels` and
 * every `svc.*` field are lists. `pod.name` and `ns.name` are the plugin's suggested output fields.
 */
export const K8SMETA_PLUGIN = { name: "k8smeta", version: "0.4.1" } as const;

/** `name type arg syntax kinds flags`; see catalog.ts. */
export const K8SMETA_FIELD_ROWS: readonly string[] = [
  "k8smeta.pod.name CHARBUF - - - SX",
  "k8smeta.pod.uid CHARBUF - - - X",
  "k8smeta.pod.label CHARBUF r b k X",
  "k8smeta.pod.labels CHARBUF - - - LX",
  "k8smeta.pod.ip CHARBUF - - - X",
  "k8smeta.ns.name CHARBUF - - - SX",
  "k8smeta.ns.uid CHARBUF - - - X",
  "k8smeta.ns.label CHARBUF r b k X",
  "k8smeta.ns.labels CHARBUF - - - LX",
  "k8smeta.deployment.name CHARBUF - - - X",
  "k8smeta.deployment.uid CHARBUF - - - X",
  "k8smeta.deployment.label CHARBUF r b k X",
  "k8smeta.deployment.labels CHARBUF - - - LX",
  "k8smeta.svc.name CHARBUF - - - LX",
  "k8smeta.svc.uid CHARBUF - - - LX",
  "k8smeta.svc.label CHARBUF r b k LX",
  "k8smeta.svc.labels CHARBUF - - - LX",
  "k8smeta.rs.name CHARBUF - - - X",
  "k8smeta.rs.uid CHARBUF - - - X",
  "k8smeta.rs.label CHARBUF r b k X",
  "k8smeta.rs.labels CHARBUF - - - LX",
  "k8smeta.rc.name CHARBUF - - - X",
  "k8smeta.rc.uid CHARBUF - - - X",
  "k8smeta.rc.label CHARBUF r b k X",
  "k8smeta.rc.labels CHARBUF - - - LX",
];
