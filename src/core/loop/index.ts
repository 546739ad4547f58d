/**
 * The closed loop's public API: the planner in the loop over the digital twin (`simulate`, `plan --sim --scenario
 * --at`), with the kernel's scheduler plugged into the twin and the twin's write ports for src/core/apply.
 */
export {ClosedLoop, markInFlight, type LoopOptions, type LoopTotals, type TickRecord} from './closed-loop.js'
export {scheduleWithKernel} from './kernel-scheduler.js'
export {TwinActuator, type MigOperation} from './twin-actuator.js'
