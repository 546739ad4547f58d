/** Kubernetes quantities, as the API writes requests and HPA targets (apimachinery pkg/api/resource). */
import {expect, test} from 'vitest'

import {parseQuantity} from '../../../src/core/input/quantity.js'

test.each([
  {text: '500m', value: 0.5, why: 'millicores'},
  {text: '2', value: 2, why: 'plain cores'},
  {text: '1.5', value: 1.5, why: 'a decimal'},
  {text: '128Mi', value: 128 * 2 ** 20, why: 'binary suffix'},
  {text: '1G', value: 1e9, why: 'decimal SI suffix'},
  {text: '129e6', value: 129e6, why: 'decimal exponent'},
  {text: '100u', value: 1e-4, why: 'micro'},
  {text: '1Gb', value: undefined, why: 'not a suffix Kubernetes knows'},
  {text: '', value: undefined, why: 'empty'},
  {text: 'NaN', value: undefined, why: 'not a number'},
  {text: '9'.repeat(400), value: undefined, why: 'too long to be a quantity'},
])('$text → $value ($why)', ({text, value}) => {
  const got = parseQuantity(text)
  if (value === undefined) expect(got).toBeUndefined()
  else expect(got).toBeCloseTo(value, 12)
})
