// The architecture rule "no circular imports": every relative import of src/ (type-only ones too) forms a graph without cycles.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '..', '..', '..')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return /\.(ts|vue)$/.test(name) && !name.endsWith('.d.ts') ? [path] : []
  })
}

/** Relative imports at the start of a line (static, re-exports, type-only) and dynamic import('./x'), resolved to files. */
export function importsOf(file: string, text: string): string[] {
  const specs: string[] = []
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s+['"](\.[^'"]+)['"]/gm)) specs.push(m[1] as string)
  for (const m of text.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)) specs.push(m[1] as string)
  return specs.flatMap((spec) => {
    const base = resolve(dirname(file), spec.replace(/\?.*$/, ''))
    const found = [base, `${base}.ts`, `${base}.vue`, join(base, 'index.ts')].find((c) => existsSync(c) && statSync(c).isFile())
    return found === undefined ? [] : [found]
  })
}

export function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const cycles: string[][] = []
  const visit = (node: string): void => {
    state.set(node, 'open')
    stack.push(node)
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next])
      else if (state.get(next) === undefined) visit(next)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const node of graph.keys()) if (state.get(node) === undefined) visit(node)
  return cycles
}

describe('import graph', () => {
  it('finds a cycle when there is one (the check can fail)', () => {
    expect(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c', 'a']])
    expect(findCycles(new Map([['a', ['b']], ['b', []]]))).toEqual([])
  })

  it('has no circular imports in src/', () => {
    const files = sourceFiles(join(ROOT, 'src'))
    expect(files.length).toBeGreaterThan(100)
    const graph = new Map(files.map((file) => [file, importsOf(file, readFileSync(file, 'utf8'))]))
    expect([...graph.values()].flat().length).toBeGreaterThan(300)
    const cycles = findCycles(graph).map((cycle) => cycle.map((f) => relative(ROOT, f)).join(' → '))
    expect(cycles).toEqual([])
  })
})
