/**
 * Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource): `500m`, `1.5`, `2Gi`, `128974848`, `129e6`.
 * Decimal SI suffixes (n u m k M G T P E), binary ones (Ki Mi Gi Ti Pi Ei) and decimal exponents. Returns the value
 * in base units (cores, bytes), or undefined for anything else: a quantity is input, never guessed.
 */
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
}
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/

export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'string' || value.length > 64) return undefined
  const m = QUANTITY.exec(value.trim())
  if (!m) return undefined
  const base = Number(m[1])
  const n = m[2] !== undefined ? Number(`${m[1]}${m[2]}`) : base * (SUFFIX[m[3] ?? ''] as number)
  return Number.isFinite(n) ? n : undefined
}
