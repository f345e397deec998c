/** The Pulumi program (Pulumi.yaml `main`). The library entry is `library.ts`. */
import { runProgram } from "./src/program.ts";

const stack = runProgram();

export const namespace = stack.namespace;
export const chartVersions = stack.chartVersions;
export const sidekickUrl = stack.sidekickUrl;
export const falcoPods = stack.falcoPods;
export const ui = stack.ui;
/** Secret: the UI login. */
export const uiUser = stack.uiUser;
/** Secret: the UI password. */
export const uiPassword = stack.uiPassword;
export const demo = stack.demo;
export const outputs = stack.outputs;
export const rules = stack.rules;
