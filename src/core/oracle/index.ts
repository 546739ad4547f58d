export * from './layer-oracle.js'
