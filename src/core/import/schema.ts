/**
 * The shapes `gpu-scale import` reads: a HorizontalPodAutoscaler (autoscaling/v1 or v2) and a KEDA ScaledObject
 * (keda.sh/v1alpha1), as JSON Schemas of exactly the fields the translation reads. Other fields (status, managed
 * fields, annotations) are allowed and ignored: a manifest straight from `kubectl get -o yaml` must load. Every number
 * is bounded as the Kubernetes API bounds it (int32 replicas, stabilization ≤ 3600 s, periods ≤ 1800 s), so a hostile
 * file fails at a located field instead of inside the translation.
 */
import {MAX_GROUP_SIZE} from '../input/limits.js'
import type {Schema} from '../input/json-schema.js'

const str: Schema = {type: 'string', minLength: 1, maxLength: 1024}
const quantity: Schema = {type: ['string', 'number'], maxLength: 64}
const replicas = (minimum: number): Schema => ({type: 'integer', minimum, maximum: MAX_GROUP_SIZE})
const open = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? {required} : {}),
})
const labelSelector: Schema = open({
  matchLabels: {type: 'object', additionalProperties: {type: 'string', maxLength: 1024}, maxProperties: 64},
  matchExpressions: {
    type: 'array',
    maxItems: 64,
    items: open(
      {
        key: str,
        operator: {enum: ['In', 'NotIn', 'Exists', 'DoesNotExist']},
        values: {type: 'array', maxItems: 64, items: {type: 'string', maxLength: 1024}},
      },
      ['key', 'operator'],
    ),
  },
})
const metricIdentifier: Schema = open({name: str, selector: labelSelector}, ['name'])
const target: Schema = open(
  {
    type: {enum: ['Utilization', 'Value', 'AverageValue']},
    averageUtilization: {type: 'integer', minimum: 1, maximum: 2147483647},
    averageValue: quantity,
    value: quantity,
  },
  ['type'],
)
const scalingRules: Schema = open({
  stabilizationWindowSeconds: {type: 'integer', minimum: 0, maximum: 3600},
  selectPolicy: {enum: ['Max', 'Min', 'Disabled']},
  policies: {
    type: 'array',
    maxItems: 64,
    items: open(
      {
        type: {enum: ['Pods', 'Percent']},
        value: {type: 'integer', minimum: 1, maximum: MAX_GROUP_SIZE},
        periodSeconds: {type: 'integer', minimum: 1, maximum: 1800},
      },
      ['type', 'value', 'periodSeconds'],
    ),
  },
  tolerance: quantity,
})
export const behaviorSchema: Schema = open({scaleUp: scalingRules, scaleDown: scalingRules})
const metadata: Schema = open({name: str, namespace: str}, ['name'])
const scaleTargetRef: Schema = open({kind: str, name: str, apiVersion: str}, ['name'])

export const HPA_SCHEMA: Schema = open(
  {
    apiVersion: {enum: ['autoscaling/v1', 'autoscaling/v2', 'autoscaling/v2beta2']},
    kind: {const: 'HorizontalPodAutoscaler'},
    metadata,
    spec: open(
      {
        scaleTargetRef: open({kind: str, name: str, apiVersion: str}, ['kind', 'name']),
        minReplicas: replicas(0),
        maxReplicas: replicas(1),
        targetCPUUtilizationPercentage: {type: 'integer', minimum: 1, maximum: 2147483647},
        metrics: {
          type: 'array',
          maxItems: 100,
          items: open(
            {
              type: str,
              resource: open({name: str, target}, ['name', 'target']),
              containerResource: open({name: str, container: str, target}, ['name', 'container', 'target']),
              pods: open({metric: metricIdentifier, target}, ['metric', 'target']),
              object: open(
                {
                  describedObject: open({kind: str, name: str, apiVersion: str}, ['kind', 'name']),
                  metric: metricIdentifier,
                  target,
                },
                ['describedObject', 'metric', 'target'],
              ),
              external: open({metric: metricIdentifier, target}, ['metric', 'target']),
            },
            ['type'],
          ),
        },
        behavior: behaviorSchema,
      },
      ['scaleTargetRef', 'maxReplicas'],
    ),
  },
  ['apiVersion', 'kind', 'metadata', 'spec'],
)

export const SCALED_OBJECT_SCHEMA: Schema = open(
  {
    apiVersion: {const: 'keda.sh/v1alpha1'},
    kind: {const: 'ScaledObject'},
    metadata,
    spec: open(
      {
        scaleTargetRef,
        pollingInterval: {type: 'integer', minimum: 1, maximum: 86400},
        cooldownPeriod: {type: 'integer', minimum: 0, maximum: 86400},
        idleReplicaCount: replicas(0),
        minReplicaCount: replicas(0),
        maxReplicaCount: replicas(1),
        advanced: open({horizontalPodAutoscalerConfig: open({behavior: behaviorSchema})}),
        fallback: {type: 'object'},
        triggers: {
          type: 'array',
          minItems: 1,
          maxItems: 100,
          items: open(
            {
              type: str,
              name: str,
              metricType: {enum: ['Utilization', 'Value', 'AverageValue']},
              metadata: {
                type: 'object',
                additionalProperties: {type: ['string', 'number', 'boolean']},
                maxProperties: 100,
              },
            },
            ['type'],
          ),
        },
      },
      ['scaleTargetRef', 'triggers'],
    ),
  },
  ['apiVersion', 'kind', 'metadata', 'spec'],
)
