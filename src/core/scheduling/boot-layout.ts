/**
 * The MIG layout a node's GPUs boot with: whole GPUs, or a set of MIG instances. Its own module so the cluster
 * model and the mig-parted config resolver both import it without importing each other.
 */
export type BootLayout =
  {kind: 'whole'} | {kind: 'mig'; instances: Array<{profile: string; start: number; size: number}>}
