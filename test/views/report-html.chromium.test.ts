/**
 * The HTML report in a real browser (issue 12: "tested in headless Chromium"): Debian's chromium, installed by
 * scripts/install-chromium.sh (which .ci/run calls before npm test). No skip: a machine without it fails here
 * with the command that installs it.
 */
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, expect, test} from 'vitest'

import {aggregateSeeds} from '../../src/core/simulate/index.js'
import {renderReportHtml} from '../../src/views/report-html.js'
import {burstComparison} from '../core/simulate/runs.js'
import {CHROMIUM, renderInChromium} from '../helpers/chromium.js'

const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-report-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

test('a two-seed report renders with no console error, no exception, no network request, and a screenshot', async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-chromium.sh`).toBe(true)
  const base = aggregateSeeds([burstComparison(3).report, burstComparison(4).report])
  const report = {
    ...base,
    policies: base.policies.map((p) =>
      p.kind === 'against' ? {...p, name: '<img src=x onerror=console.error(1)>'} : p,
    ),
  }
  const file = join(dir, 'report.html')
  writeFileSync(file, renderReportHtml(report, {title: 'burst: mine vs old'}))
  const result = await renderInChromium(file)
  writeFileSync(join(dir, 'report.png'), result.screenshot)
  expect(result.consoleErrors).toEqual([])
  expect(result.exceptions).toEqual([])
  expect(result.externalRequests).toEqual([])
  expect(result.title).toBe('burst: mine vs old')
  expect(result.bodyTextLength).toBeGreaterThan(500)
  // A PNG (its signature), and not a blank page: a blank 1280-wide PNG compresses to a few KB.
  expect(result.screenshot.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a')
  expect(result.screenshot.length).toBeGreaterThan(50_000)
}, 60_000)

test('the check itself sees console errors, exceptions and network requests (a page made to fail)', async () => {
  const file = join(dir, 'broken.html')
  writeFileSync(
    file,
    '<!DOCTYPE html><title>broken</title><body>x<script>console.error("boom"); null.f()</script><img src="http://192.0.2.1/x.png">',
  )
  const result = await renderInChromium(file)
  expect(result.consoleErrors.some((e) => e.includes('boom'))).toBe(true)
  expect(result.exceptions.join(' ')).toMatch(/TypeError/)
  expect(result.externalRequests).toEqual(['http://192.0.2.1/x.png'])
}, 60_000)
