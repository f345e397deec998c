/** The fleet program (Pulumi.yaml `main`): falco-stack on every cluster of the config, one sink. */
import * as pulumi from "@pulumi/pulumi";
import { deployFleet, type FleetCluster, type FleetSink } from "./fleet.ts";

interface SinkConfig {
  kind: FleetSink["kind"];
  /** The sink's address, or: */
  address?: string;
  /** the stack that runs the sink (`org/project/stack`), and its output holding the address. */
  stackReference?: string;
  output?: string;
  minimumpriority?: FleetSink["minimumpriority"];
}

const config = new pulumi.Config();
const clusters = config.requireObject<FleetCluster[]>("clusters");
const sinkConfig = config.requireObject<SinkConfig>("sink");

/** The address as the sink's own stack exports it, so moving the sink needs no edit here. */
function sinkAddress(sink: SinkConfig): pulumi.Input<string> {
  if (sink.stackReference !== undefined) {
    const reference = new pulumi.StackReference(sink.stackReference);
    return reference.requireOutput(
      sink.output ?? (sink.kind === "nats" ? "natsUrl" : "lokiUrl"),
    ) as pulumi.Output<string>;
  }
  if (sink.address === undefined)
    throw new pulumi.RunError("falco-fleet:sink needs address or stackReference");
  return sink.address;
}

const fleet = deployFleet({
  clusters,
  sink: {
    kind: sinkConfig.kind,
    address: sinkAddress(sinkConfig),
    minimumpriority: sinkConfig.minimumpriority,
  },
});

/** Per cluster: what `falco-stack demo` and `events` read for that cluster. */
export const members = Object.fromEntries([...fleet].map(([name, member]) => [name, member.stack.summary]));
