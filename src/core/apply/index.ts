/** The apply executor's public API: shared by `simulate`'s closed loop and the live `apply`. */
export {
  applyPlan,
  type ApplyOptions,
  type ApplyPorts,
  type ApplyResult,
  type ChangeStatus,
  type FieldReader,
  type SkipReason,
} from './apply-plan.js'
