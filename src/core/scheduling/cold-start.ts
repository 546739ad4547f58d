/**
 * Cold start as a model: how long from "ask the provider for a node" until a replica on it serves. Per group
 * (provisioning, driver/device-plugin init, image pull) and per model (weight load: measured seconds, else size ÷
 * load throughput). The parts are kept apart so the plan can show where the time goes (CA's FAQ: a node takes
 * "usually 3 to 4 minutes"; users report another 2–3 minutes of app start, kubernetes/autoscaler#4038).
 */
import type {ModelConfig, NodeGroupConfig} from '../model/config.js'

export interface ColdStart {
  provisioningSeconds: number
  driverInitSeconds: number
  imagePullSeconds: number
  weightLoadSeconds: number
  /** Node part only: until the node's GPUs are allocatable. */
  nodeSeconds: number
  /** Node part plus weight load: until a replica on a new node serves. */
  totalSeconds: number
}

/** Seconds to load the model's weights: measured `loadSeconds` wins, else size ÷ throughput (1 GiB/s default). */
export function estimateWeightLoadSeconds(model: ModelConfig): number {
  if (model.weights.loadSeconds !== undefined) return model.weights.loadSeconds
  const throughput = model.weights.loadGiBps !== undefined && model.weights.loadGiBps > 0 ? model.weights.loadGiBps : 1
  return model.weights.sizeGiB / throughput
}

/** Seconds from registration until a group's node has allocatable GPUs. */
export function estimateNodeColdStartSeconds(group: NodeGroupConfig): number {
  return group.coldStart.provisioningSeconds + group.coldStart.driverInitSeconds + group.coldStart.imagePullSeconds
}

export function estimateColdStart(group: NodeGroupConfig, model: ModelConfig): ColdStart {
  const nodeSeconds = estimateNodeColdStartSeconds(group)
  const weightLoadSeconds = estimateWeightLoadSeconds(model)
  return {
    provisioningSeconds: group.coldStart.provisioningSeconds,
    driverInitSeconds: group.coldStart.driverInitSeconds,
    imagePullSeconds: group.coldStart.imagePullSeconds,
    weightLoadSeconds,
    nodeSeconds,
    totalSeconds: nodeSeconds + weightLoadSeconds,
  }
}
