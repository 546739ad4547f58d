/**
 * The MIG allocation layer's public API: exact geometry per GPU model, layout checks, mig-parted config
 * validation, whole-GPU-or-slice choice, fragmentation-aware packing, and repartition changes.
 */
export {findGpuModel, findGpuModelByPciId, listMigGpuModels, GPU_MODELS, type GpuModelInfo} from './catalog.js'
export {
  findMigModel,
  findMigProfile,
  isProfileNameShape,
  migProfilesFor,
  normalizeProfileName,
  requireMigModel,
  resourceNameFor,
  type MigProfile,
} from './profiles.js'
export {
  checkInstances,
  enumerateMaximalLayouts,
  findStart,
  formatLayout,
  maskOf,
  parseInstanceRequest,
  parseLayout,
  UnknownProfileError,
  type CheckCode,
  type CheckResult,
  type InstanceRequest,
  type Layout,
  type Placement,
} from './geometry.js'
export {
  checkMigPartedConfig,
  modelsOfEntry,
  parseMigPartedConfig,
  profilesOfConfigForGpu,
  type EntryCheck,
  type EntryReport,
  type MigPartedCheckResult,
  type MigPartedConfig,
  type MigPartedConfigSet,
  type MigPartedEntry,
} from './mig-parted-config.js'
export {
  computeLowerBound,
  measureFragmentation,
  packMigDemand,
  packMigDemandExhaustive,
  type Assignment,
  type FragmentationReport,
  type GpuFragmentation,
  type GpuRepartition,
  type MigGpu,
  type PackingLowerBound,
  type PackingOptions,
  type PackingResult,
  type ProfileDemand,
} from './packing.js'
export {
  packNodeMigConfigs,
  packNodeMigConfigsExhaustive,
  type MigNode,
  type MigNodeGpu,
  type NodePackingResult,
  type NodeRepartition,
} from './node-packing.js'
export {createPrng, type Prng} from './prng.js'
export {
  generateNodePackingCase,
  generatePackingCase,
  type CaseOptions,
  type NodeCaseOptions,
  type PackingCase,
} from './generate.js'
export {chooseGpuShare, type GpuShare, type ModelNeed, type ShareOptions} from './share.js'
export {
  evaluateMigConfigWait,
  findMigConfigName,
  planRepartitionChange,
  renderMigConfigEntry,
  type MigConfigWait,
  type RepartitionGpu,
  type RepartitionInput,
  type RepartitionPlan,
  type RepartitionPod,
} from './repartition.js'
export {DEFAULT_MIG_PARTED_CONFIG_TEXT, defaultMigPartedConfig} from './default-mig-parted-config.js'
