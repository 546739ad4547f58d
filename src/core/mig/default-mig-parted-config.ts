/**
 * NVIDIA's default mig-parted config (GPU Operator `default-mig-parted-config`, key `config.yaml`) for the GPU
 * models gpu-scale knows: the named layouts a node group's `migConfigs` may refer to. Embedded so plans resolve
 * `all-balanced`, `all-3g.40gb`, ... without reading a file; examples/mig-parted/default-mig-parted-config.yaml
 * is the same text with its source and license header (a test keeps the two identical).
 *
 * Source: github.com/NVIDIA/gpu-operator assets/state-mig-manager/0400_configmap.yaml.
 * Copyright (c) NVIDIA CORPORATION. Licensed under the Apache License, Version 2.0.
 */
import {parseMigPartedConfig, type MigPartedConfig} from './mig-parted-config.js'

export const DEFAULT_MIG_PARTED_CONFIG_TEXT = `version: v1
mig-configs:
  all-disabled:
    - devices: all
      mig-enabled: false

  all-enabled:
    - devices: all
      mig-enabled: true
      mig-devices: {}

  # A100-40GB, A800-40GB
  all-1g.5gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.5gb": 7

  all-1g.5gb.me:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.5gb+me": 1

  all-2g.10gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "2g.10gb": 3

  all-3g.20gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "3g.20gb": 2

  all-4g.20gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "4g.20gb": 1

  all-7g.40gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "7g.40gb": 1

  # H100-80GB, H800-80GB, A100-80GB, A800-80GB, A100-40GB, A800-40GB
  all-1g.10gb:
    # H100-80GB, H800-80GB, A100-80GB, A800-80GB
    - device-filter: ["0x233010DE", "0x233110DE", "0x232210DE", "0x20B210DE", "0x20B510DE", "0x20F310DE", "0x20F510DE", "0x232410DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.10gb": 7

    # A100-40GB, A800-40GB
    - device-filter: ["0x20B010DE", "0x20B110DE", "0x20F110DE", "0x20F610DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.10gb": 4

  # H100-80GB, H800-80GB, A100-80GB, A800-80GB
  all-1g.10gb.me:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.10gb+me": 1

  # H100-80GB, H800-80GB, A100-80GB, A800-80GB
  all-1g.20gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.20gb": 4

  all-2g.20gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "2g.20gb": 3

  all-3g.40gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "3g.40gb": 2

  all-4g.40gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "4g.40gb": 1

  all-7g.80gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "7g.80gb": 1

  # A30-24GB
  all-1g.6gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.6gb": 4

  all-1g.6gb.me:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.6gb+me": 1

  all-2g.12gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "2g.12gb": 2

  all-2g.12gb.me:
    - devices: all
      mig-enabled: true
      mig-devices:
        "2g.12gb+me": 1

  all-4g.24gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "4g.24gb": 1

  # H100 NVL, H800 NVL
  all-1g.12gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.12gb": 7

  all-1g.12gb.me:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.12gb+me": 1

  all-1g.24gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.24gb": 4

  all-2g.24gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "2g.24gb": 3

  all-3g.47gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "3g.47gb": 2

  all-4g.47gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "4g.47gb": 1

  all-7g.94gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "7g.94gb": 1

  # H200-141GB, H200 NVL, H100 NVL, H800 NVL, H100-80GB, H800-80GB, A800-40GB, A800-80GB, A100-40GB, A100-80GB, A30-24GB
  all-balanced:
    # H200 141GB, H200 NVL
    - device-filter: ["0x233510DE", "0x233B10DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.18gb": 2
        "2g.35gb": 1
        "3g.71gb": 1

    # H100 NVL, H800 NVL
    - device-filter: ["0x232110DE", "0x233A10DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.12gb": 2
        "2g.24gb": 1
        "3g.47gb": 1

    # H100-80GB, H800-80GB, A100-80GB, A800-80GB
    - device-filter: ["0x233010DE", "0x233110DE", "0x232210DE", "0x20B210DE", "0x20B510DE", "0x20F310DE", "0x20F510DE", "0x232410DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.10gb": 2
        "2g.20gb": 1
        "3g.40gb": 1

    # A100-40GB, A800-40GB
    - device-filter: ["0x20B010DE", "0x20B110DE", "0x20F110DE", "0x20F610DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.5gb": 2
        "2g.10gb": 1
        "3g.20gb": 1

    # A30-24GB
    - device-filter: "0x20B710DE"
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.6gb": 2
        "2g.12gb": 1

  # H200-141GB
  all-1g.18gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.18gb": 7

  all-1g.18gb.me:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.18gb+me": 1

  all-1g.35gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.35gb": 4

  all-2g.35gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "2g.35gb": 3

  all-3g.71gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "3g.71gb": 2

  all-4g.71gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "4g.71gb": 1

  all-7g.141gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "7g.141gb": 1
`

let parsed: MigPartedConfig | undefined

/** The parsed default config (parsed once per process). */
export function defaultMigPartedConfig(): MigPartedConfig {
  parsed ??= parseMigPartedConfig(DEFAULT_MIG_PARTED_CONFIG_TEXT, '<default-mig-parted-config>').config
  return parsed
}
