import { describe, expect, it } from 'vitest';
import type { Architecture } from '../architecture.js';
import { layerNames } from '../names.js';
import { coupledGraphArch } from '../test-utils/fixtures.js';
import { modelRegistry } from '../zoo/all.js';
import { channelMap, usesChannelGroups, type ChannelMap, type ChannelRef } from './channels.js';

/** Each group as "layer+layer:units", with its layers by name, and a * when frozen. */
function describeGroups(arch: Architecture, map: ChannelMap): string[] {
  const names = layerNames(arch);
  return map.groups.map((g) => `${g.layers.map((i) => names[i]).join('+')}:${g.units.length}${g.frozen ? '*' : ''}`);
}

const refs = (arch: Architecture, rs: readonly ChannelRef[]) => rs.map((r) => `${layerNames(arch)[r.layer]}.${r.channel}`);

describe('channel groups of ResNet-20 (He et al. 2016)', () => {
  it('option B: one group per stage of the residual stream (its convs that write into it, the 1x1 shortcut included), and one per block-internal conv', () => {
    const arch = modelRegistry.create('resnet', { depth: 20, shortcut: 'B', width: 4 })([8, 8, 3], 10);
    const map = channelMap(arch);
    expect(describeGroups(arch, map)).toEqual([
      'conv1+conv3+conv5+conv7:4',
      'conv2:4',
      'conv4:4',
      'conv6:4',
      'conv8:8',
      'conv9+conv10+conv12+conv14:8',
      'conv11:8',
      'conv13:8',
      'conv15:16',
      'conv16+conv17+conv19+conv21:16',
      'conv18:16',
      'conv20:16',
      'dense1:10*',
    ]);
    // A stage-1 channel: the stem conv and the block outputs it is added to, with their batch norms.
    const unit = map.units[map.groups[0]!.units[2]!]!;
    expect(refs(arch, unit.owners)).toEqual(['conv1.2', 'conv3.2', 'conv5.2', 'conv7.2']);
    expect(refs(arch, unit.norms)).toEqual(['bn1.2', 'bn3.2', 'bn5.2', 'bn7.2']);
    expect(unit.frozen).toBe(false);
  });

  it("option A: the zero-padded identity couples the stages' streams into one group, stage 1's channels in the middle of stage 2's", () => {
    const arch = modelRegistry.create('resnet', { depth: 20, width: 4 })([8, 8, 3], 10);
    const map = channelMap(arch);
    expect(describeGroups(arch, map)).toEqual([
      'conv1+conv3+conv5+conv7+conv9+conv11+conv13+conv15+conv17+conv19:16',
      'conv2:4',
      'conv4:4',
      'conv6:4',
      'conv8:8',
      'conv10:8',
      'conv12:8',
      'conv14:16',
      'conv16:16',
      'conv18:16',
      'dense1:10*',
    ]);
    const owners = map.groups[0]!.units.map((u) => map.units[u]!.owners.length);
    // Width 4: stage 3 has 16 channels; its middle 8 are stage 2's, whose middle 4 are stage 1's (padding 2 + 2, then 4 + 4).
    expect(owners.filter((n) => n === 10)).toHaveLength(4);
    expect(owners.filter((n) => n === 6)).toHaveLength(4);
    expect(owners.filter((n) => n === 3)).toHaveLength(8);
    const stem = map.units.findIndex((u) => u.owners[0]?.layer === 0 && u.owners[0].channel === 1);
    // Stage 1's channel 1 is stage 2's channel 2 + 1 and stage 3's channel 4 + 3.
    expect(refs(arch, map.units[stem]!.owners)).toEqual(['conv1.1', 'conv3.1', 'conv5.1', 'conv7.1', 'conv9.3', 'conv11.3', 'conv13.3', 'conv15.7', 'conv17.7', 'conv19.7']);
    // The padded channels belong to the unit they are added to, and own nothing themselves.
    const pad = arch.layers.findIndex((l) => l.kind === 'zeroPad');
    expect(map.unitOf[pad]![0]).toBe(map.unitOf[arch.layers.findIndex((l) => l.name === 'stage2.block1.main')]![0]);
  });
});

describe('channel groups of the other networks', () => {
  it('VGG-16: each conv with its batch norm is a group of its own; the classifier is frozen', () => {
    const arch = modelRegistry.create('vgg', { depth: 16, width: 2 })([16, 16, 3], 10);
    const map = channelMap(arch);
    const groups = describeGroups(arch, map);
    expect(groups).toHaveLength(14);
    expect(groups.slice(0, 3)).toEqual(['conv1:2', 'conv2:2', 'conv3:4']);
    expect(groups.at(-1)).toBe('dense1:10*');
    for (const g of map.groups.slice(0, -1)) for (const u of g.units) expect(map.units[u]!.norms).toHaveLength(1);
  });

  it('a graph with concatenation, adds, a depthwise conv, zero padding and a flatten maps every channel to its owners', () => {
    const arch = coupledGraphArch();
    const map = channelMap(arch);
    expect(describeGroups(arch, map)).toEqual(['conv1+conv2+conv3+dwconv1+conv4:8', 'conv5:2', 'dense1:4', 'dense2:4', 'dense3:3*']);
    const units = map.groups[0]!.units.map((u) => refs(arch, map.units[u]!.owners).join(' '));
    // conv1 and conv2 own the two channel ranges of the concatenation that the add meets conv3's channels with;
    // the zero padding shifts them by one in conv4's channels, whose channels 0, 6 and 7 meet only padding.
    expect(units).toEqual([
      'conv1.0 conv3.0 conv4.1',
      'conv1.1 conv3.1 conv4.2',
      'conv1.2 conv3.2 conv4.3',
      'conv2.0 conv3.3 conv4.4',
      'conv2.1 conv3.4 conv4.5',
      'conv4.0',
      'conv4.6',
      'conv4.7',
    ]);
    const second = map.units[map.groups[0]!.units[1]!]!;
    expect(refs(arch, second.norms)).toEqual(['bn1.1', 'bn2.1']);
    expect(refs(arch, second.depthwise)).toEqual(['dwconv1.1']);
    // The flatten of conv5's [3, 3, 2] output: row r is channel r % 2.
    const flatten = arch.layers.findIndex((l) => l.kind === 'flatten');
    const conv5 = arch.layers.findIndex((l, i) => l.kind === 'conv2d' && layerNames(arch)[i] === 'conv5');
    expect(Array.from(map.unitOf[flatten]!)).toEqual(Array.from({ length: 18 }, (_, r) => map.unitOf[conv5]![r % 2]));
  });

  it('a softmax in the middle freezes what it mixes; an add with the input freezes its other side', () => {
    const arch: Architecture = {
      inputShape: [4],
      classes: 2,
      layers: [
        { kind: 'dense', units: 3, activation: 'relu' },
        { kind: 'activation', fn: 'softmax' },
        { kind: 'dense', units: 4, activation: 'relu', name: 'h' },
        { kind: 'add', inputs: ['h', 'input'] },
        { kind: 'dense', units: 2, activation: 'linear' },
      ],
    };
    expect(describeGroups(arch, channelMap(arch))).toEqual(['dense1:3*', 'dense2:4*', 'dense3:2*']);
  });
});

// Generated from the registry: every zoo model's channels each belong to one
// unit, every owned unit to one group, and the classes are frozen.
const setups: Record<string, { options: Record<string, unknown>; shape: number[] }> = {
  mlp: { options: { hidden: [6, 5] }, shape: [4, 4, 1] },
  'lenet-5': { options: { preset: 'classic' }, shape: [16, 16, 1] },
  'conv-small': { options: { widths: [3, 4], dense: [6] }, shape: [8, 8, 2] },
  resnet: { options: { depth: 20, width: 2 }, shape: [8, 8, 3] },
  vgg: { options: { depth: 11, width: 2 }, shape: [16, 16, 3] },
};

describe.each(modelRegistry.list().filter((e) => e.name !== 'tfjs'))('channel map of zoo model $name', (entry) => {
  it('covers every channel once, groups every owned unit once, and freezes the classes', () => {
    const setup = setups[entry.name];
    expect(setup, `give ${entry.name} a setup in channels.test.ts`).toBeDefined();
    const arch = modelRegistry.create(entry.name, setup!.options)(setup!.shape, 3);
    const map = channelMap(arch);
    const names = layerNames(arch);
    const seen = new Set<string>();
    map.units.forEach((u, k) => {
      for (const r of [...u.owners, ...u.depthwise, ...u.norms]) {
        const key = `${r.layer}.${r.channel}`;
        expect(seen.has(key), key).toBe(false);
        seen.add(key);
        expect(map.unitOf[r.layer]![r.channel]).toBe(k);
      }
      expect(map.groupOf[k]! >= 0).toBe(u.owners.length > 0);
    });
    const last = arch.layers.length - 1;
    for (const u of map.unitOf[last]!) expect(map.units[u]!.frozen).toBe(true);
    // The plain stacks keep the per-layer path, one group per layer.
    const plain = ['mlp', 'lenet-5', 'conv-small'].includes(entry.name);
    expect(usesChannelGroups(arch)).toBe(!plain);
    if (plain) expect(map.groups.map((g) => g.layers.map((i) => names[i]))).toEqual(names.filter((n) => n !== undefined).map((n) => [n]));
  });
});
