/** The cluster cannot be reached or refused a call; the message names what and why. */
export class KubeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KubeError";
  }
}
