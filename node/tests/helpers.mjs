import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, dirname, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const dynoshift = createRequire(import.meta.url)('../index.js')

export function loadVectors() {
  const root = join(REPO, 'tests', 'vectors')
  const files = []
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.json')) files.push(path)
    }
  }
  walk(root)
  return files.flatMap((f) => JSON.parse(readFileSync(f, 'utf8')).map((c) => ({ ...c, file: relative(root, f) })))
}

export function apiSurface() {
  return JSON.parse(readFileSync(join(REPO, 'tests', 'api-surface.json'), 'utf8'))
}

export const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())

/** Every key `expected` names must match in `actual`; arrays by length and element; numbers within 1e-9. */
export function assertSubset(expected, actual, path = '') {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object') throw new Error(`${path}: expected an object, got ${JSON.stringify(actual)}`)
    for (const [k, v] of Object.entries(expected)) assertSubset(v, actual[k] ?? null, `${path}.${k}`)
  } else if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) throw new Error(`${path}: expected ${expected.length} items, got ${JSON.stringify(actual)}`)
    expected.forEach((e, i) => assertSubset(e, actual[i], `${path}[${i}]`))
  } else if (typeof expected === 'number') {
    if (typeof actual !== 'number' || Math.abs(expected - actual) > 1e-9 * Math.max(1, Math.abs(expected))) throw new Error(`${path}: expected ${expected}, got ${actual}`)
  } else if (expected !== actual) {
    throw new Error(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)
  }
}
