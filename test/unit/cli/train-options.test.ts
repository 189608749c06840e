import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../lib/config/index.ts'
import { budgetWeightsFor, loadTrainOptions } from '../../../training/train-options.ts'
import { baselineArgs, heldOut, pythonArgs } from '../../../training/train-runner.ts'

describe('loadTrainOptions', () => {
  it('names both models after the data folder and uses the presets by default', () => {
    const o = loadTrainOptions(['--data', 'plants/Line 3/'])
    expect(o.roles).toEqual(['edge', 'cloud'])
    expect(o.names).toEqual({ edge: 'line-3-edge', cloud: 'line-3-cloud' })
    expect(o.out).toBe('models')
    expect(o.budgets).toEqual([16, 36, 64, 100, 144, 196, 256])
    expect(o.work).toBe('tmp/train/line-3-edge')
    expect(o.python).toBe('/usr/bin/python3')
  })

  it('takes one role and explicit names', () => {
    const o = loadTrainOptions([
      '--data',
      'd',
      '--role',
      'cloud',
      '--cloud-name',
      'cloud-x',
      '--minutes',
      '2.5',
    ])
    expect(o.roles).toEqual(['cloud'])
    expect(o.names.cloud).toBe('cloud-x')
    expect(o.minutes).toBe(2.5)
  })

  it('reports every bad argument at once', () => {
    let err: unknown
    try {
      loadTrainOptions([
        '--role',
        'gpu',
        '--minutes',
        '0',
        '--budgets',
        '16,50',
        '--channels',
        '2',
        '--batch',
        '0',
      ])
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    const problems = (err as ConfigError).problems.join('\n')
    expect(problems).toContain('--data')
    expect(problems).toContain('edge, cloud or both for --role but received gpu')
    expect(problems).toContain('--minutes but received 0')
    expect(problems).toContain('--budgets but received 50')
    expect(problems).toContain('--channels but received 2')
    expect(problems).toContain('--batch but received 0')
  })

  it('passes --recipe to train.py only when chosen, and gives the baseline the same tensors and minutes', () => {
    const tensors = { train: 't/train', val: 't/val', test: 't/test' }
    const auto = loadTrainOptions(['--data', 'd', '--minutes', '8'])
    expect(auto.recipe).toBe('auto')
    expect(auto.baseline).toBe(false)
    expect(pythonArgs(auto, 'edge', tensors, 'c')).not.toContain('--recipe')
    const o = loadTrainOptions([
      '--data',
      'd',
      '--recipe',
      'labels',
      '--baseline',
      '--minutes',
      '8',
      '--threads',
      '1',
    ])
    expect(o.baseline).toBe(true)
    const args = pythonArgs(o, 'edge', tensors, 'c')
    expect(args[args.indexOf('--recipe') + 1]).toBe('labels')
    const b = baselineArgs(o, tensors, 16)
    expect(b[0]).toMatch(/training\/baseline\.py$/)
    for (const [flag, value] of [
      ['--train', 't/train'],
      ['--val', 't/val'],
      ['--test', 't/test'],
      ['--budget', '16'],
      ['--minutes', '8'],
      ['--threads', '1'],
    ] as const)
      expect(b[b.indexOf(flag) + 1]).toBe(value)
    expect(() => loadTrainOptions(['--data', 'd', '--recipe', 'pixels'])).toThrow(
      /auto, masks or labels for --recipe but received pixels/,
    )
  })

  it('turns an unknown flag into a configuration error', () => {
    expect(() => loadTrainOptions(['--data', 'd', '--epochs', '3'])).toThrow(ConfigError)
  })

  it('refuses a model name the manifest schema would reject', () => {
    expect(() => loadTrainOptions(['--data', 'd', '--edge-name', 'Edge Model'])).toThrow(
      /lower-case model name/,
    )
  })
})

describe('budgetWeightsFor', () => {
  it('weights the edge toward cheap budgets and the cloud toward the large one', () => {
    const edge = budgetWeightsFor('edge', [16, 64, 256])
    const cloud = budgetWeightsFor('cloud', [16, 64, 256])
    expect(edge[0]).toBeGreaterThan(edge[2]!)
    expect(cloud[2]).toBeGreaterThan(cloud[0]!)
  })

  it('gives every rung of any ladder a share, the shares summing to 1', () => {
    for (const role of ['edge', 'cloud'] as const) {
      const w = budgetWeightsFor(role, [4, 16, 36, 64, 100, 144, 196, 256])
      expect(w.every((x) => x > 0)).toBe(true)
      expect(w.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 2)
    }
  })
})

describe('heldOut', () => {
  it('holds out about a fifth of the images whatever their order, so cycling classes all reach validation', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => String(i).padStart(7, '0'))
    const held = ids.filter((id) => heldOut(id))
    expect(held.length).toBeGreaterThan(150)
    expect(held.length).toBeLessThan(250)
    const classes = new Set(held.map((id) => Number(id) % 5))
    expect(classes.size).toBe(5)
  })
})
