/**
 * Trace input, pure: layouts, row parsing, the incremental reader, per-request tables, rate series and the
 * synthetic generator. File streaming lives in src/adapters/trace-file.ts; the oracle in src/core/oracle/.
 */
export * from './csv.js'
export * from './formats.js'
export * from './rates.js'
export * from './reader.js'
export * from './scale.js'
export * from './synthetic.js'
export * from './table.js'
export * from './timestamp.js'
export * from './types.js'
export * from './loaded.js'
export * from './moments.js'
export * from './examples.js'
