/**
 * The bounds every input passes before anything computes with it: one place, so config, snapshot and (later) live
 * readings agree on what is possible. The JSON Schemas quote these numbers, so editors, `validate` and the planner
 * see the same limits. Each limit is far above anything a real fleet has and far below what makes a loop over it,
 * an allocation of it or a sum of it run away.
 */

/** GPUs on one node: 8 is today's largest (HGX/DGX); 16 leaves room for the next generation. */
export const MAX_GPUS_PER_NODE = 16
/** Nodes in one node group, replicas of one model, a node group's target size: ten times the largest clusters. */
export const MAX_GROUP_SIZE = 100_000
/** GPUs in one budget: a whole fleet of MAX_GROUP_SIZE nodes of MAX_GPUS_PER_NODE. */
export const MAX_FLEET_GPUS = MAX_GROUP_SIZE * MAX_GPUS_PER_NODE
/**
 * The slowest weight load we accept: 10 MiB/s. Below it a load of any real model takes days, and a throughput near
 * zero turns `size / speed` into Infinity (a 1e-320 GiB/s load time is not a number a Date can hold).
 */
export const MIN_LOAD_GIBPS = 0.01
/** Model weights and GPU memory per replica: the largest GPU has 141 GiB; 64 TiB covers any sharded model. */
export const MAX_MEMORY_GIB = 65_536
/** A GPU's memory in MiB (a snapshot field): 1 TiB, seven times the largest GPU today. */
export const MAX_GPU_MEMORY_MIB = 1_048_576
/** Any price per node-hour or per fleet-hour: a million of any currency is already a mistake. */
export const MAX_HOURLY_COST = 1_000_000
/** Signal targets and activation thresholds: large enough for bytes per second (PCIe), finite for every division. */
export const MAX_SIGNAL_VALUE = 1e15
/** Samples in a snapshot are epoch seconds; a value this large is milliseconds (1e11 s is the year 5138). */
export const MAX_EPOCH_SECONDS = 1e11
/** Pods sharing one GPU by time-slicing or MPS (the NVIDIA device plugin allows up to 48 MPS clients). */
export const MAX_SHARING_REPLICAS = 64
/** Nesting of YAML/JSON collections: a config is 8 deep; more than 64 is an attack or a generator gone wrong. */
export const MAX_NESTING_DEPTH = 64
/**
 * Alias expansions per YAML document (the `yaml` package's maxAliasCount): a billion-laughs document expands each
 * alias many times; real configs use a handful of anchors.
 */
export const MAX_ALIAS_COUNT = 100
/**
 * Default size limit of an input file: 64 MiB, over three times the 18.7 MB benchmark snapshot of a 2,000-node
 * fleet. Larger fleets raise it with GPU_SCALE_MAX_INPUT_BYTES (read in src/adapters/read-input.ts).
 */
export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024
