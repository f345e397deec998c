import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface TestCa {
  /** PEM of the CA, what a client is told to trust. */
  caFile: string;
  /** Server certificate (for 127.0.0.1, signed by the CA) and its key. */
  certFile: string;
  keyFile: string;
  caPem: string;
}

/** The DNS name in the test server certificate, as an in-cluster NATS Service would have. */
export const TEST_TLS_NAME = "nats.falco.svc";

/** A throw-away CA and a server certificate for TEST_TLS_NAME and 127.0.0.1, made with the openssl CLI. */
export function makeTestCa(): TestCa {
  const dir = mkdtempSync(path.join(os.tmpdir(), "falco-stack-tls-"));
  const file = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]): void => {
    try {
      execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(
        code === "ENOENT"
          ? "openssl is not installed: the NATS TLS test needs it (apt-get install openssl; CI's .ci/run does)"
          : `openssl ${args[0]} failed: ${String((error as { stderr?: Buffer }).stderr ?? error)}`,
      );
    }
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    file("ca.key"),
    "-out",
    file("ca.pem"),
    "-days",
    "1",
    "-subj",
    "/CN=falco-stack test CA",
  );
  openssl("req", ...ec, "-keyout", file("server.key"), "-out", file("server.csr"), "-subj", "/CN=127.0.0.1");
  writeFileSync(file("san.ext"), `subjectAltName=DNS:${TEST_TLS_NAME},IP:127.0.0.1\n`);
  openssl(
    "x509",
    "-req",
    "-in",
    file("server.csr"),
    "-CA",
    file("ca.pem"),
    "-CAkey",
    file("ca.key"),
    "-CAcreateserial",
    "-out",
    file("server.pem"),
    "-days",
    "1",
    "-extfile",
    file("san.ext"),
  );
  return {
    caFile: file("ca.pem"),
    certFile: file("server.pem"),
    keyFile: file("server.key"),
    caPem: readFileSync(file("ca.pem"), "utf8"),
  };
}
