import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (name === 'node_modules') return []
    if (statSync(path).isDirectory()) return sources(path)
    return name.endsWith('.ts') ? [path] : []
  })
}

/** Variables the code reads: keys of the zod shapes in config files or handed to parseEnv, and direct process.env reads. */
function variablesInCode(): Map<string, string[]> {
  const found = new Map<string, string[]>()
  const add = (name: string, file: string) =>
    found.set(name, [...(found.get(name) ?? []), relative(root, file)])
  const files = ['lib', 'services', 'scripts', 'cli', 'training'].flatMap((dir) => sources(join(root, dir)))
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    const isConfig =
      text.includes('parseEnv(') ||
      /(^|[/.])config\.ts$/.test(file) ||
      file.endsWith(join('lib', 'config', 'index.ts'))
    if (isConfig) {
      for (const match of text.matchAll(/^\s+([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+): /gm)) add(match[1]!, file)
    }
    for (const match of text.matchAll(/process\.env\.([A-Z][A-Z0-9_]+)/g)) add(match[1]!, file)
  }
  return found
}

function variablesInReadme(): Set<string> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const section = readme.split('## Configuration')[1]?.split('\n## ')[0] ?? ''
  return new Set([...section.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!))
}

describe('README configuration table', () => {
  const inCode = variablesInCode()
  const inReadme = variablesInReadme()

  it('documents every environment variable the code reads', () => {
    const missing = [...inCode.keys()].filter((name) => !inReadme.has(name))
    expect(
      missing,
      `read by ${missing.map((m) => `${m} (${inCode.get(m)?.join(', ')})`).join('; ')}`,
    ).toEqual([])
  })

  it('finds the variables in the code at all', () => {
    expect(inCode.size).toBeGreaterThanOrEqual(10)
    expect(inCode.get('GATEWAY_PORT')).toBeDefined()
  })

  it('documents no variable the code does not read', () => {
    expect([...inReadme].filter((name) => !inCode.has(name))).toEqual([])
  })
})
