/** The Pulumi program (Pulumi.yaml `main`). The library entry is `library.ts`. */
import { runProgram } from "./components/program.ts";

/** uiUser and uiPassword are secrets; the rest is what the demo command reads. */
export const {
  namespace,
  chartVersions,
  sidekickUrl,
  falcoPods,
  ui,
  uiUser,
  uiPassword,
  demo,
  outputs,
  rules,
  clusterName,
} = runProgram();
