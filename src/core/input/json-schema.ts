/**
 * Builders for the JSON-Schema fragments the schema modules (config, scenario, plan, snapshot, controller state)
 * all write: one place for the shape, so each schema reads as what it describes. Key order is the generated files'.
 */
export type Schema = Record<string, unknown>

/** An object with exactly these properties (no others), all of `required` present. */
export const closedObject = (required: readonly string[], properties: Record<string, unknown>): Schema => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
})

/** An array of `items`. */
export const arrayOf = (items: Schema): Schema => ({type: 'array', items})

/** A described object with exactly these properties; `required` is left out when empty. */
export function object(description: string, properties: Record<string, Schema>, required: string[] = []): Schema {
  return {
    type: 'object',
    description,
    additionalProperties: false,
    properties,
    ...(required.length > 0 ? {required} : {}),
  }
}
